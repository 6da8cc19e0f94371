/*
 * All talk with systemd lives here: readiness, status, watchdog, reload
 * and stopping notifications.  Outside systemd every call is a no-op
 * because sd_notify() does nothing without NOTIFY_SOCKET.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "escalator.h"

/* Tell systemd the daemon is up: store, config and listeners ready. */
void
notify_ready(void)
{
	sd_notify(0, "READY=1");
}

/* Publish a one-line status. */
void
notify_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

/* Announce a configuration reload, as sd_notify(3) asks. */
void
notify_reloading(void)
{
	struct timespec	 ts;
	uint64_t	 usec;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)usec);
}

/* Announce shutdown. */
void
notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

/* Ping the watchdog. */
void
notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

/* The watchdog interval in microseconds, 0 when not enabled. */
uint64_t
notify_watchdog_usec(void)
{
	uint64_t	 usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return (0);
	return (usec);
}

/* Whether stderr is connected to the journal (JOURNAL_STREAM matches). */
int
notify_under_journal(void)
{
	return (getenv("JOURNAL_STREAM") != NULL);
}
