/*
 * when.h - times as owners type them on the command line (issue 13).
 *
 * Accepted, read in the configured zone (sched_tz_use already called):
 *   now
 *   2026-12-03 09:00, 2026-12-03T09:00+01:00, 2026-12-03  (sched_parse_time)
 *   9am, 9:30pm, 17:30          the next such time (today, else tomorrow)
 *   today 17:30, tomorrow 9am
 *   Mon 09:00, monday 9am       the next Monday at that time (today if later)
 *   next Mon [TIME]             the Monday after today (never today)
 *   03.12.2026 [TIME], 03/12/2026 [TIME]
 * Day-month-year or month-day-year: zones under America/ write the month
 * first (12/03/2026 is December 3); every other zone under a continent
 * (Europe/, Africa/, Asia/, Australia/, Atlantic/, Indian/, Pacific/)
 * writes the day first. In any other zone (UTC, Etc/...) a date whose
 * first two numbers could both be the month (03/12/2026) is refused,
 * naming both readings; 13/12/2026 can only be day first and is taken.
 *
 * A form without a time of day leaves out->has_time = 0 (the caller
 * decides: a --from date means the whole day). No heap; err on failure,
 * naming what was typed and the accepted forms.
 */
#ifndef RITUAL_WHEN_H
#define RITUAL_WHEN_H

#include <time.h>
#include "ritual/schedule.h"
#include "ritual/util.h"

int when_parse(const char *s, time_t now, const char *zone,
	       struct parsed_time *out, struct err *err);

#endif
