/*
 * fuzz_time.c - sched_parse_time (with and without date_only), then
 * sched_wall_to_utc, sched_gap_bounds and the formatters, in UTC and in
 * zones with DST (New York), half-hour DST (Lord Howe) and a skipped day
 * (Samoa).
 *
 * Invariants: an accepted time has fields in range, a bare date only when
 * date_only allows it; every accepted wall time converts; in UTC it
 * exists exactly once; a wall time that exists (or exists twice) comes
 * back from sched_utc_to_wall unchanged; one in a gap is moved later and
 * has gap bounds one minute-or-so apart around the transition; the RFC
 * 3339 form of an instant parses back to the same instant and wall time;
 * the human form fits the 32 bytes the header promises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ritual/schedule.h"

static const char *const zones[] = {"UTC", "America/New_York",
				    "Australia/Lord_Howe", "Pacific/Apia"};

static int wall_eq(const struct wall *a, const struct wall *b)
{
	return a->year == b->year && a->mon == b->mon && a->day == b->day &&
	       a->hour == b->hour && a->min == b->min && a->sec == b->sec;
}

static long long wall_key(const struct wall *w)
{
	return ((((w->year * 13LL + w->mon) * 32 + w->day) * 24 + w->hour) * 60 +
		w->min) * 60 + w->sec;
}

static void roundtrip_iso(time_t t, const char *zone)
{
	char buf[40], human[32];
	struct parsed_time pt;
	struct err e = {{0}};
	struct wall w;
	long off;

	sched_utc_to_wall(t, &w, &off);
	FZ_CHECK(sched_format_human(t, human, sizeof(human)) == 0,
		 "%s: human form of %lld does not fit 32 bytes", zone, (long long)t);
	if (off % 60)
		return;  /* local mean time: an offset with seconds */
	if (w.year < 1 || w.year > 9999)
		return;  /* e.g. 0001-01-01T00:00+05:00 is in year 0 in UTC */
	FZ_CHECK(sched_format_iso(t, buf, 26) == 0, "%s: ISO form of %lld does "
		 "not fit 26 bytes", zone, (long long)t);
	FZ_CHECK(sched_parse_time(buf, 0, &pt, &e) == 0,
		 "%s: own ISO form \"%s\" refused: %s", zone, buf, e.msg);
	FZ_CHECK(pt.has_offset && pt.instant == t, "%s: \"%s\" parses to %lld, "
		 "not %lld", zone, buf, (long long)pt.instant, (long long)t);
	FZ_CHECK(wall_eq(&pt.wall, &w), "%s: \"%s\" wall differs", zone, buf);
}

static void check_parsed(const struct parsed_time *pt, int date_only)
{
	const struct wall *w = &pt->wall;
	FZ_CHECK(w->year >= 1 && w->year <= 9999 && w->mon >= 1 && w->mon <= 12 &&
		 w->day >= 1 && w->day <= 31 && w->hour >= 0 && w->hour <= 23 &&
		 w->min >= 0 && w->min <= 59 && w->sec >= 0 && w->sec <= 59,
		 "fields out of range");
	if (!pt->has_time) {
		FZ_CHECK(date_only, "a bare date accepted without date_only");
		FZ_CHECK(!pt->has_offset && !w->hour && !w->min && !w->sec,
			 "bare date with a time");
	}
	if (pt->has_offset) {
		FZ_CHECK(pt->has_time, "an offset without a time");
		/* wall - offset: offsets are at most 23:59 */
		struct err e;
		time_t u;
		sched_tz_use("UTC", &e);
		FZ_CHECK(sched_wall_to_utc(w, &u, NULL, &e) == 0, "UTC: %s", e.msg);
		long long d = (long long)u - (long long)pt->instant;
		FZ_CHECK(d > -86400 && d < 86400 && d % 60 == 0,
			 "instant %lld is %lld s from its wall time",
			 (long long)pt->instant, d);
		roundtrip_iso(pt->instant, "UTC");
	}

	for (size_t z = 0; z < RT_ARRAY_LEN(zones); z++) {
		struct err e = {{0}};
		time_t t;
		enum wall_kind kind = (enum wall_kind)-1;
		FZ_CHECK(sched_tz_use(zones[z], &e) == 0, "%s: %s", zones[z], e.msg);
		FZ_CHECK(sched_wall_to_utc(w, &t, &kind, &e) == 0,
			 "%s: an accepted wall time does not convert: %s", zones[z],
			 e.msg);
		FZ_CHECK(kind == WALL_OK || kind == WALL_GAP || kind == WALL_AMBIGUOUS,
			 "kind %d", (int)kind);
		if (z == 0)
			FZ_CHECK(kind == WALL_OK, "UTC has a gap or overlap");
		struct wall back;
		sched_utc_to_wall(t, &back, NULL);
		time_t before, after;
		int gb = sched_gap_bounds(w, &before, &after);
		if (kind == WALL_GAP) {
			FZ_CHECK(wall_key(&back) > wall_key(w), "%s: a wall time in a "
				 "gap was not moved later", zones[z]);
			FZ_CHECK(gb == 0, "%s: no gap bounds for a gap", zones[z]);
			FZ_CHECK(before < after && after - before <= 120 &&
				 before <= t && after <= t,
				 "%s: gap bounds %lld..%lld around %lld", zones[z],
				 (long long)before, (long long)after, (long long)t);
			struct wall bw;
			sched_utc_to_wall(before, &bw, NULL);
			FZ_CHECK(wall_key(&bw) < wall_key(w), "%s: the time before "
				 "the gap is not before it", zones[z]);
		} else {
			FZ_CHECK(wall_eq(&back, w), "%s: %04d-%02d-%02d %02d:%02d:%02d "
				 "comes back as %04d-%02d-%02d %02d:%02d:%02d", zones[z],
				 w->year, w->mon, w->day, w->hour, w->min, w->sec,
				 back.year, back.mon, back.day, back.hour, back.min,
				 back.sec);
			FZ_CHECK(gb == -1, "%s: gap bounds for a time that exists",
				 zones[z]);
			if (kind == WALL_AMBIGUOUS) {
				/* the first occurrence: an hour (or half) earlier
				 * is not the same wall time */
				struct wall ew;
				sched_utc_to_wall(t - 1800, &ew, NULL);
				FZ_CHECK(!wall_eq(&ew, w), "%s: not the first "
					 "occurrence", zones[z]);
				sched_utc_to_wall(t - 3600, &ew, NULL);
				FZ_CHECK(!wall_eq(&ew, w), "%s: not the first "
					 "occurrence", zones[z]);
			}
		}
		roundtrip_iso(t, zones[z]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256)
		return 0;
	char *s = fz_cstr(data, size);
	for (int date_only = 0; date_only <= 1; date_only++) {
		struct parsed_time pt;
		struct err e = {{0}};
		memset(&pt, 0x5A, sizeof(pt));
		int rc = sched_parse_time(s, date_only, &pt, &e);
		FZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
		if (rc < 0) {
			FZ_CHECK(e.msg[0], "refused time without a message");
			continue;
		}
		check_parsed(&pt, date_only);
	}
	struct err e;
	sched_tz_use("UTC", &e);
	free(s);
	return 0;
}
