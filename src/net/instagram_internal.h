/*
 * instagram_internal.h - private to net/instagram.c and its unit test
 * (tests/unit/test_instagram.c): the pure helpers of the Instagram
 * publisher, exposed so they can be tested without a network. Not a public
 * part; nothing else includes it, except connect.c for ig_origin (one
 * origin helper for both Instagram token exchanges).
 */
#ifndef RITUAL_NET_INSTAGRAM_INTERNAL_H
#define RITUAL_NET_INSTAGRAM_INTERNAL_H

#include <time.h>
#include "ritual/publisher.h"

/* What an Instagram error subcode (docs/api-notes.md §Instagram errors, §Error classes) means. */
struct ig_subcode_info {
	long subcode;
	enum pub_class cls;   /* PUB_TRANSIENT means "with a new container";
			       * PUB_WAIT means "keep polling" */
	const char *what;     /* plain words for the owner */
	const char *fix;      /* what to do, or what ritual does */
};

/* The table entry for subcode, or NULL for a subcode not in the table. */
const struct ig_subcode_info *ig_subcode_info(long subcode);

/*
 * The 7-digit 2207xxx subcode in a container's status text, whose format
 * is loose ("Error: 2207052", "2207052: Media could not be fetched",
 * "Error: Media could not be fetched from URI" ...). A text without a code
 * that says the media could not be fetched gives 2207052. 0 when none.
 */
long ig_status_subcode(const char *status);

/* Seconds before the next container status poll after `polls` polls that
 * found it IN_PROGRESS: 5, 10, 20, 30, then 60. */
long ig_poll_delay(long polls);

/* A Graph timestamp ("2026-03-02T09:00:05+0000", also "Z" or "+00:00")
 * to epoch seconds. Returns 0, or -1 when s is not one. */
int ig_parse_time(const char *s, time_t *out);

/* "scheme://host[:port]" of a base URL (graph.instagram.com's
 * refresh_access_token has no version prefix); caller frees; NULL when api
 * is not an absolute URL. */
char *ig_origin(const char *api);

/* Days left of a 60-day Instagram token whose file was written at mtime,
 * a day begun counting as a day (60 for a new token, 1 for one with a
 * second left); -1 or less once expired. */
long ig_token_days_left(time_t mtime, time_t now);

struct meta_error;
struct pub_result;

/*
 * Whether a failed read of a container's status is the "unreadable
 * container" case (postiz-app#1562), not a reason to pause the account:
 * code 100/33 or 10 on the GET, or any other Graph error object that is
 * not about the token (190, 102), a rate limit or the owner (res: what
 * meta_classify made of e). Such reads are counted, and after
 * MAX_UNREADABLE of them in a row media_publish is called anyway.
 */
int ig_unreadable_read(const struct meta_error *e, const struct pub_result *res);

#endif
