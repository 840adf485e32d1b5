/*
 * when.c - command-line times as owners write them ("9am", "Mon 09:00",
 * "tomorrow 17:30", "next Mon", "03.12.2026 09:00").
 *
 * Owns only the words; the zone arithmetic is schedule.c's. No heap.
 */
#include "ritual/when.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMS "e.g. \"now\", \"2026-12-03 09:00\", \"9am\", \"17:30\", " \
	      "\"tomorrow 09:00\", \"Mon 09:00\", \"next Mon\" or a date as " \
	      "the zone writes it (\"03.12.2026 09:00\")"

static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat",
				   "sun"};
static const char *const days_long[] = {"monday", "tuesday", "wednesday",
					"thursday", "friday", "saturday",
					"sunday"};

/* "9am", "9:30pm", "12am", "17:30", "09:00": *h, *m. */
static int clock_time(const char *s, int *h, int *m)
{
	const char *p = s;
	int hh = 0, mm = 0, digits = 0, colon = 0;
	while (isdigit((unsigned char)*p) && digits < 3) {
		hh = hh * 10 + (*p++ - '0');
		digits++;
	}
	if (digits < 1 || digits > 2)
		return -1;
	if (*p == ':') {
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
			return -1;
		mm = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		colon = 1;
	}
	if (strcasecmp(p, "am") == 0 || strcasecmp(p, "pm") == 0) {
		if (hh < 1 || hh > 12)
			return -1;
		hh = hh % 12 + (tolower((unsigned char)*p) == 'p' ? 12 : 0);
	} else if (*p || !colon) {
		return -1;   /* "9" alone is not a time: 9am or 09:00 */
	}
	if (hh > 23 || mm > 59)
		return -1;
	*h = hh;
	*m = mm;
	return 0;
}

static int day_word(const char *w)
{
	for (int i = 0; i < 7; i++)
		if (strcasecmp(w, days[i]) == 0 || strcasecmp(w, days_long[i]) == 0)
			return i;
	return -1;
}

/* 1: day first, 0: month first, -1: the zone does not say. */
static int zone_day_first(const char *zone)
{
	static const char *const dmy[] = {"Europe/", "Africa/", "Asia/",
					  "Australia/", "Atlantic/", "Indian/",
					  "Pacific/"};
	if (!zone)
		return -1;
	if (strncmp(zone, "America/", 8) == 0)
		return 0;
	for (size_t i = 0; i < RT_ARRAY_LEN(dmy); i++)
		if (strncmp(zone, dmy[i], strlen(dmy[i])) == 0)
			return 1;
	return -1;
}

/* "03.12.2026" / "03/12/2026" / "3.12.26": 1 when s is not such a date. */
static int numeric_date(const char *s, const char *zone, struct wall *w,
			struct err *err)
{
	int v[3] = {0, 0, 0}, n[3] = {0, 0, 0};
	char sep = 0;
	const char *p = s;
	for (int k = 0; k < 3; k++) {
		while (isdigit((unsigned char)*p) && n[k] < 4) {
			v[k] = v[k] * 10 + (*p++ - '0');
			n[k]++;
		}
		if (!n[k])
			return 1;
		if (k < 2) {
			if ((*p != '.' && *p != '/') || (sep && *p != sep))
				return 1;
			sep = *p++;
		}
	}
	if (*p || n[0] > 2 || n[1] > 2 || (n[2] != 2 && n[2] != 4))
		return 1;
	int a = v[0], b = v[1], y = v[2];
	if (y < 100)
		y += 2000;
	int order = zone_day_first(zone);
	int day, mon;
	if (order < 0) {
		if (a <= 12 && b <= 12 && a != b)
			return err_set(err, "\"%s\" could be %04d-%02d-%02d (day first) "
				       "or %04d-%02d-%02d (month first); write it as "
				       "YYYY-MM-DD", s, y, b, a, y, a, b);
		order = a > 12 ? 1 : b > 12 ? 0 : 1;
	}
	day = order ? a : b;
	mon = order ? b : a;
	if (mon < 1 || mon > 12 || day < 1 || day > 31)
		return err_set(err, "\"%s\" is not a date (read as day %d of month "
			       "%d, as %s writes dates); " FORMS, s, day, mon,
			       zone ? zone : "the zone");
	w->year = y;
	w->mon = mon;
	w->day = day;
	return 0;
}

int when_parse(const char *s, time_t now, const char *zone,
	       struct parsed_time *out, struct err *err)
{
	char words[4][40];
	int nw = 0;
	memset(out, 0, sizeof(*out));
	struct wall today;
	sched_utc_to_wall(now, &today, NULL);
	today.hour = today.min = today.sec = 0;

	if (strcmp(s, "now") == 0) {
		out->has_offset = out->has_time = 1;
		out->instant = now;
		return 0;
	}
	/* The forms schedule.c reads (ISO 8601, YYYY-MM-DD HH:MM): input
	 * that starts as one gets its answer and its exact error ("month 13
	 * does not exist"), not the list of forms. */
	if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) &&
	    s[4] == '-')
		return sched_parse_time(s, 1, out, err);

	const char *p = s;
	while (*p && nw < 4) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		if (n >= sizeof(words[0]))
			return err_set(err, "cannot read \"%s\" as a time; " FORMS, s);
		memcpy(words[nw], p, n);
		words[nw++][n] = '\0';
		p += n;
	}
	while (*p == ' ')
		p++;
	if (*p || nw == 0)
		return err_set(err, "cannot read \"%s\" as a time; " FORMS, s);

	struct wall date = today;
	int have_date = 0, h = 0, m = 0, i = 0, dow = -1, next = 0;
	if (strcasecmp(words[0], "today") == 0) {
		have_date = 1;
		i = 1;
	} else if (strcasecmp(words[0], "tomorrow") == 0) {
		date = sched_wall_add_days(&today, 1);
		have_date = 1;
		i = 1;
	} else if (strcasecmp(words[0], "next") == 0 && nw >= 2 &&
		   (dow = day_word(words[1])) >= 0) {
		next = 1;
		i = 2;
	} else if ((dow = day_word(words[0])) >= 0) {
		i = 1;
	} else {
		struct wall d = today;   /* numeric_date sets the date only */
		int r = numeric_date(words[0], zone, &d, err);
		if (r < 0)
			return -1;
		if (r == 0) {
			date = d;
			have_date = 1;
			i = 1;
		}
	}
	if (dow >= 0) {
		int delta = (dow - sched_wall_weekday(&today) + 7) % 7;
		if (next && delta == 0)
			delta = 7;
		date = sched_wall_add_days(&today, delta);
		have_date = 1;
	}
	int have_time = 0;
	if (i < nw) {
		if (clock_time(words[i], &h, &m) < 0 || i + 1 != nw)
			return err_set(err, "cannot read \"%s\" as a time of day in "
				       "\"%s\"; " FORMS, words[i], s);
		have_time = 1;
	}
	if (!have_date && !have_time)
		return err_set(err, "cannot read \"%s\" as a time; " FORMS, s);
	out->wall = date;
	out->wall.hour = h;
	out->wall.min = m;
	out->has_time = have_time;
	if (!have_date) {
		/* A bare time: the next one (today if still ahead). */
		time_t t;
		struct err e2;
		if (sched_wall_to_utc(&out->wall, &t, NULL, &e2) == 0 && t <= now) {
			out->wall = sched_wall_add_days(&today, 1);
			out->wall.hour = h;
			out->wall.min = m;
		}
	} else if (dow >= 0 && !next && have_time) {
		/* "Mon 09:00" on a Monday after nine: next week's. */
		time_t t;
		struct err e2;
		if (sched_wall_to_utc(&out->wall, &t, NULL, &e2) == 0 && t <= now) {
			out->wall = sched_wall_add_days(&date, 7);
			out->wall.hour = h;
			out->wall.min = m;
		}
	}
	return 0;
}
