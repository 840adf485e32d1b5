/*
 * clockjump.h - telling a wall-clock jump from time that really passed.
 *
 * rituald samples two clocks on each turn of its loop: the wall clock
 * (CLOCK_REALTIME, which NTP or an owner may step) and CLOCK_BOOTTIME
 * (which only moves forward, at the real pace, and keeps counting while the
 * machine is suspended). When the wall clock advanced much more than the
 * boot clock between two samples, the wall clock jumped forward while
 * rituald ran: the posts due in the jump were not really missed. A suspend
 * advances both clocks alike, so a suspended laptop is a machine that was
 * off and its posts are missed, as after a start past the due time.
 *
 * Pure functions: no clock reading, no allocation, no logging.
 */
#ifndef RITUAL_CLOCKJUMP_H
#define RITUAL_CLOCKJUMP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_JUMP_MIN 60   /* seconds: a smaller difference is drift, not a jump */

struct clock_sample {
	int64_t real_ms;    /* CLOCK_REALTIME, milliseconds */
	int64_t boot_ms;    /* CLOCK_BOOTTIME, milliseconds */
	int set;            /* 0: no sample yet (start-up) */
};

/* A stretch of wall-clock time that the clock jumped over. */
struct clock_window {
	time_t from;        /* wall clock at the last sample before the jump */
	time_t to;          /* wall clock at the first sample after it */
};

/* 1 when the wall clock advanced more than threshold_s seconds beyond the
 * boot clock from prev to cur; then *w is the window it jumped over (from
 * prev's wall time to cur's). 0 otherwise: prev unset (start-up: a machine
 * that was off), real time passing, a suspend, drift, or a backward step. */
int clock_jump_detect(const struct clock_sample *prev,
		      const struct clock_sample *cur, long threshold_s,
		      struct clock_window *w);

/* 1 when t lies inside one of the n windows (bounds included). */
int clock_jump_covers(const struct clock_window *w, size_t n, time_t t);

/* Adds win to the n windows in w (capacity cap), dropping the oldest when
 * full; returns the new count. */
size_t clock_jump_add(struct clock_window *w, size_t n, size_t cap,
		      const struct clock_window *win);

/* "2 days 0 h", "3 h 5 min", "90 s": the size of a jump for a log line,
 * rounded to the last unit shown (172799 s is "2 days 0 h"). Writes at most size bytes, always NUL-terminated. */
void clock_jump_format(long seconds, char *buf, size_t size);

#endif
