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

/*
 * The longest text, in characters, a request member may carry: codes and
 * names are short, notes and reasons a few paragraphs, times and limits a
 * few words.  Members not listed take MODEL_TEXT_NAME.
 */
static const struct {
	const char	*field;
	size_t		 max;
} model_text_max[] = {
	{ "project", MODEL_TEXT_CODE },
	{ "code", MODEL_TEXT_CODE },
	{ "event_id", MODEL_TEXT_CODE },
	{ "note", MODEL_TEXT_NOTE },
	{ "reason", MODEL_TEXT_NOTE },
	{ "content", MODEL_TEXT_NOTE },
	{ "deadline", MODEL_TEXT_TIME },
	{ "accepted_at", MODEL_TEXT_TIME },
	{ "supplement_deadline", MODEL_TEXT_TIME },
	{ "commitment_deadline", MODEL_TEXT_TIME },
	{ "planned_start", MODEL_TEXT_TIME },
	{ "limit", MODEL_TEXT_TIME },
	{ "at", MODEL_TEXT_TIME },
	{ "until", MODEL_TEXT_TIME },
};

/* The longest text a request member may carry, in characters. */
size_t
model_text_limit(const char *field)
{
	size_t	 i;

	for (i = 0; i < sizeof model_text_max / sizeof model_text_max[0]; i++) {
		if (strcmp(model_text_max[i].field, field) == 0)
			return (model_text_max[i].max);
	}
	return (MODEL_TEXT_NAME);
}
