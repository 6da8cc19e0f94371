/*
 * Fuzz the CSV importer: import_csv on an in-memory store under the
 * shipped configuration, in a transaction like POST /v1/import holds.
 * The first input byte picks the encoding and dry run; the rest is the
 * file.  A successful import is committed and the scheduler run over it
 * once, so imported text also reaches the message renderer.
 */
#include <jansson.h>

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup();
	(void)fuzz_config();
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const encodings[] = { "auto", NULL, "utf-8",
	    "gb18030", "gbk", "latin1" };
	const struct config	*conf = fuzz_config();
	struct api_error	 e;
	struct store		*s;
	json_t			*result = NULL, *problems = NULL;
	unsigned		 a = fuzz_byte(&data, &size);
	char			*err = NULL;
	int			 rc, dry = (a & 0x80) != 0;

	if ((s = store_open(":memory:", &err)) == NULL)
		abort();
	memset(&e, 0, sizeof e);
	if (store_begin(s) != 0)
		abort();
	rc = import_csv(conf, s, (const char *)data, size,
	    encodings[(a & 0x7f) % 6], dry, FUZZ_NOW, &result, &problems, &e);
	if (rc == 0) {
		if (result == NULL || problems != NULL)
			abort();
		if (dry)
			store_rollback(s);
		else if (store_commit(s) != 0)
			abort();
	} else {
		if (e.status == 0 || result != NULL)
			abort();	/* a failure without a reason */
		if (e.status == 422 && json_array_size(problems) == 0)
			abort();	/* "problems" without any listed */
		store_rollback(s);
	}
	json_decref(result);
	json_decref(problems);
	if (rc == 0 && !dry && scheduler_step(conf, s, FUZZ_NOW + 30 * 86400) < 0)
		abort();
	store_close(s);
	return (0);
}
