/*
 * Unit tests for link.c: signed action tokens (make, parse, tampering,
 * another secret, expiry, CSRF tokens) and the base64url helpers of
 * sign.c.  The expected token was computed with Python's hmac, hashlib
 * and base64 from the documented layout, independently of this code.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "escalator.h"

#define SECRET	"unit-link-secret-0123"

static struct link
link_sample(void)
{
	struct link	 l;

	memset(&l, 0, sizeof l);
	l.item = 42;
	l.actions = LINK_NOTICE;
	l.role = (int)ROLE_DEPARTMENT + 1;
	l.issued = 1800000000;
	l.expires = 1800000000 + LINK_DAYS * 86400;
	l.salt = 7;
	return (l);
}

START_TEST(test_link_vector)
{
	struct link	 l = link_sample(), p;
	char		*tok = link_make(SECRET, &l);

	ck_assert_ptr_nonnull(tok);
	ck_assert_str_eq(tok, "AQAAACoAAAAADwMAAGtJ0gBrUwyAAAd56jsCDHB7OysAtTk");
	ck_assert_uint_lt(strlen(tok), LINK_TOKEN_MAX);
	ck_assert_int_eq(link_parse(SECRET, tok, &p), 0);
	ck_assert_int_eq(p.item, 42);
	ck_assert_uint_eq(p.actions, LINK_NOTICE);
	ck_assert_int_eq(p.role, (int)ROLE_DEPARTMENT + 1);
	ck_assert_int_eq(p.expires, l.expires);
	ck_assert_int_eq(link_expired(&p, l.issued + 10), 0);
	ck_assert_int_eq(link_expired(&p, l.expires), 1);
	free(tok);
}
END_TEST

START_TEST(test_link_tamper)
{
	struct link	 l = link_sample(), p;
	char		*tok = link_make(SECRET, &l);
	size_t		 i;

	ck_assert_int_eq(link_parse("another-secret-entirely", tok, &p), -1);
	for (i = 0; tok[i] != '\0'; i++) {
		char save = tok[i];
		tok[i] = save == 'A' ? 'B' : 'A';
		ck_assert_msg(link_parse(SECRET, tok, &p) == -1, "byte %zu", i);
		tok[i] = save;
	}
	ck_assert_int_eq(link_parse(SECRET, "", &p), -1);
	ck_assert_int_eq(link_parse(SECRET, "!!!!", &p), -1);
	ck_assert_int_eq(link_parse(SECRET, "AQAA", &p), -1);
	ck_assert_int_eq(link_parse(NULL, tok, &p), -1);
	free(tok);
	/* Fields that do not fit are refused, not truncated. */
	l.item = (int64_t)UINT32_MAX + 1;
	ck_assert_ptr_null(link_make(SECRET, &l));
}
END_TEST

START_TEST(test_link_csrf)
{
	char	 a[LINK_CSRF_LEN + 1], b[LINK_CSRF_LEN + 1];

	link_csrf(SECRET, "tok", "ack", a);
	link_csrf(SECRET, "tok", "progress", b);
	ck_assert_uint_eq(strlen(a), LINK_CSRF_LEN);
	ck_assert_str_ne(a, b);
	ck_assert(link_csrf_ok(SECRET, "tok", "ack", a));
	ck_assert(!link_csrf_ok(SECRET, "tok", "progress", a));
	ck_assert(!link_csrf_ok(SECRET, "tok2", "ack", a));
	ck_assert(!link_csrf_ok(SECRET, "tok", "ack", NULL));
	ck_assert(!link_csrf_ok(SECRET, "tok", "ack", "00"));
}
END_TEST

START_TEST(test_link_names)
{
	ck_assert_uint_eq(link_action_parse("ack"), LINK_ACK);
	ck_assert_uint_eq(link_action_parse("stop"), LINK_STOP);
	ck_assert_uint_eq(link_action_parse("nope"), 0);
	ck_assert_str_eq(link_action_label(LINK_PROGRESS), "反馈进展");
	ck_assert_str_eq(link_role_name((int)ROLE_LEADER + 1), "组长");
	ck_assert_str_eq(link_role_name(99), "未指定");
	ck_assert_uint_eq(link_stage_tag(NULL), 0);
	ck_assert_uint_ne(link_stage_tag("reminder"), 0);
	ck_assert_uint_ne(link_stage_tag("reminder"),
	    link_stage_tag("supervision"));
}
END_TEST

START_TEST(test_base64url)
{
	const unsigned char	 in[] = { 0xfb, 0xff, 0x00, 0x10, 0x3e };
	unsigned char		 out[8];
	size_t			 n;
	char			*s = sign_base64url(in, sizeof in);

	ck_assert_str_eq(s, "-_8AED4");
	ck_assert_int_eq(sign_base64url_decode(s, out, sizeof out, &n), 0);
	ck_assert_uint_eq(n, sizeof in);
	ck_assert_mem_eq(out, in, n);
	ck_assert_int_eq(sign_base64url_decode("-_8AED4", out, 2, &n), -1);
	ck_assert_int_eq(sign_base64url_decode("a+b/", out, 8, &n), -1);
	ck_assert_int_eq(sign_base64url_decode("a", out, 8, &n), -1);
	free(s);
}
END_TEST

/* Pages escape what they show and carry a mobile viewport, no script. */
START_TEST(test_page_escape)
{
	struct item_row		 it;
	struct page_view	 v;
	struct page_line	 h = { 1800000000, "<b>x</b> & \"y\"" };
	char			*html;

	html = page_message("无法办理", "<script>alert(1)</script>", 0);
	ck_assert_ptr_null(strstr(html, "<script"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "name=\"viewport\""));
	free(html);
	memset(&it, 0, sizeof it);
	it.id = 1;
	it.project_code = (char *)(uintptr_t)"P<1>";
	it.kind = (char *)(uintptr_t)"立项";
	it.department = (char *)(uintptr_t)"科'室";
	it.status = (char *)(uintptr_t)STATUS_ACCEPTED;
	memset(&v, 0, sizeof v);
	v.item = &it;
	v.hist = &h;
	v.nhist = 1;
	v.link_actions = LINK_NOTICE;
	v.action = LINK_PROGRESS;
	v.csrf = "0123456789abcdef0123456789abcdef";
	v.note = "</textarea><script>";
	v.name = "\"><img>";
	html = page_item(&v);
	ck_assert_ptr_null(strstr(html, "<script"));
	ck_assert_ptr_null(strstr(html, "<img"));
	ck_assert_ptr_null(strstr(html, "<b>"));
	ck_assert_ptr_nonnull(strstr(html, "P&lt;1&gt;"));
	ck_assert_ptr_nonnull(strstr(html, "科&#39;室"));
	ck_assert_ptr_nonnull(strstr(html, "action=\"?do=progress\""));
	/* One form. */
	ck_assert_ptr_nonnull(strstr(html, "<form"));
	ck_assert_ptr_null(strstr(strstr(html, "<form") + 1, "<form"));
	free(html);
}
END_TEST

static Suite *
link_suite(void)
{
	Suite	*s = suite_create("link");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_link_vector);
	tcase_add_test(tc, test_link_tamper);
	tcase_add_test(tc, test_link_csrf);
	tcase_add_test(tc, test_link_names);
	tcase_add_test(tc, test_base64url);
	tcase_add_test(tc, test_page_escape);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(link_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
