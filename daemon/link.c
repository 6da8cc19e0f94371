/*
 * Signed action links (pure): the token a notice's link carries.  It
 * binds an item id, the actions it allows (签收, 反馈进展, 已办结,
 * 申请中止计时; approve or reject for a stop request; the board), the
 * addressee role it was made for, a tag of the stage that sent it and an
 * expiry, and carries nothing else about the item.  The bytes are
 * base64url(payload || HMAC-SHA256(secret, payload)[0..12)); the MAC is
 * sign.c's, the one implementation.  Nothing here reads a clock: "now"
 * and the issue time are arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "escalator.h"

#define LINK_VERSION	1
#define LINK_PAYLOAD	23	/* v item ref actions role stage issued
				   expires salt */
#define LINK_MAC	12	/* truncated HMAC-SHA256: 96 bits */

/* Big-endian put and get of n bytes. */
static void
link_put(unsigned char *p, uint64_t v, int n)
{
	int	 i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
link_get(const unsigned char *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return (v);
}

/* The MAC of a payload under the secret with a domain prefix, so that a
 * token can never be taken for a CSRF token or the other way round. */
static int
link_mac(const char *secret, const char *domain, const void *msg,
    size_t len, unsigned char out[32])
{
	unsigned char	*buf;
	size_t		 dl = strlen(domain);
	int		 rc;

	buf = xmalloc(dl + 1 + len);
	memcpy(buf, domain, dl);
	buf[dl] = 0;
	memcpy(buf + dl + 1, msg, len);
	rc = sign_hmac_sha256(secret, strlen(secret), buf, dl + 1 + len, out);
	free(buf);
	return (rc);
}

/* A 16-bit tag of a stage name (0 is kept for "any stage"). */
unsigned
link_stage_tag(const char *stage)
{
	uint32_t	 h = 2166136261u;

	if (stage == NULL || *stage == '\0')
		return (0);
	for (; *stage != '\0'; stage++)
		h = (h ^ (unsigned char)*stage) * 16777619u;
	h = (h ^ (h >> 16)) & 0xffff;
	return (h == 0 ? 1 : h);
}

/* The token for a link (malloc'd), NULL when a field does not fit. */
char *
link_make(const char *secret, const struct link *l)
{
	unsigned char	 b[LINK_PAYLOAD + LINK_MAC], mac[32];

	if (secret == NULL || l->item < 0 || l->item > UINT32_MAX ||
	    l->ref < 0 || l->ref > UINT32_MAX || l->actions > 0xff ||
	    l->role < 0 || l->role > 0xff || l->stage > 0xffff ||
	    l->issued < 0 || l->issued > UINT32_MAX || l->expires < 0 ||
	    l->expires > UINT32_MAX)
		return (NULL);
	b[0] = LINK_VERSION;
	link_put(b + 1, (uint64_t)l->item, 4);
	link_put(b + 5, (uint64_t)l->ref, 4);
	b[9] = (unsigned char)l->actions;
	b[10] = (unsigned char)l->role;
	link_put(b + 11, l->stage, 2);
	link_put(b + 13, (uint64_t)l->issued, 4);
	link_put(b + 17, (uint64_t)l->expires, 4);
	link_put(b + 21, l->salt & 0xffff, 2);
	if (link_mac(secret, "link", b, LINK_PAYLOAD, mac) != 0)
		return (NULL);
	memcpy(b + LINK_PAYLOAD, mac, LINK_MAC);
	return (sign_base64url(b, sizeof b));
}

/* Check a token's form and signature and read its fields: 0, or -1
 * when it is not one of ours (malformed, other secret, altered). */
int
link_parse(const char *secret, const char *token, struct link *l)
{
	unsigned char	 b[LINK_PAYLOAD + LINK_MAC + 4], mac[32];
	size_t		 n;

	memset(l, 0, sizeof *l);
	if (secret == NULL || token == NULL ||
	    strlen(token) > LINK_TOKEN_MAX ||
	    sign_base64url_decode(token, b, sizeof b, &n) != 0 ||
	    n != LINK_PAYLOAD + LINK_MAC || b[0] != LINK_VERSION)
		return (-1);
	if (link_mac(secret, "link", b, LINK_PAYLOAD, mac) != 0 ||
	    CRYPTO_memcmp(mac, b + LINK_PAYLOAD, LINK_MAC) != 0)
		return (-1);
	l->item = (int64_t)link_get(b + 1, 4);
	l->ref = (int64_t)link_get(b + 5, 4);
	l->actions = b[9];
	l->role = b[10];
	l->stage = (unsigned)link_get(b + 11, 2);
	l->issued = (int64_t)link_get(b + 13, 4);
	l->expires = (int64_t)link_get(b + 17, 4);
	l->salt = (unsigned)link_get(b + 21, 2);
	return (0);
}

/* The CSRF token of a form: hex HMAC of the link token and the action. */
void
link_csrf(const char *secret, const char *token, const char *action,
    char out[LINK_CSRF_LEN + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 mac[32];
	char			*msg;
	int			 i, n;

	n = xasprintf(&msg, "%s\n%s", token, action);
	if (link_mac(secret, "csrf", msg, (size_t)n, mac) != 0)
		memset(mac, 0, sizeof mac);
	free(msg);
	for (i = 0; i < LINK_CSRF_LEN / 2; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 0xf];
	}
	out[LINK_CSRF_LEN] = '\0';
}

/* Whether a form's CSRF token is the one link_csrf() gives. */
int
link_csrf_ok(const char *secret, const char *token, const char *action,
    const char *got)
{
	char	 want[LINK_CSRF_LEN + 1];

	if (got == NULL || strlen(got) != LINK_CSRF_LEN)
		return (0);
	link_csrf(secret, token, action, want);
	return (CRYPTO_memcmp(want, got, LINK_CSRF_LEN) == 0);
}

static const struct {
	unsigned	 bit;
	const char	*name;
	const char	*label;
} link_actions[] = {
	{ LINK_ACK, "ack", "签收" },
	{ LINK_PROGRESS, "progress", "反馈进展" },
	{ LINK_DONE, "done", "已办结" },
	{ LINK_STOP, "stop", "申请中止计时" },
	{ LINK_APPROVE, "approve", "同意中止计时" },
	{ LINK_REJECT, "reject", "不同意中止计时" },
	{ LINK_BOARD, "board", "看板" },
};

/* One action's bit from its name ("ack"), 0 when unknown. */
unsigned
link_action_parse(const char *name)
{
	size_t	 i;

	for (i = 0; name != NULL && i < sizeof link_actions /
	    sizeof link_actions[0]; i++)
		if (strcmp(name, link_actions[i].name) == 0)
			return (link_actions[i].bit);
	return (0);
}

/* An action's name and its Chinese label ("" when unknown). */
const char *
link_action_name(unsigned bit)
{
	size_t	 i;

	for (i = 0; i < sizeof link_actions / sizeof link_actions[0]; i++)
		if (link_actions[i].bit == bit)
			return (link_actions[i].name);
	return ("");
}

const char *
link_action_label(unsigned bit)
{
	size_t	 i;

	for (i = 0; i < sizeof link_actions / sizeof link_actions[0]; i++)
		if (link_actions[i].bit == bit)
			return (link_actions[i].label);
	return ("");
}

/* The addressee a link was made for, as its role (enum recipient_role
 * plus one; 0 unknown). */
const char *
link_role_name(int role)
{
	static const char *const names[] = { "未指定", "群", "承办人",
	    "承办部门", "推进组", "组长", "专班负责人", "管理员" };

	if (role < 0 || role >= (int)(sizeof names / sizeof names[0]))
		return (names[0]);
	return (names[role]);
}

/* Whether a parsed link still holds at now. */
int
link_expired(const struct link *l, int64_t now)
{
	return (now >= l->expires || now + 300 < l->issued);
}
