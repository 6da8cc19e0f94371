/*
 * Fuzz the vendors' response parsers: channel_judge for every channel
 * type with the input as the body, under a status, transport result and
 * reason-buffer size taken from the first bytes.  The reason must always
 * be a terminated string within the buffer.
 */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long	 statuses[] = { 200, 200, 200, 201, 204, 301,
	    400, 401, 403, 404, 408, 413, 429, 500, 502, 503, 0, 99, 600,
	    -1 };
	enum delivery_outcome	 out;
	unsigned		 a = fuzz_byte(&data, &size);
	unsigned		 b = fuzz_byte(&data, &size);
	long			 status, code;
	size_t			 msglen = b % 80, len;
	char			 msg[80 + 1];
	char			*body;
	int			 type, curl_ok = (a & 0x80) == 0;

	status = statuses[(a & 0x7f) % (sizeof statuses / sizeof statuses[0])];
	body = xmalloc(size + 1);
	memcpy(body, data, size);
	body[size] = '\0';
	for (type = CHANNEL_WECOM; type <= CHANNEL_WEBHOOK; type++) {
		memset(msg, 'X', sizeof msg);
		code = -12345;
		out = channel_judge((enum channel_type)type, curl_ok, status,
		    body, size, &code, msg, msglen);
		if ((int)out < DELIVERY_OK || out > DELIVERY_AUTH)
			abort();
		if (delivery_outcome_name(out) == NULL)
			abort();
		if (msg[80] != 'X')
			abort();	/* wrote past the buffer */
		if (msglen > 0) {
			len = strnlen(msg, msglen);
			if (len == msglen)
				abort();	/* not terminated */
		}
		/* A NULL body of length 0 is what a transport error gives. */
		(void)channel_judge((enum channel_type)type, curl_ok, status,
		    NULL, 0, &code, msg, msglen);
	}
	free(body);
	return (0);
}
