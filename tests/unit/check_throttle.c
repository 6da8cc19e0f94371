/*
 * Unit tests for throttle.c: one robot's window arithmetic (sends counted
 * from their start until their answer plus the margin), vendor blocks,
 * the text remembered in the store across a restart, and robot ids.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "escalator.h"

#define T0	1000000		/* an arbitrary monotonic "now" */

/* Start and answer one send; returns its ticket. */
static uint64_t
send_one(struct throttle *th, int64_t start, int64_t end)
{
	uint64_t	 k;

	k = throttle_start(th, 100, start);
	if (end > 0)
		throttle_answer(th, k, end);
	return (k);
}

/* DingTalk's 20 a minute: the 21st waits until a minute after the first's
 * answer plus the margin, not after its start. */
START_TEST(test_throttle_per_minute)
{
	struct throttle		 th;
	struct throttle_limits	 lim = { 20, 0, 100 };
	int			 i;

	throttle_init(&th);
	ck_assert_int_eq(throttle_next(&th, &lim, T0), 0);
	for (i = 0; i < 19; i++)
		send_one(&th, T0 + i * 10, T0 + i * 10 + 300);
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 500), 0);
	send_one(&th, T0 + 600, T0 + 700);
	/* The first send (answered at T0 + 300) must leave the window. */
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 800),
	    T0 + 300 + 100 + 60000);
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 300 + 100 + 60000), 0);
	/* No limit: never waits. */
	lim.per_minute = 0;
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 800), 0);
}
END_TEST

/* Sends of several channels in flight at once all count; one in flight
 * counts as if answered now. */
START_TEST(test_throttle_inflight)
{
	struct throttle		 th;
	struct throttle_limits	 lim = { 0, 1, 100 };
	uint64_t		 a, b;

	throttle_init(&th);
	a = send_one(&th, T0, 0);
	/* In flight: wait at least a second after "now" plus the margin. */
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 50), T0 + 50 + 1100);
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 900), T0 + 900 + 1100);
	/* Answered at T0 + 1000: the next may start at T0 + 2100. */
	throttle_answer(&th, a, T0 + 1000);
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 1000), T0 + 2100);
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 2100), 0);
	/* Five a second with two in flight and three answered. */
	lim.per_second = 5;
	b = send_one(&th, T0 + 2100, 0);
	send_one(&th, T0 + 2110, 0);
	send_one(&th, T0 + 2120, T0 + 2200);
	send_one(&th, T0 + 2130, T0 + 2210);
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 2300), 0);
	send_one(&th, T0 + 2300, T0 + 2400);
	/* Five in the window now, two of them in flight ("now"): the fifth
	 * latest is the earliest answered, at T0 + 2200. */
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 2500), T0 + 2200 +
	    100 + 1000);
	throttle_answer(&th, b, T0 + 2600);
	/* Answering an unknown or finished ticket changes nothing. */
	throttle_answer(&th, b, T0 + 9000);
	throttle_answer(&th, 12345, T0 + 9000);
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 2700), T0 + 2200 +
	    100 + 1000);
}
END_TEST

/* A vendor block holds every send until it ends. */
START_TEST(test_throttle_block)
{
	struct throttle		 th;
	struct throttle_limits	 lim = { 20, 0, 100 };

	throttle_init(&th);
	throttle_block(&th, T0 + 600000);
	ck_assert_int_eq(throttle_next(&th, &lim, T0), T0 + 600000);
	throttle_block(&th, T0 + 1000);		/* never shortened */
	ck_assert_int_eq(throttle_next(&th, &lim, T0), T0 + 600000);
	ck_assert_int_eq(throttle_next(&th, &lim, T0 + 600000), 0);
}
END_TEST

/* Old sends expire; at most THROTTLE_SLOTS are kept. */
START_TEST(test_throttle_expire)
{
	struct throttle		 th;
	int			 i;

	throttle_init(&th);
	send_one(&th, T0, T0 + 10);
	send_one(&th, T0 + 20, 0);
	throttle_expire(&th, 100, T0 + 10 + 100 + 60000 - 1);
	ck_assert_uint_eq(th.n, 2);
	throttle_expire(&th, 100, T0 + 10 + 100 + 60000);
	ck_assert_uint_eq(th.n, 1);		/* in flight: kept */
	throttle_expire(&th, 100, T0 + 10000000);
	ck_assert_uint_eq(th.n, 1);
	for (i = 0; i < THROTTLE_SLOTS + 10; i++)
		send_one(&th, T0 + 10000000 + i, T0 + 10000000 + i);
	ck_assert_uint_eq(th.n, THROTTLE_SLOTS);
	ck_assert_int_eq(th.s[THROTTLE_SLOTS - 1].start,
	    T0 + 10000000 + THROTTLE_SLOTS + 9);
}
END_TEST

/* The remembered text survives a restart: another monotonic clock, the
 * same wall clock; a send in flight at the stop counts until its request's
 * timeout (or now); expired sends are not written. */
START_TEST(test_throttle_encode_decode)
{
	struct throttle		 th, back;
	struct throttle_limits	 lim = { 3, 0, 100 };
	int64_t			 wall = 1700000000000LL;
	char			*text;

	throttle_init(&th);
	send_one(&th, T0 - 70000, T0 - 69000);		/* expired */
	send_one(&th, T0 - 5000, T0 - 4800);
	send_one(&th, T0 - 3000, T0 - 2900);
	send_one(&th, T0 - 1000, 0);			/* in flight */
	text = throttle_encode(&th, 100, T0, wall);
	ck_assert_str_eq(text, "1699999995000:1699999995200 "
	    "1699999997000:1699999997100 1699999999000:0");

	/* Restarted 2 s later on a monotonic clock that starts at 5000. */
	throttle_init(&back);
	ck_assert_int_eq(throttle_decode(&back, text, 10000, 5000,
	    wall + 2000), 0);
	ck_assert_uint_eq(back.n, 3);
	ck_assert_int_eq(back.s[0].start, 5000 - 7000);
	ck_assert_int_eq(back.s[0].end, 5000 - 6800);
	ck_assert_int_eq(back.s[2].start, 5000 - 3000);
	/* In flight at the stop: answered "now" at the latest. */
	ck_assert_int_eq(back.s[2].end, 5000);
	ck_assert_int_eq(back.s[2].inflight, 0);
	/* Three in the window: the third latest (answered at wall - 4800,
	 * i.e. 5000 - 6800 here) must be a minute old. */
	ck_assert_int_eq(throttle_next(&back, &lim, 5000),
	    5000 - 6800 + 100 + 60000);
	free(text);

	/* With a short timeout the in-flight send ends at start + timeout. */
	throttle_init(&back);
	ck_assert_int_eq(throttle_decode(&back, "1699999999000:0", 500, 5000,
	    wall + 2000), 0);
	ck_assert_int_eq(back.s[0].end, 5000 - 3000 + 500);

	/* A wall clock set back: nothing lands in the future. */
	throttle_init(&back);
	ck_assert_int_eq(throttle_decode(&back, "1700000100000:1700000100100",
	    500, 5000, wall), 0);
	ck_assert_int_eq(back.s[0].start, 5000);
	ck_assert_int_eq(back.s[0].end, 5000);

	/* Empty and malformed texts. */
	throttle_init(&back);
	ck_assert_int_eq(throttle_decode(&back, "", 500, 5000, wall), 0);
	ck_assert_uint_eq(back.n, 0);
	ck_assert_int_eq(throttle_decode(&back, "12", 500, 5000, wall), -1);
	ck_assert_int_eq(throttle_decode(&back, "1:x", 500, 5000, wall), -1);
	ck_assert_int_eq(throttle_decode(&back, "-5:0", 500, 5000, wall), -1);

	/* An empty throttle writes an empty text. */
	throttle_init(&th);
	text = throttle_encode(&th, 100, T0, wall);
	ck_assert_str_eq(text, "");
	free(text);
}
END_TEST

/* A remembered block is brought to the new clock, capped. */
START_TEST(test_throttle_block_from_wall)
{
	int64_t	 wall = 1700000000000LL;

	ck_assert_int_eq(throttle_block_from_wall(0, 660000, 5000, wall), 0);
	ck_assert_int_eq(throttle_block_from_wall(wall - 1, 660000, 5000,
	    wall), 0);
	ck_assert_int_eq(throttle_block_from_wall(wall + 300000, 660000, 5000,
	    wall), 5000 + 300000);
	ck_assert_int_eq(throttle_block_from_wall(wall + 9000000, 660000, 5000,
	    wall), 5000 + 660000);
}
END_TEST

/* Robot ids: the same robot whatever the channel's name, different for
 * another key, type or endpoint, and the key nowhere in it. */
START_TEST(test_throttle_robot_id)
{
	char	 a[THROTTLE_ID_LEN + 1], b[THROTTLE_ID_LEN + 1];
	size_t	 i;

	throttle_robot_id(CHANNEL_WECOM, "https://x/send", "key-1", a);
	ck_assert_uint_eq(strlen(a), THROTTLE_ID_LEN);
	for (i = 0; i < THROTTLE_ID_LEN; i++)
		ck_assert(strchr("0123456789abcdef", a[i]) != NULL);
	ck_assert(strstr(a, "key") == NULL);
	throttle_robot_id(CHANNEL_WECOM, "https://x/send", "key-1", b);
	ck_assert_str_eq(a, b);
	throttle_robot_id(CHANNEL_WECOM, "https://x/send", "key-2", b);
	ck_assert_str_ne(a, b);
	throttle_robot_id(CHANNEL_DINGTALK, "https://x/send", "key-1", b);
	ck_assert_str_ne(a, b);
	throttle_robot_id(CHANNEL_WECOM, "https://y/send", "key-1", b);
	ck_assert_str_ne(a, b);
	throttle_robot_id(CHANNEL_WEBHOOK, "https://y/hook", NULL, b);
	ck_assert_uint_eq(strlen(b), THROTTLE_ID_LEN);
	/* sha256("wecom\nhttps://x/send\nkey-1"), first 16 bytes (python3
	 * hashlib.sha256(...).hexdigest()[:32]). */
	ck_assert_str_eq(a, "89afd33a034794a860fbc91cc7aaa721");
}
END_TEST

static Suite *
throttle_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("throttle");
	tc = tcase_create("core");
	tcase_add_test(tc, test_throttle_per_minute);
	tcase_add_test(tc, test_throttle_inflight);
	tcase_add_test(tc, test_throttle_block);
	tcase_add_test(tc, test_throttle_expire);
	tcase_add_test(tc, test_throttle_encode_decode);
	tcase_add_test(tc, test_throttle_block_from_wall);
	tcase_add_test(tc, test_throttle_robot_id);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(throttle_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
