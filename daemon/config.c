/*
 * The configuration: read the main file and its @includes with libconfig,
 * check every setting, resolve every reference between sections and load
 * the message templates the policies need.
 *
 * Nothing here logs or exits.  Every problem found is collected as a
 * "file:line: message" string and the whole list is handed back, so one
 * run of "approval-escalatord -t" shows all of them.  Key, token and
 * secret values never appear in a problem or a warning.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "escalator.h"

#define CONFIG_ZONEINFO		"/usr/share/zoneinfo"
#define CONFIG_SECRET_MAX	(64 * 1024)
#define CONFIG_TEMPLATE_MAX	(1024 * 1024)
#define CONFIG_DUR_MAX_DAYS	100000		/* about 270 years */
#define CONFIG_NTYPES		(CHANNEL_WEBHOOK + 1)
#define CONFIG_SUN_PATH_MAX	108		/* sizeof sun_path on Linux */

/* A template some stage (or the done notice) needs, and where. */
struct config_need {
	const char	*name;		/* points into the stage or a literal */
	unsigned	 types;		/* bit per enum channel_type */
	int		 required;
	const char	*stage;		/* the stage's name; NULL: a notice */
	int		 rectify;	/* the stage sets a rectification */
	const char	*file;		/* interned in the config */
	int		 line;
};

/* What one config_load() run carries between the section parsers. */
struct config_ctx {
	struct config		 *cf;
	char			 *dir;		/* the main file's directory */
	char			 *tmpldir;	/* NULL: not usable */
	char			**problems;	/* the caller's list, appended */
	size_t			  nproblems;
	struct config_need	 *needs;
	size_t			  nneeds;
	char			**failed;	/* template files already reported */
	size_t			  nfailed;
	unsigned		  types;	/* bit per configured channel type */
};

static const char *const config_main_keys[] = {
	"database", "timezone", "socket", "socket_mode", "listen",
	"api_token", "api_token_file", "api_tokens", "link_base",
	"deadline_time", "public_url", "link_secret", "link_secret_file",
	"board",
	"templates", "admin_channel", "head", "head_channel", "windows",
	"channels", "people", "departments", "groups", "policies", "reports",
	NULL
};
static const char *const config_calendar_keys[] = { "year", "days", NULL };
static const char *const config_token_keys[] = { "name", "file", NULL };
static const char *const config_day_keys[] = { "date", "off", "name", NULL };
static const char *const config_window_keys[] = {
	"name", "days", "start", "end", NULL
};
static const char *const config_channel_keys[] = {
	"name", "type", "url", "key", "key_file", "token", "token_file",
	"secret", "secret_file", "keywords", "format", "per_minute",
	"per_second", "throttle_margin", "timeout", "max_bytes", "window", NULL
};
static const char *const config_person_keys[] = {
	"id", "name", "role", "mobile", "wecom", "dingtalk", "feishu", NULL
};
static const char *const config_department_keys[] = {
	"name", "level", "region", "contact", "channel", NULL
};
static const char *const config_group_keys[] = {
	"name", "leader", "members", "channel", "categories", NULL
};
static const char *const config_policy_keys[] = {
	"name", "track", "match", "window", "stale_after", "done_notice",
	"stages", NULL
};
static const char *const config_match_keys[] = {
	"categories", "departments", "kinds", "modes", NULL
};
static const char *const config_stage_keys[] = {
	"name", "label", "offset", "repeat", "to", "template", "severity",
	"urgent", "rectify", NULL
};

static const char *const config_report_keys[] = {
	"name", "type", "group", "schedule", "weekday", "days", "day",
	"anchor", "time", "channels", "attach", NULL
};

static const char *const config_tracks[] = {
	TRACK_MAIN, TRACK_SUPPLEMENT, TRACK_COMMITMENT, TRACK_RECTIFY,
	TRACK_STALE, NULL
};
static const char *const config_severities[] = {
	"info", "warning", "critical", NULL
};
static const char *const config_levels[] = { "city", "county", NULL };

static const struct {
	const char		*name;
	enum recipient_role	 role;
} config_roles[] = {
	{ "handler", ROLE_HANDLER },
	{ "department", ROLE_DEPARTMENT },
	{ "group", ROLE_GROUP },
	{ "leader", ROLE_LEADER },
	{ "head", ROLE_HEAD },
	{ "admin", ROLE_ADMIN },
};

static void	config_error(struct config_ctx *, const config_setting_t *,
		    const char *, ...) PRINTFLIKE(3, 4);
static void	config_warning(struct config_ctx *, const config_setting_t *,
		    const char *, ...) PRINTFLIKE(3, 4);
static void	config_error_at(struct config_ctx *, const char *, int,
		    const char *, ...) PRINTFLIKE(4, 5);
static char	*config_vformat(const char *, int, const char *, va_list)
		    PRINTFLIKE(3, 0);

/* ------------------------------------------------------------------ */
/* Small helpers. */

/* Whether s is one of the NULL-terminated list. */
static int
config_in(const char *const *list, const char *s)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, s) == 0)
			return (1);
	}
	return (0);
}

/* The directory part of a path ("." when it has none); malloc'd. */
static char *
config_dirname(const char *path)
{
	const char	*slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return (xstrdup("."));
	if (slash == path)
		return (xstrdup("/"));
	return (xstrndup(path, slash - path));
}

/* A path from the configuration, relative to the main file's directory
 * unless absolute; malloc'd. */
static char *
config_path(struct config_ctx *ctx, const char *rel)
{
	char	*path;

	if (*rel == '/' || strcmp(ctx->dir, ".") == 0)
		return (xstrdup(rel));
	if (strcmp(ctx->dir, "/") == 0)
		xasprintf(&path, "/%s", rel);
	else
		xasprintf(&path, "%s/%s", ctx->dir, rel);
	return (path);
}

/*
 * The name to show for a file libconfig read.  libconfig records included
 * files as written in @include, relative to the include directory; show
 * them relative to where the user runs instead, and keep one copy in the
 * config so channel->file and policy->file stay valid after libconfig is
 * gone.
 */
static const char *
config_intern(struct config_ctx *ctx, const char *raw)
{
	struct config	*cf = ctx->cf;
	char		*name;
	size_t		 i;

	if (raw == NULL || strcmp(raw, cf->path) == 0)
		return (cf->path);
	name = config_path(ctx, raw);
	for (i = 0; i < cf->nfiles; i++) {
		if (strcmp(cf->files[i], name) == 0) {
			free(name);
			return (cf->files[i]);
		}
	}
	cf->files = xreallocarray(cf->files, cf->nfiles + 1,
	    sizeof *cf->files);
	cf->files[cf->nfiles] = name;
	return (cf->files[cf->nfiles++]);
}

/* Where a setting was written. */
static void
config_where(struct config_ctx *ctx, const config_setting_t *s,
    const char **file, int *line)
{
	*file = config_intern(ctx, s != NULL ? config_setting_source_file(s) :
	    NULL);
	*line = s != NULL ? (int)config_setting_source_line(s) : 0;
}

/* How much of a value an error line quotes, and how long it may be. */
#define CONFIG_EXCERPT		60
#define CONFIG_MSG_MAX		1024

/* The longest prefix of s[0..len) of at most max bytes that ends on a
 * UTF-8 character boundary. */
static size_t
config_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return (len);
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return (max);
}

/* Whether c is part of a word (a letter, a digit, UTF-8). */
static int
config_word(char c)
{
	return (isalnum((unsigned char)c) || (unsigned char)c >= 0x80);
}

/*
 * An error or warning line as shown: every 'quoted' part longer than
 * CONFIG_EXCERPT bytes cut to that many and "...", the whole line cut to
 * CONFIG_MSG_MAX bytes.  A value of megabytes is never copied whole into
 * a line (nor into the log on a failed reload).
 */
char *
config_shorten(const char *msg)
{
	const char	*p = msg, *q, *end = msg + strlen(msg);
	char		*out, *o;
	size_t		 n, cut;

	o = out = xmalloc(2 * (size_t)(end - msg) + 8);
	while (p < end) {
		/* A quote opens after a space or punctuation (not the one
		 * of "group's") and closes before one. */
		q = NULL;
		if (*p == '\'' && (p == msg || !config_word(p[-1])))
			for (q = p + 1; (q = memchr(q, '\'', end - q)) != NULL &&
			    q + 1 < end && config_word(q[1]); q++)
				;
		if (q == NULL) {
			*o++ = *p++;
			continue;
		}
		n = q - p - 1;
		cut = config_cut(p + 1, n, CONFIG_EXCERPT);
		*o++ = '\'';
		memcpy(o, p + 1, cut);
		o += cut;
		if (cut < n) {
			memcpy(o, "\xe2\x80\xa6", 3);	/* ... */
			o += 3;
		}
		*o++ = '\'';
		p = q + 1;
	}
	*o = '\0';
	if ((size_t)(o - out) > CONFIG_MSG_MAX) {
		cut = config_cut(out, o - out, CONFIG_MSG_MAX);
		memcpy(out + cut, "\xe2\x80\xa6", 4);
	}
	return (out);
}

/*
 * Look through a configuration file as libconfig 1.5's scanner will, in
 * one pass: comments (#, //, block), strings with their escapes, adjacent
 * strings that make one value.  A value longer than max bytes, or a line
 * longer than lmax, is refused here, before libconfig spends minutes on it: libconfig grows
 * a string a few bytes at a time (20 MB took longer than 8 s).  The first
 * problem found ends the scan.
 */
int
config_prescan(const char *file, const char *text, size_t len, size_t max,
    size_t lmax, char **problem)
{
	enum { CODE, STRING, LINE_COMMENT, BLOCK_COMMENT } state = CODE;
	size_t	 i, linestart = 0, vlen = 0;
	int	 c, line = 1, vline = 0, inrun = 0, esc = 0;

	*problem = NULL;
	for (i = 0; i <= len; i++) {
		c = i < len ? (unsigned char)text[i] : -1;
		/* A run of adjacent strings ends at the next other token. */
		if (inrun && state == CODE && c != '"' && c != ' ' &&
		    c != '\t' && c != '\r' && c != '\n' && c != '\f' &&
		    c != '#' && !(c == '/' && i + 1 < len &&
		    (text[i + 1] == '/' || text[i + 1] == '*'))) {
			inrun = 0;
			if (vlen > max) {
				xasprintf(problem, "%s:%d: value too long (%zu"
				    " bytes; the limit is %zu)", file, vline,
				    vlen, max);
				return (-1);
			}
		}
		if (c == -1 || c == '\n') {
			if (i - linestart > lmax &&
			    !((state == STRING || inrun) && vlen > max)) {
				xasprintf(problem, "%s:%d: line too long (%zu"
				    " bytes; the limit is %zu)", file, line,
				    i - linestart, lmax);
				return (-1);
			}
			if (c == -1) {
				if (inrun && vlen > max) {
					xasprintf(problem, "%s:%d: value too"
					    " long (%zu bytes; the limit is"
					    " %zu)", file, vline, vlen, max);
					return (-1);
				}
				break;
			}
			line++;
			linestart = i + 1;
		}
		switch (state) {
		case STRING:
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"') {
				state = CODE;
				break;
			}
			vlen++;
			break;
		case LINE_COMMENT:
			if (c == '\n')
				state = CODE;
			break;
		case BLOCK_COMMENT:
			if (c == '*' && i + 1 < len && text[i + 1] == '/') {
				state = CODE;
				i++;
			}
			break;
		case CODE:
			if (c == '"') {
				state = STRING;
				if (!inrun) {
					inrun = 1;
					vlen = 0;
					vline = line;
				}
			} else if (c == '#')
				state = LINE_COMMENT;
			else if (c == '/' && i + 1 < len && text[i + 1] == '/')
				state = LINE_COMMENT;
			else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
				state = BLOCK_COMMENT;
				i++;
			}
			break;
		}
	}
	return (0);
}

/* Format "file:line: message" ("file: message" without a line). */
static char *
config_vformat(const char *file, int line, const char *fmt, va_list ap)
{
	char	*msg, *out, *shown;

	xvasprintf(&msg, fmt, ap);
	if (line > 0)
		xasprintf(&out, "%s:%d: %s", file, line, msg);
	else
		xasprintf(&out, "%s: %s", file, msg);
	free(msg);
	shown = config_shorten(out);
	free(out);
	return (shown);
}

/* Append a problem found at file:line. */
static void
config_error_at(struct config_ctx *ctx, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ctx->problems = xreallocarray(ctx->problems, ctx->nproblems + 1,
	    sizeof *ctx->problems);
	ctx->problems[ctx->nproblems++] = config_vformat(file, line, fmt, ap);
	va_end(ap);
}

/* Append a problem already formatted (malloc'd, taken over). */
static void
config_problem(struct config_ctx *ctx, char *problem)
{
	char	*shown = config_shorten(problem);

	free(problem);
	ctx->problems = xreallocarray(ctx->problems, ctx->nproblems + 1,
	    sizeof *ctx->problems);
	ctx->problems[ctx->nproblems++] = shown;
}

/* Append a problem found at a setting. */
static void
config_error(struct config_ctx *ctx, const config_setting_t *s,
    const char *fmt, ...)
{
	const char	*file;
	int		 line;
	va_list		 ap;

	config_where(ctx, s, &file, &line);
	va_start(ap, fmt);
	ctx->problems = xreallocarray(ctx->problems, ctx->nproblems + 1,
	    sizeof *ctx->problems);
	ctx->problems[ctx->nproblems++] = config_vformat(file, line, fmt, ap);
	va_end(ap);
}

/* Append a non-fatal warning about a setting to the config. */
static void
config_warning(struct config_ctx *ctx, const config_setting_t *s,
    const char *fmt, ...)
{
	struct config	*cf = ctx->cf;
	const char	*file;
	int		 line;
	va_list		 ap;

	config_where(ctx, s, &file, &line);
	va_start(ap, fmt);
	cf->warnings = xreallocarray(cf->warnings, cf->nwarnings + 1,
	    sizeof *cf->warnings);
	cf->warnings[cf->nwarnings++] = config_vformat(file, line, fmt, ap);
	va_end(ap);
}

/*
 * The shipped rules carry PLACEHOLDER keys, tokens and secrets.  A
 * configuration is loaded with them (the unit tests and the reference copy
 * use it), but the daemon refuses to start or reload with them and -t
 * fails (config_placeholder_problems): a channel whose key, token or
 * secret (inline or read from its *_file) contains "PLACEHOLDER" is
 * recorded here with where to find the real value.  The value itself is
 * not quoted: it may be a real secret with the word in it.
 */
static void
config_placeholder(struct config_ctx *ctx, const config_setting_t *g,
    const struct channel *c, const char *const *names, const char *value,
    int is_secret)
{
	struct config		*cf = ctx->cf;
	const config_setting_t	*s = NULL;
	const char		*file, *what, *where, *name;
	int			 i, line;

	if (value == NULL || strstr(value, "PLACEHOLDER") == NULL)
		return;
	for (i = 0; names[i] != NULL && s == NULL; i++)
		s = config_setting_get_member(g, names[i]);
	switch (c->type) {
	case CHANNEL_WECOM:
		what = "webhook key";
		where = "the robot's webhook address in the WeCom group's "
		    "settings (群机器人), the part after key=";
		break;
	case CHANNEL_DINGTALK:
		what = is_secret ? "signing secret" : "access token";
		where = is_secret ? "the robot's security settings in the "
		    "DingTalk group's settings (加签, it starts with SEC)" :
		    "the robot's webhook address in the DingTalk group's "
		    "settings (智能群助手), the part after access_token=";
		break;
	case CHANNEL_FEISHU:
		what = is_secret ? "signing secret" : "hook token";
		where = is_secret ? "the bot's security settings in the "
		    "Feishu group's settings (签名校验)" :
		    "the bot's webhook address in the Feishu group's settings "
		    "(群机器人), the part after /hook/";
		break;
	default:
		what = is_secret ? "secret" : "key";
		where = "the receiving endpoint's settings";
		break;
	}
	config_where(ctx, s != NULL ? s : g, &file, &line);
	name = s != NULL ? config_setting_name(s) : names[0];
	cf->placeholders = xreallocarray(cf->placeholders,
	    cf->nplaceholders + 1, sizeof *cf->placeholders);
	if (strstr(name, "_file") != NULL)
		xasprintf(&cf->placeholders[cf->nplaceholders++], "%s:%d: "
		    "channel '%s': the %s in the file named by '%s' is the "
		    "placeholder PLACEHOLDER...; put the robot's real %s in "
		    "that file (from %s)", file, line, c->name, what, name,
		    what, where);
	else
		xasprintf(&cf->placeholders[cf->nplaceholders++], "%s:%d: "
		    "channel '%s': the %s is the placeholder PLACEHOLDER...; "
		    "put the robot's real %s here, or in a file named by "
		    "'%s_file' (from %s)", file, line, c->name, what, what,
		    name, where);
}

/* Append a copy of every placeholder credential to a problem list (as
 * config_load() makes it); how many were appended. */
size_t
config_placeholder_problems(const struct config *cf, char ***problems,
    size_t *n)
{
	size_t	 i;

	if (cf->nplaceholders == 0)
		return (0);
	*problems = xreallocarray(*problems, *n + cf->nplaceholders,
	    sizeof **problems);
	for (i = 0; i < cf->nplaceholders; i++)
		(*problems)[(*n)++] = xstrdup(cf->placeholders[i]);
	return (cf->nplaceholders);
}

/* Free an array of strings. */
static void
config_free_strings(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Free a secret after wiping it. */
static void
config_free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Read a whole regular file of at most max bytes, NUL-terminated; -1 with
 * errno set on failure (EFBIG when too large, EINVAL when not a file). */
static int
config_read_text(const char *path, size_t max, char **out, struct stat *st)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd, saved;

	*out = NULL;
	if ((fd = open(path, O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK)) == -1)
		return (-1);
	if (fstat(fd, st) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	if (!S_ISREG(st->st_mode) || st->st_size < 0) {
		close(fd);
		errno = EINVAL;
		return (-1);
	}
	if ((size_t)st->st_size > max) {
		close(fd);
		errno = EFBIG;
		return (-1);
	}
	buf = xmalloc(max + 1);
	while (len < max) {
		n = read(fd, buf + len, max - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			explicit_bzero(buf, len);
			free(buf);
			close(fd);
			errno = saved;
			return (-1);
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return (0);
}

/* A short reason for a failed read, for problem text. */
static const char *
config_read_reason(int error)
{
	if (error == EINVAL)
		return ("not a regular file");
	if (error == EFBIG)
		return ("file too large");
	return (strerror(error));
}

/* ------------------------------------------------------------------ */
/* Typed access to settings.  Each returns 1 when the setting is there and
 * right, 0 when absent, -1 (after reporting) when it is wrong. */

/* Report members of a group whose names are not in allowed. */
static void
config_check_keys(struct config_ctx *ctx, const config_setting_t *g,
    const char *const *allowed)
{
	const config_setting_t	*s;
	const char		*name;
	int			 i;

	for (i = 0; (s = config_setting_get_elem(g, i)) != NULL; i++) {
		name = config_setting_name(s);
		if (name != NULL && !config_in(allowed, name))
			config_error(ctx, s, "unknown setting '%s'", name);
	}
}

/* An optional string member. */
static int
config_str(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, const char **out)
{
	const config_setting_t	*s;

	*out = NULL;
	if ((s = config_setting_get_member(g, name)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		config_error(ctx, s, "'%s' must be a string", name);
		return (-1);
	}
	*out = config_setting_get_string(s);
	if (**out == '\0') {
		config_error(ctx, s, "'%s' must not be empty", name);
		*out = NULL;
		return (-1);
	}
	return (1);
}

/* A required string member; a missing one is reported at the group. */
static int
config_str_required(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, const char **out)
{
	int	 rc;

	if ((rc = config_str(ctx, g, name, out)) == 0) {
		config_error(ctx, g, "missing required setting '%s'", name);
		return (-1);
	}
	return (rc);
}

/* An optional string member, copied into *out (left alone if absent). */
static int
config_str_dup(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, char **out)
{
	const char	*s;
	int		 rc;

	if ((rc = config_str(ctx, g, name, &s)) == 1) {
		free(*out);
		*out = xstrdup(s);
	}
	return (rc);
}

/* An optional integer member in [min, max]. */
static int
config_int(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, long long min, long long max, long long *out)
{
	const config_setting_t	*s;
	long long		 v;

	if ((s = config_setting_get_member(g, name)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		config_error(ctx, s, "'%s' must be an integer", name);
		return (-1);
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		config_error(ctx, s, "'%s' must be between %lld and %lld",
		    name, min, max);
		return (-1);
	}
	*out = v;
	return (1);
}

/* An optional boolean member. */
static int
config_bool(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, int *out)
{
	const config_setting_t	*s;

	if ((s = config_setting_get_member(g, name)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		config_error(ctx, s, "'%s' must be true or false", name);
		return (-1);
	}
	*out = config_setting_get_bool(s);
	return (1);
}

/* An optional list of non-empty strings, copied into *out and *n. */
static int
config_strings(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, char ***out, size_t *n)
{
	const config_setting_t	*s, *e;
	const char		*v;
	int			 i, len, bad = 0;

	if ((s = config_setting_get_member(g, name)) == NULL)
		return (0);
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		config_error(ctx, s, "'%s' must be a list of strings", name);
		return (-1);
	}
	len = config_setting_length(s);
	for (i = 0; i < len; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			config_error(ctx, e, "'%s' must be a list of strings",
			    name);
			bad = 1;
		} else if (*config_setting_get_string(e) == '\0') {
			config_error(ctx, e, "'%s' must not hold empty strings",
			    name);
			bad = 1;
		}
	}
	if (bad)
		return (-1);
	*out = xcalloc(len, sizeof **out);
	*n = len;
	for (i = 0; i < len; i++) {
		v = config_setting_get_string(config_setting_get_elem(s, i));
		(*out)[i] = xstrdup(v);
	}
	return (1);
}

/* An optional duration member: a string as config_parse_duration() takes
 * it, or an integer number of seconds. */
static int
config_dur(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, struct duration *out)
{
	const config_setting_t	*s;
	long long		 v;

	if ((s = config_setting_get_member(g, name)) == NULL)
		return (0);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = config_setting_get_int64(s);
		if (v < -(long long)CONFIG_DUR_MAX_DAYS * 86400 ||
		    v > (long long)CONFIG_DUR_MAX_DAYS * 86400) {
			config_error(ctx, s, "'%s' is out of range", name);
			return (-1);
		}
		out->unit = DUR_SECONDS;
		out->n = v;
		return (1);
	case CONFIG_TYPE_STRING:
		if (config_parse_duration(config_setting_get_string(s),
		    out) == 0)
			return (1);
		config_error(ctx, s, "'%s': invalid duration '%s' (want e.g. "
		    "\"30s\", \"15m\", \"2h\", \"3d\", \"-2wd\")", name,
		    config_setting_get_string(s));
		return (-1);
	}
	config_error(ctx, s, "'%s' must be a duration string like \"5wd\"",
	    name);
	return (-1);
}

/* Parse "HH:MM" (00:00-23:59) into minutes after midnight. */
static int
config_parse_time(const char *s, int *min)
{
	int	 h, m;

	if (strlen(s) != 5 || s[2] != ':' ||
	    !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return (-1);
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 23 || m > 59)
		return (-1);
	*min = h * 60 + m;
	return (0);
}

/* An optional "HH:MM" member. */
static int
config_time(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, int *min)
{
	const char	*v;
	int		 rc;

	if ((rc = config_str(ctx, g, name, &v)) != 1)
		return (rc);
	if (config_parse_time(v, min) != 0) {
		config_error(ctx, config_setting_get_member(g, name),
		    "'%s' must be a time HH:MM between 00:00 and 23:59, "
		    "not '%s'", name, v);
		return (-1);
	}
	return (1);
}

/*
 * A list of groups ("name = ( { ... }, ... );").  Returns the list, or NULL
 * when absent or malformed; elements that are not groups are reported
 * here and skipped by config_group_elem().
 */
static const config_setting_t *
config_group_list(struct config_ctx *ctx, const config_setting_t *parent,
    const char *name)
{
	const config_setting_t	*s, *e;
	int			 i;

	if ((s = config_setting_get_member(parent, name)) == NULL)
		return (NULL);
	/* An empty "[]" is an array; treat it as an empty list. */
	if (config_setting_is_array(s) && config_setting_length(s) == 0)
		return (s);
	if (!config_setting_is_list(s)) {
		config_error(ctx, s, "'%s' must be a list of groups "
		    "( { ... }, ... )", name);
		return (NULL);
	}
	for (i = 0; (e = config_setting_get_elem(s, i)) != NULL; i++) {
		if (!config_setting_is_group(e))
			config_error(ctx, e, "each element of '%s' must be a "
			    "group { ... }", name);
	}
	return (s);
}

/* Element i of a group list if it is a group, else NULL. */
static const config_setting_t *
config_group_elem(const config_setting_t *list, int i)
{
	const config_setting_t	*e;

	e = config_setting_get_elem(list, i);
	if (e == NULL || !config_setting_is_group(e))
		return (NULL);
	return (e);
}

/* ------------------------------------------------------------------ */
/* Secrets. */

/*
 * Read a key or secret from the file named by a setting: the file's
 * contents less trailing whitespace.  Problems name the path, never the
 * contents; a file others can read earns a warning.
 */
static int
config_read_secret(struct config_ctx *ctx, const config_setting_t *s,
    char **out)
{
	struct stat	 st;
	char		*path, *buf;
	size_t		 len;

	*out = NULL;
	path = config_path(ctx, config_setting_get_string(s));
	if (config_read_text(path, CONFIG_SECRET_MAX, &buf, &st) != 0) {
		config_error(ctx, s, "cannot read secret file %s: %s", path,
		    config_read_reason(errno));
		free(path);
		return (-1);
	}
	len = strlen(buf);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	if (len == 0) {
		config_error(ctx, s, "secret file %s is empty", path);
		free(buf);
		free(path);
		return (-1);
	}
	if (st.st_mode & S_IROTH)
		config_warning(ctx, s, "secret file %s is readable by others",
		    path);
	*out = xstrdup(buf);
	explicit_bzero(buf, len);
	free(buf);
	free(path);
	return (1);
}

/*
 * A secret given inline (one of inline_names) or in a file (one of
 * file_names): at most one of all of them.  *out gets a copy.  Returns 1
 * when set, 0 when none is given, -1 on a problem.
 */
static int
config_secret(struct config_ctx *ctx, const config_setting_t *g,
    const char *const *inline_names, const char *const *file_names,
    char **out)
{
	const config_setting_t	*s, *found = NULL;
	const char		*found_name = NULL, *v;
	int			 i, nfound = 0, from_file = 0;

	*out = NULL;
	for (i = 0; inline_names[i] != NULL; i++) {
		if ((s = config_setting_get_member(g, inline_names[i])) ==
		    NULL)
			continue;
		if (nfound++ == 0) {
			found = s;
			found_name = inline_names[i];
		}
	}
	for (i = 0; file_names[i] != NULL; i++) {
		if ((s = config_setting_get_member(g, file_names[i])) == NULL)
			continue;
		if (nfound++ == 0) {
			found = s;
			found_name = file_names[i];
			from_file = 1;
		}
	}
	if (nfound == 0)
		return (0);
	if (nfound > 1) {
		config_error(ctx, g, "give only one of '%s' and '%s'",
		    inline_names[0], file_names[0]);
		return (-1);
	}
	if (config_setting_type(found) != CONFIG_TYPE_STRING) {
		config_error(ctx, found, "'%s' must be a string", found_name);
		return (-1);
	}
	v = config_setting_get_string(found);
	if (*v == '\0') {
		config_error(ctx, found, "'%s' must not be empty", found_name);
		return (-1);
	}
	if (from_file)
		return (config_read_secret(ctx, found, out));
	*out = xstrdup(v);
	return (1);
}

/* ------------------------------------------------------------------ */
/* Top-level settings. */

/* Whether a timezone name names a file under the zoneinfo directory. */
static int
config_timezone_ok(const char *tz)
{
	struct stat	 st;
	char		*path;
	int		 ok;

	if (*tz == '/' || strstr(tz, "..") != NULL)
		return (0);
	xasprintf(&path, "%s/%s", CONFIG_ZONEINFO, tz);
	ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	return (ok);
}

/* Split "host:port" or "[v6]:port"; host is malloc'd.  -1 if malformed. */
static int
config_parse_listen(const char *s, char **host, int *port)
{
	const char	*colon, *end;
	char		*ep;
	long		 p;

	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':' ||
		    end == s + 1)
			return (-1);
		colon = end + 1;
		*host = xstrndup(s + 1, end - s - 1);
	} else {
		if ((colon = strrchr(s, ':')) == NULL || colon == s ||
		    memchr(s, ':', colon - s) != NULL)
			return (-1);
		*host = xstrndup(s, colon - s);
	}
	errno = 0;
	p = strtol(colon + 1, &ep, 10);
	if (colon[1] == '\0' || *ep != '\0' || errno != 0 || p < 1 ||
	    p > 65535 || !isdigit((unsigned char)colon[1])) {
		free(*host);
		*host = NULL;
		return (-1);
	}
	*port = (int)p;
	return (0);
}

/* Whether a listen host is a loopback address. */
static int
config_loopback(const char *host)
{
	return (strcmp(host, "localhost") == 0 ||
	    strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0);
}

/* Add a named API token (the name and the token copied). */
static void
config_add_token(struct config *cf, const char *name, const char *token)
{
	cf->tokens = xreallocarray(cf->tokens, cf->ntokens + 1,
	    sizeof *cf->tokens);
	cf->tokens[cf->ntokens].name = xstrdup(name);
	cf->tokens[cf->ntokens].token = xstrdup(token);
	cf->ntokens++;
}

/*
 * A token's name becomes the actor "token:NAME" in the action log: 1 to
 * 64 letters, digits, '.', '_' and '-'.
 */
static int
config_token_name_ok(const char *name)
{
	size_t	 i;

	for (i = 0; name[i] != '\0'; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' &&
		    name[i] != '_' && name[i] != '-')
			return (0);
	return (i > 0 && i <= 64);
}

/* One element of api_tokens: { name = "..."; file = "..."; }. */
static void
config_parse_token(struct config_ctx *ctx, const config_setting_t *g)
{
	struct config		*cf = ctx->cf;
	const config_setting_t	*s;
	const char		*name, *file;
	char			*token;
	size_t			 i;

	config_check_keys(ctx, g, config_token_keys);
	if (config_str_required(ctx, g, "name", &name) != 1)
		return;
	s = config_setting_get_member(g, "name");
	if (!config_token_name_ok(name)) {
		config_error(ctx, s, "token name '%.64s' must be 1 to 64 "
		    "letters, digits, '.', '_' or '-'", name);
		return;
	}
	for (i = 0; i < cf->ntokens; i++)
		if (strcmp(cf->tokens[i].name, name) == 0) {
			config_error(ctx, s, "token name '%s' given twice%s",
			    name, strcmp(name, "default") == 0 ? " ('default' "
			    "is the name of api_token/api_token_file)" : "");
			return;
		}
	if (config_str_required(ctx, g, "file", &file) != 1)
		return;
	if (config_read_secret(ctx, config_setting_get_member(g, "file"),
	    &token) != 1)
		return;
	for (i = 0; i < cf->ntokens; i++)
		if (strcmp(cf->tokens[i].token, token) == 0) {
			/* Name the other entry, never the token. */
			config_error(ctx, g, "token '%s' is the same as token "
			    "'%s': each name needs its own token", name,
			    cf->tokens[i].name);
			config_free_secret(token);
			return;
		}
	config_add_token(cf, name, token);
	config_free_secret(token);
}

/* The TCP API settings: listen, api_token, api_token_file, api_tokens. */
static void
config_parse_api(struct config_ctx *ctx, const config_setting_t *root)
{
	static const char *const inline_names[] = { "api_token", NULL };
	static const char *const file_names[] = { "api_token_file", NULL };
	struct config		*cf = ctx->cf;
	const config_setting_t	*s, *list, *e;
	const char		*listen;
	int			 rc, i;

	rc = config_secret(ctx, root, inline_names, file_names,
	    &cf->api_token);
	/* The single token of old is the token named "default". */
	if (rc == 1)
		config_add_token(cf, "default", cf->api_token);
	if ((list = config_group_list(ctx, root, "api_tokens")) != NULL) {
		for (i = 0; i < config_setting_length(list); i++)
			if ((e = config_group_elem(list, i)) != NULL)
				config_parse_token(ctx, e);
	}
	if (cf->ntokens > 0)
		rc = 1;
	if (config_str(ctx, root, "listen", &listen) != 1)
		return;
	s = config_setting_get_member(root, "listen");
	cf->listen = xstrdup(listen);
	if (config_parse_listen(listen, &cf->listen_host,
	    &cf->listen_port) != 0) {
		config_error(ctx, s, "'listen' must be HOST:PORT or "
		    "[IPV6]:PORT, e.g. \"127.0.0.1:8080\", not '%s'", listen);
		return;
	}
	if (rc == 0)
		config_error(ctx, s, "'listen' needs 'api_token', "
		    "'api_token_file' or 'api_tokens'");
	if (!config_loopback(cf->listen_host))
		config_warning(ctx, s, "listen address %s is not a loopback "
		    "address: the API is reachable from the network",
		    cf->listen_host);
}

/*
 * Signed action links (public_url, link_secret_file) and the board: the
 * pages are served on the TCP listener, so they need it; without
 * public_url nothing of this is on.
 */
static void
config_parse_links(struct config_ctx *ctx, const config_setting_t *root)
{
	static const char *const inline_names[] = { "link_secret", NULL };
	static const char *const file_names[] = { "link_secret_file", NULL };
	struct config		*cf = ctx->cf;
	const config_setting_t	*s;
	size_t			 n;
	int			 rc;

	rc = config_secret(ctx, root, inline_names, file_names,
	    &cf->link_secret);
	config_bool(ctx, root, "board", &cf->board);
	if (config_str_dup(ctx, root, "public_url", &cf->public_url) != 1) {
		if (cf->board)
			config_error(ctx, config_setting_get_member(root,
			    "board"), "'board' needs 'public_url'");
		return;
	}
	s = config_setting_get_member(root, "public_url");
	if (strncmp(cf->public_url, "http://", 7) != 0 &&
	    strncmp(cf->public_url, "https://", 8) != 0) {
		config_error(ctx, s, "'public_url' must start with http:// or"
		    " https://");
		return;
	}
	n = strlen(cf->public_url);
	while (n > 8 && cf->public_url[n - 1] == '/')
		cf->public_url[--n] = '\0';
	if (strpbrk(cf->public_url, " \t\"'<>()[]{}\\") != NULL)
		config_error(ctx, s, "'public_url' must be a plain URL");
	if (cf->listen == NULL)
		config_error(ctx, s, "'public_url' needs 'listen': the pages are"
		    " served on the TCP listener");
	if (rc == 0)
		config_error(ctx, s, "'public_url' needs 'link_secret_file'");
	else if (rc == 1 && strlen(cf->link_secret) < 16)
		config_error(ctx, s, "the link secret must be at least 16"
		    " characters");
}

/* The scalar settings at the top of the main file. */
static void
config_parse_main(struct config_ctx *ctx, const config_setting_t *root)
{
	struct config		*cf = ctx->cf;
	const config_setting_t	*s;
	const char		*v;
	char			*ep;
	long			 mode;
	struct stat		 st;

	if (config_str_required(ctx, root, "database", &v) == 1)
		cf->database = config_path(ctx, v);

	cf->timezone = xstrdup("Asia/Shanghai");
	if (config_str_dup(ctx, root, "timezone", &cf->timezone) == 1 &&
	    !config_timezone_ok(cf->timezone))
		config_error(ctx, config_setting_get_member(root, "timezone"),
		    "unknown timezone '%s' (not under %s)", cf->timezone,
		    CONFIG_ZONEINFO);

	if (config_str(ctx, root, "socket", &v) == 1)
		cf->socket = config_path(ctx, v);
	else
		cf->socket = xstrdup("/run/approval-escalatord/control.sock");
	if (strlen(cf->socket) >= CONFIG_SUN_PATH_MAX)
		config_error(ctx, config_setting_get_member(root, "socket"),
		    "socket path %s is too long", cf->socket);

	cf->socket_mode = 0660;
	if (config_str(ctx, root, "socket_mode", &v) == 1) {
		s = config_setting_get_member(root, "socket_mode");
		errno = 0;
		mode = strtol(v, &ep, 8);
		if (*ep != '\0' || errno != 0 || mode < 0 || mode > 0777 ||
		    strspn(v, "01234567") != strlen(v))
			config_error(ctx, s, "'socket_mode' must be an octal "
			    "mode like \"0660\", not '%s'", v);
		else
			cf->socket_mode = (int)mode;
	}

	config_parse_api(ctx, root);

	if (config_str_dup(ctx, root, "link_base", &cf->link_base) == 1 &&
	    strncmp(cf->link_base, "http://", 7) != 0 &&
	    strncmp(cf->link_base, "https://", 8) != 0)
		config_error(ctx, config_setting_get_member(root, "link_base"),
		    "'link_base' must start with http:// or https://");

	cf->deadline_min = 18 * 60;
	config_time(ctx, root, "deadline_time", &cf->deadline_min);

	config_parse_links(ctx, root);

	if (config_str(ctx, root, "templates", &v) != 1)
		v = "templates";
	ctx->tmpldir = config_path(ctx, v);
	if (stat(ctx->tmpldir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		s = config_setting_get_member(root, "templates");
		config_error(ctx, s != NULL ? s : root, "templates directory "
		    "%s does not exist", ctx->tmpldir);
		free(ctx->tmpldir);
		ctx->tmpldir = NULL;
	}

	config_str_dup(ctx, root, "admin_channel", &cf->admin_channel);
	config_str_dup(ctx, root, "head", &cf->head);
	config_str_dup(ctx, root, "head_channel", &cf->head_channel);
}

/* ------------------------------------------------------------------ */
/* Calendars. */

/* The year of a "calendar_YYYY" setting name, or -1. */
static int
config_calendar_year(const char *name)
{
	const char	*p;
	int		 year = 0;

	if (name == NULL || strncmp(name, "calendar_", 9) != 0)
		return (-1);
	p = name + 9;
	if (strlen(p) != 4 || strspn(p, "0123456789") != 4)
		return (-1);
	for (; *p != '\0'; p++)
		year = year * 10 + (*p - '0');
	return (year >= 1 ? year : -1);
}

/* One day of a calendar: { date = "..."; off = true; name = "..."; }. */
static void
config_parse_day(struct config_ctx *ctx, const config_setting_t *g,
    int year, int32_t *seen, size_t *nseen)
{
	const char	*date, *name;
	int32_t		 day;
	int		 off = -1, y;
	size_t		 i;

	config_check_keys(ctx, g, config_day_keys);
	config_str(ctx, g, "name", &name);
	if (config_bool(ctx, g, "off", &off) == 0)
		config_error(ctx, g, "missing required setting 'off'");
	if (config_str_required(ctx, g, "date", &date) != 1)
		return;
	if (calendar_parse_date(date, &day) != 0) {
		config_error(ctx, config_setting_get_member(g, "date"),
		    "invalid date '%s' (want a real YYYY-MM-DD)", date);
		return;
	}
	calendar_civil(day, &y, NULL, NULL);
	if (y != year) {
		config_error(ctx, config_setting_get_member(g, "date"),
		    "date %s is not in %d", date, year);
		return;
	}
	for (i = 0; i < *nseen; i++) {
		if (seen[i] == day) {
			config_error(ctx, g, "duplicate date %s", date);
			return;
		}
	}
	seen[(*nseen)++] = day;
	if (off != -1)
		calendar_set_day(ctx->cf->calendar, day, off, name);
}

/* One calendar_YYYY group: the holidays and make-up days of a year. */
static void
config_parse_calendar(struct config_ctx *ctx, const config_setting_t *g,
    int year)
{
	const config_setting_t	*days, *e;
	long long		 y;
	int32_t			*seen;
	size_t			 nseen = 0;
	int			 i, n;

	if (!config_setting_is_group(g)) {
		config_error(ctx, g, "'%s' must be a group { year = ...; "
		    "days = (...); }", config_setting_name(g));
		return;
	}
	config_check_keys(ctx, g, config_calendar_keys);
	switch (config_int(ctx, g, "year", 1, 9999, &y)) {
	case 0:
		config_error(ctx, g, "missing required setting 'year'");
		return;
	case -1:
		return;
	}
	if (y != year) {
		config_error(ctx, config_setting_get_member(g, "year"),
		    "'year' %lld does not match %s", y,
		    config_setting_name(g));
		return;
	}
	if ((days = config_group_list(ctx, g, "days")) == NULL) {
		if (config_setting_get_member(g, "days") == NULL)
			config_error(ctx, g, "missing required setting "
			    "'days'");
		return;
	}
	calendar_cover_year(ctx->cf->calendar, year);
	n = config_setting_length(days);
	seen = xcalloc(n, sizeof *seen);
	for (i = 0; i < n; i++) {
		if ((e = config_group_elem(days, i)) != NULL)
			config_parse_day(ctx, e, year, seen, &nseen);
	}
	free(seen);
}

/* Every calendar_YYYY group at the top level. */
static void
config_parse_calendars(struct config_ctx *ctx, const config_setting_t *root)
{
	const config_setting_t	*s;
	int			 i, year;

	for (i = 0; (s = config_setting_get_elem(root, i)) != NULL; i++) {
		if ((year = config_calendar_year(config_setting_name(s))) != -1)
			config_parse_calendar(ctx, s, year);
	}
	ctx->cf->calendar_last_year = calendar_last_year(ctx->cf->calendar);
}

/* ------------------------------------------------------------------ */
/* Send windows. */

/* Index of a window by name, or -1. */
static int
config_window_index(const struct config *cf, const char *name)
{
	size_t	 i;

	for (i = 0; i < cf->nwindows; i++) {
		if (strcmp(cf->windows[i].name, name) == 0)
			return ((int)i);
	}
	return (-1);
}

/* A window reference member: *index gets -1 when absent. */
static int
config_window_ref(struct config_ctx *ctx, const config_setting_t *g,
    const char *what, int *index)
{
	const char	*v;
	int		 rc;

	*index = -1;
	if ((rc = config_str(ctx, g, "window", &v)) != 1)
		return (rc);
	if ((*index = config_window_index(ctx->cf, v)) == -1) {
		config_error(ctx, config_setting_get_member(g, "window"),
		    "%s: unknown window '%s'", what, v);
		return (-1);
	}
	return (1);
}

/* One send window. */
static void
config_parse_window(struct config_ctx *ctx, const config_setting_t *g)
{
	struct config	*cf = ctx->cf;
	struct window	*w;
	const char	*name, *days;
	int		 start = -1, end = -1;

	config_check_keys(ctx, g, config_window_keys);
	if (config_str_required(ctx, g, "name", &name) != 1)
		return;
	if (config_window_index(cf, name) != -1) {
		config_error(ctx, g, "duplicate window '%s'", name);
		return;
	}
	cf->windows = xreallocarray(cf->windows, cf->nwindows + 1,
	    sizeof *cf->windows);
	w = &cf->windows[cf->nwindows++];
	memset(w, 0, sizeof *w);
	w->name = xstrdup(name);
	w->workdays_only = 1;
	if (config_str(ctx, g, "days", &days) == 1) {
		if (strcmp(days, "all") == 0)
			w->workdays_only = 0;
		else if (strcmp(days, "workdays") != 0)
			config_error(ctx, config_setting_get_member(g, "days"),
			    "window '%s': 'days' must be \"workdays\" or "
			    "\"all\"", name);
	}
	if (config_time(ctx, g, "start", &start) == 0)
		config_error(ctx, g, "missing required setting 'start'");
	if (config_time(ctx, g, "end", &end) == 0)
		config_error(ctx, g, "missing required setting 'end'");
	if (start != -1 && end != -1 && end <= start)
		config_error(ctx, config_setting_get_member(g, "end"),
		    "window '%s': 'end' must be after 'start'", name);
	w->start_min = start != -1 ? start : 0;
	w->end_min = end != -1 ? end : 24 * 60;
}

/* The windows list. */
static void
config_parse_windows(struct config_ctx *ctx, const config_setting_t *root)
{
	const config_setting_t	*list, *e;
	int			 i;

	if ((list = config_group_list(ctx, root, "windows")) == NULL)
		return;
	for (i = 0; i < config_setting_length(list); i++) {
		if ((e = config_group_elem(list, i)) != NULL)
			config_parse_window(ctx, e);
	}
}

/* ------------------------------------------------------------------ */
/* Channels. */

/* Whether a channel type can carry a format; mirrors channel.c. */
static int
config_format_ok(enum channel_type type, enum channel_format format)
{
	if (format == FORMAT_DEFAULT)
		return (1);
	switch (type) {
	case CHANNEL_WECOM:
		return (format == FORMAT_TEXT || format == FORMAT_MARKDOWN);
	case CHANNEL_DINGTALK:
		return (format == FORMAT_TEXT || format == FORMAT_MARKDOWN ||
		    format == FORMAT_ACTIONCARD);
	case CHANNEL_FEISHU:
		return (format == FORMAT_TEXT || format == FORMAT_MARKDOWN ||
		    format == FORMAT_POST || format == FORMAT_CARD);
	case CHANNEL_WEBHOOK:
		return (format == FORMAT_JSON);
	}
	return (0);
}

/* A channel's type and format, with the defaults that follow from them;
 * -1 when the type is missing or unknown. */
static int
config_channel_kind(struct config_ctx *ctx, const config_setting_t *g,
    struct channel *c)
{
	const char	*v;

	if (config_str_required(ctx, g, "type", &v) != 1)
		return (-1);
	if (channel_type_parse(v, &c->type) != 0) {
		config_error(ctx, config_setting_get_member(g, "type"),
		    "channel '%s': unknown type '%s' (want wecom, dingtalk, "
		    "feishu or webhook)", c->name, v);
		return (-1);
	}
	if (config_str(ctx, g, "format", &v) == 1) {
		if (channel_format_parse(v, &c->format) != 0)
			config_error(ctx, config_setting_get_member(g,
			    "format"), "channel '%s': unknown format '%s'",
			    c->name, v);
		else if (!config_format_ok(c->type, c->format))
			config_error(ctx, config_setting_get_member(g,
			    "format"), "channel '%s': a %s channel cannot "
			    "send format '%s'", c->name,
			    channel_type_name(c->type), v);
	}
	switch (c->type) {
	case CHANNEL_WECOM:
	case CHANNEL_DINGTALK:
		c->per_minute = 20;
		break;
	case CHANNEL_FEISHU:
		c->per_minute = 100;
		c->per_second = 5;
		break;
	case CHANNEL_WEBHOOK:
		break;
	}
	c->margin = THROTTLE_MARGIN_MS;
	c->timeout = 10;
	c->max_bytes = 0;	/* the vendor's limit: channel_limit() */
	return (0);
}

/* A channel's endpoint, key, signing secret and keywords. */
static void
config_channel_credentials(struct config_ctx *ctx, const config_setting_t *g,
    struct channel *c)
{
	static const char *const key_names[] = { "key", "token", NULL };
	static const char *const key_files[] = {
		"key_file", "token_file", NULL
	};
	static const char *const secret_names[] = { "secret", NULL };
	static const char *const secret_files[] = { "secret_file", NULL };
	const config_setting_t	*s;
	const char		*url;
	int			 rc;

	if (config_str(ctx, g, "url", &url) == 1) {
		if (strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0)
			config_error(ctx, config_setting_get_member(g, "url"),
			    "channel '%s': 'url' must start with http:// or "
			    "https://", c->name);
		c->url = xstrdup(url);
	} else if (channel_default_url(c->type) != NULL)
		c->url = xstrdup(channel_default_url(c->type));
	else if (config_setting_get_member(g, "url") == NULL)
		config_error(ctx, g, "channel '%s': 'url' is required for a "
		    "%s channel", c->name, channel_type_name(c->type));

	rc = config_secret(ctx, g, key_names, key_files, &c->key);
	if (rc == 1) {
		static const char *const key_all[] = {
			"key", "token", "key_file", "token_file", NULL
		};

		config_placeholder(ctx, g, c, key_all, c->key, 0);
	}
	if (rc == 0 && c->type != CHANNEL_WEBHOOK)
		config_error(ctx, g, "channel '%s': 'key' or 'key_file' is "
		    "required for a %s channel", c->name,
		    channel_type_name(c->type));

	rc = config_secret(ctx, g, secret_names, secret_files, &c->secret);
	if (rc == 1) {
		static const char *const secret_all[] = {
			"secret", "secret_file", NULL
		};

		config_placeholder(ctx, g, c, secret_all, c->secret, 1);
	}
	if (rc == 1 && c->type == CHANNEL_WECOM) {
		s = config_setting_get_member(g, "secret");
		if (s == NULL)
			s = config_setting_get_member(g, "secret_file");
		config_error(ctx, s, "channel '%s': WeCom robots do not sign "
		    "messages; remove the secret", c->name);
	}

	if (config_strings(ctx, g, "keywords", &c->keywords,
	    &c->nkeywords) == 1) {
		s = config_setting_get_member(g, "keywords");
		if (c->type != CHANNEL_DINGTALK && c->type != CHANNEL_FEISHU)
			config_error(ctx, s, "channel '%s': 'keywords' apply "
			    "only to dingtalk and feishu channels", c->name);
		else if (c->nkeywords > 10)
			config_error(ctx, s, "channel '%s': at most 10 "
			    "keywords", c->name);
	}
}

/* A channel's throttle, timeout, size limit and send window. */
static void
config_channel_limits(struct config_ctx *ctx, const config_setting_t *g,
    struct channel *c)
{
	long long	 v;
	char		*what;

	if (config_int(ctx, g, "per_minute", 0, 100000, &v) == 1)
		c->per_minute = (int)v;
	if (config_int(ctx, g, "per_second", 0, 1000, &v) == 1)
		c->per_second = (int)v;
	if (config_int(ctx, g, "throttle_margin", 0, 60000, &v) == 1)
		c->margin = (int)v;
	if (config_int(ctx, g, "timeout", 1, 600, &v) == 1)
		c->timeout = (int)v;
	if (config_int(ctx, g, "max_bytes", 256, 16 * 1024 * 1024, &v) == 1)
		c->max_bytes = (size_t)v;
	xasprintf(&what, "channel '%s'", c->name);
	config_window_ref(ctx, g, what, &c->window);
	free(what);
}

/* One channel; NULL when it has no usable name.  A channel of unknown
 * type is kept, so references to it do not add to the noise, but its
 * credentials are not looked at. */
static struct channel *
config_parse_channel(struct config_ctx *ctx, const config_setting_t *g)
{
	struct channel	*c;
	const char	*name;

	config_check_keys(ctx, g, config_channel_keys);
	if (config_str_required(ctx, g, "name", &name) != 1)
		return (NULL);
	if (config_channel(ctx->cf, name) != NULL) {
		config_error(ctx, g, "duplicate channel '%s'", name);
		return (NULL);
	}
	c = xcalloc(1, sizeof *c);
	c->name = xstrdup(name);
	config_where(ctx, g, &c->file, &c->line);
	c->window = -1;
	if (config_channel_kind(ctx, g, c) == 0) {
		config_channel_credentials(ctx, g, c);
		config_channel_limits(ctx, g, c);
	}
	return (c);
}

/* The channels list. */
static void
config_parse_channels(struct config_ctx *ctx, const config_setting_t *root)
{
	const config_setting_t	*list, *e;
	struct channel		*c;
	int			 i;

	if ((list = config_group_list(ctx, root, "channels")) == NULL)
		return;
	for (i = 0; i < config_setting_length(list); i++) {
		if ((e = config_group_elem(list, i)) == NULL)
			continue;
		if ((c = config_parse_channel(ctx, e)) == NULL)
			continue;
		TAILQ_INSERT_TAIL(&ctx->cf->channels, c, entry);
		ctx->types |= 1u << c->type;
	}
}

/* A channel reference member that must name a configured channel. */
static void
config_channel_ref(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, const char *what, char **out)
{
	if (config_str_dup(ctx, g, name, out) == 1 &&
	    config_channel(ctx->cf, *out) == NULL)
		config_error(ctx, config_setting_get_member(g, name),
		    "%s: unknown channel '%s'", what, *out);
}

/* ------------------------------------------------------------------ */
/* People, departments, groups. */

/* A person reference member that must name a configured person. */
static void
config_person_ref(struct config_ctx *ctx, const config_setting_t *g,
    const char *name, const char *what, char **out)
{
	if (config_str_dup(ctx, g, name, out) == 1 &&
	    config_person(ctx->cf, *out) == NULL)
		config_error(ctx, config_setting_get_member(g, name),
		    "%s: unknown person '%s'", what, *out);
}

/* One person. */
static void
config_parse_person(struct config_ctx *ctx, const config_setting_t *g)
{
	struct config	*cf = ctx->cf;
	struct person	*p;
	const char	*id, *name;
	size_t		 i;

	config_check_keys(ctx, g, config_person_keys);
	if (config_str_required(ctx, g, "id", &id) != 1)
		return;
	if (config_str_required(ctx, g, "name", &name) != 1)
		name = id;
	for (i = 0; i < cf->npeople; i++) {
		if (strcmp(cf->people[i].id, id) == 0 ||
		    strcmp(cf->people[i].name, id) == 0) {
			config_error(ctx, g, "duplicate person '%s'", id);
			return;
		}
		if (strcmp(cf->people[i].name, name) == 0 ||
		    strcmp(cf->people[i].id, name) == 0) {
			config_error(ctx, g, "duplicate person name '%s'",
			    name);
			return;
		}
	}
	cf->people = xreallocarray(cf->people, cf->npeople + 1,
	    sizeof *cf->people);
	p = &cf->people[cf->npeople++];
	memset(p, 0, sizeof *p);
	p->id = xstrdup(id);
	p->name = xstrdup(name);
	config_where(ctx, g, &p->file, &p->line);
	config_str_dup(ctx, g, "role", &p->role);
	if (config_str_dup(ctx, g, "mobile", &p->mobile) == 1 &&
	    (strlen(p->mobile) != 11 ||
	    strspn(p->mobile, "0123456789") != 11))
		config_error(ctx, config_setting_get_member(g, "mobile"),
		    "person '%s': 'mobile' must be 11 digits", id);
	config_str_dup(ctx, g, "wecom", &p->wecom);
	config_str_dup(ctx, g, "dingtalk", &p->dingtalk);
	config_str_dup(ctx, g, "feishu", &p->feishu);
}

/* One department. */
static void
config_parse_department(struct config_ctx *ctx, const config_setting_t *g)
{
	struct config		*cf = ctx->cf;
	struct department	*d;
	const char		*name;
	char			*what;

	config_check_keys(ctx, g, config_department_keys);
	if (config_str_required(ctx, g, "name", &name) != 1)
		return;
	if (config_department(cf, name) != NULL) {
		config_error(ctx, g, "duplicate department '%s'", name);
		return;
	}
	cf->departments = xreallocarray(cf->departments, cf->ndepartments + 1,
	    sizeof *cf->departments);
	d = &cf->departments[cf->ndepartments++];
	memset(d, 0, sizeof *d);
	d->name = xstrdup(name);
	d->level = xstrdup("city");
	if (config_str_dup(ctx, g, "level", &d->level) == 1 &&
	    !config_in(config_levels, d->level))
		config_error(ctx, config_setting_get_member(g, "level"),
		    "department '%s': 'level' must be \"city\" or \"county\"",
		    name);
	config_str_dup(ctx, g, "region", &d->region);
	xasprintf(&what, "department '%s'", name);
	config_person_ref(ctx, g, "contact", what, &d->contact);
	config_channel_ref(ctx, g, "channel", what, &d->channel);
	free(what);
}

/* One work group. */
static void
config_parse_group(struct config_ctx *ctx, const config_setting_t *g)
{
	struct config		*cf = ctx->cf;
	struct group		*gr;
	const config_setting_t	*s;
	const struct group	*other;
	const char		*name;
	char			*what;
	size_t			 i;

	config_check_keys(ctx, g, config_group_keys);
	if (config_str_required(ctx, g, "name", &name) != 1)
		return;
	if (config_group(cf, name) != NULL) {
		config_error(ctx, g, "duplicate group '%s'", name);
		return;
	}
	xasprintf(&what, "group '%s'", name);
	gr = xcalloc(1, sizeof *gr);
	gr->name = xstrdup(name);
	config_person_ref(ctx, g, "leader", what, &gr->leader);
	if (config_strings(ctx, g, "members", &gr->members,
	    &gr->nmembers) == 1) {
		s = config_setting_get_member(g, "members");
		for (i = 0; i < gr->nmembers; i++) {
			if (config_person(cf, gr->members[i]) == NULL)
				config_error(ctx, config_setting_get_elem(s, i),
				    "%s: unknown person '%s'", what,
				    gr->members[i]);
		}
	}
	if (config_setting_get_member(g, "channel") == NULL)
		config_error(ctx, g, "missing required setting 'channel'");
	config_channel_ref(ctx, g, "channel", what, &gr->channel);
	if (config_strings(ctx, g, "categories", &gr->categories,
	    &gr->ncategories) == 1) {
		s = config_setting_get_member(g, "categories");
		for (i = 0; i < gr->ncategories; i++) {
			other = config_group_for(cf, gr->categories[i]);
			if (other != NULL)
				config_error(ctx, config_setting_get_elem(s, i),
				    "%s: category '%s' already belongs to "
				    "group '%s'", what, gr->categories[i],
				    other->name);
		}
	}
	free(what);

	cf->groups = xreallocarray(cf->groups, cf->ngroups + 1,
	    sizeof *cf->groups);
	cf->groups[cf->ngroups++] = *gr;
	free(gr);
}

/* The people, departments and groups lists. */
static void
config_parse_organisation(struct config_ctx *ctx,
    const config_setting_t *root)
{
	const config_setting_t	*list, *e;
	int			 i;

	if ((list = config_group_list(ctx, root, "people")) != NULL) {
		for (i = 0; i < config_setting_length(list); i++) {
			if ((e = config_group_elem(list, i)) != NULL)
				config_parse_person(ctx, e);
		}
	}
	if ((list = config_group_list(ctx, root, "departments")) != NULL) {
		for (i = 0; i < config_setting_length(list); i++) {
			if ((e = config_group_elem(list, i)) != NULL)
				config_parse_department(ctx, e);
		}
	}
	if ((list = config_group_list(ctx, root, "groups")) != NULL) {
		for (i = 0; i < config_setting_length(list); i++) {
			if ((e = config_group_elem(list, i)) != NULL)
				config_parse_group(ctx, e);
		}
	}
}

/* The top-level references: head, head_channel, admin_channel. */
static void
config_check_roles(struct config_ctx *ctx, const config_setting_t *root)
{
	struct config	*cf = ctx->cf;

	if (cf->admin_channel != NULL &&
	    config_channel(cf, cf->admin_channel) == NULL)
		config_error(ctx, config_setting_get_member(root,
		    "admin_channel"), "admin_channel: unknown channel '%s'",
		    cf->admin_channel);
	if (cf->head_channel != NULL &&
	    config_channel(cf, cf->head_channel) == NULL)
		config_error(ctx, config_setting_get_member(root,
		    "head_channel"), "head_channel: unknown channel '%s'",
		    cf->head_channel);
	if (cf->head != NULL && config_person(cf, cf->head) == NULL)
		config_error(ctx, config_setting_get_member(root, "head"),
		    "head: unknown person '%s'", cf->head);
}

/* ------------------------------------------------------------------ */
/* Policies and their stages. */

/* A duration in seconds, counting a day or working day as 86400. */
static int64_t
config_dur_seconds(const struct duration *d)
{
	return (d->unit == DUR_SECONDS ? d->n : d->n * 86400);
}

/* Compare two durations: exactly in one unit, approximately across. */
static int
config_dur_cmp(const struct duration *a, const struct duration *b)
{
	int64_t	 x, y;

	if (a->unit == b->unit) {
		x = a->n;
		y = b->n;
	} else {
		x = config_dur_seconds(a);
		y = config_dur_seconds(b);
	}
	return (x < y ? -1 : x > y);
}

/* qsort comparator ordering stages by offset. */
static int
config_stage_cmp(const void *a, const void *b)
{
	const struct stage	*x = a, *y = b;

	return (config_dur_cmp(&x->offset, &y->offset));
}

/* Record that a template is needed for some channel types. */
static void
config_need_template(struct config_ctx *ctx, const char *name,
    unsigned types, int required, const char *file, int line)
{
	struct config_need	*n;

	ctx->needs = xreallocarray(ctx->needs, ctx->nneeds + 1,
	    sizeof *ctx->needs);
	n = &ctx->needs[ctx->nneeds++];
	n->name = name;
	n->types = types;
	n->required = required;
	n->stage = NULL;
	n->rectify = 0;
	n->file = file;
	n->line = line;
}

/* Whether a recipient role has the configuration it needs; else report. */
static void
config_check_role(struct config_ctx *ctx, const config_setting_t *e,
    const char *stage, enum recipient_role role, const char *word)
{
	struct config	*cf = ctx->cf;

	switch (role) {
	case ROLE_HEAD:
		if (cf->head_channel == NULL)
			config_error(ctx, e, "stage '%s': recipient 'head' "
			    "needs 'head_channel'", stage);
		break;
	case ROLE_ADMIN:
		if (cf->admin_channel == NULL)
			config_error(ctx, e, "stage '%s': recipient 'admin' "
			    "needs 'admin_channel'", stage);
		break;
	case ROLE_GROUP:
	case ROLE_LEADER:
		if (cf->ngroups == 0)
			config_error(ctx, e, "stage '%s': recipient '%s' "
			    "needs 'groups'", stage, word);
		break;
	default:
		break;
	}
}

/* A stage's "to" list; returns the channel types it can reach. */
static unsigned
config_parse_recipients(struct config_ctx *ctx, const config_setting_t *g,
    struct stage *st)
{
	const config_setting_t	*to, *e;
	struct recipient	*r;
	struct channel		*c;
	char			**words = NULL;
	size_t			 nwords = 0, i, j;
	unsigned		 types = 0;

	to = config_setting_get_member(g, "to");
	switch (config_strings(ctx, g, "to", &words, &nwords)) {
	case 0:
		config_error(ctx, g, "stage '%s': missing required setting "
		    "'to'", st->name);
		return (0);
	case -1:
		return (0);
	}
	if (nwords == 0)
		config_error(ctx, to, "stage '%s': 'to' must not be empty",
		    st->name);
	st->to = xcalloc(nwords, sizeof *st->to);
	for (i = 0; i < nwords; i++) {
		e = config_setting_get_elem(to, i);
		for (j = 0; j < i; j++) {
			if (strcmp(words[j], words[i]) == 0)
				break;
		}
		if (j != i) {
			config_error(ctx, e, "stage '%s': duplicate recipient "
			    "'%s'", st->name, words[i]);
			continue;
		}
		r = &st->to[st->nto++];
		r->role = ROLE_CHANNEL;
		for (j = 0; j < sizeof config_roles / sizeof config_roles[0];
		    j++) {
			if (strcmp(config_roles[j].name, words[i]) == 0)
				r->role = config_roles[j].role;
		}
		if (r->role != ROLE_CHANNEL) {
			config_check_role(ctx, e, st->name, r->role, words[i]);
			types |= ctx->types;
			continue;
		}
		r->channel = xstrdup(words[i]);
		if ((c = config_channel(ctx->cf, words[i])) == NULL)
			config_error(ctx, e, "stage '%s': unknown channel "
			    "'%s'", st->name, words[i]);
		else
			types |= 1u << c->type;
	}
	config_free_strings(words, nwords);
	return (types);
}

/* One stage of a policy's ladder; -1 when it has no name. */
static int
config_parse_stage(struct config_ctx *ctx, const config_setting_t *g,
    struct stage *st)
{
	const config_setting_t	*s;
	const char		*v, *file;
	unsigned		 types;
	int			 line;

	memset(st, 0, sizeof *st);
	config_check_keys(ctx, g, config_stage_keys);
	if (config_str_required(ctx, g, "name", &v) != 1)
		return (-1);
	st->name = xstrdup(v);
	if (config_str_dup(ctx, g, "label", &st->label) == 0)
		config_error(ctx, g, "stage '%s': missing required setting "
		    "'label'", st->name);
	st->offset.unit = DUR_WORKDAYS;
	if (config_dur(ctx, g, "offset", &st->offset) == 0)
		config_error(ctx, g, "stage '%s': missing required setting "
		    "'offset'", st->name);
	st->repeat.unit = DUR_WORKDAYS;
	if (config_dur(ctx, g, "repeat", &st->repeat) == 1 &&
	    st->repeat.n < 0)
		config_error(ctx, config_setting_get_member(g, "repeat"),
		    "stage '%s': 'repeat' must not be negative", st->name);
	st->rectify.unit = DUR_WORKDAYS;
	if (config_dur(ctx, g, "rectify", &st->rectify) == 1 &&
	    st->rectify.n <= 0)
		config_error(ctx, config_setting_get_member(g, "rectify"),
		    "stage '%s': 'rectify' must be positive", st->name);
	st->template = xstrdup(st->name);
	if (config_str_dup(ctx, g, "template", &st->template) == 1 &&
	    (strchr(st->template, '/') != NULL || *st->template == '.'))
		config_error(ctx, config_setting_get_member(g, "template"),
		    "stage '%s': template name '%s' must not contain '/' or "
		    "start with '.'", st->name, st->template);
	st->severity = xstrdup("info");
	if (config_str_dup(ctx, g, "severity", &st->severity) == 1 &&
	    !config_in(config_severities, st->severity)) {
		s = config_setting_get_member(g, "severity");
		config_error(ctx, s, "stage '%s': 'severity' must be info, "
		    "warning or critical", st->name);
	}
	config_bool(ctx, g, "urgent", &st->urgent);

	types = config_parse_recipients(ctx, g, st);
	config_where(ctx, g, &file, &line);
	config_need_template(ctx, st->template, types, 1, file, line);
	ctx->needs[ctx->nneeds - 1].stage = st->name;
	ctx->needs[ctx->nneeds - 1].rectify = st->rectify.n > 0;
	return (0);
}

/* A policy's stages: parsed, checked for equal offsets, then sorted. */
static void
config_parse_stages(struct config_ctx *ctx, const config_setting_t *g,
    struct policy *p)
{
	const config_setting_t	*list, *e;
	const config_setting_t	**where;
	size_t			 i, j;
	int			 k, n;

	if ((list = config_group_list(ctx, g, "stages")) == NULL) {
		if (config_setting_get_member(g, "stages") == NULL)
			config_error(ctx, g, "policy '%s': missing required "
			    "setting 'stages'", p->name);
		return;
	}
	if ((n = config_setting_length(list)) == 0) {
		config_error(ctx, list, "policy '%s': 'stages' must not be "
		    "empty", p->name);
		return;
	}
	p->stages = xcalloc(n, sizeof *p->stages);
	where = xcalloc(n, sizeof *where);
	for (k = 0; k < n; k++) {
		if ((e = config_group_elem(list, k)) == NULL)
			continue;
		if (config_parse_stage(ctx, e, &p->stages[p->nstages]) != 0)
			continue;
		where[p->nstages] = e;
		for (j = 0; j < p->nstages; j++) {
			if (strcmp(p->stages[j].name,
			    p->stages[p->nstages].name) == 0)
				break;
		}
		if (j != p->nstages)
			config_error(ctx, e, "policy '%s': duplicate stage "
			    "'%s'", p->name, p->stages[p->nstages].name);
		p->nstages++;
	}
	for (i = 0; i < p->nstages; i++) {
		for (j = 0; j < i; j++) {
			if (config_dur_cmp(&p->stages[i].offset,
			    &p->stages[j].offset) == 0)
				config_error(ctx, where[i], "policy '%s': "
				    "stages '%s' and '%s' have the same "
				    "offset", p->name, p->stages[j].name,
				    p->stages[i].name);
		}
	}
	free(where);
	qsort(p->stages, p->nstages, sizeof *p->stages, config_stage_cmp);
}

/* A policy's match group: which items it applies to. */
static void
config_parse_match(struct config_ctx *ctx, const config_setting_t *g,
    struct policy *p)
{
	const config_setting_t	*m, *s;
	size_t			 i;

	if ((m = config_setting_get_member(g, "match")) == NULL)
		return;
	if (!config_setting_is_group(m)) {
		config_error(ctx, m, "'match' must be a group { ... }");
		return;
	}
	config_check_keys(ctx, m, config_match_keys);
	if (config_strings(ctx, m, "categories", &p->categories,
	    &p->ncategories) == 1) {
		s = config_setting_get_member(m, "categories");
		for (i = 0; i < p->ncategories; i++) {
			if (config_group_for(ctx->cf, p->categories[i]) == NULL)
				config_warning(ctx, config_setting_get_elem(s,
				    i), "policy '%s': no group has category "
				    "'%s'", p->name, p->categories[i]);
		}
	}
	if (config_strings(ctx, m, "departments", &p->departments,
	    &p->ndepartments) == 1) {
		s = config_setting_get_member(m, "departments");
		for (i = 0; i < p->ndepartments; i++) {
			if (config_department(ctx->cf,
			    p->departments[i]) == NULL)
				config_warning(ctx, config_setting_get_elem(s,
				    i), "policy '%s': department '%s' is not "
				    "configured", p->name, p->departments[i]);
		}
	}
	config_strings(ctx, m, "kinds", &p->kinds, &p->nkinds);
	config_strings(ctx, m, "modes", &p->modes, &p->nmodes);
}

/* One policy; -1 when it has no usable name. */
static int
config_parse_policy(struct config_ctx *ctx, const config_setting_t *g,
    struct policy *p)
{
	const config_setting_t	*s;
	const char		*name;
	char			*what;
	int			 rc;

	memset(p, 0, sizeof *p);
	config_check_keys(ctx, g, config_policy_keys);
	if (config_str_required(ctx, g, "name", &name) != 1)
		return (-1);
	if (config_policy(ctx->cf, name) != NULL) {
		config_error(ctx, g, "duplicate policy '%s'", name);
		return (-1);
	}
	p->name = xstrdup(name);
	config_where(ctx, g, &p->file, &p->line);
	p->track = xstrdup(TRACK_MAIN);
	if (config_str_dup(ctx, g, "track", &p->track) == 1 &&
	    !config_in(config_tracks, p->track))
		config_error(ctx, config_setting_get_member(g, "track"),
		    "policy '%s': unknown track '%s' (want main, supplement, "
		    "commitment, rectify or stale)", name, p->track);

	config_parse_match(ctx, g, p);
	xasprintf(&what, "policy '%s'", name);
	config_window_ref(ctx, g, what, &p->window);
	free(what);

	p->stale_after.unit = DUR_WORKDAYS;
	rc = config_dur(ctx, g, "stale_after", &p->stale_after);
	s = config_setting_get_member(g, "stale_after");
	if (strcmp(p->track, TRACK_STALE) == 0) {
		if (rc == 0)
			config_error(ctx, g, "policy '%s': track 'stale' "
			    "needs 'stale_after'", name);
		else if (rc == 1 && p->stale_after.n <= 0)
			config_error(ctx, s, "policy '%s': 'stale_after' "
			    "must be positive", name);
	} else if (rc != 0)
		config_error(ctx, s, "policy '%s': 'stale_after' applies "
		    "only to track 'stale'", name);

	p->done_notice = strcmp(p->track, TRACK_MAIN) == 0;
	config_bool(ctx, g, "done_notice", &p->done_notice);

	config_parse_stages(ctx, g, p);
	return (0);
}

/* What a rectification check enumerates: per match dimension, the values
 * an item of the stage's policy can have (NULL: one no list names). */
struct config_cover {
	const char	**v[4];
	size_t		  n[4];
	const char	 *at[4];	/* the combination being tried */
	size_t		  tried;
};
#define CONFIG_COVER_MAX	100000	/* combinations tried at most */

/* The values of one dimension: the policy's own list, or, when it matches
 * anything, every mode, or every value a rectify policy names plus NULL. */
static void
config_cover_values(const struct config *cf, struct config_cover *cv,
    int dim, char *const *own, size_t nown)
{
	const struct policy	*r;
	char *const		*list;
	size_t			 i, j, k, n;

	cv->v[dim] = xcalloc(1, sizeof *cv->v[dim]);
	cv->n[dim] = 0;
	if (nown == 0 && dim == 3) {
		/* Modes are a closed set: every item has one of them. */
		for (n = 0; model_modes[n] != NULL; n++)
			continue;
		own = (char *const *)(uintptr_t)model_modes;
		nown = n;
	}
	if (nown > 0) {
		cv->v[dim] = xreallocarray(cv->v[dim], nown, sizeof *cv->v[dim]);
		for (i = 0; i < nown; i++)
			cv->v[dim][cv->n[dim]++] = own[i];
		return;
	}
	cv->v[dim][cv->n[dim]++] = NULL;
	for (i = 0; i < cf->npolicies; i++) {
		r = &cf->policies[i];
		if (strcmp(r->track, TRACK_RECTIFY) != 0)
			continue;
		list = dim == 0 ? r->categories : dim == 1 ? r->departments :
		    dim == 2 ? r->kinds : r->modes;
		n = dim == 0 ? r->ncategories : dim == 1 ? r->ndepartments :
		    dim == 2 ? r->nkinds : r->nmodes;
		for (j = 0; j < n; j++) {
			for (k = 1; k < cv->n[dim]; k++) {
				if (strcmp(cv->v[dim][k], list[j]) == 0)
					break;
			}
			if (k < cv->n[dim])
				continue;
			cv->v[dim] = xreallocarray(cv->v[dim], cv->n[dim] + 1,
			    sizeof *cv->v[dim]);
			cv->v[dim][cv->n[dim]++] = list[j];
		}
	}
}

/* Whether every combination from dimension dim on has a rectify policy;
 * 0 leaves the first one without in cv->at. */
static int
config_cover_walk(const struct config *cf, struct config_cover *cv, int dim)
{
	size_t	 i;

	if (dim == 4) {
		cv->tried++;
		return (config_policy_for(cf, TRACK_RECTIFY, cv->at[0],
		    cv->at[1], cv->at[2], cv->at[3]) != NULL);
	}
	for (i = 0; i < cv->n[dim] && cv->tried < CONFIG_COVER_MAX; i++) {
		cv->at[dim] = cv->v[dim][i];
		if (!config_cover_walk(cf, cv, dim + 1))
			return (0);
	}
	return (1);
}

/*
 * Warn when a stage sets "rectify" but the rectification deadline it
 * creates would have no ladder for some of the items its policy matches:
 * no policy of track "rectify" at all, or none matching some combination
 * of category, department, kind and mode the policy can see.
 */
static void
config_check_rectify_cover(struct config_ctx *ctx, const config_setting_t *s,
    const struct policy *p, const struct stage *st)
{
	static const char *const dims[] = {
		"category", "department", "kind", "mode"
	};
	const struct config	*cf = ctx->cf;
	struct config_cover	 cv;
	char			*what = xstrdup(""), *next;
	size_t			 i;
	int			 any = 0, covered;

	for (i = 0; i < cf->npolicies; i++)
		any |= strcmp(cf->policies[i].track, TRACK_RECTIFY) == 0;
	if (!any) {
		config_warning(ctx, s, "stage '%s' of policy '%s' sets "
		    "'rectify', but no policy has track 'rectify': the "
		    "rectification deadline will not be escalated", st->name,
		    p->name);
		free(what);
		return;
	}
	memset(&cv, 0, sizeof cv);
	config_cover_values(cf, &cv, 0, p->categories, p->ncategories);
	config_cover_values(cf, &cv, 1, p->departments, p->ndepartments);
	config_cover_values(cf, &cv, 2, p->kinds, p->nkinds);
	config_cover_values(cf, &cv, 3, p->modes, p->nmodes);
	covered = config_cover_walk(cf, &cv, 0);
	if (!covered) {
		for (i = 0; i < 4; i++) {
			if (cv.at[i] != NULL)
				xasprintf(&next, "%s%s%s '%s'", what,
				    *what != '\0' ? ", " : "", dims[i],
				    cv.at[i]);
			else if (cv.n[i] > 1)
				xasprintf(&next, "%s%sa %s no such policy "
				    "names", what, *what != '\0' ? ", " : "",
				    dims[i]);
			else
				continue;
			free(what);
			what = next;
		}
		config_warning(ctx, s, "stage '%s' of policy '%s' sets "
		    "'rectify', but no policy with track 'rectify' matches "
		    "items of %s: their rectification deadline will not be "
		    "escalated", st->name, p->name, what);
	}
	for (i = 0; i < 4; i++)
		free(cv.v[i]);
	free(what);
}

/* Check the rectification of every stage that sets one, at the stage. */
static void
config_check_rectify(struct config_ctx *ctx, const config_setting_t *list)
{
	const config_setting_t	*e, *stages, *g;
	const struct policy	*p;
	const char		*name;
	int			 k, j, n, m;
	size_t			 i;

	n = config_setting_length(list);
	for (k = 0; k < n; k++) {
		if ((e = config_group_elem(list, k)) == NULL ||
		    !config_setting_lookup_string(e, "name", &name) ||
		    (p = config_policy(ctx->cf, name)) == NULL ||
		    (stages = config_setting_get_member(e, "stages")) == NULL ||
		    !config_setting_is_list(stages))
			continue;
		m = config_setting_length(stages);
		for (j = 0; j < m; j++) {
			if ((g = config_group_elem(stages, j)) == NULL ||
			    !config_setting_lookup_string(g, "name", &name))
				continue;
			for (i = 0; i < p->nstages; i++) {
				if (strcmp(p->stages[i].name, name) == 0 &&
				    p->stages[i].rectify.n > 0)
					config_check_rectify_cover(ctx, g, p,
					    &p->stages[i]);
			}
		}
	}
}

/* The policies list, and the "done" template their notices need. */
static void
config_parse_policies(struct config_ctx *ctx, const config_setting_t *root)
{
	struct config		*cf = ctx->cf;
	const config_setting_t	*list, *e;
	struct policy		 p;
	size_t			 i;
	int			 k, n;

	if ((list = config_group_list(ctx, root, "policies")) == NULL) {
		if (config_setting_get_member(root, "policies") == NULL)
			config_warning(ctx, root, "no 'policies': nothing "
			    "will be escalated");
		return;
	}
	n = config_setting_length(list);
	cf->policies = xcalloc(n, sizeof *cf->policies);
	for (k = 0; k < n; k++) {
		if ((e = config_group_elem(list, k)) == NULL)
			continue;
		if (config_parse_policy(ctx, e, &p) == 0)
			cf->policies[cf->npolicies++] = p;
	}
	config_check_rectify(ctx, list);

	/* One need for the first policy with done notices is enough. */
	for (i = 0; i < cf->npolicies; i++) {
		if (cf->policies[i].done_notice) {
			config_need_template(ctx, "done", ctx->types, 1,
			    cf->policies[i].file, cf->policies[i].line);
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Mentions: every person a stage addresses should be notified. */

/* Whether any stage of any policy addresses a role. */
static int
config_role_used(const struct config *cf, enum recipient_role role)
{
	size_t	 i, j, k;

	for (i = 0; i < cf->npolicies; i++)
		for (j = 0; j < cf->policies[i].nstages; j++)
			for (k = 0; k < cf->policies[i].stages[j].nto; k++)
				if (cf->policies[i].stages[j].to[k].role ==
				    role)
					return (1);
	return (0);
}

/* Warn, once per person and channel, when the app of a channel a stage
 * reaches a person in cannot @-mention the person. */
static void
config_check_mention(struct config_ctx *ctx, const struct person *p,
    const char *chname, const char *as, const void ***seen, size_t *nseen)
{
	struct config		*cf = ctx->cf;
	const struct channel	*ch;
	const char		*why, *uid, *mobile;
	char			*msg;
	size_t			 i;

	if (p == NULL || chname == NULL ||
	    (ch = config_channel(cf, chname)) == NULL ||
	    ch->type == CHANNEL_WEBHOOK)
		return;
	if ((why = channel_mention(ch->type, p, &uid, &mobile)) == NULL)
		return;
	for (i = 0; i < *nseen; i += 2)
		if ((*seen)[i] == p && (*seen)[i + 1] == ch)
			return;
	*seen = xreallocarray(*seen, *nseen + 2, sizeof **seen);
	(*seen)[(*nseen)++] = p;
	(*seen)[(*nseen)++] = ch;
	cf->warnings = xreallocarray(cf->warnings, cf->nwarnings + 1,
	    sizeof *cf->warnings);
	xasprintf(&msg, "%s:%d: person '%s' (%s)"
	    " cannot be @-mentioned in channel '%s' (%s) as %s: %s",
	    p->file, p->line, p->id, p->name, ch->name,
	    channel_type_name(ch->type), as, why);
	cf->warnings[cf->nwarnings++] = config_shorten(msg);
	free(msg);
}

/*
 * The people the stages address, in the chats they are addressed in: a
 * group's leader in its chat, the head in the head's chat, a department's
 * contact in its own chat or any group's, and anyone (a handler is named
 * by an item) in any chat a department is reached in.  A chat without a
 * group's or head's falls back to the admin channel, as the step does.
 */
static void
config_check_mentions(struct config_ctx *ctx)
{
	struct config		*cf = ctx->cf;
	const struct department	*d;
	const struct group	*g;
	const void		**seen = NULL;
	const char		**chats = NULL, *c;
	size_t			 nseen = 0, nchats = 0, i, j;

	if (cf->head != NULL)
		config_check_mention(ctx, config_person(cf, cf->head),
		    cf->head_channel ? cf->head_channel : cf->admin_channel,
		    "the head", &seen, &nseen);
	for (i = 0; i < cf->ngroups; i++) {
		g = &cf->groups[i];
		chats = xreallocarray(chats, nchats + 1, sizeof *chats);
		chats[nchats++] = g->channel ? g->channel : cf->admin_channel;
		if (config_role_used(cf, ROLE_LEADER))
			config_check_mention(ctx, config_person(cf, g->leader),
			    chats[nchats - 1], "the group's leader", &seen,
			    &nseen);
	}
	for (i = 0; i < cf->ndepartments; i++) {
		d = &cf->departments[i];
		if (d->channel != NULL) {
			chats = xreallocarray(chats, nchats + 1,
			    sizeof *chats);
			chats[nchats++] = d->channel;
		}
		if (d->contact == NULL || !config_role_used(cf,
		    ROLE_DEPARTMENT))
			continue;
		for (j = 0; j < (d->channel ? 1 : cf->ngroups); j++) {
			c = d->channel ? d->channel : cf->groups[j].channel ?
			    cf->groups[j].channel : cf->admin_channel;
			config_check_mention(ctx, config_person(cf, d->contact),
			    c, "a department's contact", &seen, &nseen);
		}
	}
	if (config_role_used(cf, ROLE_HANDLER)) {
		for (i = 0; i < cf->npeople; i++)
			for (j = 0; j < nchats; j++)
				config_check_mention(ctx, &cf->people[i],
				    chats[j], "a handler", &seen, &nseen);
	}
	free(chats);
	free(seen);
}

/* ------------------------------------------------------------------ */
/* Reports. */

/* qsort comparator for days of the month. */
static int
config_int_cmp(const void *a, const void *b)
{
	const int	*x = a, *y = b;

	return (*x < *y ? -1 : *x > *y);
}

/* A report's "days" list: days of the month 1-31, kept sorted. */
static int
config_report_days(struct config_ctx *ctx, const config_setting_t *g,
    struct report_conf *r)
{
	const config_setting_t	*s, *e;
	int			 i, len, v, bad = 0;
	size_t			 k;

	if ((s = config_setting_get_member(g, "days")) == NULL)
		return (0);
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		config_error(ctx, s, "report '%s': 'days' must be a list of "
		    "days of the month like [1, 16]", r->name);
		return (-1);
	}
	if ((len = config_setting_length(s)) == 0) {
		config_error(ctx, s, "report '%s': 'days' must not be empty",
		    r->name);
		return (-1);
	}
	r->days = xcalloc(len, sizeof *r->days);
	for (i = 0; i < len; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_INT) {
			config_error(ctx, e, "report '%s': 'days' must hold "
			    "integers between 1 and 31", r->name);
			bad = 1;
			continue;
		}
		v = config_setting_get_int(e);
		if (v < 1 || v > 31) {
			config_error(ctx, e, "report '%s': day %d is not "
			    "between 1 and 31", r->name, v);
			bad = 1;
			continue;
		}
		for (k = 0; k < r->ndays; k++) {
			if (r->days[k] == v)
				break;
		}
		if (k != r->ndays) {
			config_error(ctx, e, "report '%s': day %d is given "
			    "twice", r->name, v);
			bad = 1;
			continue;
		}
		r->days[r->ndays++] = v;
	}
	qsort(r->days, r->ndays, sizeof *r->days, config_int_cmp);
	return (bad ? -1 : 1);
}

/* Report a schedule setting given for a schedule that does not use it. */
static void
config_report_unused(struct config_ctx *ctx, const config_setting_t *g,
    const struct report_conf *r, const char *key, int used,
    const char *which)
{
	const config_setting_t	*s;

	if (!used && (s = config_setting_get_member(g, key)) != NULL)
		config_error(ctx, s, "report '%s': '%s' applies only to %s",
		    r->name, key, which);
}

/* A report's schedule: the settings it needs and no others. */
static void
config_report_schedule(struct config_ctx *ctx, const config_setting_t *g,
    struct report_conf *r)
{
	const config_setting_t	*s;
	const char		*v;
	long long		 n;
	int			 wd, has_weekday = 0, has_anchor = 0;
	char			 date[11];

	if (config_str(ctx, g, "schedule", &v) == 1 &&
	    report_schedule_parse(v, &r->schedule) != 0)
		config_error(ctx, config_setting_get_member(g, "schedule"),
		    "report '%s': unknown schedule '%s' (want weekly, "
		    "biweekly, semimonthly or monthly)", r->name, v);
	if (config_int(ctx, g, "weekday", 1, 7, &n) == 1) {
		r->weekday = (int)n;
		has_weekday = 1;
	}
	if (config_str(ctx, g, "anchor", &v) == 1) {
		if (calendar_parse_date(v, &r->anchor) != 0)
			config_error(ctx, config_setting_get_member(g,
			    "anchor"), "report '%s': 'anchor' must be a date "
			    "YYYY-MM-DD, not '%s'", r->name, v);
		else
			has_anchor = 1;
	}
	config_report_days(ctx, g, r);
	if (config_int(ctx, g, "day", 1, 31, &n) == 1 && r->days == NULL) {
		r->days = xcalloc(1, sizeof *r->days);
		r->days[r->ndays++] = (int)n;
	}
	config_time(ctx, g, "time", &r->time_min);

	config_report_unused(ctx, g, r, "weekday", r->schedule ==
	    REPORT_SCHED_WEEKLY || r->schedule == REPORT_SCHED_BIWEEKLY,
	    "the weekly and biweekly schedules");
	config_report_unused(ctx, g, r, "anchor", r->schedule ==
	    REPORT_SCHED_BIWEEKLY, "the biweekly schedule");
	config_report_unused(ctx, g, r, "days", r->schedule ==
	    REPORT_SCHED_SEMIMONTHLY, "the semimonthly schedule");
	config_report_unused(ctx, g, r, "day", r->schedule ==
	    REPORT_SCHED_MONTHLY, "the monthly schedule");
	config_report_unused(ctx, g, r, "time", r->schedule !=
	    REPORT_SCHED_NONE, "reports with a 'schedule'");

	switch (r->schedule) {
	case REPORT_SCHED_NONE:
		break;
	case REPORT_SCHED_WEEKLY:
		if (config_setting_get_member(g, "weekday") == NULL)
			config_error(ctx, g, "report '%s': schedule 'weekly' "
			    "needs 'weekday' (1 Monday .. 7 Sunday)", r->name);
		break;
	case REPORT_SCHED_BIWEEKLY:
		if (config_setting_get_member(g, "anchor") == NULL) {
			config_error(ctx, g, "report '%s': schedule "
			    "'biweekly' needs 'anchor' (a date it is sent on)",
			    r->name);
			break;
		}
		if (!has_anchor)
			break;
		wd = calendar_weekday(r->anchor);
		wd = wd == 0 ? 7 : wd;
		if (has_weekday && wd != r->weekday) {
			s = config_setting_get_member(g, "anchor");
			calendar_format_date(r->anchor, date);
			config_error(ctx, s, "report '%s': 'anchor' %s falls "
			    "on weekday %d, not on 'weekday' %d", r->name, date,
			    wd, r->weekday);
		}
		r->weekday = wd;
		break;
	case REPORT_SCHED_SEMIMONTHLY:
		if (config_setting_get_member(g, "days") == NULL)
			config_error(ctx, g, "report '%s': schedule "
			    "'semimonthly' needs 'days' (e.g. [1, 16])",
			    r->name);
		break;
	case REPORT_SCHED_MONTHLY:
		if (config_setting_get_member(g, "day") == NULL)
			config_error(ctx, g, "report '%s': schedule 'monthly' "
			    "needs 'day' (1-31)", r->name);
		break;
	}
}

/* A report's "attach": "xlsx" sends its table as a file, which only
 * WeCom robots can post (upload_media); DingTalk's and Feishu's cannot. */
static void
config_report_attach(struct config_ctx *ctx, const config_setting_t *g,
    struct report_conf *r)
{
	const config_setting_t	*s = config_setting_get_member(g, "attach");
	const struct channel	*ch;
	const char		*v;
	size_t			 i;

	if (config_str(ctx, g, "attach", &v) != 1 || v == NULL)
		return;
	if (strcmp(v, "xlsx") != 0) {
		config_error(ctx, s, "report '%s': unknown attach '%s' (want"
		    " \"xlsx\")", r->name, v);
		return;
	}
	r->attach = REPORT_ATTACH_XLSX;
	for (i = 0; i < r->nchannels; i++) {
		ch = config_channel(ctx->cf, r->channels[i]);
		if (ch != NULL && ch->type != CHANNEL_WECOM)
			config_error(ctx, s, "report '%s': attach = \"xlsx\" "
			    "needs WeCom channels: '%s' is a %s robot, which "
			    "cannot post files", r->name, ch->name,
			    channel_type_name(ch->type));
	}
}

/* One report; its channels and group must be configured. */
static void
config_parse_report(struct config_ctx *ctx, const config_setting_t *g)
{
	struct config		*cf = ctx->cf;
	struct report_conf	*r;
	const config_setting_t	*s;
	const char		*name, *v;
	size_t			 i;

	config_check_keys(ctx, g, config_report_keys);
	if (config_str_required(ctx, g, "name", &name) != 1)
		return;
	if (strchr(name, '/') != NULL || strchr(name, '?') != NULL) {
		config_error(ctx, config_setting_get_member(g, "name"),
		    "report name '%s' must not contain '/' or '?'", name);
		return;
	}
	for (i = 0; i < cf->nreports; i++) {
		if (strcmp(cf->reports[i].name, name) == 0) {
			config_error(ctx, g, "duplicate report '%s'", name);
			return;
		}
	}
	cf->reports = xreallocarray(cf->reports, cf->nreports + 1,
	    sizeof *cf->reports);
	r = &cf->reports[cf->nreports++];
	memset(r, 0, sizeof *r);
	r->name = xstrdup(name);
	r->time_min = 9 * 60;
	config_where(ctx, g, &r->file, &r->line);

	if (config_str(ctx, g, "type", &v) == 0)
		config_error(ctx, g, "report '%s': missing required setting "
		    "'type'", name);
	else if (v != NULL && report_type_parse(v, &r->type) != 0)
		config_error(ctx, config_setting_get_member(g, "type"),
		    "report '%s': unknown type '%s' (want weekly, review, "
		    "bulletin or agenda)", name, v);
	if (config_str_dup(ctx, g, "group", &r->group) == 1 &&
	    config_group(cf, r->group) == NULL)
		config_error(ctx, config_setting_get_member(g, "group"),
		    "report '%s': unknown group '%s'", name, r->group);
	config_report_schedule(ctx, g, r);

	switch (config_strings(ctx, g, "channels", &r->channels,
	    &r->nchannels)) {
	case 0:
		config_error(ctx, g, "report '%s': missing required setting "
		    "'channels'", name);
		break;
	case 1:
		s = config_setting_get_member(g, "channels");
		if (r->nchannels == 0)
			config_error(ctx, s, "report '%s': 'channels' must not "
			    "be empty", name);
		for (i = 0; i < r->nchannels; i++) {
			if (config_channel(cf, r->channels[i]) == NULL)
				config_error(ctx, config_setting_get_elem(s, i),
				    "report '%s': unknown channel '%s'", name,
				    r->channels[i]);
		}
		break;
	}
	config_report_attach(ctx, g, r);
}

/* The reports list. */
static void
config_parse_reports(struct config_ctx *ctx, const config_setting_t *root)
{
	const config_setting_t	*list, *e;
	int			 i;

	if ((list = config_group_list(ctx, root, "reports")) == NULL)
		return;
	for (i = 0; i < config_setting_length(list); i++) {
		if ((e = config_group_elem(list, i)) != NULL)
			config_parse_report(ctx, e);
	}
}

/* ------------------------------------------------------------------ */
/* Templates. */

/* The loaded template of exactly this name and type, or NULL. */
static struct template_entry *
config_template_entry(const struct config *cf, const char *name, int type)
{
	size_t	 i;

	for (i = 0; i < cf->ntemplates; i++) {
		if (cf->templates[i].type == type &&
		    strcmp(cf->templates[i].name, name) == 0)
			return (&cf->templates[i]);
	}
	return (NULL);
}

/* Whether a template file already failed to load (and was reported). */
static int
config_template_failed(struct config_ctx *ctx, const char *path)
{
	size_t	 i;

	for (i = 0; i < ctx->nfailed; i++) {
		if (strcmp(ctx->failed[i], path) == 0)
			return (1);
	}
	return (0);
}

/* Read and parse one template file into a new entry; -1 on a problem,
 * which is reported in the template file's own terms. */
static int
config_template_read(struct config_ctx *ctx, const char *name, int type,
    const char *path)
{
	struct config		*cf = ctx->cf;
	struct template_entry	*te;
	struct template_set	 set;
	struct stat		 st;
	char			*text, *err = NULL;

	if (config_template_failed(ctx, path))
		return (-1);
	if (config_read_text(path, CONFIG_TEMPLATE_MAX, &text, &st) != 0) {
		config_error_at(ctx, path, 0, "cannot read template: %s",
		    config_read_reason(errno));
		goto fail;
	}
	if (!utf8_valid(text, strlen(text))) {
		config_error_at(ctx, path, 0, "template is not valid UTF-8");
		free(text);
		goto fail;
	}
	if (template_set_parse(text, path, &set, &err) != 0) {
		/* Its message is already "file:line: message". */
		if (err != NULL) {
			ctx->problems = xreallocarray(ctx->problems,
			    ctx->nproblems + 1, sizeof *ctx->problems);
			ctx->problems[ctx->nproblems++] = err;
		} else
			config_error_at(ctx, path, 0, "cannot parse template");
		free(text);
		goto fail;
	}
	free(text);
	cf->templates = xreallocarray(cf->templates, cf->ntemplates + 1,
	    sizeof *cf->templates);
	te = &cf->templates[cf->ntemplates++];
	te->name = xstrdup(name);
	te->type = type;
	te->path = xstrdup(path);
	te->set = set;
	return (0);

fail:
	ctx->failed = xreallocarray(ctx->failed, ctx->nfailed + 1,
	    sizeof *ctx->failed);
	ctx->failed[ctx->nfailed++] = xstrdup(path);
	return (-1);
}

/*
 * Find and load the template one need asks for, for each channel type:
 * "<templates>/<name>.<type>.tmpl", else "<templates>/<name>.tmpl".  The
 * plain file is loaded whenever it exists, even when every type has its
 * own: it is also the one for channels sending the "text" format.
 */
static void
config_template_load(struct config_ctx *ctx, const struct config_need *n)
{
	struct config	*cf = ctx->cf;
	char		*typed, *plain, *types = NULL, *tmp;
	int		 type, missing = 0, last = 0;

	if (n->types == 0)
		return;
	xasprintf(&plain, "%s/%s.tmpl", ctx->tmpldir, n->name);
	if (config_template_entry(cf, n->name, -1) == NULL &&
	    access(plain, F_OK) == 0)
		config_template_read(ctx, n->name, -1, plain);

	for (type = 0; type < CONFIG_NTYPES; type++) {
		if ((n->types & (1u << type)) == 0 ||
		    config_template_entry(cf, n->name, type) != NULL)
			continue;
		xasprintf(&typed, "%s/%s.%s.tmpl", ctx->tmpldir, n->name,
		    channel_type_name(type));
		if (access(typed, F_OK) == 0)
			config_template_read(ctx, n->name, type, typed);
		else if (access(plain, F_OK) != 0 && n->required) {
			/* Gather the types to report them in one problem. */
			if (missing++ == 0)
				types = xstrdup(channel_type_name(type));
			else {
				xasprintf(&tmp, "%s, %s", types,
				    channel_type_name(type));
				free(types);
				types = tmp;
			}
			last = type;
		}
		free(typed);
	}
	if (missing == 1)
		config_error_at(ctx, n->file, n->line, "missing template '%s' "
		    "for %s channels: neither %s/%s.%s.tmpl nor %s exists",
		    n->name, types, ctx->tmpldir, n->name,
		    channel_type_name(last), plain);
	else if (missing > 1)
		config_error_at(ctx, n->file, n->line, "missing template '%s' "
		    "for %s channels: neither %s/%s.<type>.tmpl nor %s exists",
		    n->name, types, ctx->tmpldir, n->name, plain);
	free(types);
	free(plain);
}

/* Whether any section of a template set uses a placeholder. */
static int
config_template_uses(const struct template_set *ts, const char *name)
{
	return ((ts->title != NULL && template_uses(ts->title, name)) ||
	    (ts->header != NULL && template_uses(ts->header, name)) ||
	    (ts->item != NULL && template_uses(ts->item, name)) ||
	    (ts->footer != NULL && template_uses(ts->footer, name)));
}

/* Whether a notice's need (no stage) came earlier: it is checked once. */
static int
config_need_seen(const struct config_ctx *ctx, size_t i)
{
	size_t	 k;

	if (ctx->needs[i].stage != NULL)
		return (0);
	for (k = 0; k < i; k++) {
		if (ctx->needs[k].stage == NULL &&
		    strcmp(ctx->needs[k].name, ctx->needs[i].name) == 0)
			return (1);
	}
	return (0);
}

/*
 * {rectify_deadline} is known only where a stage sets "rectify": a notice
 * never has an empty field, so a template a stage without it (or the done
 * or test notice) uses must not name it.  Reported at the stage, or at the
 * template file for the notices.
 */
static void
config_check_rectify_templates(struct config_ctx *ctx)
{
	const struct config		*cf = ctx->cf;
	const struct config_need	*n;
	const struct template_entry	*te;
	size_t				 i, j;

	for (i = 0; i < ctx->nneeds; i++) {
		n = &ctx->needs[i];
		if (n->rectify || config_need_seen(ctx, i))
			continue;
		for (j = 0; j < cf->ntemplates; j++) {
			te = &cf->templates[j];
			if (strcmp(te->name, n->name) != 0 ||
			    !config_template_uses(&te->set, "rectify_deadline"))
				continue;
			if (n->stage != NULL)
				config_error_at(ctx, n->file, n->line,
				    "stage '%s': template %s uses "
				    "{rectify_deadline}, but the stage sets no "
				    "'rectify'", n->stage, te->path);
			else
				config_error_at(ctx, te->path, 0,
				    "{rectify_deadline} is known only to a "
				    "stage that sets 'rectify', not to the "
				    "'%s' notice", n->name);
			break;
		}
	}
}

/* Load every template the policies need. */
static void
config_load_templates(struct config_ctx *ctx)
{
	size_t	 i;

	if (ctx->tmpldir == NULL)
		return;
	/* "done", "test" and "verify-fail" (a 告知承诺 commitment that
	 * failed verification) are loaded whenever they exist. */
	config_need_template(ctx, "done", ctx->types, 0, ctx->cf->path, 0);
	config_need_template(ctx, "test", ctx->types, 0, ctx->cf->path, 0);
	config_need_template(ctx, "verify-fail", ctx->types, 0, ctx->cf->path,
	    0);
	for (i = 0; i < ctx->nneeds; i++)
		config_template_load(ctx, &ctx->needs[i]);
	config_check_rectify_templates(ctx);
}

/* ------------------------------------------------------------------ */
/* Loading. */

/* The file named by an "@include" on a line of a file, or NULL. */
static char *
config_include_name(const char *file, int line)
{
	FILE	*f;
	char	 buf[BUFSIZ], *p, *q;
	int	 n = 0;

	if ((f = fopen(file, "r")) == NULL)
		return (NULL);
	while (fgets(buf, sizeof buf, f) != NULL) {
		if (++n != line)
			continue;
		fclose(f);
		if ((p = strstr(buf, "@include")) == NULL ||
		    (p = strchr(p, '"')) == NULL ||
		    (q = strchr(p + 1, '"')) == NULL)
			return (NULL);
		return (xstrndup(p + 1, q - p - 1));
	}
	fclose(f);
	return (NULL);
}

/*
 * The file name of the @include starting at p (just after its opening
 * quote), as libconfig 1.5's scanner reads it: up to the next unescaped
 * quote, across lines, with \\ and \" unescaped, each run of plain
 * characters taken up to its first NUL byte.  NULL when it never ends;
 * *next is where scanning goes on.
 */
static char *
config_include_at(const char *p, const char *end, const char **next)
{
	char		*name = xstrdup(""), *tmp;
	const char	*run;
	size_t		 n;

	while (p < end && *p != '"') {
		if (*p == '\\') {
			if (p + 1 < end && (p[1] == '\\' || p[1] == '"')) {
				xasprintf(&tmp, "%s%c", name, p[1]);
				free(name);
				name = tmp;
				p += 2;
			} else
				p++;	/* no rule: flex echoes it */
			continue;
		}
		for (run = p; p < end && *p != '"' && *p != '\\'; p++)
			;
		n = strnlen(run, p - run);
		xasprintf(&tmp, "%s%.*s", name, (int)n, run);
		free(name);
		name = tmp;
	}
	if (p >= end) {
		free(name);
		*next = end;
		return (NULL);
	}
	*next = p + 1;
	return (name);
}

/*
 * Check that the main file and everything it @includes (as far as the
 * includes can be found) are regular files.  libconfig 1.5 opens a
 * directory without complaint and its scanner then calls exit(2) ("input
 * in flex scanner failed"): a typo such as @include "calendar" would
 * otherwise kill the daemon on reload.  Missing files and include cycles
 * are left to libconfig, which reports them; each file is read once.
 * An @include inside a block comment is checked too: harmless, unless it
 * names a directory.
 */
static int
config_check_files(struct config_ctx *ctx, const char *path, const char *from,
    int line, char ***seen, size_t *nseen)
{
	struct stat	 sb;
	FILE		*f;
	char		*buf = NULL, *inc, *incpath;
	const char	*p, *end, *next;
	size_t		 len = 0, got, i;
	int		 n = 1, rc = 0;

	for (i = 0; i < *nseen; i++)
		if (strcmp((*seen)[i], path) == 0)
			return (0);
	*seen = xreallocarray(*seen, *nseen + 1, sizeof **seen);
	(*seen)[(*nseen)++] = xstrdup(path);
	sb.st_size = 0;
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if (from == NULL)
			config_error_at(ctx, path, 0, "cannot read: not a"
			    " regular file");
		else
			config_error_at(ctx, from, line, "cannot include %s:"
			    " not a regular file", path);
		return (-1);
	}
	if ((f = fopen(path, "r")) == NULL)
		return (0);
	/* Never more than one byte over the limit (it may grow meanwhile). */
	buf = xmalloc(CONFIG_FILE_MAX + 1);
	while (len <= CONFIG_FILE_MAX && sb.st_size <= CONFIG_FILE_MAX &&
	    (got = fread(buf + len, 1, CONFIG_FILE_MAX + 1 - len, f)) > 0)
		len += got;
	fclose(f);
	if (len > CONFIG_FILE_MAX || sb.st_size > CONFIG_FILE_MAX) {
		config_error_at(ctx, path, 0, "file too large (%lld bytes;"
		    " the limit is %d)", (long long)(sb.st_size > (off_t)len ?
		    sb.st_size : (off_t)len), CONFIG_FILE_MAX);
		free(buf);
		return (-1);
	}
	if (config_prescan(path, buf, len, CONFIG_VALUE_MAX,
	    CONFIG_LINE_MAX, &inc) != 0) {
		config_problem(ctx, inc);
		free(buf);
		return (-1);
	}
	end = buf + len;
	/* Every line start: [ \t]*@include[ \t]+" begins an include. */
	for (p = buf; rc == 0 && p < end; ) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p > 8 && memcmp(p, "@include", 8) == 0 &&
		    (p[8] == ' ' || p[8] == '\t')) {
			for (p += 8; p < end && (*p == ' ' || *p == '\t'); p++)
				;
			if (p < end && *p == '"') {
				inc = config_include_at(p + 1, end, &next);
				if (inc != NULL) {
					incpath = config_path(ctx, inc);
					rc = config_check_files(ctx, incpath, path,
					    n, seen, nseen);
					free(incpath);
					free(inc);
				}
				for (; p < next; p++)
					if (*p == '\n')
						n++;
			}
		}
		while (p < end && *p != '\n')
			p++;
		if (p < end) {
			p++;
			n++;
		}
	}
	free(buf);
	return (rc);
}

/* How many lines a file has (a last one without a newline counts). */
static int
config_lines(const char *path)
{
	FILE	*f;
	int	 c, last = '\n', n = 0;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	while ((c = getc(f)) != EOF) {
		if (c == '\n')
			n++;
		last = c;
	}
	fclose(f);
	return (last == '\n' ? n : n + 1);
}

/* Whether p[0..end) holds nothing but blanks and a comment. */
static int
config_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return (p == end || *p == '#' || (end - p >= 2 && p[0] == '/' &&
	    p[1] == '/'));
}

/* Where the file name of an "@include" line stands (after its blanks),
 * the line's start p skipped past its indentation; NULL: not one. */
static const char *
config_include_line(const char *p, const char *eol)
{
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (eol - p <= 9 || memcmp(p, "@include", 8) != 0 ||
	    (p[8] != ' ' && p[8] != '\t'))
		return (NULL);
	for (p += 8; p < eol && (*p == ' ' || *p == '\t'); p++)
		;
	return (p);
}

/*
 * libconfig 1.5 reports a syntax error at the very end of an included file
 * in the file that included it: the parser sees it only at the next token,
 * when the scanner is back in the includer.  When the error at file:line
 * follows an @include with nothing but blank and comment lines between,
 * the included file is parsed alone; a syntax error there is the one to
 * show (and its own last @include's, the same way).  NULL: none.
 */
static char *
config_include_error(struct config_ctx *ctx, const char *file, int line,
    int depth)
{
	config_t	 lc;
	struct stat	 sb;
	FILE		*f;
	char		*buf, *inc = NULL, *incpath, *deeper, *out = NULL;
	const char	*p, *q, *end, *eol, *next, *text, *efile;
	size_t		 len;
	int		 n, incline = 0;

	if (depth > 10 || (f = fopen(file, "r")) == NULL)
		return (NULL);
	buf = xmalloc(CONFIG_FILE_MAX + 1);
	len = fread(buf, 1, CONFIG_FILE_MAX, f);
	fclose(f);
	end = buf + len;
	for (p = buf, n = 1; p < end && n < line; p = eol + 1, n++) {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if ((q = config_include_line(p, eol)) != NULL) {
			free(inc);
			inc = NULL;
			if (q < eol && *q == '"' && (inc = config_include_at(
			    q + 1, eol, &next)) != NULL &&
			    !config_blank(next, eol)) {
				free(inc);
				inc = NULL;
			}
			incline = n;
		} else if (!config_blank(p, eol)) {
			free(inc);
			inc = NULL;
		}
	}
	/* On the error's line itself may stand the token after it. */
	if (n == line && p < end) {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if ((q = config_include_line(p, eol)) != NULL) {
			free(inc);
			inc = NULL;
			if (q < eol && *q == '"')
				inc = config_include_at(q + 1, eol, &next);
			incline = n;
		}
	}
	free(buf);
	if (inc == NULL)
		return (NULL);
	incpath = config_path(ctx, inc);
	free(inc);
	if (stat(incpath, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		free(incpath);
		return (NULL);
	}
	config_init(&lc);
	if (config_read_file(&lc, incpath) != CONFIG_TRUE &&
	    config_error_type(&lc) == CONFIG_ERR_PARSE &&
	    (text = config_error_text(&lc)) != NULL &&
	    strcmp(text, "cannot open include file") != 0 &&
	    (efile = config_error_file(&lc)) != NULL &&
	    strcmp(efile, incpath) == 0) {
		deeper = config_include_error(ctx, incpath,
		    config_error_line(&lc), depth + 1);
		/* At the end of the file libconfig counts the line after
		 * the last newline: show the last line. */
		n = config_error_line(&lc);
		if (n > 1 && n > config_lines(incpath))
			n = config_lines(incpath);
		if (deeper != NULL)
			out = deeper;
		else
			xasprintf(&out, "%s:%d: %s (at the end of the file"
			    " included from %s:%d)", incpath, n, text, file,
			    incline);
	}
	config_destroy(&lc);
	free(incpath);
	return (out);
}

/*
 * Read the main file with the process in its directory.  libconfig 1.5
 * joins its include directory to every @include path, absolute ones too;
 * reading from the main file's directory with no include directory set
 * resolves relative includes the same way and leaves absolute ones alone.
 * The working directory is restored before returning.
 */
static int
config_read_in_dir(struct config_ctx *ctx, config_t *lc, const char *path)
{
	const char	*base;
	int		 here, rc;

	if ((here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (config_read_file(lc, path) == CONFIG_TRUE ? 0 : -1);
	base = path;
	if (*path != '/' && strcmp(ctx->dir, ".") != 0) {
		base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
		if (chdir(ctx->dir) == -1) {
			close(here);
			return (config_read_file(lc, path) == CONFIG_TRUE ?
			    0 : -1);
		}
	} else if (*path == '/' && chdir(ctx->dir) == -1) {
		close(here);
		return (config_read_file(lc, path) == CONFIG_TRUE ? 0 : -1);
	}
	rc = config_read_file(lc, base) == CONFIG_TRUE ? 0 : -1;
	if (fchdir(here) == -1)
		rc = -1;
	close(here);
	return (rc);
}

/* Read the main file and its includes; -1 (reported) on failure. */
static int
config_parse_file(struct config_ctx *ctx, config_t *lc)
{
	const char	*path = ctx->cf->path, *file, *text;
	char		*inc, *incpath, **seen = NULL;
	size_t		 nseen = 0, i;
	FILE		*f;
	int		 rc;

	if ((f = fopen(path, "r")) == NULL) {
		config_error_at(ctx, path, 0, "cannot open: %s",
		    strerror(errno));
		return (-1);
	}
	fclose(f);
	rc = config_check_files(ctx, path, NULL, 0, &seen, &nseen);
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	if (rc != 0)
		return (-1);
	if (config_read_in_dir(ctx, lc, path) == 0)
		return (0);

	text = config_error_text(lc) != NULL ? config_error_text(lc) :
	    "cannot read";
	if (config_error_type(lc) == CONFIG_ERR_FILE_IO) {
		config_error_at(ctx, path, 0, "%s", text);
		return (-1);
	}
	file = config_intern(ctx, config_error_file(lc));
	if (strcmp(text, "cannot open include file") == 0 &&
	    (inc = config_include_name(file, config_error_line(lc))) !=
	    NULL) {
		incpath = config_path(ctx, inc);
		config_error_at(ctx, file, config_error_line(lc),
		    "cannot open include file %s", incpath);
		free(incpath);
		free(inc);
		return (-1);
	}
	if (config_error_type(lc) == CONFIG_ERR_PARSE &&
	    (inc = config_include_error(ctx, file, config_error_line(lc),
	    0)) != NULL) {
		config_problem(ctx, inc);
		return (-1);
	}
	config_error_at(ctx, file, config_error_line(lc), "%s", text);
	return (-1);
}

/* Report top-level settings that are neither known nor calendars. */
static void
config_check_main_keys(struct config_ctx *ctx, const config_setting_t *root)
{
	const config_setting_t	*s;
	const char		*name;
	int			 i;

	for (i = 0; (s = config_setting_get_elem(root, i)) != NULL; i++) {
		name = config_setting_name(s);
		if (config_in(config_main_keys, name) ||
		    config_calendar_year(name) != -1)
			continue;
		config_error(ctx, s, "unknown setting '%s'", name);
	}
}

/* Load and validate a configuration; NULL with every problem appended
 * to *problems when anything is wrong. */
struct config *
config_load(const char *path, char ***problems, size_t *nproblems)
{
	struct config_ctx	 ctx;
	struct config		*cf;
	config_t		 lc;
	const config_setting_t	*root;
	size_t			 i, start = *nproblems;

	cf = xcalloc(1, sizeof *cf);
	cf->refs = 1;
	TAILQ_INIT(&cf->channels);
	cf->path = xstrdup(path);
	cf->calendar = calendar_new();

	memset(&ctx, 0, sizeof ctx);
	ctx.cf = cf;
	ctx.dir = config_dirname(path);
	ctx.problems = *problems;
	ctx.nproblems = *nproblems;

	config_init(&lc);
	if (config_parse_file(&ctx, &lc) == 0) {
		root = config_root_setting(&lc);
		config_check_main_keys(&ctx, root);
		config_parse_main(&ctx, root);
		config_parse_calendars(&ctx, root);
		config_parse_windows(&ctx, root);
		config_parse_channels(&ctx, root);
		config_parse_organisation(&ctx, root);
		config_check_roles(&ctx, root);
		config_parse_policies(&ctx, root);
		config_check_mentions(&ctx);
		config_parse_reports(&ctx, root);
		config_load_templates(&ctx);
	}
	config_destroy(&lc);

	free(ctx.dir);
	free(ctx.tmpldir);
	free(ctx.needs);
	for (i = 0; i < ctx.nfailed; i++)
		free(ctx.failed[i]);
	free(ctx.failed);
	*problems = ctx.problems;
	*nproblems = ctx.nproblems;
	if (ctx.nproblems != start) {
		config_free(cf);
		return (NULL);
	}
	return (cf);
}

/* ------------------------------------------------------------------ */
/* Freeing. */

/* Free one channel, wiping its credentials. */
static void
config_free_channel(struct channel *c)
{
	free(c->name);
	free(c->url);
	config_free_secret(c->key);
	config_free_secret(c->secret);
	config_free_strings(c->keywords, c->nkeywords);
	free(c);
}

/* Free one policy's contents. */
static void
config_free_policy(struct policy *p)
{
	struct stage	*st;
	size_t		 i, j;

	free(p->name);
	free(p->track);
	config_free_strings(p->categories, p->ncategories);
	config_free_strings(p->departments, p->ndepartments);
	config_free_strings(p->kinds, p->nkinds);
	config_free_strings(p->modes, p->nmodes);
	for (i = 0; i < p->nstages; i++) {
		st = &p->stages[i];
		free(st->name);
		free(st->label);
		for (j = 0; j < st->nto; j++)
			free(st->to[j].channel);
		free(st->to);
		free(st->template);
		free(st->severity);
	}
	free(p->stages);
}

/* Free one report's contents. */
static void
config_free_report(struct report_conf *r)
{
	free(r->name);
	free(r->group);
	free(r->days);
	config_free_strings(r->channels, r->nchannels);
}

/*
 * One more holder of an immutable configuration: a simulation running in
 * a thread of its own keeps the rules it started with across a reload.
 * Every holder calls config_free() once.
 */
struct config *
config_ref(struct config *cf)
{
	__atomic_add_fetch(&cf->refs, 1, __ATOMIC_ACQ_REL);
	return (cf);
}

/* Free the people, departments and groups. */
static void
config_free_organisation(struct config *cf)
{
	size_t	 i;

	for (i = 0; i < cf->npeople; i++) {
		free(cf->people[i].id);
		free(cf->people[i].name);
		free(cf->people[i].role);
		free(cf->people[i].mobile);
		free(cf->people[i].wecom);
		free(cf->people[i].dingtalk);
		free(cf->people[i].feishu);
	}
	free(cf->people);
	for (i = 0; i < cf->ndepartments; i++) {
		free(cf->departments[i].name);
		free(cf->departments[i].level);
		free(cf->departments[i].region);
		free(cf->departments[i].contact);
		free(cf->departments[i].channel);
	}
	free(cf->departments);
	for (i = 0; i < cf->ngroups; i++) {
		free(cf->groups[i].name);
		free(cf->groups[i].leader);
		config_free_strings(cf->groups[i].members,
		    cf->groups[i].nmembers);
		free(cf->groups[i].channel);
		config_free_strings(cf->groups[i].categories,
		    cf->groups[i].ncategories);
	}
	free(cf->groups);
}

/* Free a configuration and everything it owns. */
void
config_free(struct config *cf)
{
	struct channel	*c;
	size_t		 i;

	if (cf == NULL)
		return;
	/* Only the last holder frees it (see config_ref()). */
	if (__atomic_fetch_sub(&cf->refs, 1, __ATOMIC_ACQ_REL) > 1)
		return;
	free(cf->path);
	free(cf->database);
	free(cf->timezone);
	free(cf->socket);
	free(cf->listen);
	free(cf->listen_host);
	config_free_secret(cf->api_token);
	config_free_secret(cf->link_secret);
	free(cf->public_url);
	for (i = 0; i < cf->ntokens; i++) {
		free(cf->tokens[i].name);
		config_free_secret(cf->tokens[i].token);
	}
	free(cf->tokens);
	free(cf->link_base);
	free(cf->admin_channel);
	free(cf->head);
	free(cf->head_channel);
	calendar_free(cf->calendar);
	while ((c = TAILQ_FIRST(&cf->channels)) != NULL) {
		TAILQ_REMOVE(&cf->channels, c, entry);
		config_free_channel(c);
	}
	for (i = 0; i < cf->nwindows; i++)
		free(cf->windows[i].name);
	free(cf->windows);
	config_free_organisation(cf);
	for (i = 0; i < cf->npolicies; i++)
		config_free_policy(&cf->policies[i]);
	free(cf->policies);
	for (i = 0; i < cf->nreports; i++)
		config_free_report(&cf->reports[i]);
	free(cf->reports);
	for (i = 0; i < cf->ntemplates; i++) {
		free(cf->templates[i].name);
		free(cf->templates[i].path);
		template_set_clear(&cf->templates[i].set);
	}
	free(cf->templates);
	config_free_strings(cf->warnings, cf->nwarnings);
	config_free_strings(cf->placeholders, cf->nplaceholders);
	config_free_strings(cf->files, cf->nfiles);
	free(cf);
}

/* Free a problem list returned by config_load(). */
void
config_problems_free(char **problems, size_t n)
{
	config_free_strings(problems, n);
}

/* ------------------------------------------------------------------ */
/* Lookups. */

/* A channel by name, or NULL. */
struct channel *
config_channel(const struct config *cf, const char *name)
{
	struct channel	*c;

	TAILQ_FOREACH(c, &cf->channels, entry) {
		if (strcmp(c->name, name) == 0)
			return (c);
	}
	return (NULL);
}

/* SHA-256 of s: tokens are compared as digests, in constant time. */
static void
config_digest(const char *s, size_t len, unsigned char md[32])
{
	unsigned int	 n = 32;

	if (EVP_Digest(s, len, md, &n, EVP_sha256(), NULL) != 1)
		memset(md, 0, 32);
}

/*
 * The name of the configured API token equal to token, or NULL (the API's
 * bearer token, the board's login).  Every configured token is compared,
 * each in constant time, whichever matches; the token itself is never
 * copied into anything logged or answered.
 */
const char *
config_token(const struct config *cf, const char *token)
{
	unsigned char	 got[32], want[32];
	const char	*name = NULL;
	size_t		 i;

	if (token == NULL)
		return (NULL);
	config_digest(token, strlen(token), got);
	for (i = 0; i < cf->ntokens; i++) {
		config_digest(cf->tokens[i].token,
		    strlen(cf->tokens[i].token), want);
		if (CRYPTO_memcmp(got, want, sizeof got) == 0 && name == NULL)
			name = cf->tokens[i].name;
	}
	OPENSSL_cleanse(got, sizeof got);
	OPENSSL_cleanse(want, sizeof want);
	return (name);
}

/* A person by id, else by name, or NULL. */
const struct person *
config_person(const struct config *cf, const char *id_or_name)
{
	size_t	 i;

	for (i = 0; i < cf->npeople; i++) {
		if (strcmp(cf->people[i].id, id_or_name) == 0)
			return (&cf->people[i]);
	}
	for (i = 0; i < cf->npeople; i++) {
		if (strcmp(cf->people[i].name, id_or_name) == 0)
			return (&cf->people[i]);
	}
	return (NULL);
}

/* A department by name, or NULL. */
const struct department *
config_department(const struct config *cf, const char *name)
{
	size_t	 i;

	for (i = 0; i < cf->ndepartments; i++) {
		if (strcmp(cf->departments[i].name, name) == 0)
			return (&cf->departments[i]);
	}
	return (NULL);
}

/* The group whose categories contain a category, or NULL. */
const struct group *
config_group_for(const struct config *cf, const char *category)
{
	size_t	 i, j;

	if (category == NULL)
		return (NULL);
	for (i = 0; i < cf->ngroups; i++) {
		for (j = 0; j < cf->groups[i].ncategories; j++) {
			if (strcmp(cf->groups[i].categories[j], category) == 0)
				return (&cf->groups[i]);
		}
	}
	return (NULL);
}

/* A group by name, or NULL. */
const struct group *
config_group(const struct config *cf, const char *name)
{
	size_t	 i;

	for (i = 0; i < cf->ngroups; i++) {
		if (strcmp(cf->groups[i].name, name) == 0)
			return (&cf->groups[i]);
	}
	return (NULL);
}

/* A send window by index; NULL for -1 or out of range. */
const struct window *
config_window(const struct config *cf, int i)
{
	if (i < 0 || (size_t)i >= cf->nwindows)
		return (NULL);
	return (&cf->windows[i]);
}

/* Whether two optional strings are equal. */
static int
config_str_same(const char *a, const char *b)
{
	return (a == b || (a != NULL && b != NULL && strcmp(a, b) == 0));
}

/* Whether two string lists are equal. */
static int
config_strs_same(char **a, size_t na, char **b, size_t nb)
{
	size_t	 i;

	if (na != nb)
		return (0);
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return (0);
	return (1);
}

/* Whether two send windows (or none) are the same. */
static int
config_window_same(const struct window *a, const struct window *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (a->workdays_only == b->workdays_only &&
	    a->start_min == b->start_min && a->end_min == b->end_min);
}

/*
 * Whether the policy named name escalates alike in both configurations:
 * the same track and matches, window, stale limit and stages (offsets,
 * repeats, urgency and rectification).  A reload keeps the ladder timing
 * of the tracks whose policy is the same.
 */
int
config_policy_same(const struct config *a, const struct config *b,
    const char *name)
{
	const struct policy	*p = config_policy(a, name);
	const struct policy	*q = config_policy(b, name);
	size_t			 i;

	if (p == NULL || q == NULL || strcmp(p->track, q->track) != 0 ||
	    p->nstages != q->nstages || p->done_notice != q->done_notice ||
	    p->stale_after.unit != q->stale_after.unit ||
	    p->stale_after.n != q->stale_after.n ||
	    !config_strs_same(p->categories, p->ncategories, q->categories,
	    q->ncategories) ||
	    !config_strs_same(p->departments, p->ndepartments,
	    q->departments, q->ndepartments) ||
	    !config_strs_same(p->kinds, p->nkinds, q->kinds, q->nkinds) ||
	    !config_strs_same(p->modes, p->nmodes, q->modes, q->nmodes) ||
	    !config_window_same(config_window(a, p->window),
	    config_window(b, q->window)))
		return (0);
	for (i = 0; i < p->nstages; i++) {
		const struct stage *x = &p->stages[i], *y = &q->stages[i];
		if (strcmp(x->name, y->name) != 0 ||
		    x->offset.unit != y->offset.unit ||
		    x->offset.n != y->offset.n ||
		    x->repeat.unit != y->repeat.unit ||
		    x->repeat.n != y->repeat.n || x->urgent != y->urgent ||
		    x->rectify.unit != y->rectify.unit ||
		    x->rectify.n != y->rectify.n ||
		    !config_str_same(x->template, y->template))
			return (0);
	}
	return (1);
}

/* Whether a match list is empty or holds the value. */
static int
config_match(char *const *list, size_t n, const char *value)
{
	size_t	 i;

	if (n == 0)
		return (1);
	if (value == NULL)
		return (0);
	for (i = 0; i < n; i++) {
		if (strcmp(list[i], value) == 0)
			return (1);
	}
	return (0);
}

/* The first policy of a track whose match lists all accept the item. */
const struct policy *
config_policy_for(const struct config *cf, const char *track,
    const char *category, const char *department, const char *kind,
    const char *mode)
{
	const struct policy	*p;
	size_t			 i;

	for (i = 0; i < cf->npolicies; i++) {
		p = &cf->policies[i];
		if (strcmp(p->track, track) != 0)
			continue;
		if (config_match(p->categories, p->ncategories, category) &&
		    config_match(p->departments, p->ndepartments,
		    department) &&
		    config_match(p->kinds, p->nkinds, kind) &&
		    config_match(p->modes, p->nmodes, mode))
			return (p);
	}
	return (NULL);
}

/* A policy by name, or NULL. */
const struct policy *
config_policy(const struct config *cf, const char *name)
{
	size_t	 i;

	for (i = 0; i < cf->npolicies; i++) {
		if (strcmp(cf->policies[i].name, name) == 0)
			return (&cf->policies[i]);
	}
	return (NULL);
}

/* The templates of a name for a channel type: the type's own file, else
 * the plain fallback; NULL when neither was loaded.  Pass the type -1 for
 * the plain file itself (what "text" format channels send). */
const struct template_set *
config_template(const struct config *cf, const char *name,
    enum channel_type type)
{
	const struct template_entry	*te;

	if ((te = config_template_entry(cf, name, (int)type)) == NULL &&
	    (te = config_template_entry(cf, name, -1)) == NULL)
		return (NULL);
	return (&te->set);
}

/* ------------------------------------------------------------------ */
/* Durations. */

/*
 * Parse "[+|-]N[unit]": unit s, m or h (kept in seconds), d (calendar
 * days), wd (working days); no unit means seconds.  -1 on anything else.
 */
int
config_parse_duration(const char *s, struct duration *d)
{
	const char	*p = s;
	int64_t		 n = 0, mult = 1, max;
	enum dur_unit	 unit = DUR_SECONDS;
	int		 neg = 0;

	if (s == NULL)
		return (-1);
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return (-1);
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > (int64_t)CONFIG_DUR_MAX_DAYS * 86400)
			return (-1);
	}
	if (*p == '\0' || strcmp(p, "s") == 0)
		mult = 1;
	else if (strcmp(p, "m") == 0)
		mult = 60;
	else if (strcmp(p, "h") == 0)
		mult = 3600;
	else if (strcmp(p, "d") == 0)
		unit = DUR_DAYS;
	else if (strcmp(p, "wd") == 0)
		unit = DUR_WORKDAYS;
	else
		return (-1);
	max = unit == DUR_SECONDS ? (int64_t)CONFIG_DUR_MAX_DAYS * 86400 :
	    CONFIG_DUR_MAX_DAYS;
	if (n > max / mult)
		return (-1);
	d->unit = unit;
	d->n = neg ? -n * mult : n * mult;
	return (0);
}

/* Write a duration the way config_parse_duration() reads it back:
 * "-2wd", "3d", "2h", "15m", "30s". */
void
config_format_duration(const struct duration *d, char *buf, size_t len)
{
	long long	 n = d->n;

	switch (d->unit) {
	case DUR_DAYS:
		snprintf(buf, len, "%lldd", n);
		break;
	case DUR_WORKDAYS:
		snprintf(buf, len, "%lldwd", n);
		break;
	case DUR_SECONDS:
		if (n != 0 && n % 3600 == 0)
			snprintf(buf, len, "%lldh", n / 3600);
		else if (n != 0 && n % 60 == 0)
			snprintf(buf, len, "%lldm", n / 60);
		else
			snprintf(buf, len, "%llds", n);
		break;
	}
}
