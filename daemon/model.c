/*
 * The item model's vocabulary: the statuses an item goes through and the
 * modes it is handled in.  The strings are stored in the database and
 * shown by the API, so they never change; STATUS_* and MODE_* in
 * escalator.h are their one spelling and the tables here their one list.
 */
#include <stddef.h>
#include <string.h>

#include "escalator.h"

/* Every status, in the order of an item's life. */
const char *const model_statuses[] = {
	STATUS_PLANNED, STATUS_ACCEPTED, STATUS_SUSPENDED, STATUS_DONE,
	STATUS_CANCELLED, NULL
};

/* Every mode. */
const char *const model_modes[] = {
	MODE_NORMAL, MODE_PRECHECK, MODE_SUPPLEMENT, MODE_COMMITMENT, NULL
};

/* Every outcome of a commitment's verification. */
const char *const model_results[] = {
	COMMITMENT_PASS, COMMITMENT_FAIL, NULL
};

/* Whether s is one of a NULL-terminated list. */
static int
model_in(const char *const *list, const char *s)
{
	size_t	 i;

	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(list[i], s) == 0)
			return (1);
	}
	return (0);
}

/* Whether a status name is known. */
int
model_valid_status(const char *s)
{
	return (model_in(model_statuses, s));
}

/* Whether a mode name is known. */
int
model_valid_mode(const char *m)
{
	return (model_in(model_modes, m));
}

/* Whether a verification outcome is known. */
int
model_valid_result(const char *r)
{
	return (model_in(model_results, r));
}

/* Whether an item with this status is being handled: its clock runs or
 * stands (accepted or suspended). */
int
model_status_open(const char *s)
{
	return (strcmp(s, STATUS_ACCEPTED) == 0 ||
	    strcmp(s, STATUS_SUSPENDED) == 0);
}

/* Whether an item with this status is closed (done or cancelled). */
int
model_status_closed(const char *s)
{
	return (strcmp(s, STATUS_DONE) == 0 ||
	    strcmp(s, STATUS_CANCELLED) == 0);
}
