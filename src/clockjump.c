/*
 * clockjump.c - wall-clock jumps told from time that passed (clockjump.h).
 */
#include "ritual/clockjump.h"

#include <stdio.h>
#include <string.h>

int clock_jump_detect(const struct clock_sample *prev,
		      const struct clock_sample *cur, long threshold_s,
		      struct clock_window *w)
{
	if (!prev || !cur || !prev->set || !cur->set)
		return 0;
	int64_t real = cur->real_ms - prev->real_ms;
	int64_t boot = cur->boot_ms - prev->boot_ms;
	if (real - boot <= (int64_t)threshold_s * 1000)
		return 0;
	if (w) {
		w->from = (time_t)(prev->real_ms / 1000);
		w->to = (time_t)((cur->real_ms + 999) / 1000);
	}
	return 1;
}

int clock_jump_covers(const struct clock_window *w, size_t n, time_t t)
{
	for (size_t i = 0; i < n; i++)
		if (t >= w[i].from && t <= w[i].to)
			return 1;
	return 0;
}

size_t clock_jump_add(struct clock_window *w, size_t n, size_t cap,
		      const struct clock_window *win)
{
	if (cap == 0)
		return 0;
	if (n >= cap) {
		memmove(w, w + 1, (cap - 1) * sizeof(*w));
		n = cap - 1;
	}
	w[n] = *win;
	return n + 1;
}

void clock_jump_format(long s, char *buf, size_t size)
{
	/* Rounded to the last unit shown, not cut: two clocks read a few
	 * microseconds apart make an exact 2-day jump 172799.999 s, which is
	 * "2 days 0 h", not "1 day 23 h". */
	if (s < 0)
		s = -s;
	if (s >= 86400 - 1800) {
		long h = (s + 1800) / 3600;
		snprintf(buf, size, "%ld day%s %ld h", h / 24,
			 h / 24 == 1 ? "" : "s", h % 24);
	} else if (s >= 3600 - 30) {
		long m = (s + 30) / 60;
		snprintf(buf, size, "%ld h %ld min", m / 60, m % 60);
	} else if (s >= 60)
		snprintf(buf, size, "%ld min %ld s", s / 60, s % 60);
	else
		snprintf(buf, size, "%ld s", s);
}
