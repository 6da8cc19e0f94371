/*
 * Pure signing helpers for the robots that support signed requests:
 * HMAC-SHA256 through OpenSSL's one-shot HMAC() and base64 through
 * EVP_EncodeBlock().  The caller passes the timestamp; nothing here reads
 * a clock.  Results are malloc'd; NULL only if OpenSSL itself fails.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "escalator.h"

/* HMAC-SHA256 of msg under key into out (32 bytes); -1 on failure. */
static int
sign_hmac(const void *key, size_t keylen, const void *msg, size_t msglen,
    unsigned char out[EVP_MAX_MD_SIZE], unsigned int *outlen)
{
	static const unsigned char	 empty[1];

	if (keylen > INT_MAX)
		return (-1);
	/* OpenSSL wants a non-NULL pointer even for an empty message. */
	if (msg == NULL || msglen == 0)
		msg = empty;
	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out,
	    outlen) == NULL)
		return (-1);
	return (0);
}

/* HMAC-SHA256 of msg under key: the one implementation, for link.c too. */
int
sign_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[32])
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen;

	if (sign_hmac(key, keylen, msg, msglen, mac, &maclen) != 0 ||
	    maclen != 32)
		return (-1);
	memcpy(out, mac, 32);
	return (0);
}

/* Decode unpadded base64url into out (at most cap bytes); -1 when the
 * text is not base64url or too long. */
int
sign_base64url_decode(const char *in, unsigned char *out, size_t cap,
    size_t *len)
{
	char		*std;
	unsigned char	*tmp;
	size_t		 n = strlen(in), i, pad;
	int		 got;

	if (n == 0 || n % 4 == 1 || n > 4 * ((cap + 2) / 3))
		return (-1);
	pad = (4 - n % 4) % 4;
	std = xmalloc(n + pad + 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))) {
			free(std);
			return (-1);
		}
		std[i] = (char)c;
	}
	for (i = 0; i < pad; i++)
		std[n + i] = '=';
	std[n + pad] = '\0';
	tmp = xmalloc(n + pad);
	got = EVP_DecodeBlock(tmp, (unsigned char *)std, (int)(n + pad));
	free(std);
	if (got < 0 || (size_t)got < pad || (size_t)got - pad > cap) {
		free(tmp);
		return (-1);
	}
	*len = (size_t)got - pad;
	memcpy(out, tmp, *len);
	free(tmp);
	return (0);
}

/* Unpadded base64url (RFC 4648 section 5) of a byte string. */
char *
sign_base64url(const unsigned char *in, size_t len)
{
	char	*s = sign_base64(in, len), *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=') {
			*p = '\0';
			break;
		}
	}
	return (s);
}

/* Standard base64 (with padding, no line breaks) of a byte string. */
char *
sign_base64(const unsigned char *in, size_t len)
{
	unsigned char	*out;
	size_t		 done, chunk, olen = 0;

	out = xmalloc(4 * ((len + 2) / 3) + 1);
	/* EVP_EncodeBlock takes an int: feed it whole 3-byte groups. */
	for (done = 0; done < len; done += chunk) {
		chunk = len - done;
		if (chunk > 3 * (INT_MAX / 4 / 3))
			chunk = 3 * (INT_MAX / 4 / 3);
		olen += (size_t)EVP_EncodeBlock(out + olen, in + done,
		    (int)chunk);
	}
	out[olen] = '\0';
	return ((char *)out);
}

/* DingTalk: base64(HMAC-SHA256(key = secret, ts_ms "\n" secret)), not yet
 * URL-encoded. */
char *
sign_dingtalk(const char *secret, int64_t ts_ms)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen;
	char		*tosign;
	int		 n;

	n = xasprintf(&tosign, "%" PRId64 "\n%s", ts_ms, secret);
	if (sign_hmac(secret, strlen(secret), tosign, (size_t)n, mac,
	    &maclen) != 0) {
		free(tosign);
		return (NULL);
	}
	free(tosign);
	return (sign_base64(mac, maclen));
}

/* Feishu: base64(HMAC-SHA256(key = ts_s "\n" secret, empty message)); the
 * string to sign is the key, as the vendor specifies. */
char *
sign_feishu(const char *secret, int64_t ts_s)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen;
	char		*tosign;
	int		 n;

	n = xasprintf(&tosign, "%" PRId64 "\n%s", ts_s, secret);
	if (sign_hmac(tosign, (size_t)n, "", 0, mac, &maclen) != 0) {
		free(tosign);
		return (NULL);
	}
	free(tosign);
	return (sign_base64(mac, maclen));
}

/* Generic webhook: lowercase hex HMAC-SHA256(key = secret, the exact body
 * bytes), so receivers can verify with any HMAC library. */
char *
sign_webhook(const char *secret, const char *body, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen, i;
	char			*out;

	if (sign_hmac(secret, strlen(secret), body, len, mac, &maclen) != 0)
		return (NULL);
	out = xmalloc(2 * (size_t)maclen + 1);
	for (i = 0; i < maclen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 0xf];
	}
	out[2 * maclen] = '\0';
	return (out);
}
