/*
 * fuzz_format.c - templates, rendering, normalisation and LinkedIn's
 * little-text escaping.
 *
 * The input is fields separated by lines "----": template, body, title,
 * link, tags (space separated), expiry date (YYYY-MM-DD). The whole input
 * also goes through format_normalize and format_linkedin_escape as raw
 * text.
 *
 * Invariants:
 *  - normalize: no CR or tab, no double space, no space before a line end,
 *    at most one blank line in a row, none at either end, never longer,
 *    idempotent, UTF-8 kept UTF-8;
 *  - escape: never shorter than its input; unescaping it gives the input
 *    back; outside "{hashtag|\#|word}" every reserved character is escaped;
 *    UTF-8 kept UTF-8;
 *  - a template format_check_template accepts renders a plain post for
 *    every kind and network (or is empty after formatting);
 *  - every successful render: visible text non-empty, valid UTF-8 (checked
 *    with util.c's utf8_valid), already normalised, its length in code
 *    points, counts no more hashtags/mentions than '#'/'@' signs, and the
 *    wire text is the visible text (escaped for LinkedIn).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ritual/format.h"

static const char reserved[] = "\\|{}@[]()<>#*_~";
static const char hashtag_open[] = "{hashtag|\\#|";

/* The text an escaped string stands for; NULL when the escaping is not
 * well formed. Caller frees. */
static char *li_unescape(const char *t)
{
	struct buf b = {0};
	size_t i = 0, ho = strlen(hashtag_open);
	while (t[i]) {
		if (t[i] == '\\') {
			if (!t[i + 1] || !strchr(reserved, t[i + 1]))
				goto bad;
			buf_putc(&b, t[i + 1]);
			i += 2;
		} else if (strncmp(t + i, hashtag_open, ho) == 0) {
			i += ho;
			size_t start = i;
			buf_putc(&b, '#');
			while (t[i] && t[i] != '}') {
				if (t[i] != '_' && strchr(reserved, t[i]))
					goto bad;
				buf_putc(&b, t[i]);
				i++;
			}
			if (t[i] != '}' || i == start)
				goto bad;
			i++;
		} else if (strchr(reserved, t[i])) {
			goto bad;
		} else {
			buf_putc(&b, t[i]);
			i++;
		}
	}
	return buf_steal(&b);
bad:
	buf_free(&b);
	return NULL;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

static void check_normalized(const char *in, const char *out)
{
	size_t n = strlen(out);
	FZ_CHECK(n <= strlen(in), "normalize made the text longer");
	FZ_CHECK(!strchr(out, '\r') && !strchr(out, '\t'), "CR or tab left");
	FZ_CHECK(!strstr(out, "  "), "double space left");
	FZ_CHECK(!strstr(out, " \n") && !(n && out[n - 1] == ' '),
		 "space before a line end");
	FZ_CHECK(!strstr(out, "\n\n\n"), "two blank lines in a row");
	FZ_CHECK(!(n && (out[0] == '\n' || out[n - 1] == '\n')),
		 "blank line at an end");
	if (utf8_valid(in, strlen(in)))
		FZ_CHECK(utf8_valid(out, n), "normalize broke UTF-8");
	char *again = format_normalize(out);
	FZ_CHECK(again && strcmp(again, out) == 0, "normalize is not idempotent");
	free(again);
}

static void check_escaped(const char *in, const char *out)
{
	FZ_CHECK(strlen(out) >= strlen(in), "escaped text shorter than its input "
		 "(%zu < %zu)", strlen(out), strlen(in));
	if (utf8_valid(in, strlen(in)))
		FZ_CHECK(utf8_valid(out, strlen(out)), "escaping broke UTF-8");
	char *back = li_unescape(out);
	FZ_CHECK(back != NULL, "escaped text is not well formed: \"%s\"", out);
	FZ_CHECK(strcmp(back, in) == 0, "unescaping \"%s\" gives \"%s\", not "
		 "\"%s\"", out, back, in);
	free(back);
}

static void check_output(const struct format_output *o, enum network net)
{
	FZ_CHECK(o->text && o->visible && o->visible[0], "empty output");
	size_t vl = strlen(o->visible);
	FZ_CHECK(utf8_valid(o->visible, vl), "visible text is not UTF-8");
	FZ_CHECK(utf8_valid(o->text, strlen(o->text)), "wire text is not UTF-8");
	FZ_CHECK(o->length == utf8_length(o->visible), "length %zu, %zu code "
		 "points", o->length, utf8_length(o->visible));
	FZ_CHECK(o->hashtags <= count_char(o->visible, '#'), "more hashtags than "
		 "'#'");
	FZ_CHECK(o->mentions <= count_char(o->visible, '@'), "more mentions than "
		 "'@'");
	char *norm = format_normalize(o->visible);
	FZ_CHECK(strcmp(norm, o->visible) == 0, "visible text not normalised");
	free(norm);
	if (net == NET_LINKEDIN) {
		char *esc = format_linkedin_escape(o->visible);
		FZ_CHECK(strcmp(esc, o->text) == 0, "LinkedIn text is not the "
			 "escaped visible text");
		free(esc);
		check_escaped(o->visible, o->text);
	} else {
		FZ_CHECK(strcmp(o->text, o->visible) == 0, "%s text differs from "
			 "visible", network_name(net));
	}
}

static void render_all(const struct config *cfg, const struct format_input *in,
		       int must_succeed)
{
	for (int k = 0; k < KIND__COUNT; k++) {
		struct format_input x = *in;
		x.kind = (enum post_kind)k;
		for (int n = 0; n < NET__COUNT; n++) {
			struct format_output o;
			struct err e = {{0}};
			int r = format_render(cfg, (enum network)n, &x, &o, &e);
			FZ_CHECK(r == 0 || r == -1, "rc %d", r);
			if (r == 0) {
				check_output(&o, (enum network)n);
				format_output_free(&o);
			} else {
				FZ_CHECK(e.msg[0], "failed render without a message");
				FZ_CHECK(!must_succeed || strstr(e.msg, "nothing to publish"),
					 "a valid template fails for %s/%s: %s",
					 kind_name((enum post_kind)k),
					 network_name((enum network)n), e.msg);
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *raw = fz_cstr(data, size);

	/* raw text */
	char *norm = format_normalize(raw);
	FZ_CHECK(norm != NULL, "normalize returned NULL");
	check_normalized(raw, norm);
	free(norm);
	char *esc = format_linkedin_escape(raw);
	FZ_CHECK(esc != NULL, "escape returned NULL");
	check_escaped(raw, esc);
	free(esc);

	/* fields */
	char *copy = fz_cstr(data, size);
	char *f[6] = {0};
	size_t nf = fz_split(copy, "----", f, 6);
	const char *tmpl = f[0];
	struct err e = {{0}};
	int valid = format_check_template(tmpl, &e);
	FZ_CHECK(valid == 0 || valid == -1, "rc %d", valid);
	if (valid < 0)
		FZ_CHECK(e.msg[0], "refused template without a message");

	struct config cfg = fz_cfg, bare = fz_cfg;
	memset(&cfg.formats, 0, sizeof(cfg.formats));
	memset(&bare.formats, 0, sizeof(bare.formats));
	memset(&bare.business, 0, sizeof(bare.business));
	if (valid == 0)
		for (int k = 0; k < KIND__COUNT; k++)
			for (int n = 0; n <= NET__COUNT; n++)
				cfg.formats[k][n] = (char *)tmpl;

	char *tags[] = {(char *)"massage", (char *)"self_care", NULL};
	struct format_input plain = {
		.title = "Loosen tight hamstrings", .body = "Two minutes a day, "
		"every day. #stretch @studio", .link = "https://www.myrituals.me/book-online/",
		.tags = tags, .ntags = 2, .has_expires = 1, .expires = {2026, 12, 15, 0, 0, 0},
	};
	if (valid == 0)
		render_all(&cfg, &plain, 1);

	if (nf >= 2) {
		struct format_input in = {.body = f[1]};
		char **ftags = NULL;
		size_t nt = 0;
		if (nf >= 3 && f[2][0])
			in.title = f[2];
		if (nf >= 4 && f[3][0])
			in.link = f[3];
		if (nf >= 5) {
			ftags = str_split(f[4], " ", &nt);
			in.tags = ftags;
			in.ntags = nt;
		}
		if (nf >= 6) {
			int y = 0, m = 0, d = 0;
			if (sscanf(f[5], "%d-%d-%d", &y, &m, &d) == 3) {
				in.has_expires = 1;
				in.expires = (struct wall){y, m, d, 0, 0, 0};
			}
		}
		if (valid == 0)
			render_all(&cfg, &in, 0);
		render_all(&bare, &in, 0);
		struct config builtin = fz_cfg;
		memset(&builtin.formats, 0, sizeof(builtin.formats));
		render_all(&builtin, &in, 0);
		strv_free(ftags);
	}
	free(copy);
	free(raw);
	return 0;
}
