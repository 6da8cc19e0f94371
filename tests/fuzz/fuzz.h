/*
 * Shared helpers of the libFuzzer targets in tests/fuzz/: a fixed time
 * zone and "now", the shipped configuration loaded once, a private
 * scratch directory and small input readers.  FUZZ_ROOT (the repository
 * root) is defined on the compiler's command line by tests/fuzz/run.sh.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escalator.h"

#ifndef FUZZ_ROOT
#error "FUZZ_ROOT must name the repository root"
#endif

/* 2026-03-02 10:00 Asia/Shanghai, a Monday: every run sees the same clock. */
#define FUZZ_NOW	((int64_t)1772416800)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* The process-wide setup every target needs. */
static inline void
fuzz_setup(void)
{
	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	log_init(0, LOG_TO_STDERR);
}

/* The shipped configuration (rules/), loaded once and kept. */
static inline const struct config *
fuzz_config(void)
{
	static struct config	*conf;
	char			**problems = NULL;
	size_t			  n = 0, i;

	if (conf != NULL)
		return (conf);
	conf = config_load(FUZZ_ROOT "/rules/approval-escalatord.conf",
	    &problems, &n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "fuzz: %s\n", problems[i]);
	config_problems_free(problems, n);
	if (conf == NULL)
		abort();
	return (conf);
}

/* A private scratch directory (created once, removed at exit), with a
 * "rules" symlink so inputs can @include "rules/...". */
static inline char *
fuzz_dir_path(void)
{
	static char	path[256];

	return (path);
}

static inline void
fuzz_dir_remove(void)
{
	char	cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path());
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir_path());
}

static inline const char *
fuzz_dir(void)
{
	char		*path = fuzz_dir_path(), link[300];
	const char	*base;

	if (path[0] != '\0')
		return (path);
	/* Under FUZZ_TMPDIR (run.sh: build-fuzz/tmp, emptied after each run):
	 * libFuzzer leaves without running atexit() when it stops or crashes. */
	base = getenv("FUZZ_TMPDIR");
	if (base == NULL || *base == '\0' || strlen(base) > 200)
		base = "/tmp";
	snprintf(path, 256, "%s/esc-fuzz-XXXXXX", base);
	if (mkdtemp(path) == NULL)
		abort();
	snprintf(link, sizeof link, "%s/rules", path);
	if (symlink(FUZZ_ROOT "/rules", link) != 0)
		abort();
	atexit(fuzz_dir_remove);
	return (path);
}

/* Write bytes to a file, replacing it. */
static inline void
fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	int	fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

/* A NUL-terminated copy of the input (malloc'd). */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char	*s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return (s);
}

/* Take one byte off the front of the input (0 when empty). */
static inline unsigned
fuzz_byte(const uint8_t **data, size_t *size)
{
	unsigned	v;

	if (*size == 0)
		return (0);
	v = **data;
	(*data)++;
	(*size)--;
	return (v);
}

#endif /* FUZZ_H */
