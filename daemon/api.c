/*
 * Errors to show to an API client: an HTTP status, the request field at
 * fault and a sentence.  Every layer that validates input fills one.
 */
#include <stdarg.h>
#include <stdio.h>

#include "escalator.h"

/* Fill an API error. */
void
api_error_set(struct api_error *e, int status, const char *field,
    const char *fmt, ...)
{
	va_list	 ap;

	e->status = status;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}
