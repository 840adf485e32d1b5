/*
 * week.h - the owner's week at a glance (issue 13): a terminal calendar
 * and a self-contained HTML page.
 *
 * Both read the queue (store) and the configured slots, in the configured
 * zone (sched_tz_use already called). A week runs Monday to Sunday; the
 * first is the week holding `from`. Rows are the times of day at which the
 * week has a slot or a post; each cell shows that day's post(s) at that
 * time (id, short title, accounts, state), or "free" for a slot nothing
 * holds. Paused accounts and deliveries that need the owner (failed,
 * unknown, missed) are listed above the grid.
 *
 * Terminal widths are display cells (libunistring's u8_width: an accented
 * letter is one cell, an emoji two), so columns stay aligned whatever the
 * titles. Colour (ANSI) only when the caller says so (a terminal, and
 * NO_COLOR unset).
 *
 * The HTML page needs no network and no JavaScript: CSS inline, each image
 * the rendered variant the network is sent, embedded as a data: URI. For
 * each post and account, a mock-up: the image, the text as readers see it
 * (LinkedIn's unescaped), hashtags marked, the state and, once published,
 * the permalink.
 *
 * Both show at most WEEK_POSTS_SHOWN posts, the first ones by due time, so
 * that the output and the time stay bounded whatever the queue holds (an
 * agency's week can hold ten thousand); past that, a line says where the
 * shown ones end and how to list the rest (`ritual list --all --after ID`),
 * and the JSON has "posts_more": true.
 *
 * Errors: -1 with a message (database); nothing is written to the
 * database. out is borrowed.
 */
#ifndef RITUAL_WEEK_H
#define RITUAL_WEEK_H

#include <stdio.h>
#include <time.h>
#include "ritual/config.h"
#include "ritual/schedule.h"
#include "ritual/store.h"
#include "ritual/util.h"

/* A studio's year and more (the sample week's 14 posts for 52 weeks: 728),
 * and few enough that `week --json`, the largest output, stays near 40 ms. */
#define WEEK_POSTS_SHOWN 1000

struct week_options {
	time_t from;        /* any instant in the first week */
	int weeks;          /* 1..52 */
	int color;          /* ANSI colour in week_print */
	int columns;        /* terminal width in cells; 0 = 132 */
	int json;           /* week_print: JSON instead of the grid */
};

int week_print(struct store *st, const struct config *cfg,
	       const struct slots *slots, const struct week_options *o,
	       FILE *out, struct err *err);
int week_html(struct store *st, const struct config *cfg,
	      const struct slots *slots, const struct week_options *o,
	      FILE *out, struct err *err);

/* Display cells of the UTF-8 string s (libunistring); invalid bytes count
 * one cell each. */
size_t week_width(const char *s);

#endif
