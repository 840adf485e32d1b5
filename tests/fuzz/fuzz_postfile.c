/*
 * fuzz_postfile.c - postfile_parse_buffer on arbitrary bytes.
 *
 * Invariants: a refused file has at least one message, each naming the
 * file; an accepted one has a kind, a non-empty UTF-8 body without
 * trailing blanks, UTF-8 title/alt/tags/To names, tags without '#', valid
 * times; and, since the file format promises everything the formatter
 * needs, the accepted post renders with the built-in templates for every
 * network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "ritual/format.h"
#include "ritual/postfile.h"

static void check_wall(const struct parsed_time *t, const char *what)
{
	const struct wall *w = &t->wall;
	FZ_CHECK(w->year >= 1 && w->year <= 9999 && w->mon >= 1 && w->mon <= 12 &&
		 w->day >= 1 && w->day <= 31 && w->hour >= 0 && w->hour <= 23 &&
		 w->min >= 0 && w->min <= 59 && w->sec >= 0 && w->sec <= 59,
		 "%s out of range: %d-%d-%d %d:%d:%d", what, w->year, w->mon,
		 w->day, w->hour, w->min, w->sec);
	if (!t->has_time)
		FZ_CHECK(w->hour == 0 && w->min == 0 && w->sec == 0 && !t->has_offset,
			 "%s: a bare date with a time of day", what);
}

static void check_text(const char *s, const char *what)
{
	if (s)
		FZ_CHECK(utf8_valid(s, strlen(s)), "%s is not UTF-8", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char path[] = "posts/fuzz.post";
	struct post_file *pf = (struct post_file *)1;
	struct diag d = {0};
	int rc = postfile_parse_buffer(path, (const char *)data, size, &pf, &d);

	FZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	if (rc < 0) {
		FZ_CHECK(pf == NULL, "refused file but *out set");
		FZ_CHECK(d.n > 0, "refused file without a message");
		for (size_t i = 0; i < d.n; i++)
			FZ_CHECK(strncmp(d.msgs[i], path, strlen(path)) == 0,
				 "message does not name the file: %s", d.msgs[i]);
		diag_free(&d);
		return 0;
	}
	FZ_CHECK(pf != NULL, "accepted file without a post");
	FZ_CHECK(d.n == 0, "accepted file with %zu messages: %s", d.n, d.msgs[0]);
	FZ_CHECK((unsigned)pf->kind < KIND__COUNT, "kind %d", (int)pf->kind);
	FZ_CHECK(pf->body && pf->body[0], "accepted file with an empty body");
	size_t bl = strlen(pf->body);
	FZ_CHECK(utf8_valid(pf->body, bl), "body is not UTF-8");
	FZ_CHECK(strchr(" \t\r\n", pf->body[bl - 1]) == NULL,
		 "body ends with a blank (0x%02x)", (unsigned char)pf->body[bl - 1]);
	FZ_CHECK(pf->body[0] != '\n', "body starts with a blank line");
	FZ_CHECK(pf->body_line > 0 && pf->kind_line > 0, "lines not kept");
	check_text(pf->title, "Title");
	check_text(pf->alt, "Alt");
	check_text(pf->link, "Link");
	check_text(pf->image, "Image");
	if (pf->image)
		FZ_CHECK(pf->image[0], "empty Image path");
	if (pf->link)
		FZ_CHECK(strncasecmp(pf->link, "http://", 7) == 0 ||
			 strncasecmp(pf->link, "https://", 8) == 0,
			 "Link is not an http(s) URL: %s", pf->link);
	if (pf->link)
		for (const unsigned char *c = (const unsigned char *)pf->link; *c; c++)
			FZ_CHECK(*c > 0x20 && *c != 0x7F, "Link holds a blank or "
				 "control byte 0x%02x", *c);
	for (size_t i = 0; i < pf->ntags; i++) {
		FZ_CHECK(pf->tags && pf->tags[i] && pf->tags[i][0], "empty tag");
		FZ_CHECK(pf->tags[i][0] != '#', "tag kept its '#': %s", pf->tags[i]);
		check_text(pf->tags[i], "a tag");
	}
	if (pf->tags)
		FZ_CHECK(pf->tags[pf->ntags] == NULL, "tags not NULL-terminated");
	for (size_t i = 0; i < pf->nto; i++)
		FZ_CHECK(pf->to && pf->to[i] && pf->to[i][0], "empty To name");
	if (pf->to)
		FZ_CHECK(pf->to[pf->nto] == NULL, "To not NULL-terminated");
	if (pf->has_at)
		check_wall(&pf->at, "At");
	if (pf->has_expires)
		check_wall(&pf->expires, "Expires");

	/* What the file accepted, the formatter must be able to render. */
	struct format_input in = {
		.kind = pf->kind, .title = pf->title, .body = pf->body,
		.link = pf->link, .tags = pf->tags, .ntags = pf->ntags,
		.has_expires = pf->has_expires, .expires = pf->expires.wall,
	};
	for (int n = 0; n < NET__COUNT; n++) {
		struct format_output out;
		struct err e = {{0}};
		int r = format_render(&fz_cfg, (enum network)n, &in, &out, &e);
		FZ_CHECK(r == 0, "an accepted post does not render for %s: %s",
			 network_name((enum network)n), e.msg);
		FZ_CHECK(out.text && out.visible && out.length > 0, "empty render");
		FZ_CHECK(utf8_valid(out.text, strlen(out.text)), "render not UTF-8");
		format_output_free(&out);
	}
	postfile_free(pf);
	diag_free(&d);
	return 0;
}
