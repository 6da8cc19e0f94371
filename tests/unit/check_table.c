/*
 * Unit tests for table.c, xlsx.c and media.c: the reports' table model
 * and its two writers (CSV quoting and formula defusing; a workbook that
 * is a zip, the same bytes for the same table and time, the widths
 * counting Chinese characters 2), and the WeCom file requests (the
 * upload URL beside /send, the part's header, sizes, media_id expiry,
 * the answer's media_id).  tests/e2e/test_xlsx.py opens the workbooks.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "escalator.h"

static const char *const head[] = { "单位", "办理期限", "逾期", "按时办结率" };
static const enum table_kind kinds[] = { TABLE_TEXT, TABLE_TIME, TABLE_NUMBER,
    TABLE_PERCENT };

/* A small table of every kind, with a formula-looking and a quoted text. */
static struct table *
sample(void)
{
	static const char *const r1[] = { "西城区行政审批局", "2026-11-27 18:00",
	    "13", "60.0%" };
	static const char *const r2[] = { "=SUM(1)", "", "0", "—" };
	static const char *const r3[] = { "a \"b\", c", "2026-11-01", "x", "" };
	struct table	*t;

	t = table_new(head, kinds, 4);
	table_add(t, r1);
	table_add(t, r2);
	table_add(t, r3);
	return (t);
}

/* The CSV: BOM, header, quoted fields, defused formulas, CRLF. */
START_TEST(test_csv)
{
	struct table	*t = sample();
	char		*csv;
	size_t		 len;

	ck_assert_uint_eq(table_nrows(t), 3);
	ck_assert_uint_eq(table_ncols(t), 4);
	ck_assert_int_eq(table_kind(t, 3), TABLE_PERCENT);
	ck_assert_str_eq(table_cell(t, 1, 0), "=SUM(1)");
	csv = table_csv(t, &len);
	ck_assert_uint_eq(strlen(csv), len);
	ck_assert_str_eq(csv, "\xef\xbb\xbf"
	    "\"单位\",\"办理期限\",\"逾期\",\"按时办结率\"\r\n"
	    "\"西城区行政审批局\",\"2026-11-27 18:00\",\"13\",\"60.0%\"\r\n"
	    "\"'=SUM(1)\",\"\",\"0\",\"—\"\r\n"
	    "\"a \"\"b\"\", c\",\"2026-11-01\",\"x\",\"\"\r\n");
	free(csv);
	table_free(t);
}
END_TEST

/* The CSV in parts (a report's CSV sent as the connection drains): the
 * parts joined are table_csv()'s bytes; each holds whole records. */
START_TEST(test_csv_parts)
{
	struct table	*t = sample();
	char		*whole, *part, joined[1024];
	size_t		 len, plen, next, max, n, parts;

	whole = table_csv(t, &len);
	for (max = 0; max <= len + 1; max++) {
		next = 0;
		n = 0;
		parts = 0;
		while (next <= table_nrows(t)) {
			part = table_csv_part(t, &next, max, &plen);
			ck_assert_uint_eq(strlen(part), plen);
			ck_assert_uint_gt(plen, 0);
			ck_assert(plen >= 2 &&
			    memcmp(part + plen - 2, "\r\n", 2) == 0);
			ck_assert_uint_lt(n + plen, sizeof joined);
			memcpy(joined + n, part, plen);
			n += plen;
			parts++;
			free(part);
		}
		ck_assert_uint_eq(n, len);
		ck_assert(memcmp(joined, whole, len) == 0);
		if (max <= 1)
			ck_assert_uint_eq(parts, table_nrows(t) + 1);
		if (max >= len)
			ck_assert_uint_eq(parts, 1);
	}
	/* Past the end: "" and *next left alone. */
	part = table_csv_part(t, &next, 10, &plen);
	ck_assert_str_eq(part, "");
	ck_assert_uint_eq(plen, 0);
	ck_assert_uint_eq(next, table_nrows(t) + 1);
	free(part);
	free(whole);
	table_free(t);
}
END_TEST

/* Display widths: wide characters count two. */
START_TEST(test_width)
{
	ck_assert_uint_eq(xlsx_text_width(""), 0);
	ck_assert_uint_eq(xlsx_text_width("P2026-101"), 9);
	ck_assert_uint_eq(xlsx_text_width("审批"), 4);
	ck_assert_uint_eq(xlsx_text_width("（二期）"), 8);	/* fullwidth */
	ck_assert_uint_eq(xlsx_text_width("60.0%—"), 6);	/* em dash: 1 */
	ck_assert_uint_eq(xlsx_text_width("한국"), 4);
}
END_TEST

/* A workbook: a zip, the same bytes for the same table and time. */
START_TEST(test_xlsx)
{
	struct table	*t = sample();
	char		*a, *b, *err;
	size_t		 alen, blen;

	ck_assert_int_eq(xlsx_write(t, "定期通报", "标题", 1795770000, &a, &alen,
	    &err), 0);
	ck_assert_ptr_null(err);
	ck_assert_uint_gt(alen, 1000);
	ck_assert_int_eq(memcmp(a, "PK\x03\x04", 4), 0);
	ck_assert_int_eq(xlsx_write(t, "定期通报", "标题", 1795770000, &b, &blen,
	    &err), 0);
	ck_assert_uint_eq(alen, blen);
	ck_assert_int_eq(memcmp(a, b, alen), 0);
	free(b);
	/* A sheet name Excel refuses: an error, nothing left behind. */
	ck_assert_int_eq(xlsx_write(t, "a/b", "x", 1795770000, &b, &blen, &err),
	    -1);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_null(b);
	free(err);
	free(a);
	table_free(t);
}
END_TEST

/* WeCom file requests. */
START_TEST(test_media)
{
	struct channel		 ch;
	struct http_request	 req;
	char			*url, *err, *s, msg[160];

	memset(&ch, 0, sizeof ch);
	ch.name = (char *)"chat";
	ch.type = CHANNEL_WECOM;
	ch.url = (char *)"https://qyapi.weixin.qq.com/cgi-bin/webhook/send";
	ch.key = (char *)"k y";
	ck_assert_ptr_nonnull(url = media_upload_url(&ch, &err));
	ck_assert_str_eq(url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/"
	    "upload_media?key=k%20y&type=file");
	free(url);
	ch.url = (char *)"http://127.0.0.1:9/hook";
	ck_assert_ptr_null(media_upload_url(&ch, &err));
	ck_assert_ptr_nonnull(strstr(err, "does not end in /send"));
	free(err);
	ch.type = CHANNEL_DINGTALK;
	ck_assert_ptr_null(media_upload_url(&ch, &err));
	ck_assert_ptr_nonnull(strstr(err, "cannot post files"));
	free(err);

	s = media_disposition("通报\"1\".xlsx", 1234);
	ck_assert_str_eq(s, "Content-Disposition: form-data; name=\"media\"; "
	    "filename=\"通报_1_.xlsx\"; filelength=1234");
	free(s);

	ck_assert_int_eq(media_check_size(5, msg, sizeof msg), -1);
	ck_assert_int_eq(media_check_size(6, msg, sizeof msg), 0);
	ck_assert_int_eq(media_check_size(MEDIA_MAX_BYTES, msg, sizeof msg), 0);
	ck_assert_int_eq(media_check_size(MEDIA_MAX_BYTES + 1, msg, sizeof msg),
	    -1);

	ck_assert(media_fresh(1000, 1000 + MEDIA_TTL - 3601));
	ck_assert(!media_fresh(1000, 1000 + MEDIA_TTL - 3600));
	ck_assert(!media_fresh(0, 10));
	ck_assert(!media_fresh(2000, 1000));	/* clock set back */

	s = "{\"errcode\":0,\"errmsg\":\"ok\",\"type\":\"file\","
	    "\"media_id\":\"3a8asd\",\"created_at\":\"1380000000\"}";
	s = media_answer_id(s, strlen(s));
	ck_assert_str_eq(s, "3a8asd");
	free(s);
	ck_assert_ptr_null(media_answer_id("{\"errcode\":0}", 13));
	ck_assert_ptr_null(media_answer_id("nope", 4));

	ch.type = CHANNEL_WECOM;
	ch.url = (char *)"https://qyapi.weixin.qq.com/cgi-bin/webhook/send";
	memset(&req, 0, sizeof req);
	ck_assert_int_eq(media_message(&ch, "3a8asd", &req, &err), 0);
	ck_assert_str_eq(req.body,
	    "{\"msgtype\":\"file\",\"file\":{\"media_id\":\"3a8asd\"}}");
	ck_assert_uint_eq(req.bodylen, strlen(req.body));
	ck_assert_str_eq(req.url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/"
	    "send?key=k%20y");
	http_request_clear(&req);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("table");
	TCase	*tc = tcase_create("table");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_csv_parts);
	tcase_add_test(tc, test_width);
	tcase_add_test(tc, test_xlsx);
	tcase_add_test(tc, test_media);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
