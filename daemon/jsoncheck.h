/*
 * jsoncheck.c: a non-allocating JSON syntax check with jansson's rules, for
 * texts that are stored as JSON and later spliced verbatim into a body.
 */
#ifndef JSONCHECK_H
#define JSONCHECK_H

#include <stddef.h>

/* 0 when buf[0..len) is one JSON text that jansson's json_loadb(buf, len, 0)
 * would accept; *is_object (may be NULL) tells whether its top-level value is
 * an object.  -1 otherwise, with a short English reason in why[whylen]
 * (may be NULL), e.g. "invalid escape at byte 120". Never allocates.
 *
 * One deliberate difference: a NUL byte is always an error, whereas jansson
 * 2.14 skips one NUL right after a number or a literal ("[1\0]" loads). */
int	json_check(const char *buf, size_t len, int *is_object, char *why,
	    size_t whylen);

#endif /* JSONCHECK_H */
