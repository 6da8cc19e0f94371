/*
 * Message templates.  A template is text with {name} placeholders ("{{" and
 * "}}" are literal braces), compiled once into a list of literal and
 * placeholder segments so that rendering cannot fail.  A template file holds
 * the sections of one grouped message: @title, @header, @item (rendered once
 * per item) and @footer.  Pure: no I/O, no clock, no logging; errors are
 * returned as strings for the caller to show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

/* One piece of a compiled template: literal text, a placeholder name, or
 * the start of an optional line ("?" at the start of a template line: the
 * line is left out when a placeholder on it renders empty, so that a
 * notice never shows a label with nothing after it). */
enum template_seg_kind { SEG_TEXT, SEG_PLACEHOLDER, SEG_OPTIONAL };
struct template_seg {
	int	 placeholder;		/* enum template_seg_kind */
	char	*text;			/* NULL for SEG_OPTIONAL */
};

struct template {
	struct template_seg	*segs;
	size_t			 nsegs;
};

/* A growing byte string, always NUL-terminated once data is set. */
struct template_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
};

/* One content line of a template file section, pointing into the text. */
struct template_line {
	const char	*p;
	size_t		 len;
	int		 lineno;	/* in the whole file */
};

/* What template_set_parse gathers for one section before compiling it. */
struct template_section {
	int			 seen;
	int			 lineno;	/* of the @marker */
	struct template_line	*lines;
	size_t			 nlines;
};

enum {
	TEMPLATE_TITLE,
	TEMPLATE_HEADER,
	TEMPLATE_ITEM,
	TEMPLATE_FOOTER,
	TEMPLATE_NSECTIONS
};

/* Placeholders of the per-message sections (@title, @header, @footer). */
const char *const template_group_names[] = {
	"stage",	/* "reminder" */
	"stage_label",	/* "催办" */
	"group",	/* work group name */
	"category",	/* project category of the group */
	"count",	/* items in the whole message */
	"now",		/* time of rendering */
	"part",		/* " (1/3)" when split, else empty */
	"mentions",	/* channel-specific @-mention text */
	"severity",	/* info, warning, critical */
	"channel",	/* channel name */
	NULL
};

/* Placeholders of the @item section. */
const char *const template_item_names[] = {
	"project",
	"project_code",
	"item",		/* the approval item, e.g. "施工许可" */
	"department",
	"handler",
	"deadline",
	"overdue_days",	/* working days past the deadline */
	"days_left",	/* working days to the deadline */
	"stage",
	"stage_label",
	"group",
	"category",
	"region",
	"mode",		/* 容缺受理, 告知承诺, 预审 */
	"reason",	/* why blocked or escalated */
	"link",		/* may be empty */
	"answer_link",	/* signed action link (public_url); may be empty */
	"index",	/* 1-based position in the message */
	"accepted",	/* date accepted */
	"rectify_deadline", /* the rectification deadline an interview sets:
			   only for a stage with "rectify" */
	NULL
};

/* Append n bytes to a buffer (256 bytes at first: most rendered lines
 * fit without growing it). */
static void
template_buf_add(struct template_buf *b, const char *s, size_t n)
{
	if (b->size - b->len <= n || b->data == NULL) {
		while (b->size - b->len <= n)
			b->size = b->size == 0 ? 256 : b->size * 2;
		b->data = xreallocarray(b->data, 1, b->size);
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* Hand the buffer's string to the caller (never NULL) and reset it. */
static char *
template_buf_take(struct template_buf *b)
{
	char	*s;

	s = b->data != NULL ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->size = 0;
	return (s);
}

/* Append a segment; the template takes ownership of text. */
static void
template_add_seg(struct template *t, int placeholder, char *text)
{
	t->segs = xreallocarray(t->segs, t->nsegs + 1, sizeof *t->segs);
	t->segs[t->nsegs].placeholder = placeholder;
	t->segs[t->nsegs].text = text;
	t->nsegs++;
}

/* Turn accumulated literal text into a segment, if there is any. */
static void
template_flush_literal(struct template *t, struct template_buf *lit)
{
	if (lit->len != 0)
		template_add_seg(t, 0, template_buf_take(lit));
}

/* Return 1 if s[0..n) is a placeholder name: [a-z_][a-z0-9_]*. */
static int
template_name_valid(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return (0);
	for (i = 1; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return (0);
	}
	return (1);
}

/* Return 1 if s[0..n) is in the NULL-terminated list (NULL allows any). */
static int
template_name_allowed(const char *const *allowed, const char *s, size_t n)
{
	if (allowed == NULL)
		return (1);
	for (; *allowed != NULL; allowed++) {
		if (strlen(*allowed) == n && memcmp(*allowed, s, n) == 0)
			return (1);
	}
	return (0);
}

/*
 * Compile text; on error return NULL with *line (1-based, within text) and
 * *msg (malloc'd, without the line) set, so callers can map the line.
 */
static struct template *
template_compile(const char *text, const char *const *allowed, int *line,
    char **msg)
{
	struct template		*t;
	struct template_buf	 lit = { NULL, 0, 0 };
	const char		*p, *q;
	size_t			 n;
	int			 lineno = 1;

	t = xcalloc(1, sizeof *t);
	for (p = text; *p != '\0'; p++) {
		if (*p == '?' && (p == text || p[-1] == '\n')) {
			template_flush_literal(t, &lit);
			template_add_seg(t, SEG_OPTIONAL, NULL);
			continue;
		}
		if (*p == '{' && p[1] == '{') {
			template_buf_add(&lit, "{", 1);
			p++;
			continue;
		}
		if (*p == '}' && p[1] == '}') {
			template_buf_add(&lit, "}", 1);
			p++;
			continue;
		}
		if (*p == '}') {
			xasprintf(msg, "unbalanced }");
			goto fail;
		}
		if (*p != '{') {
			if (*p == '\n')
				lineno++;
			template_buf_add(&lit, p, 1);
			continue;
		}

		/* A placeholder ends on the same line, before any other brace. */
		for (q = p + 1; *q != '\0' && *q != '}' && *q != '{' &&
		    *q != '\n'; q++)
			/* nothing */;
		if (*q != '}') {
			xasprintf(msg, "unterminated placeholder");
			goto fail;
		}
		n = (size_t)(q - (p + 1));
		if (!template_name_valid(p + 1, n)) {
			xasprintf(msg, "invalid placeholder {%.*s}", (int)n,
			    p + 1);
			goto fail;
		}
		if (!template_name_allowed(allowed, p + 1, n)) {
			xasprintf(msg, "unknown placeholder {%.*s}", (int)n,
			    p + 1);
			goto fail;
		}
		template_flush_literal(t, &lit);
		template_add_seg(t, SEG_PLACEHOLDER, xstrndup(p + 1, n));
		p = q;
	}
	template_flush_literal(t, &lit);
	return (t);

fail:
	*line = lineno;
	free(lit.data);
	template_free(t);
	return (NULL);
}

/* Compile text, checking placeholders against allowed (NULL: any name). */
struct template *
template_parse(const char *text, const char *const *allowed, char **err)
{
	struct template	*t;
	char		*msg;
	int		 line;

	if ((t = template_compile(text, allowed, &line, &msg)) == NULL) {
		if (err != NULL)
			xasprintf(err, "line %d: %s", line, msg);
		free(msg);
	}
	return (t);
}

/* Free a template; NULL is allowed. */
void
template_free(struct template *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nsegs; i++)
		free(t->segs[i].text);
	free(t->segs);
	free(t);
}

/* Return 1 if the template has a placeholder called name. */
int
template_uses(const struct template *t, const char *name)
{
	size_t	i;

	if (t == NULL)
		return (0);
	for (i = 0; i < t->nsegs; i++) {
		if (t->segs[i].placeholder == SEG_PLACEHOLDER &&
		    strcmp(t->segs[i].text, name) == 0)
			return (1);
	}
	return (0);
}

/*
 * Render into a new string; placeholders the lookup returns NULL for
 * become empty.  An optional line ("?" at its start) is left out, with its
 * line break, when any placeholder on it renders empty.
 */
char *
template_render(const struct template *t, template_lookup_fn lookup,
    void *arg)
{
	struct template_buf	 out = { NULL, 0, 0 };
	const char		*v, *nl;
	size_t			 i, start = 0;
	int			 optional = 0, drop = 0;

	if (t == NULL)
		return (xstrdup(""));
	for (i = 0; i < t->nsegs; i++) {
		switch (t->segs[i].placeholder) {
		case SEG_OPTIONAL:
			optional = 1;
			drop = 0;
			start = out.len;
			continue;
		case SEG_PLACEHOLDER:
			if (lookup == NULL ||
			    (v = lookup(arg, t->segs[i].text)) == NULL)
				v = "";
			if (optional && *v == '\0')
				drop = 1;
			break;
		default:
			v = t->segs[i].text;
			if (optional && (nl = strchr(v, '\n')) != NULL) {
				/* The optional line ends here. */
				if (drop) {
					out.len = start;
					v = nl + 1;
				}
				optional = drop = 0;
			}
			break;
		}
		template_buf_add(&out, v, strlen(v));
	}
	if (optional && drop)
		out.len = start;
	if (out.data != NULL)
		out.data[out.len] = '\0';
	return (template_buf_take(&out));
}

/* The marker word of a section, without the '@'. */
static const char *
template_section_name(int kind)
{
	switch (kind) {
	case TEMPLATE_TITLE:
		return ("title");
	case TEMPLATE_HEADER:
		return ("header");
	case TEMPLATE_ITEM:
		return ("item");
	case TEMPLATE_FOOTER:
		return ("footer");
	}
	return ("?");
}

/* Map a marker word s[0..n) to its section, or -1. */
static int
template_section_kind(const char *s, size_t n)
{
	int	kind;

	for (kind = 0; kind < TEMPLATE_NSECTIONS; kind++) {
		if (strlen(template_section_name(kind)) == n &&
		    memcmp(template_section_name(kind), s, n) == 0)
			return (kind);
	}
	return (-1);
}

/* Return 1 if s[0..n) is space, tab or CR only. */
static int
template_blank(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return (0);
	}
	return (1);
}

/* Length of s[0..n) without trailing space, tab and CR. */
static size_t
template_rtrim(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		n--;
	return (n);
}

/* Record a "file:line: message" error in *err (if wanted). */
static void PRINTFLIKE(4, 5)
template_set_error(char **err, const char *file, int lineno,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(err, "%s:%d: %s", file, lineno, msg);
	free(msg);
}

/*
 * Handle one "@..." line of a template file: make it the current section
 * (*cur) or report an error.  Returns 0 or -1.
 */
static int
template_set_marker(struct template_section *sec, int *cur, const char *p,
    size_t len, const char *file, int lineno, char **err)
{
	size_t	 w;
	int	 kind;

	len = template_rtrim(p, len);
	for (w = 1; w < len && p[w] != ' ' && p[w] != '\t'; w++)
		/* nothing */;
	if ((kind = template_section_kind(p + 1, w - 1)) == -1) {
		template_set_error(err, file, lineno, "unknown section %.*s",
		    (int)w, p);
		return (-1);
	}
	if (w != len) {
		template_set_error(err, file, lineno,
		    "unexpected text after @%s", template_section_name(kind));
		return (-1);
	}
	if (sec[kind].seen) {
		template_set_error(err, file, lineno,
		    "duplicate section @%s (first at line %d)",
		    template_section_name(kind), sec[kind].lineno);
		return (-1);
	}
	sec[kind].seen = 1;
	sec[kind].lineno = lineno;
	*cur = kind;
	return (0);
}

/* Join a section's lines, without trailing blank lines or final newline. */
static char *
template_section_text(struct template_section *s)
{
	struct template_buf	 b = { NULL, 0, 0 };
	size_t			 i;

	while (s->nlines > 0 && template_blank(s->lines[s->nlines - 1].p,
	    s->lines[s->nlines - 1].len))
		s->nlines--;
	for (i = 0; i < s->nlines; i++) {
		if (i != 0)
			template_buf_add(&b, "\n", 1);
		template_buf_add(&b, s->lines[i].p, s->lines[i].len);
	}
	return (template_buf_take(&b));
}

/* Check and compile the gathered sections into set, in file order. */
static int
template_set_compile(struct template_section *sec, const char *file,
    int lastline, struct template_set *set, char **err)
{
	struct template		**slot[TEMPLATE_NSECTIONS];
	struct template_section	*s;
	const char *const	*names;
	char			*text, *msg;
	int			 order[TEMPLATE_NSECTIONS], kind, i, j, line;

	slot[TEMPLATE_TITLE] = &set->title;
	slot[TEMPLATE_HEADER] = &set->header;
	slot[TEMPLATE_ITEM] = &set->item;
	slot[TEMPLATE_FOOTER] = &set->footer;

	if (!sec[TEMPLATE_TITLE].seen || !sec[TEMPLATE_ITEM].seen) {
		kind = sec[TEMPLATE_TITLE].seen ? TEMPLATE_ITEM : TEMPLATE_TITLE;
		template_set_error(err, file, lastline, "missing @%s section",
		    template_section_name(kind));
		return (-1);
	}

	/* Sort by marker line so the first error reported is the first one
	 * in the file. */
	for (i = 0; i < TEMPLATE_NSECTIONS; i++) {
		for (j = i; j > 0 &&
		    sec[order[j - 1]].lineno > sec[i].lineno; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}

	for (i = 0; i < TEMPLATE_NSECTIONS; i++) {
		kind = order[i];
		s = &sec[kind];
		if (!s->seen)
			continue;
		text = template_section_text(s);
		if (kind == TEMPLATE_TITLE || kind == TEMPLATE_ITEM) {
			if (*text == '\0') {
				template_set_error(err, file, s->lineno,
				    "empty @%s section",
				    template_section_name(kind));
				free(text);
				return (-1);
			}
		}
		if (kind == TEMPLATE_TITLE && s->nlines > 1) {
			template_set_error(err, file, s->lines[1].lineno,
			    "@title must be a single line");
			free(text);
			return (-1);
		}
		names = kind == TEMPLATE_ITEM ? template_item_names :
		    template_group_names;
		*slot[kind] = template_compile(text, names, &line, &msg);
		free(text);
		if (*slot[kind] == NULL) {
			template_set_error(err, file, s->lines[line - 1].lineno,
			    "%s", msg);
			free(msg);
			return (-1);
		}
	}
	return (0);
}

/* Parse a template file's text into set (whose old contents are not
 * freed); on error the set is all NULL and *err is "file:line: message". */
int
template_set_parse(const char *text, const char *file,
    struct template_set *set, char **err)
{
	struct template_section	 sec[TEMPLATE_NSECTIONS];
	struct template_section	*s;
	const char		*p, *next;
	size_t			 len;
	int			 lineno = 0, cur = -1, kind, rc = -1;

	memset(sec, 0, sizeof sec);
	memset(set, 0, sizeof *set);
	if (file == NULL)
		file = "template";

	for (p = text; *p != '\0'; p = next) {
		lineno++;
		len = strcspn(p, "\n");
		next = p[len] == '\n' ? p + len + 1 : p + len;

		if (len >= 2 && p[0] == '@' && p[1] == '#')
			continue;
		if (len >= 1 && p[0] == '@') {
			if (template_set_marker(sec, &cur, p, len, file,
			    lineno, err) != 0)
				goto out;
			continue;
		}
		if (cur == -1) {
			if (!template_blank(p, len)) {
				template_set_error(err, file, lineno,
				    "text before the first section");
				goto out;
			}
			continue;
		}

		/* Content line: keep it as written, less a CRLF's CR. */
		if (len > 0 && p[len - 1] == '\r')
			len--;
		s = &sec[cur];
		s->lines = xreallocarray(s->lines, s->nlines + 1,
		    sizeof *s->lines);
		s->lines[s->nlines].p = p;
		s->lines[s->nlines].len = len;
		s->lines[s->nlines].lineno = lineno;
		s->nlines++;
	}
	rc = template_set_compile(sec, file, lineno > 0 ? lineno : 1, set,
	    err);

out:
	for (kind = 0; kind < TEMPLATE_NSECTIONS; kind++)
		free(sec[kind].lines);
	if (rc != 0)
		template_set_clear(set);
	return (rc);
}

/* Free a set's templates and leave it all NULL. */
void
template_set_clear(struct template_set *set)
{
	template_free(set->title);
	template_free(set->header);
	template_free(set->item);
	template_free(set->footer);
	memset(set, 0, sizeof *set);
}
