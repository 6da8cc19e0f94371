/*
 * Files posted by a WeCom group robot: pure request building and answer
 * reading for its two steps.  A robot cannot put a file in a message: the
 * file is first uploaded (POST .../webhook/upload_media?key=KEY&type=file,
 * multipart/form-data, one part named "media" with the file name and
 * length), which answers a media_id valid for three days; then a message
 * {"msgtype":"file","file":{"media_id":...}} posts it to the chat.  Files
 * must be larger than 5 bytes and at most 20 MB.  (Not in WEBHOOKS.md:
 * from WeCom's documentation of the group robot, 群机器人配置说明, and of
 * media uploads, 上传临时素材.)  DingTalk and Feishu robots cannot post
 * files at all.
 *
 * The upload's multipart body itself is built by libcurl (curl_mime) in
 * outbox.c; this file gives its URL and its part's header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "escalator.h"

/* The upload endpoint beside the send endpoint: ".../send" becomes
 * ".../upload_media", with the key and type=file; NULL (and *err) when
 * the channel is not a WeCom robot or its URL does not end in /send. */
char *
media_upload_url(const struct channel *ch, char **err)
{
	const char	*url = ch->url, *q;
	char		*key, *s, *base;
	size_t		 n;

	*err = NULL;
	if (ch->type != CHANNEL_WECOM) {
		xasprintf(err, "channel %s is a %s robot, which cannot post "
		    "files", ch->name, channel_type_name(ch->type));
		return (NULL);
	}
	q = strchr(url, '?');
	n = q != NULL ? (size_t)(q - url) : strlen(url);
	if (n < 5 || strncmp(url + n - 5, "/send", 5) != 0) {
		xasprintf(err, "channel %s: its url does not end in /send, so "
		    "the upload_media endpoint beside it is unknown", ch->name);
		return (NULL);
	}
	if ((s = curl_easy_escape(NULL, ch->key, 0)) == NULL) {
		xasprintf(err, "channel %s: cannot encode URL", ch->name);
		return (NULL);
	}
	key = xstrdup(s);
	curl_free(s);
	base = xstrndup(url, n - 5);
	if (q != NULL)
		xasprintf(&s, "%s/upload_media%s&key=%s&type=file", base, q,
		    key);
	else
		xasprintf(&s, "%s/upload_media?key=%s&type=file", base, key);
	free(base);
	free(key);
	return (s);
}

/* The upload part's Content-Disposition header (with the file's length,
 * as WeCom's documentation asks); the name's quotes and line breaks are
 * replaced, which libcurl would otherwise pass through.  Malloc'd. */
char *
media_disposition(const char *name, size_t len)
{
	char	*safe, *p, *s;

	safe = xstrdup(name);
	for (p = safe; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\' || *p == '\r' || *p == '\n')
			*p = '_';
	}
	xasprintf(&s, "Content-Disposition: form-data; name=\"media\"; "
	    "filename=\"%s\"; filelength=%zu", safe, len);
	free(safe);
	return (s);
}

/* Whether a file may be uploaded: 0, or -1 with a reason in msg. */
int
media_check_size(size_t len, char *msg, size_t msglen)
{
	if (len <= MEDIA_MIN_BYTES) {
		snprintf(msg, msglen, "the file is %zu bytes: WeCom takes only"
		    " files larger than %d bytes", len, MEDIA_MIN_BYTES);
		return (-1);
	}
	if (len > MEDIA_MAX_BYTES) {
		snprintf(msg, msglen, "the file is %zu bytes: WeCom takes at "
		    "most %d", len, MEDIA_MAX_BYTES);
		return (-1);
	}
	return (0);
}

/* The media_id of an upload's answer (already judged a success), or
 * NULL; malloc'd. */
char *
media_answer_id(const char *body, size_t len)
{
	json_t		*root;
	const char	*id;
	char		*out = NULL;

	if ((root = json_loadb(body, len, 0, NULL)) == NULL)
		return (NULL);
	id = json_string_value(json_object_get(root, "media_id"));
	if (id != NULL && *id != '\0')
		out = xstrdup(id);
	json_decref(root);
	return (out);
}

/* Whether a media_id got at `at` is still good at now, with an hour to
 * spare for the message that uses it. */
int
media_fresh(int64_t at, int64_t now)
{
	return (at > 0 && now >= at && now - at < MEDIA_TTL - 3600);
}

/* The file message for a media_id, to the channel's send endpoint. */
int
media_message(const struct channel *ch, const char *media_id,
    struct http_request *req, char **err)
{
	struct message	 m;
	json_t		*root;
	char		*body;

	/* The send URL (with the key) is built the way every message's is:
	 * build a text message and keep its URL and headers. */
	memset(&m, 0, sizeof m);
	m.format = FORMAT_TEXT;
	m.text = "-";
	if (channel_build(ch, &m, 0, req, err) != 0)
		return (-1);
	free(req->body);
	root = json_pack("{s:s, s:{s:s}}", "msgtype", "file", "file",
	    "media_id", media_id);
	body = root != NULL ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (body == NULL) {
		req->body = NULL;
		xasprintf(err, "channel %s: cannot build payload", ch->name);
		return (-1);
	}
	req->body = body;
	req->bodylen = strlen(body);
	return (0);
}
