/*
 * Unit tests for template.c: placeholder syntax and errors, rendering,
 * template files, and every shipped template in rules/templates (or
 * $TEMPLATE_DIR), rendered with sample values.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalator.h"

/* Sample values for every placeholder, as the daemon might fill them. */
static const char *const sample_values[][2] = {
	{ "stage", "reminder" },
	{ "stage_label", "催办" },
	{ "group", "社会投资类推进组" },
	{ "category", "社会投资类" },
	{ "count", "12" },
	{ "now", "2026-10-09 09:00" },
	{ "part", " (1/3)" },
	{ "mentions", "<@zhangsan>" },
	{ "severity", "warning" },
	{ "channel", "社会投资类推进组群" },
	{ "project", "滨河新区标准化厂房建设项目" },
	{ "project_code", "2026-220100-04-01-000123" },
	{ "item", "建筑工程施工许可" },
	{ "department", "建设工程审批科" },
	{ "handler", "承办人甲" },
	{ "deadline", "2026-10-09" },
	{ "overdue_days", "3" },
	{ "days_left", "2" },
	{ "region", "市本级" },
	{ "mode", "容缺受理" },
	{ "reason", "规划条件待市政府会议研究" },
	{ "link", "https://example.org/items/42" },
	{ "index", "1" },
	{ "accepted", "2026-09-24" },
	{ "rectify_deadline", "2026年10月20日 18:00" },
	{ NULL, NULL }
};

/* Lookup over sample_values (arg unused) or over a NULL-terminated
 * name/value array passed as arg. */
static const char *
sample_lookup(void *arg, const char *name)
{
	const char *const	(*v)[2] = sample_values;

	if (arg != NULL)
		v = arg;
	for (; (*v)[0] != NULL; v++) {
		if (strcmp((*v)[0], name) == 0)
			return ((*v)[1]);
	}
	return (NULL);
}

/* Render text compiled against allowed; fails the test on parse error. */
static char *
render(const char *text, const char *const *allowed)
{
	struct template	*t;
	char		*err = NULL, *out;

	t = template_parse(text, allowed, &err);
	ck_assert_msg(t != NULL, "parse \"%s\": %s", text, err ? err : "?");
	out = template_render(t, sample_lookup, NULL);
	template_free(t);
	return (out);
}

/* Check that text fails to parse with exactly the message want. */
static void
parse_fails(const char *text, const char *const *allowed, const char *want)
{
	struct template	*t;
	char		*err = NULL;

	t = template_parse(text, allowed, &err);
	ck_assert_msg(t == NULL, "\"%s\" parsed", text);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, want);
	free(err);
}

/* Check that a template file fails with exactly the message want and
 * leaves the set empty. */
static void
set_fails(const char *text, const char *want)
{
	struct template_set	 set;
	char			*err = NULL;

	ck_assert_int_eq(template_set_parse(text, "t.tmpl", &set, &err), -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_str_eq(err, want);
	ck_assert_ptr_null(set.title);
	ck_assert_ptr_null(set.header);
	ck_assert_ptr_null(set.item);
	ck_assert_ptr_null(set.footer);
	free(err);
}

/* Number of code points in a UTF-8 string. */
static size_t
utf8_chars(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return (n);
}

START_TEST(test_render)
{
	char	*s;

	s = render("{project}的{item}已超期{overdue_days}个工作日",
	    template_item_names);
	ck_assert_str_eq(s,
	    "滨河新区标准化厂房建设项目的建筑工程施工许可已超期3个工作日");
	free(s);

	s = render("{index}{index}", template_item_names);
	ck_assert_str_eq(s, "11");
	free(s);

	s = render("", template_item_names);
	ck_assert_str_eq(s, "");
	free(s);

	s = render("no placeholders\nat all\n", template_item_names);
	ck_assert_str_eq(s, "no placeholders\nat all\n");
	free(s);
}
END_TEST

START_TEST(test_render_missing)
{
	static const char *const names[] = { "a", "b", "_c9", NULL };
	static const char *values[][2] = { { "a", "A" }, { NULL, NULL } };
	struct template	*t;
	char		*s;

	t = template_parse("[{a}][{b}][{_c9}]", names, NULL);
	ck_assert_ptr_nonnull(t);
	s = template_render(t, sample_lookup, values);
	ck_assert_str_eq(s, "[A][][]");
	free(s);
	s = template_render(t, NULL, NULL);
	ck_assert_str_eq(s, "[][][]");
	free(s);
	template_free(t);

	/* A NULL list allows any well-formed name. */
	t = template_parse("{anything_at_all}", NULL, NULL);
	ck_assert_ptr_nonnull(t);
	template_free(t);
	template_free(NULL);
}
END_TEST

/* A line starting with "?" is left out, with its line break, when a
 * placeholder on it renders empty: no label with nothing after it. */
START_TEST(test_optional_lines)
{
	static const char *const names[] = { "a", "b", NULL };
	static const char *values[][2] = { { "a", "A" }, { NULL, NULL } };
	struct template	*t;
	char		*s;

	t = template_parse("x\n?  难点：{b}\n?  甲：{a}\ny\n", names, NULL);
	ck_assert_ptr_nonnull(t);
	s = template_render(t, sample_lookup, values);
	ck_assert_str_eq(s, "x\n  甲：A\ny\n");
	free(s);
	template_free(t);

	/* Any empty placeholder drops the line; the last line has no break. */
	t = template_parse("x\n?{a}-{b}\n?{a}", names, NULL);
	s = template_render(t, sample_lookup, values);
	ck_assert_str_eq(s, "x\nA");
	free(s);
	template_free(t);

	/* Only at a line's start; without placeholders the line stays. */
	t = template_parse("a?{b}\n?plain\n", names, NULL);
	s = template_render(t, sample_lookup, values);
	ck_assert_str_eq(s, "a?\nplain\n");
	free(s);
	ck_assert_int_eq(template_uses(t, "b"), 1);
	template_free(t);
}
END_TEST

START_TEST(test_literal_braces)
{
	char	*s;

	s = render("{{x}} {{{project}}} }}{{", template_item_names);
	ck_assert_str_eq(s, "{x} {滨河新区标准化厂房建设项目} }{");
	free(s);

	s = render("{{project}}", template_item_names);
	ck_assert_str_eq(s, "{project}");
	free(s);
}
END_TEST

START_TEST(test_errors)
{
	parse_fails("{foo}", template_item_names,
	    "line 1: unknown placeholder {foo}");
	parse_fails("a\nb\n\nx {project} {count}", template_item_names,
	    "line 4: unknown placeholder {count}");
	parse_fails("ok\n{project", template_item_names,
	    "line 2: unterminated placeholder");
	parse_fails("{proj\nect}", template_item_names,
	    "line 1: unterminated placeholder");
	parse_fails("x\ny\n{a{project}}", template_item_names,
	    "line 3: unterminated placeholder");
	parse_fails("x\ny {", template_item_names,
	    "line 2: unterminated placeholder");
	parse_fails("a\n}", template_item_names, "line 2: unbalanced }");
	parse_fails("{{project}", template_item_names,
	    "line 1: unbalanced }");
	parse_fails("{}", template_item_names, "line 1: invalid placeholder {}");
	parse_fails("\n{Project}", template_item_names,
	    "line 2: invalid placeholder {Project}");
	parse_fails("{ project }", template_item_names,
	    "line 1: invalid placeholder { project }");
	parse_fails("{9x}", NULL, "line 1: invalid placeholder {9x}");

	/* err may be NULL. */
	ck_assert_ptr_null(template_parse("{foo}", template_item_names, NULL));
}
END_TEST

START_TEST(test_uses)
{
	struct template	*t;

	t = template_parse("{project} {{item}} {deadline}", template_item_names,
	    NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(template_uses(t, "project"), 1);
	ck_assert_int_eq(template_uses(t, "deadline"), 1);
	ck_assert_int_eq(template_uses(t, "item"), 0);
	ck_assert_int_eq(template_uses(t, "proj"), 0);
	ck_assert_int_eq(template_uses(NULL, "project"), 0);
	template_free(t);
}
END_TEST

START_TEST(test_names)
{
	const char *const	*n;
	struct template		*t;
	char			*text;
	size_t			 i;

	for (i = 0, n = template_group_names; *n != NULL; n++, i++) {
		xasprintf(&text, "{%s}", *n);
		t = template_parse(text, template_group_names, NULL);
		ck_assert_msg(t != NULL && template_uses(t, *n), "%s", *n);
		template_free(t);
		free(text);
	}
	ck_assert_uint_eq(i, 10);
	for (i = 0, n = template_item_names; *n != NULL; n++, i++) {
		xasprintf(&text, "{%s}", *n);
		t = template_parse(text, template_item_names, NULL);
		ck_assert_msg(t != NULL && template_uses(t, *n), "%s", *n);
		template_free(t);
		free(text);
	}
	ck_assert_uint_eq(i, 20);
}
END_TEST

START_TEST(test_set_parse)
{
	static const char text[] =
	    "@# a comment before everything\n"
	    "\n"
	    "@title   \r\n"
	    "【催办】{group}·{count}项\r\n"
	    "@header\n"
	    "@# comments are left out of the text\n"
	    "# 标题{part}\n"
	    "\n"
	    "引言\n"
	    "\n"
	    "\n"
	    "@item\n"
	    "{index}. {project}\n"
	    "  {item}\n"
	    "@footer\t\n"
	    "\n"
	    "{mentions}";
	struct template_set	 set;
	char			*err = NULL, *s;

	ck_assert_int_eq(template_set_parse(text, "t.tmpl", &set, &err), 0);
	ck_assert_ptr_null(err);

	s = template_render(set.title, sample_lookup, NULL);
	ck_assert_str_eq(s, "【催办】社会投资类推进组·12项");
	free(s);
	s = template_render(set.header, sample_lookup, NULL);
	ck_assert_str_eq(s, "# 标题 (1/3)\n\n引言");
	free(s);
	s = template_render(set.item, sample_lookup, NULL);
	ck_assert_str_eq(s, "1. 滨河新区标准化厂房建设项目\n  建筑工程施工许可");
	free(s);
	s = template_render(set.footer, sample_lookup, NULL);
	ck_assert_str_eq(s, "\n<@zhangsan>");
	free(s);
	ck_assert_int_eq(template_uses(set.item, "project"), 1);

	template_set_clear(&set);
	ck_assert_ptr_null(set.title);
	ck_assert_ptr_null(set.item);
	template_set_clear(&set);
}
END_TEST

START_TEST(test_set_optional)
{
	struct template_set	 set;
	char			*err = NULL, *s;

	ck_assert_int_eq(template_set_parse("@item\n{project}\n@title\nT\n",
	    NULL, &set, &err), 0);
	ck_assert_ptr_null(set.header);
	ck_assert_ptr_null(set.footer);
	s = template_render(set.title, sample_lookup, NULL);
	ck_assert_str_eq(s, "T");
	free(s);
	template_set_clear(&set);

	/* An empty optional section is an empty template, not NULL. */
	ck_assert_int_eq(template_set_parse("@title\nT\n@footer\n@item\nI",
	    "t.tmpl", &set, &err), 0);
	ck_assert_ptr_nonnull(set.footer);
	s = template_render(set.footer, sample_lookup, NULL);
	ck_assert_str_eq(s, "");
	free(s);
	template_set_clear(&set);
}
END_TEST

START_TEST(test_set_errors)
{
	set_fails("@title\nT\n", "t.tmpl:2: missing @item section");
	set_fails("@item\nI\n\n", "t.tmpl:3: missing @title section");
	set_fails("", "t.tmpl:1: missing @title section");
	set_fails("@title\nT\n@body\nx\n@item\nI\n",
	    "t.tmpl:3: unknown section @body");
	set_fails("@title\nT\n@items\nx\n", "t.tmpl:3: unknown section @items");
	set_fails("@title\nT\n@item\n@mentions\n",
	    "t.tmpl:4: unknown section @mentions");
	set_fails("@title\nT\n@item x\n",
	    "t.tmpl:3: unexpected text after @item");
	set_fails("\n  \nhello\n@title\nT\n@item\nI\n",
	    "t.tmpl:3: text before the first section");
	set_fails("@title\nT\n@item\nI\n@title\nU\n",
	    "t.tmpl:5: duplicate section @title (first at line 1)");
	set_fails("@title\n\n@item\nI\n", "t.tmpl:1: empty @title section");
	set_fails("@title\nT\n@item\n\n\n", "t.tmpl:3: empty @item section");
	set_fails("@title\nT\nU\n@item\nI\n",
	    "t.tmpl:3: @title must be a single line");

	/* Placeholder errors carry the line in the whole file, past
	 * comments and markers. */
	set_fails("@title\n{count}\n@item\n@# note\nok {project}\n{nope}\n",
	    "t.tmpl:6: unknown placeholder {nope}");
	set_fails("@# x\n@title\nT\n@header\n\n@# y\n\nx {project}\n@item\nI\n",
	    "t.tmpl:8: unknown placeholder {project}");
	set_fails("@title\nT\n@item\n{project}\n@footer\n@# z\n\n{count\n",
	    "t.tmpl:8: unterminated placeholder");
	set_fails("@title\nT\n@item\n{count}\n",
	    "t.tmpl:4: unknown placeholder {count}");
	set_fails("@title\n{project}\n@item\n{count}\n",
	    "t.tmpl:2: unknown placeholder {project}");
	set_fails("@title\r\nT}\r\n@item\r\nI\r\n",
	    "t.tmpl:2: unbalanced }");
}
END_TEST

/* Check rendered text from a shipped template. */
static void
check_rendered(const char *file, const char *what, const char *s)
{
	ck_assert_msg(utf8_valid(s, strlen(s)), "%s: %s is not UTF-8", file,
	    what);
	ck_assert_msg(strchr(s, '{') == NULL && strchr(s, '}') == NULL,
	    "%s: %s has a stray brace", file, what);
}

/* Check channel-type markup rules on one file's rendered text. */
static void
check_markup(const char *file, const char *s)
{
	const char	*line;

	for (line = s; line != NULL; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strstr(file, ".wecom.") != NULL) {
			ck_assert_msg(strncmp(line, "- ", 2) != 0 &&
			    strncmp(line, "* ", 2) != 0 && *line != '|',
			    "%s: list or table in WeCom markdown", file);
		}
		if (strstr(file, ".feishu.") != NULL)
			ck_assert_msg(*line != '#', "%s: heading in lark_md",
			    file);
	}
}

/* Parse and render one shipped template file. */
static void
check_shipped(const char *dir, const char *name)
{
	struct template_set	 set;
	char			 path[1024], *text, *err = NULL, *s;
	FILE			*f;
	long			 len;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: cannot open", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	ck_assert_int_ge(len, 0);
	rewind(f);
	text = xmalloc(len + 1);
	ck_assert_int_eq(fread(text, 1, len, f), len);
	text[len] = '\0';
	fclose(f);

	ck_assert_msg(utf8_valid(text, len), "%s: file is not UTF-8", path);
	ck_assert_msg(template_set_parse(text, path, &set, &err) == 0, "%s",
	    err != NULL ? err : "?");
	free(text);

	s = template_render(set.title, sample_lookup, NULL);
	check_rendered(path, "@title", s);
	ck_assert_msg(*s != '\0' && strchr(s, '\n') == NULL, "%s: bad title",
	    path);
	ck_assert_msg(utf8_chars(s) <= 30, "%s: title \"%s\" longer than 30",
	    path, s);
	free(s);

	if (set.header != NULL) {
		ck_assert_msg(template_uses(set.header, "part"),
		    "%s: header without {part}", path);
		s = template_render(set.header, sample_lookup, NULL);
		check_rendered(path, "@header", s);
		check_markup(path, s);
		free(s);
	}

	s = template_render(set.item, sample_lookup, NULL);
	check_rendered(path, "@item", s);
	check_markup(path, s);
	ck_assert_msg(strstr(s, "滨河新区标准化厂房建设项目") != NULL,
	    "%s: item lacks the project name", path);
	ck_assert_msg(strstr(s, "建筑工程施工许可") != NULL,
	    "%s: item lacks the approval item", path);
	free(s);

	if (set.footer != NULL) {
		s = template_render(set.footer, sample_lookup, NULL);
		check_rendered(path, "@footer", s);
		check_markup(path, s);
		free(s);
	}
	template_set_clear(&set);
}

/* The template directory under test. */
static const char *
template_dir(void)
{
	const char	*dir;

	if ((dir = getenv("TEMPLATE_DIR")) == NULL || *dir == '\0')
		dir = "rules/templates";
	return (dir);
}

START_TEST(test_shipped)
{
	static const char *const stages[] = { "warning", "reminder",
	    "supervision", "interview", "escalate", "done", "stale",
	    "supplement", "commitment", "rectify", "test",
	    "supplement-overdue", "commitment-overdue", NULL };
	static const char *const types[] = { "", "wecom", "dingtalk",
	    "feishu", "webhook", NULL };
	const char *const	*stage, *const *type;
	const char		*dir = template_dir();
	struct dirent		*de;
	DIR			*d;
	size_t			 n = 0, len;
	char			 path[1024];
	FILE			*f;

	d = opendir(dir);
	ck_assert_msg(d != NULL, "%s: cannot open (set TEMPLATE_DIR)", dir);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 5, ".tmpl") != 0)
			continue;
		check_shipped(dir, de->d_name);
		n++;
	}
	closedir(d);
	ck_assert_msg(n > 0, "%s: no templates", dir);

	/* Every stage is shipped for each channel type, with a fallback. */
	for (stage = stages; *stage != NULL; stage++) {
		for (type = types; *type != NULL; type++) {
			if (**type == '\0')
				snprintf(path, sizeof path, "%s/%s.tmpl", dir,
				    *stage);
			else
				snprintf(path, sizeof path, "%s/%s.%s.tmpl",
				    dir, *stage, *type);
			f = fopen(path, "r");
			ck_assert_msg(f != NULL, "%s: missing", path);
			fclose(f);
		}
	}
}
END_TEST

/* Build the suite. */
static Suite *
template_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("template");
	tc = tcase_create("core");
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_render_missing);
	tcase_add_test(tc, test_literal_braces);
	tcase_add_test(tc, test_optional_lines);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_uses);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("set");
	tcase_add_test(tc, test_set_parse);
	tcase_add_test(tc, test_set_optional);
	tcase_add_test(tc, test_set_errors);
	tcase_add_test(tc, test_shipped);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(template_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
