/*
 * Differential fuzzing of json_check() against jansson itself: for every
 * input, json_check() must accept exactly when json_loadb(data, size, 0)
 * loads it, and report an object exactly when jansson built one.  The one
 * intended difference is a NUL byte, which json_check() always refuses
 * (jansson 2.14 skips one right after a number or a literal).
 */
#include <jansson.h>

#include "fuzz.h"
#include "jsoncheck.h"

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
	const char	*s = (const char *)data;
	char		 why[128];
	json_t		*j;
	int		 ok, want, obj = -1;

	ok = json_check(s, size, &obj, why, sizeof why) == 0;
	j = json_loadb(s, size, 0, NULL);
	want = j != NULL && memchr(s, '\0', size) == NULL;
	if (ok != want) {
		fprintf(stderr, "json_check %s, jansson %s (%s)\n",
		    ok ? "accepts" : "refuses", want ? "accepts" : "refuses",
		    ok ? "" : why);
		abort();
	}
	if (ok && obj != json_is_object(j))
		abort();
	if (!ok && (obj != 0 || why[0] == '\0'))
		abort();
	json_decref(j);
	return (0);
}
