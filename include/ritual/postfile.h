/*
 * postfile.h - the owner's post file format (*.post) turned into a struct.
 *
 *   Kind: tip                 tip | promo | note           (required)
 *   Title: Loosen tight hamstrings                         (optional)
 *   At: 2026-12-01 09:00      local time in the config's timezone (optional)
 *   To: facebook instagram    account names, space/comma separated (optional)
 *   Image: hamstrings.jpg     path relative to the post file (optional)
 *   Alt: A therapist ...      image description (optional)
 *   Tags: massage stretching  hashtags, with or without '#' (optional)
 *   Link: https://...         http(s) URL (optional)
 *   Expires: 2026-12-15       local date (or date and time) (optional)
 *   Fit: pad                  crop (default) or pad an image to a network's shape (optional)
 *   <blank line>
 *   Body text ...             (required, UTF-8)
 *
 * Header names are case-insensitive; a header may appear once. A UTF-8 BOM
 * and CRLF line ends are accepted. This part checks syntax only (known
 * headers, values well formed, UTF-8, a body present); what needs the
 * configuration or the clock (accounts exist, time not past, DST gap,
 * image readable) is checked by the caller, which uses the line numbers
 * kept here for its messages. It never touches the database.
 */
#ifndef RITUAL_POSTFILE_H
#define RITUAL_POSTFILE_H

#include <stddef.h>
#include "ritual/config.h"
#include "ritual/schedule.h"
#include "ritual/util.h"

struct post_file {
	char *path;              /* as given to postfile_parse */
	enum post_kind kind;
	int kind_line;

	char *title;             /* NULL if absent */
	int title_line;

	int has_at;
	struct parsed_time at;   /* parsed syntax; not yet converted */
	int at_line;

	char **to;               /* NULL-terminated account names; NULL if absent */
	size_t nto;
	int to_line;

	char *image;             /* resolved against the post file's folder; NULL if absent */
	int image_line;

	char *alt;               /* NULL if absent */
	int alt_line;

	char **tags;             /* NULL-terminated, without '#'; NULL if absent */
	size_t ntags;
	int tags_line;

	char *link;              /* NULL if absent */
	int link_line;

	int has_expires;
	struct parsed_time expires; /* a bare date means "through the end of that day" */
	int expires_line;

	int has_fit;             /* Fit: crop|pad (issue 13) */
	int fit;                 /* 0 crop, 1 pad */
	int fit_line;

	char *body;              /* trailing blank lines removed; never NULL on success */
	int body_line;           /* line where the body starts */
};

/*
 * Parse the file at path. On success *out is owned by the caller
 * (postfile_free). On failure returns -1 and adds one message per problem
 * to diag, each "PATH:LINE: what is wrong; how to fix it", e.g.
 *   posts/mon.post:3: unknown header "Tittle"; known headers are Kind, Title, ...
 *   posts/mon.post:1: missing "Kind:" header; add "Kind: tip" (tip, promo or note)
 */
int postfile_parse(const char *path, struct post_file **out, struct diag *diag);
/* The same from memory; path is used for messages and for resolving Image. */
int postfile_parse_buffer(const char *path, const char *data, size_t len,
			  struct post_file **out, struct diag *diag);
/* As postfile_parse, but when it fails and yet the file has a known Kind,
 * a body and valid UTF-8, *out is still set to what parsed (headers with a
 * problem are left out), owned by the caller: so that the caller can run
 * its own checks too and report every problem at once. Returns -1 then. */
int postfile_parse_partial(const char *path, struct post_file **out,
			   struct diag *diag);
void postfile_free(struct post_file *p);

#endif
