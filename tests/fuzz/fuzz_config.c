/*
 * Fuzz the configuration loader: the input is written as the main file
 * and, under the name "inc.conf", as a file it may @include (itself, so
 * include recursion is reached too); the scratch directory also has a
 * "rules" link to the shipped rules for @include "rules/...".  Every
 * input must either load or be rejected with problems, never crash.
 */
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*conf;
	char		 main_path[300], inc_path[300];
	char		**problems = NULL;
	size_t		  n = 0, i;

	snprintf(main_path, sizeof main_path, "%s/main.conf", fuzz_dir());
	snprintf(inc_path, sizeof inc_path, "%s/inc.conf", fuzz_dir());
	fuzz_write(main_path, data, size);
	fuzz_write(inc_path, data, size);
	conf = config_load(main_path, &problems, &n);
	/* Success and failure are exclusive. */
	if ((conf == NULL) != (n > 0))
		abort();
	for (i = 0; i < n; i++)
		if (problems[i] == NULL || problems[i][0] == '\0')
			abort();
	config_problems_free(problems, n);
	config_free(conf);
	return (0);
}
