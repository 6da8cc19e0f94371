/*
 * approval-escalatord: keeps project approval items on schedule by
 * escalating overdue ones, stage by stage, to the chat groups of the
 * people responsible.  main() reads like a table of contents.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>

#include <sqlite3.h>

#include "escalator.h"

#define DEFAULT_CONFIG "/etc/approval-escalatord/approval-escalatord.conf"
#define SHUTDOWN_GRACE 5	/* seconds for in-flight sends to finish */

static struct event	*watchdog_ev;

/* The usage on f; exit with status (0 for --help, 2 for a usage error). */
static __dead void
usage(FILE *f, int status)
{
	fprintf(f, "usage: approval-escalatord [-dhtV] [-f config]\n"
	    "  -f, --config FILE  configuration file (default %s)\n"
	    "  -t, --test         check the configuration and exit\n"
	    "  -d, --debug        debug logging to stderr\n"
	    "  -h, --help         print this help and exit\n"
	    "  -V, --version      print the version and exit\n"
	    "The daemon refuses to start (and -t fails) while a channel still "
	    "has the\nshipped PLACEHOLDER key, token or secret.  See "
	    "approval-escalatord(8).\n", DEFAULT_CONFIG);
	exit(status);
}

/* Print every configuration problem; return the configuration or NULL. */
static struct config *
load_config(const char *path, int quiet)
{
	struct config	*conf;
	char		**problems = NULL;
	size_t		  n = 0, i;

	conf = config_load(path, &problems, &n);
	/* Started for real (or -t): never post with the shipped keys. */
	if (conf != NULL && config_placeholder_problems(conf, &problems,
	    &n) > 0) {
		config_free(conf);
		conf = NULL;
	}
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s\n", problems[i]);
	config_problems_free(problems, n);
	if (conf != NULL && !quiet)
		for (i = 0; i < conf->nwarnings; i++)
			fprintf(stderr, "warning: %s\n", conf->warnings[i]);
	return (conf);
}

/* SIGTERM/SIGINT: leave the loop; shutdown happens in main. */
static void
on_stop(evutil_socket_t sig, short ev, void *arg)
{
	struct escalator	*esc = arg;

	(void)ev;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(esc->base);
}

/* SIGHUP: reload. */
static void
on_hup(evutil_socket_t sig, short ev, void *arg)
{
	char	**problems = NULL;
	size_t	  n = 0;

	(void)sig;
	(void)ev;
	control_renders_wait(((struct escalator *)arg)->control);
	if (daemon_reload(arg, DAEMON_RELOAD_SIGHUP, &problems, &n) != 0)
		config_problems_free(problems, n);
}

/* Watchdog ping from the loop itself, with a fresh status. */
static void
on_watchdog(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	notify_watchdog();
	daemon_status_line(arg);
}

/* Arm the watchdog at half of WatchdogSec, when systemd asks for one. */
static void
start_watchdog(struct escalator *esc)
{
	uint64_t	 usec = notify_watchdog_usec();
	struct timeval	 tv;

	if (usec == 0)
		return;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	watchdog_ev = event_new(esc->base, -1, EV_PERSIST, on_watchdog, esc);
	event_add(watchdog_ev, &tv);
}

/* Re-evaluate every item against the rules loaded at start-up. */
static void
retrack_at_start(struct escalator *esc)
{
	if (store_begin(esc->store) != 0)
		fatalx("database: %s", store_error(esc->store));
	if (item_retrack_all(esc->conf, esc->store, (int64_t)time(NULL), NULL) != 0 ||
	    store_commit(esc->store) != 0) {
		/* SQLite's message, before the rollback replaces it. */
		char *msg = xstrdup(store_error(esc->store));

		store_rollback(esc->store);
		fatalx("database: %s: %s", store_path(esc->store), msg);
	}
}

/* Let in-flight sends finish (bounded); the rest stays queued. */
static void
drain(struct escalator *esc)
{
	time_t	 until = time(NULL) + SHUTDOWN_GRACE;

	while (outbox_inflight(esc->outbox) > 0 && time(NULL) < until)
		event_base_loop(esc->base, EVLOOP_ONCE | EVLOOP_NONBLOCK),
		    usleep(10000);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct escalator	 esc;
	struct event		*ev_term, *ev_int, *ev_hup;
	const char		*path = getenv("APPROVAL_ESCALATOR_CONFIG");
	char			*err = NULL;
	int			 ch, test = 0, debug = 0;

	while ((ch = getopt_long(argc, argv, "df:htV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd': debug = 1; break;
		case 'f': path = optarg; break;
		case 'h': usage(stdout, 0);
		case 't': test = 1; break;
		case 'V': printf("approval-escalatord %s\n", ESCALATOR_VERSION);
			return (0);
		default: usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	if (path == NULL)
		path = DEFAULT_CONFIG;

	memset(&esc, 0, sizeof esc);
	if ((esc.conf = load_config(path, 0)) == NULL)
		return (1);
	if (test) {
		printf("configuration OK\n");
		config_free(esc.conf);
		return (0);
	}
	daemon_apply_timezone(esc.conf);
	log_init(debug, !debug && notify_under_journal() ? LOG_TO_JOURNAL :
	    LOG_TO_STDERR);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");

	/* Several threads use SQLite (the loop, the checkpointer, the due
	 * walk's reader): no global lock around every allocation for the
	 * memory statistics nobody reads. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if ((esc.store = store_open(esc.conf->database, &err)) == NULL)
		fatalx("database: %s", err);
	if (store_checkpointer_start(esc.store, &err) != 0 ||
	    store_reader_start(esc.store, &err) != 0)
		fatalx("database: %s", err);
	esc.base = event_base_new();
	esc.started_at = (int64_t)time(NULL);
	esc.reload_ok = 1;
	esc.sched = scheduler_new(&esc);
	esc.outbox = outbox_new(&esc);
	esc.reporter = reporter_new(&esc);
	daemon_wire(&esc);
	if ((esc.control = control_new(&esc, &err)) == NULL)
		fatalx("control socket: %s", err);
	retrack_at_start(&esc);
	/* Re-evaluating every item at start-up leaves tens of megabytes of
	 * freed heap behind (1,000,000 items: 41 MB resident, 17 MB after
	 * this): give it back before settling down for days. */
	malloc_trim(0);
	/* From now on a lock held by another process fails fast. */
	store_busy_timeout(esc.store, STORE_BUSY_MS);

	ev_term = evsignal_new(esc.base, SIGTERM, on_stop, &esc);
	ev_int = evsignal_new(esc.base, SIGINT, on_stop, &esc);
	ev_hup = evsignal_new(esc.base, SIGHUP, on_hup, &esc);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	event_add(ev_hup, NULL);
	start_watchdog(&esc);
	daemon_calendar_check(&esc);
	scheduler_arm(esc.sched);
	reporter_arm(esc.reporter);
	outbox_kick(esc.outbox, NULL);

	log_info("approval-escalatord %s started: %s, socket %s",
	    ESCALATOR_VERSION, esc.conf->database, esc.conf->socket);
	notify_ready();
	daemon_status_line(&esc);
	event_base_dispatch(esc.base);

	notify_stopping();
	control_free(esc.control);
	drain(&esc);
	outbox_free(esc.outbox);
	reporter_free(esc.reporter);
	scheduler_free(esc.sched);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_hup);
	if (watchdog_ev != NULL)
		event_free(watchdog_ev);
	event_base_free(esc.base);
	store_close(esc.store);
	config_free(esc.conf);
	curl_global_cleanup();
	log_info("stopped");
	return (0);
}
