/*
 * Unit tests for log.c's action entries: the journal fields (ITEM_ID,
 * PROJECT, STAGE, CHANNEL, OUTCOME and ACTOR, who did it, as the action
 * log's actor column names it) and the foreground line.  The journal is
 * caught by defining sd_journal_sendv here: log.o is linked into this
 * program, so its calls come here instead of to libsystemd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <check.h>

#include "escalator.h"

#define MAX_FIELDS	32

static char	*sent[MAX_FIELDS];
static int	 nsent, calls;

int sd_journal_sendv(const struct iovec *, int);

/* The one entry sent last, its fields kept as strings. */
int
sd_journal_sendv(const struct iovec *iov, int n)
{
	int	 i;

	for (i = 0; i < nsent; i++)
		free(sent[i]);
	nsent = 0;
	calls++;
	for (i = 0; i < n && i < MAX_FIELDS; i++)
		sent[nsent++] = xstrndup(iov[i].iov_base, iov[i].iov_len);
	return (0);
}

/* How many fields of the last entry are exactly f. */
static int
has(const char *f)
{
	int	 i, c = 0;

	for (i = 0; i < nsent; i++)
		c += strcmp(sent[i], f) == 0;
	return (c);
}

/* How many fields of the last entry are named name ("ACTOR="). */
static int
named(const char *name)
{
	int	 i, c = 0;

	for (i = 0; i < nsent; i++)
		c += strncmp(sent[i], name, strlen(name)) == 0;
	return (c);
}

/* Each test starts with nothing sent (CK_FORK=no runs them in one process). */
static void
reset(void)
{
	int	 i;

	for (i = 0; i < nsent; i++)
		free(sent[i]);
	nsent = calls = 0;
	log_simulation(0);
}

/* An action's entry names its actor beside its other fields. */
START_TEST(test_journal_actor)
{
	log_init(0, LOG_TO_JOURNAL);
	log_action("unix:alice", 7, "P-1", "remind", "chat", "queued",
	    "item %d queued", 7);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(has("MESSAGE=item 7 queued"), 1);
	ck_assert_int_eq(has("ACTOR=unix:alice"), 1);
	ck_assert_int_eq(named("ACTOR="), 1);
	ck_assert_int_eq(has("ITEM_ID=7"), 1);
	ck_assert_int_eq(has("PROJECT=P-1"), 1);
	ck_assert_int_eq(has("STAGE=remind"), 1);
	ck_assert_int_eq(has("CHANNEL=chat"), 1);
	ck_assert_int_eq(has("OUTCOME=queued"), 1);
	ck_assert_int_eq(has("SYSLOG_IDENTIFIER=approval-escalatord"), 1);
	/* No actor is the daemon, as in the action log. */
	log_action(NULL, 0, NULL, NULL, "chat", "failed", "x");
	ck_assert_int_eq(has("ACTOR=" STORE_ACTOR_DAEMON), 1);
	ck_assert_int_eq(has("PROJECT="), 1);
	ck_assert_int_eq(has("ITEM_ID=0"), 1);
	log_action("", 0, NULL, NULL, NULL, "reloaded", "x");
	ck_assert_int_eq(has("ACTOR=" STORE_ACTOR_DAEMON), 1);
	log_action(DAEMON_RELOAD_SIGHUP, 0, NULL, NULL, NULL, "reloaded",
	    "configuration reloaded");
	ck_assert_int_eq(has("ACTOR=signal:SIGHUP"), 1);
}
END_TEST

/* A message listing several items: every ITEM_ID, one ACTOR. */
START_TEST(test_journal_items_actor)
{
	static const int64_t	 ids[] = { 3, 5, 8 };

	log_init(0, LOG_TO_JOURNAL);
	log_action_items("token:clerk-office", ids, 3, NULL, "remind", "chat",
	    "sent", "message %d sent", 4);
	ck_assert_int_eq(calls, 1);
	ck_assert_int_eq(has("ACTOR=token:clerk-office"), 1);
	ck_assert_int_eq(named("ACTOR="), 1);
	ck_assert_int_eq(has("ITEM_ID=3") + has("ITEM_ID=5") +
	    has("ITEM_ID=8"), 3);
	ck_assert_int_eq(named("PROJECT="), 0);	/* several projects */
	ck_assert_int_eq(has("MESSAGE=message 4 sent"), 1);
	log_action_items(NULL, ids, 1, "P-2", "remind", "chat", "sent", "y");
	ck_assert_int_eq(has("ACTOR=" STORE_ACTOR_DAEMON), 1);
	ck_assert_int_eq(has("PROJECT=P-2"), 1);
	ck_assert_int_eq(named("ITEM_ID="), 1);
}
END_TEST

/* A simulation's actions never happened: no entry at all. */
START_TEST(test_journal_simulation)
{
	log_init(0, LOG_TO_JOURNAL);
	log_simulation(1);
	log_action("unix:alice", 1, NULL, NULL, NULL, "queued", "x");
	log_action_items(NULL, NULL, 0, NULL, NULL, NULL, "sent", "y");
	log_simulation(0);
	ck_assert_int_eq(calls, 0);
}
END_TEST

/* Read what the calls made of stderr. */
static char *
stderr_of(void (*fn)(void))
{
	char	 path[] = "/tmp/check_log.XXXXXX";
	char	*buf;
	int	 fd, saved;
	ssize_t	 r;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	unlink(path);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	buf = xcalloc(1, 4096);
	ck_assert_int_ge(r = pread(fd, buf, 4095, 0), 0);
	close(fd);
	return (buf);
}

static void
lines(void)
{
	static const int64_t	 ids[] = { 1, 2 };

	log_init(0, LOG_TO_STDERR);
	log_action("unix:alice", 1, "P", NULL, NULL, "progress", "first");
	log_action(NULL, 1, "P", NULL, NULL, "escalated", "second");
	log_action_items("token:audit", ids, 2, NULL, NULL, NULL, "queued",
	    "third");
	log_action(STORE_ACTOR_DAEMON, 1, NULL, NULL, NULL, "sent", "fourth");
}

/* The foreground line names who did it, unless the daemon. */
START_TEST(test_stderr_actor)
{
	char	*out = stderr_of(lines);

	ck_assert_ptr_nonnull(strstr(out, " first (actor unix:alice)\n"));
	ck_assert_ptr_nonnull(strstr(out, " second\n"));
	ck_assert_ptr_nonnull(strstr(out, " third (actor token:audit)\n"));
	ck_assert_ptr_nonnull(strstr(out, " fourth\n"));
	ck_assert_ptr_null(strstr(out, "daemon"));
	ck_assert_int_eq(calls, 0);
	free(out);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, reset, reset);

	tcase_add_test(tc, test_journal_actor);
	tcase_add_test(tc, test_journal_items_actor);
	tcase_add_test(tc, test_journal_simulation);
	tcase_add_test(tc, test_stderr_actor);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(log_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
