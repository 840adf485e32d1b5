/*
 * fuzz_cron.c - sched_cron_parse, sched_cron_next and the slot sets.
 *
 * The first line of the input is one cron expression; every line (up to
 * eight) also goes into a slot set. Each parsed expression is asked for
 * its next slots from fixed instants (DST changes in New York and on Lord
 * Howe Island, Samoa's skipped day, the epoch, the far past) in several
 * zones.
 *
 * Invariants: next >= t; asking again from any instant in [t, next] gives
 * the same next (no slot is skipped or invented by where the search
 * starts); in UTC a slot is a whole minute; in a fixed-offset zone
 * (Etc/GMT-2) the slots are the UTC ones shifted by the offset; the set's
 * next is the earliest of its members'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ritual/schedule.h"

static const char *const zones[] = {"UTC", "America/New_York",
				    "Australia/Lord_Howe", "Pacific/Apia"};

static const time_t instants[] = {
	1772000000,   /* 2026-02-25 06:13:20 UTC */
	1773000000,   /* 2026-03-08 20:00 UTC: just after the US spring change */
	1772935200,   /* 2026-03-08 02:00 UTC (21:00 EST the evening before) */
	1793509200,   /* 2026-11-01 05:40 UTC: the US autumn change */
	1791039600,   /* 2026-10-03 15:40 UTC: Lord Howe's spring change */
	1325152800,   /* 2011-12-29 10:00 UTC: Samoa skipped 2011-12-30 */
	0,
	-2000000000,  /* 1906 */
};

static void check_next(const struct cron *c, time_t t, int utc, const char *zone)
{
	time_t n, n2;
	if (sched_cron_next(c, t, &n) < 0)
		return;
	FZ_CHECK(n >= t, "%s: next %lld before t %lld", zone, (long long)n,
		 (long long)t);
	if (utc)
		FZ_CHECK(n % 60 == 0, "UTC slot %lld is not a whole minute",
			 (long long)n);
	FZ_CHECK(sched_cron_next(c, n, &n2) == 0 && n2 == n,
		 "%s: next(%lld) = %lld but next(that) = %lld", zone,
		 (long long)t, (long long)n, (long long)n2);
	time_t mid = t + (n - t) / 2;
	FZ_CHECK(sched_cron_next(c, mid, &n2) == 0 && n2 == n,
		 "%s: next(%lld) = %lld but next(%lld) = %lld", zone,
		 (long long)t, (long long)n, (long long)mid, (long long)n2);
	if (n - 1 >= t)
		FZ_CHECK(sched_cron_next(c, n - 1, &n2) == 0 && n2 == n,
			 "%s: next(%lld) = %lld but next(n-1) = %lld", zone,
			 (long long)t, (long long)n, (long long)n2);
	/* the one after: strictly later */
	if (sched_cron_next(c, n + 1, &n2) == 0)
		FZ_CHECK(n2 > n, "%s: next(n+1) = %lld not after n = %lld", zone,
			 (long long)n2, (long long)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = {{0}};
	if (size > 512)
		return 0;
	char *s = fz_cstr(data, size);
	char *lines[8];
	size_t nl = 0;
	for (char *p = s; p && nl < 8;) {
		lines[nl++] = p;
		char *q = strchr(p, '\n');
		if (q)
			*q++ = '\0';
		p = q;
	}

	struct cron *c = (struct cron *)1;
	int rc = sched_cron_parse(lines[0], &c, &e);
	FZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (rc < 0) {
		FZ_CHECK(c == NULL, "refused expression but *out set");
		FZ_CHECK(e.msg[0], "refused expression without a message");
		FZ_CHECK(strstr(e.msg, "cron expression"), "message does not say "
			 "what was refused: %s", e.msg);
	} else {
		FZ_CHECK(c != NULL, "accepted expression is NULL");
		for (size_t z = 0; z < RT_ARRAY_LEN(zones); z++) {
			FZ_CHECK(sched_tz_use(zones[z], &e) == 0, "zone %s: %s",
				 zones[z], e.msg);
			/* a few instants per zone keep the run fast */
			for (size_t i = 0; i < RT_ARRAY_LEN(instants); i++)
				if (z == 0 || i % 3 == z % 3)
					check_next(c, instants[i], z == 0, zones[z]);
		}
		/* a fixed offset: the UTC slots, shifted */
		FZ_CHECK(sched_tz_use("Etc/GMT-2", &e) == 0, "Etc/GMT-2: %s", e.msg);
		time_t a, b;
		int ra = sched_cron_next(c, instants[0], &a);
		sched_tz_use("UTC", &e);
		int rb = sched_cron_next(c, instants[0] + 7200, &b);
		FZ_CHECK(ra == rb, "Etc/GMT-2 finds %s slot, UTC %s", ra ? "no" : "a",
			 rb ? "none" : "one");
		if (ra == 0)
			FZ_CHECK(a == b - 7200, "Etc/GMT-2 slot %lld, UTC slot %lld - "
				 "7200 = %lld", (long long)a, (long long)b,
				 (long long)(b - 7200));
		sched_cron_free(c);
	}

	/* the lines as a slot set */
	struct slots sl;
	if (sched_slots_parse(lines, nl, &sl, &e) == 0) {
		FZ_CHECK(sl.n == nl, "slot set of %zu from %zu lines", sl.n, nl);
		sched_tz_use("America/New_York", &e);
		time_t t = instants[1], best = 0, x;
		int have = 0;
		for (size_t i = 0; i < sl.n; i++) {
			if (sched_cron_next(sl.crons[i], t, &x) == 0 && (!have || x < best)) {
				best = x;
				have = 1;
			}
		}
		int r = sched_slots_next(&sl, t, &x);
		FZ_CHECK((r == 0) == have, "slot set next disagrees with its members");
		if (have)
			FZ_CHECK(x == best, "slot set next %lld, earliest member %lld",
				 (long long)x, (long long)best);
		sched_slots_free(&sl);
	} else {
		FZ_CHECK(sl.crons == NULL && sl.n == 0, "refused set left allocated");
	}
	free(s);
	return 0;
}
