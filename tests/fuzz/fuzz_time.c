/*
 * Fuzz the parsers of dates, times and durations the API and the
 * configuration take as strings: rules_parse_time, calendar_parse_date
 * and config_parse_duration, plus the arithmetic on what they return.
 */
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
	const struct config	*conf = fuzz_config();
	struct duration		 d;
	char			*s = fuzz_string(data, size), buf[64];
	int64_t			 t;
	int32_t			 day, day2;
	struct duration		 d2;
	int			 y, m, dd;

	if (rules_parse_time(s, FUZZ_NOW, &t) == 0) {
		rules_format(t, buf, sizeof buf);
		rules_split(t, &day, NULL);
		calendar_civil(day, &y, &m, &dd);
	}
	if (calendar_parse_date(s, &day) == 0) {
		calendar_format_date(day, buf);
		if (calendar_parse_date(buf, &day2) != 0 || day2 != day)
			abort();	/* what we print we must read back */
	}
	if (config_parse_duration(s, &d) == 0) {
		config_format_duration(&d, buf, sizeof buf);
		if (config_parse_duration(buf, &d2) != 0 || d2.unit != d.unit ||
		    d2.n != d.n)
			abort();	/* the round trip must hold */
		(void)rules_add(conf->calendar, FUZZ_NOW, &d, 3, NULL);
		(void)rules_deadline(conf->calendar, FUZZ_NOW, &d,
		    conf->deadline_min, NULL);
	}
	free(s);
	return (0);
}
