/*
 * format.h - the exact text sent to each network.
 *
 * A template (from the config's formats.<kind>.<network>, else
 * formats.<kind>.default, else a built-in default per kind and network) is
 * expanded with these placeholders:
 *   {title} {body} {link} {hashtags} {until} {cta}
 *   {business} {website} {booking_url} {phone}
 * "{{" and "}}" are literal braces. An unknown placeholder is an error.
 * {hashtags} is "#a #b"; {until} is, for a post with Expires, e.g.
 * "Offer ends Tuesday, December 15." (empty otherwise); {cta} is a call to
 * action built from business (booking link and phone; on Instagram, where
 * links are not clickable, "link in bio").
 *
 * The result is normalised: CRLF -> LF, trailing spaces on each line removed,
 * runs of spaces/tabs inside a line folded to one, more than one blank line
 * folded to one, leading/trailing blank lines removed. Lengths are counted
 * in Unicode code points; text is never cut (inside a UTF-8 sequence or
 * anywhere): over the limit is an error for the caller to refuse.
 *
 * For LinkedIn the wire text is additionally escaped per the little-text
 * format (docs/api-notes.md §LinkedIn little text): the reserved characters \ | { } @ [ ] ( ) < > # * _ ~
 * are backslash-escaped, except that a hashtag "#word" becomes
 * "{hashtag|\#|word}" so it stays a hashtag. The visible length is counted
 * before escaping.
 *
 * No network I/O, no database.
 */
#ifndef RITUAL_FORMAT_H
#define RITUAL_FORMAT_H

#include <stddef.h>
#include "ritual/config.h"
#include "ritual/schedule.h"
#include "ritual/util.h"

struct format_input {
	enum post_kind kind;
	const char *title;           /* may be NULL */
	const char *body;            /* required */
	const char *link;            /* may be NULL */
	char *const *tags;           /* without '#'; may be NULL */
	size_t ntags;
	int has_expires;
	struct wall expires;         /* local date the offer ends (inclusive) */
};

struct format_output {
	char *text;                  /* the wire text (escaped for LinkedIn); caller frees */
	char *visible;               /* the text as readers see it (unescaped); caller frees */
	size_t length;               /* code points of visible */
	size_t hashtags;             /* "#word" occurrences in visible */
	size_t mentions;             /* "@name" occurrences in visible */
};

/*
 * Render in for network net. Returns -1 with a message if the template is
 * invalid or the result is empty or not valid UTF-8. Limits are NOT checked
 * here (see format_check_limits).
 */
int format_render(const struct config *cfg, enum network net,
		  const struct format_input *in, struct format_output *out,
		  struct err *err);
void format_output_free(struct format_output *out);

/* Check a rendered output against the config's limits for net; the message
 * names the network and the fix ("shorten by 143 characters", "remove 3
 * hashtags"). */
int format_check_limits(const struct config *cfg, enum network net,
			const struct format_output *out, struct err *err);

/* The template in use for (kind, net): config's, else built-in. Never NULL. */
const char *format_template(const struct config *cfg, enum post_kind kind,
			    enum network net);
/* Check a template's syntax (config validation). */
int format_check_template(const char *tmpl, struct err *err);

/* Normalise whitespace as described above; caller frees. */
char *format_normalize(const char *text);
/* LinkedIn little-text escaping as described above; caller frees. */
char *format_linkedin_escape(const char *text);
/* The reverse, for the owner: a stored LinkedIn wire text as readers see
 * it ("{hashtag|\#|word}" -> "#word", "\(" -> "("). Caller frees. */
char *format_linkedin_visible(const char *wire);
/* A stored wire text as format_render's output for net (visible text and
 * its counts), for format_check_limits against today's limits (the
 * pre-flight). Caller frees with format_output_free. Returns 0. */
int format_output_from_wire(enum network net, const char *wire,
			    struct format_output *out);

#endif
