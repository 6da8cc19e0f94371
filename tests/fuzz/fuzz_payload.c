/*
 * Fuzz the vendors' payload builders: channel_build for every channel
 * type and format with a message whose fields come from the input (split
 * at NUL bytes: title, text, severity, link, event JSON, then mentions).
 * The first byte picks the format and the byte limit.  A built body must
 * be valid JSON; refusing a message is allowed, crashing is not.  The
 * event is used only when it is a JSON object: channel_build() splices
 * the event enqueue.c wrote as it is (its precondition).
 */
#include <jansson.h>

#include "fuzz.h"

#define FUZZ_FIELDS	12

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
	static const enum channel_format formats[] = { FORMAT_DEFAULT,
	    FORMAT_TEXT, FORMAT_MARKDOWN, FORMAT_ACTIONCARD, FORMAT_POST,
	    FORMAT_CARD, FORMAT_JSON };
	static char		*keywords[] = { "督办", "审批" };
	struct channel		 ch;
	struct message		 m;
	struct http_request	 req;
	const char		*f[FUZZ_FIELDS], *mentions[FUZZ_FIELDS];
	unsigned		 a = fuzz_byte(&data, &size);
	char			*buf, *p, *end, *err;
	size_t			 nf = 0, i;
	json_t			*j;
	int			 type;

	buf = fuzz_string(data, size);
	for (p = buf, end = buf + size; nf < FUZZ_FIELDS; p += strlen(p) + 1) {
		f[nf++] = p;
		if (p + strlen(p) >= end)
			break;
	}
	for (i = nf; i < FUZZ_FIELDS; i++)
		f[i] = NULL;
	memset(&m, 0, sizeof m);
	m.title = f[0] != NULL ? f[0] : "";
	m.text = f[1] != NULL ? f[1] : "";
	m.severity = f[2];
	m.link = f[3] != NULL && *f[3] != '\0' ? f[3] : NULL;
	m.event_json = NULL;
	if (f[4] != NULL && *f[4] != '\0' &&
	    (j = json_loads(f[4], JSON_DECODE_ANY, NULL)) != NULL) {
		if (json_is_object(j))
			m.event_json = f[4];
		json_decref(j);
	}
	for (i = 5; i < FUZZ_FIELDS && f[i] != NULL; i++)
		mentions[i - 5] = f[i];
	m.mobiles = mentions;
	m.nmobiles = i - 5;
	m.userids = mentions;
	m.nuserids = (i - 5) / 2;

	for (type = CHANNEL_WECOM; type <= CHANNEL_WEBHOOK; type++) {
		memset(&ch, 0, sizeof ch);
		ch.name = "fuzz";
		ch.type = (enum channel_type)type;
		ch.format = formats[(a & 0x0f) % 7];
		ch.url = "http://127.0.0.1:9/hook";
		ch.key = "fuzz-key";
		ch.secret = (a & 0x10) ? "SECfuzz-secret" : NULL;
		ch.keywords = (a & 0x20) ? keywords : NULL;
		ch.nkeywords = (a & 0x20) ? 2 : 0;
		ch.max_bytes = (a & 0x40) ? 64 :
		    channel_default_max_bytes(ch.type, ch.format);
		ch.window = -1;
		err = NULL;
		memset(&req, 0, sizeof req);
		if (channel_build(&ch, &m, FUZZ_NOW * 1000, &req, &err) != 0) {
			free(err);
			continue;
		}
		if (req.url == NULL || req.body == NULL)
			abort();
		if ((j = json_loadb(req.body, req.bodylen, 0, NULL)) == NULL)
			abort();	/* a body that is not JSON */
		json_decref(j);
		http_request_clear(&req);
	}
	free(buf);
	return (0);
}
