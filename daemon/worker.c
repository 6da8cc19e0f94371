/*
 * A worker: the one way an engine runs its job off the loop.  The step
 * (scheduler.c) and the scheduled reports (reporter.c) each do seconds of
 * work in a transaction when a storm or a report over a million items
 * comes; they do it in a thread of their own on a connection of their own
 * (opened on first use, kept, sharing the daemon's checkpointer), so that
 * the loop goes on serving meanwhile.  The thread runs the job with the
 * configuration and the clock it was started with, then writes a byte to
 * a pipe; the loop joins it and calls the engine's done function, as an
 * inline run would.  Where no second connection can be had (":memory:",
 * or opening it failed) worker_start() says so and the engine runs the
 * job inline.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "escalator.h"

struct worker {
	struct event_base	*base;
	struct store		*store;		/* the daemon's */
	const char		*name;		/* the thread's */
	const char		*inline_why;	/* logged when it cannot run */
	int			 reader;	/* the job reads ahead (due reader) */
	worker_job_fn		 job;
	worker_done_fn		 done;
	void			*arg;
	struct store		*wstore;	/* the thread's connection */
	int			 nostore;	/* it cannot be opened */
	int			 donefd[2];
	struct event		*doneev;
	pthread_t		 thread;
	int			 running;
	struct config		*conf;		/* the run's */
	int64_t			 now;		/* the run's */
	void			*run;		/* the run's own */
	int			 result;	/* the run's */
};

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	char		 c = 1;

	xthread_worker(w->name);
	w->result = w->job(w->conf, w->wstore, w->now, w->run);
	while (write(w->donefd[1], &c, 1) == -1 && errno == EINTR)
		;
	return (NULL);
}

/* The thread is done: join it and go on on the loop. */
static void
worker_joined(struct worker *w)
{
	char	 buf[16];

	pthread_join(w->thread, NULL);
	while (read(w->donefd[0], buf, sizeof buf) > 0)
		;
	w->running = 0;
	config_free(w->conf);
	w->conf = NULL;
	w->done(w->result, w->wstore, w->arg, w->run);
}

static void
worker_done_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	worker_joined(arg);
}

/*
 * A worker for job, whose result goes to done on the loop.  name is the
 * thread's; inline_why begins the warning logged when no connection of
 * its own can be opened; reader: the connection starts its due reader.
 * Nothing is opened before the first worker_start().
 */
struct worker *
worker_new(struct event_base *base, struct store *store, const char *name,
    const char *inline_why, int reader, worker_job_fn job,
    worker_done_fn done, void *arg)
{
	struct worker	*w;

	w = xcalloc(1, sizeof *w);
	w->base = base;
	w->store = store;
	w->name = name;
	w->inline_why = inline_why;
	w->reader = reader;
	w->job = job;
	w->done = done;
	w->arg = arg;
	w->donefd[0] = w->donefd[1] = -1;
	return (w);
}

/* Open the thread's connection and pipe; -1 when there can be none. */
static int
worker_open(struct worker *w)
{
	char	*err = NULL;

	if (strcmp(store_path(w->store), ":memory:") == 0 ||
	    pipe2(w->donefd, O_NONBLOCK | O_CLOEXEC) != 0) {
		w->donefd[0] = w->donefd[1] = -1;
		return (-1);
	}
	if ((w->wstore = store_open(store_path(w->store), &err)) == NULL ||
	    (w->reader && store_reader_start(w->wstore, &err) != 0)) {
		log_warnx("%s: %s", w->inline_why, err ? err :
		    "no connection of its own");
		free(err);
		store_close(w->wstore);
		w->wstore = NULL;
		close(w->donefd[0]);
		close(w->donefd[1]);
		w->donefd[0] = w->donefd[1] = -1;
		return (-1);
	}
	store_checkpointer_share(w->store, w->wstore);
	w->doneev = event_new(w->base, w->donefd[0], EV_READ | EV_PERSIST,
	    worker_done_cb, w);
	event_add(w->doneev, NULL);
	return (0);
}

/*
 * Run the job in the thread with conf (referenced for the run), now and
 * the run's own pointer (the caller's: given back to job and done): 0
 * started (done is called on the loop when it ends), -1 when it cannot
 * run in a thread (the caller runs it inline).  Not while one runs.
 */
int
worker_start(struct worker *w, struct config *conf, int64_t now, void *run)
{
	if (w->nostore || w->running)
		return (-1);
	if (w->wstore == NULL && worker_open(w) != 0) {
		w->nostore = 1;
		return (-1);
	}
	w->conf = config_ref(conf);
	w->now = now;
	w->run = run;
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		config_free(w->conf);
		w->conf = NULL;
		return (-1);
	}
	w->running = 1;
	return (0);
}

/* Whether a run is in the thread. */
int
worker_running(const struct worker *w)
{
	return (w != NULL && w->running);
}

/* Wait for a run in the thread and call done (reload, shutdown). */
void
worker_wait(struct worker *w)
{
	if (w != NULL && w->running)
		worker_joined(w);
}

/*
 * Free the worker.  A run in the thread is waited for, without its done
 * (the loop is going away: the run's own pointer stays the caller's);
 * interrupt: its statement is interrupted first (what it had not
 * committed is done after the restart).
 */
void
worker_free(struct worker *w, int interrupt)
{
	if (w == NULL)
		return;
	if (w->running) {
		if (interrupt)
			store_interrupt(w->wstore);
		pthread_join(w->thread, NULL);
		config_free(w->conf);
	}
	if (w->doneev != NULL)
		event_free(w->doneev);
	if (w->donefd[0] != -1) {
		close(w->donefd[0]);
		close(w->donefd[1]);
	}
	store_close(w->wstore);
	free(w);
}
