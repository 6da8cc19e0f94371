/*
 * Fuzz the UTF-8 helpers and check their contracts: utf8_cut never goes
 * past max or len, and cutting valid text leaves valid text (a cut never
 * splits a character).  The first two bytes give the limit.
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
	unsigned	 hi = fuzz_byte(&data, &size);
	unsigned	 lo = fuzz_byte(&data, &size);
	size_t		 max = (size_t)(hi << 8 | lo), cut, m;
	const char	*s = (const char *)data;
	int		 valid = utf8_valid(s, size);

	if (!valid && size == 0)
		abort();
	for (m = 0; m <= 8; m++) {
		size_t lim = m == 8 ? max : m;
		cut = utf8_cut(s, size, lim);
		if (cut > size || (cut > lim && size > lim))
			abort();
		if (size <= lim && cut != size)
			abort();
		if (valid && !utf8_valid(s, cut))
			abort();
		if (valid && !utf8_valid(s + cut, size - cut))
			abort();
	}
	/* Every prefix of valid text that ends on a boundary is valid. */
	if (valid && size > 0 && !utf8_valid(s, size - 1) &&
	    ((unsigned char)s[size - 1] < 0x80))
		abort();
	return (0);
}
