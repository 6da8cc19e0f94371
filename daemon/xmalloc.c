/*
 * Allocation wrappers: running out of memory is the one error the daemon
 * treats as fatal, so callers never check these for NULL.
 */
#include <sys/resource.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escalator.h"

static __dead void
xmalloc_die(const char *what)
{
	fprintf(stderr, "approval-escalatord: %s: out of memory\n", what);
	abort();
}

/* Allocate size bytes (at least one). */
void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size ? size : 1)) == NULL)
		xmalloc_die("xmalloc");
	return (p);
}

/* Allocate a zeroed array. */
void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n ? n : 1, size ? size : 1)) == NULL)
		xmalloc_die("xcalloc");
	return (p);
}

/* Resize an array, checking the multiplication for overflow. */
void *
xreallocarray(void *old, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		xmalloc_die("xreallocarray overflow");
	if ((p = realloc(old, n * size != 0 ? n * size : 1)) == NULL)
		xmalloc_die("xreallocarray");
	return (p);
}

/* Copy a string. */
char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		xmalloc_die("xstrdup");
	return (p);
}

/* Copy at most n bytes of a string. */
char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		xmalloc_die("xstrndup");
	return (p);
}

/* Format into a new string; returns its length. */
int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	 i;

	i = vasprintf(ret, fmt, ap);
	if (i < 0 || *ret == NULL)
		xmalloc_die("xvasprintf");
	return (i);
}

/* Format into a new string; returns its length. */
int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 i;

	va_start(ap, fmt);
	i = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return (i);
}

/*
 * Name the calling thread and let it yield to the event loop: a worker
 * (the step and its helpers, an import) runs at a lower priority (nice
 * XTHREAD_NICE, for this thread only; threads it starts inherit it), so
 * that on a busy machine the loop's short answers go first and the bulk
 * work takes what is left.  On an idle machine it changes nothing.
 */
#define XTHREAD_NICE	5

void
xthread_worker(const char *name)
{
	pthread_setname_np(pthread_self(), name);
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), XTHREAD_NICE);
}

/*
 * The same for housekeeping that can always wait (the WAL checkpointer):
 * the lowest priority, nice 19, so that it takes a core only when the
 * loop, the step and everything else on the machine leave one free.
 */
#define XTHREAD_BACKGROUND_NICE	19

void
xthread_background(const char *name)
{
	pthread_setname_np(pthread_self(), name);
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(),
	    XTHREAD_BACKGROUND_NICE);
}
