/*
 * Fuzz the template file parser and renderer: the input is a template
 * file; when it parses, every section is rendered with placeholder values
 * that themselves contain braces, multi-byte and odd bytes.
 */
#include "fuzz.h"

/* Values with braces, UTF-8 and an empty one, by placeholder name. */
static const char *
fuzz_lookup(void *arg, const char *name)
{
	static const char *const values[] = {
		"{project}", "滨江科创产业园一期", "", "}}{{", "%s%n", "\xe5\x8a",
		"a\nb\r\n", "1970-01-01 00:00:00",
	};
	unsigned	 h = (unsigned)(uintptr_t)arg;

	for (; *name != '\0'; name++)
		h = h * 31 + (unsigned char)*name;
	return (values[h % (sizeof values / sizeof values[0])]);
}

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
	struct template_set	 set;
	struct template		*t;
	char			*text = fuzz_string(data, size), *err = NULL;
	char			*out;
	struct template		*secs[4];
	size_t			 i;

	if (template_set_parse(text, "fuzz.tmpl", &set, &err) == 0) {
		if (err != NULL)
			abort();
		secs[0] = set.title;
		secs[1] = set.header;
		secs[2] = set.item;
		secs[3] = set.footer;
		for (i = 0; i < 4; i++) {
			if (secs[i] == NULL)
				continue;
			out = template_render(secs[i], fuzz_lookup,
			    (void *)(uintptr_t)i);
			if (out == NULL)
				abort();
			(void)template_uses(secs[i], "project");
			free(out);
		}
		template_set_clear(&set);
	} else {
		if (err == NULL)
			abort();
		free(err);
	}

	/* The same text as one bare template, item placeholders allowed. */
	err = NULL;
	if ((t = template_parse(text, template_item_names, &err)) != NULL) {
		out = template_render(t, fuzz_lookup, NULL);
		free(out);
		template_free(t);
	} else
		free(err);
	free(text);
	return (0);
}
