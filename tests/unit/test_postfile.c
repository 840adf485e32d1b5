/*
 * test_postfile.c - the owner's post file format (postfile.c).
 *
 * Every refusal is checked by its exact message: the owner reads these, so
 * each must carry the file, the line and the fix.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ritual/postfile.h"

#define P "posts/w49/mon.post"

static struct post_file *parse_ok(const char *text)
{
	struct post_file *p = NULL;
	struct diag d = {0};
	int rc = postfile_parse_buffer(P, text, strlen(text), &p, &d);
	if (rc != 0) {
		for (size_t i = 0; i < d.n; i++)
			print_error("%s\n", d.msgs[i]);
		fail_msg("refused a valid post");
	}
	assert_int_equal(d.n, 0);
	assert_non_null(p);
	diag_free(&d);
	return p;
}

/* Parse text (len bytes) expecting refusal; returns the messages. */
static struct diag parse_bad_len(const char *text, size_t len)
{
	struct post_file *p = (struct post_file *)0x1;
	struct diag d = {0};
	assert_int_equal(postfile_parse_buffer(P, text, len, &p, &d), -1);
	assert_null(p);
	assert_true(d.n > 0);
	return d;
}

static struct diag parse_bad(const char *text)
{
	return parse_bad_len(text, strlen(text));
}

/* The one message that contains needle; fails if none does. */
static const char *find_msg(const struct diag *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msgs[i], needle))
			return d->msgs[i];
	for (size_t i = 0; i < d->n; i++)
		print_error("  got: %s\n", d->msgs[i]);
	fail_msg("no message contains \"%s\"", needle);
	return NULL;
}

/* Refused with exactly one message, equal to want. */
static void expect_only(const char *text, const char *want)
{
	struct diag d = parse_bad(text);
	if (d.n != 1 || strcmp(d.msgs[0], want) != 0) {
		for (size_t i = 0; i < d.n; i++)
			print_error("  got: %s\n", d.msgs[i]);
		fail_msg("wanted only: %s", want);
	}
	diag_free(&d);
}

/* Refused, and some message contains want. */
static void expect_has(const char *text, const char *want)
{
	struct diag d = parse_bad(text);
	find_msg(&d, want);
	diag_free(&d);
}

/* ---- accepted files ---- */

static void test_full_file_every_header(void **state)
{
	(void)state;
	/* BOM, CRLF, names in any case, spaces around ':', every header */
	const char *text =
		"\xEF\xBB\xBF" "kind: Promo\r\n"
		"TITLE:  Winter calm: 20% off \r\n"
		"At: 2026-12-01 09:00\r\n"
		"to: facebook, instagram  linkedin-page\r\n"
		"Image: img/calm.jpg\r\n"
		"ALT : A therapist's hands on a shoulder\r\n"
		"tags: #Massage, self_care Entspannung Ruhe\xC3\xA4 #massage\r\n"
		"Link: https://www.myrituals.me/book-online?src=ig#top\r\n"
		"expires: 2026-12-15\r\n"
		"\r\n"
		"\r\n"
		"First line of the body.  \r\n"
		"\tIndented second line\r\n"
		"\r\n"
		"\r\n"
		"Third paragraph \xF0\x9F\x8C\xBF\r\n"
		"\r\n"
		"   \r\n";
	struct post_file *p = parse_ok(text);

	assert_string_equal(p->path, P);
	assert_int_equal(p->kind, KIND_PROMO);
	assert_int_equal(p->kind_line, 1);
	assert_string_equal(p->title, "Winter calm: 20% off");
	assert_int_equal(p->title_line, 2);

	assert_true(p->has_at);
	assert_int_equal(p->at_line, 3);
	assert_int_equal(p->at.wall.year, 2026);
	assert_int_equal(p->at.wall.mon, 12);
	assert_int_equal(p->at.wall.day, 1);
	assert_int_equal(p->at.wall.hour, 9);
	assert_int_equal(p->at.wall.min, 0);
	assert_true(p->at.has_time);
	assert_false(p->at.has_offset);

	assert_int_equal(p->nto, 3);
	assert_string_equal(p->to[0], "facebook");
	assert_string_equal(p->to[1], "instagram");
	assert_string_equal(p->to[2], "linkedin-page");
	assert_null(p->to[3]);
	assert_int_equal(p->to_line, 4);

	/* resolved against the post file's folder */
	assert_string_equal(p->image, "posts/w49/img/calm.jpg");
	assert_int_equal(p->image_line, 5);
	assert_string_equal(p->alt, "A therapist's hands on a shoulder");
	assert_int_equal(p->alt_line, 6);

	/* '#' stripped; "#massage" repeats "#Massage" and is dropped */
	assert_int_equal(p->ntags, 4);
	assert_string_equal(p->tags[0], "Massage");
	assert_string_equal(p->tags[1], "self_care");
	assert_string_equal(p->tags[2], "Entspannung");
	assert_string_equal(p->tags[3], "Ruhe\xC3\xA4");
	assert_null(p->tags[4]);
	assert_int_equal(p->tags_line, 7);

	assert_string_equal(p->link, "https://www.myrituals.me/book-online?src=ig#top");
	assert_int_equal(p->link_line, 8);

	assert_true(p->has_expires);
	assert_int_equal(p->expires_line, 9);
	assert_int_equal(p->expires.wall.day, 15);
	assert_false(p->expires.has_time);

	/* leading blank lines skipped, CRLF -> LF, trailing whitespace gone,
	 * inner line breaks and indentation kept */
	assert_string_equal(p->body,
			    "First line of the body.\n"
			    "\tIndented second line\n"
			    "\n"
			    "\n"
			    "Third paragraph \xF0\x9F\x8C\xBF");
	assert_int_equal(p->body_line, 12);
	postfile_free(p);
}

static void test_minimal_file(void **state)
{
	(void)state;
	struct post_file *p = parse_ok("Kind: note\n\nClosed on Monday.");
	assert_int_equal(p->kind, KIND_NOTE);
	assert_null(p->title);
	assert_false(p->has_at);
	assert_null(p->to);
	assert_int_equal(p->nto, 0);
	assert_null(p->image);
	assert_null(p->alt);
	assert_null(p->tags);
	assert_int_equal(p->ntags, 0);
	assert_null(p->link);
	assert_false(p->has_expires);
	assert_string_equal(p->body, "Closed on Monday.");
	assert_int_equal(p->body_line, 3);
	postfile_free(p);

	/* a BOM with plain LF endings; whitespace-only line ends headers */
	p = parse_ok("\xEF\xBB\xBFKind: tip\n \t\nBody\n");
	assert_int_equal(p->kind, KIND_TIP);
	assert_string_equal(p->body, "Body");
	assert_int_equal(p->body_line, 3);
	postfile_free(p);
}

static void test_sample_week_post(void **state)
{
	(void)state;
	/* posts/sample-week/01-why-legs-tighten.post, shortened */
	struct post_file *p = parse_ok(
		"Kind: tip\n"
		"Title: Why hamstrings and calves tighten\n"
		"Image: 01-why-legs-tighten.jpg\n"
		"Alt: Sage and sand gradient card with the words \"Why hamstrings "
		"and calves tighten\" and \"Wellness Rituals\" at the bottom\n"
		"Tags: hamstrings calves wellness\n"
		"\n"
		"The backs of your legs do a lot of quiet work all day.\n"
		"\n"
		"The good news: once you know where the tightness comes from, "
		"it is much easier to ease.\n");
	assert_string_equal(p->image, "posts/w49/01-why-legs-tighten.jpg");
	assert_int_equal(p->ntags, 3);
	assert_int_equal(p->body_line, 7);
	assert_non_null(strstr(p->body, "quiet work all day.\n\nThe good news"));
	postfile_free(p);
}

static void test_image_paths(void **state)
{
	(void)state;
	struct post_file *p = NULL;
	struct diag d = {0};
	const char *t = "Kind: tip\nImage: a.jpg\n\nx";
	assert_int_equal(postfile_parse_buffer("mon.post", t, strlen(t), &p, &d), 0);
	assert_string_equal(p->image, "a.jpg");
	postfile_free(p);
	assert_int_equal(postfile_parse_buffer("/srv/posts/mon.post", t, strlen(t),
					       &p, &d), 0);
	assert_string_equal(p->image, "/srv/posts/a.jpg");
	postfile_free(p);
	t = "Kind: tip\nImage: /srv/shared/logo.png\n\nx";
	assert_int_equal(postfile_parse_buffer(P, t, strlen(t), &p, &d), 0);
	assert_string_equal(p->image, "/srv/shared/logo.png");
	postfile_free(p);
	assert_int_equal(d.n, 0);
}

static void test_values_accepted(void **state)
{
	(void)state;
	struct post_file *p;

	/* At with an explicit offset; Expires with a time */
	p = parse_ok("Kind: tip\nAt: 2026-12-01T09:00:00-05:00\n"
		     "Expires: 2026-12-15 18:00\n\nx");
	assert_true(p->at.has_offset);
	assert_true(p->expires.has_time);
	assert_int_equal(p->expires.wall.hour, 18);
	postfile_free(p);

	/* links the owner may paste */
	static const char *links[] = {
		"http://example.com", "HTTPS://Example.com:8443/a?b=c#d",
		"https://user@shop.example.com/x", "http://[::1]:8080/",
		"https://m\xC3\xBCnchen.example/"
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "Kind: tip\nLink: %s\n\nx", links[i]);
		p = parse_ok(text);
		assert_string_equal(p->link, links[i]);
		postfile_free(p);
	}

	/* To: the same account twice posts once */
	p = parse_ok("Kind: tip\nTo: fb,fb ig\n\nx");
	assert_int_equal(p->nto, 2);
	assert_string_equal(p->to[0], "fb");
	assert_string_equal(p->to[1], "ig");
	postfile_free(p);

	/* Title of exactly 500 characters, each two bytes in UTF-8 */
	char title[1100] = "Kind: tip\nTitle: ";
	size_t n = strlen(title);
	for (int i = 0; i < 500; i++) {
		title[n++] = '\xC3';
		title[n++] = '\xA9';
	}
	memcpy(title + n, "\n\nx", 4);
	p = parse_ok(title);
	assert_int_equal(strlen(p->title), 1000);
	postfile_free(p);
}

/* ---- refusals, one by one ---- */

static void test_unknown_header_suggests(void **state)
{
	(void)state;
	expect_only("Kind: tip\nTittle: Hello\n\nx",
		    P ":2: unknown header \"Tittle\"; did you mean \"Title\"? "
		    "(known headers are Kind, Title, At, To, Image, Alt, Tags, "
		    "Link, Expires and Fit)");
	expect_only("Kind: tip\nHashtags: spa\n\nx",
		    P ":2: unknown header \"Hashtags\"; did you mean \"Tags\"? "
		    "(known headers are Kind, Title, At, To, Image, Alt, Tags, "
		    "Link, Expires and Fit)");
	expect_has("Kind: tip\nimgae: a.jpg\n\nx", "did you mean \"Image\"?");
	expect_has("Kind: tip\nExpiry: 2026-12-01\n\nx", "did you mean \"Expires\"?");
	expect_has("Kind: tip\nDate: 2026-12-01 09:00\n\nx", "did you mean \"At\"?");
	expect_has("Kind: tip\nAlt text: hands\n\nx",
		   ":2: unknown header \"Alt text\"; did you mean \"Alt\"?");
	expect_only("Kind: tip\nColour: sage\n\nx",
		    P ":2: unknown header \"Colour\"; known headers are Kind, "
		    "Title, At, To, Image, Alt, Tags, Link, Expires and Fit");
	/* two letters apart from a two-letter name is no resemblance */
	expect_only("Kind: tip\nXY: 1\n\nx",
		    P ":2: unknown header \"XY\"; known headers are Kind, Title, "
		    "At, To, Image, Alt, Tags, Link, Expires and Fit");
}

static void test_duplicate_header(void **state)
{
	(void)state;
	expect_only("Kind: tip\ntitle: One\nTitle: Two\n\nx",
		    P ":3: \"Title\" appears twice (first on line 2); keep only "
		    "one \"Title:\" line");
	expect_only("Kind: tip\nKIND: promo\n\nx",
		    P ":2: \"Kind\" appears twice (first on line 1); keep only "
		    "one \"Kind:\" line");
}

static void test_line_without_colon(void **state)
{
	(void)state;
	/* the blank line after the headers was forgotten */
	struct diag d = parse_bad("Kind: tip\nCome and relax with us\n");
	assert_int_equal(d.n, 2);
	assert_string_equal(d.msgs[0],
		P ":2: \"Come and relax with us\" is not a header (it has no "
		"':'); write headers as \"Name: value\", and leave one blank "
		"line between the headers and the body");
	assert_string_equal(d.msgs[1],
		P ":2: the post has no body; leave one blank line after the "
		"headers, then write the post's text");
	diag_free(&d);

	/* body text with a ':' in it */
	d = parse_bad("Kind: tip\nThe good news: it eases\n");
	assert_int_equal(d.n, 2);
	assert_string_equal(d.msgs[0],
		P ":2: \"The good news: it eases\" is not a header (header names "
		"have no spaces); write headers as \"Name: value\", and leave one "
		"blank line between the headers and the body");
	diag_free(&d);
	/* a bare web address: "Link:" forgotten */
	expect_has("Kind: tip\nhttps://myrituals.me\n\nx",
		   P ":2: unknown header \"https\"; did you mean \"Link\"?");

	expect_only("Kind: tip\n: tip\n\nx",
		    P ":2: this header has no name before the ':'; write headers "
		    "as \"Name: value\" (Kind, Title, At, To, Image, Alt, Tags, "
		    "Link, Expires and Fit)");
}

static void test_many_lines_without_colon_are_summed_up(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_puts(&b, "Kind: tip\n");
	for (int i = 0; i < 14; i++)
		buf_printf(&b, "line %d of a body with no blank line above\n", i);
	buf_puts(&b, "\nBody");
	struct diag d = parse_bad(b.data);
	assert_int_equal(d.n, 11);
	assert_string_equal(d.msgs[10],
		P ":12: 4 more lines from here to the first blank line are not "
		"headers either; is the blank line between the headers and the "
		"body missing?");
	diag_free(&d);
	buf_free(&b);
}

static void test_problems_are_capped(void **state)
{
	(void)state;
	/* a file of 1000 unknown headers: 50 messages, a count, and the
	 * whole-file problems still present */
	struct buf b = {0};
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "Colour%d: x\n", i);
	struct diag d = parse_bad(b.data);
	assert_int_equal(d.n, 53);
	assert_non_null(strstr(d.msgs[0], P ":1: unknown header \"Colour0\""));
	assert_non_null(strstr(d.msgs[1], P ":1: missing \"Kind:\" header"));
	assert_non_null(strstr(d.msgs[50], P ":50: unknown header \"Colour49\""));
	assert_string_equal(d.msgs[51], P ":1000: the post has no body; leave one "
			    "blank line after the headers, then write the post's text");
	assert_string_equal(d.msgs[52], P ": 950 more problems not shown; fix "
			    "the ones above first");
	diag_free(&d);
	buf_free(&b);
}

static void test_empty_value(void **state)
{
	(void)state;
	expect_only("Kind: tip\nTitle:   \n\nx",
		    P ":2: \"Title:\" has no value; write one after the colon, or "
		    "remove the line");
	expect_only("Kind:\n\nx",
		    P ":1: \"Kind:\" has no value; write tip, promo or note after "
		    "the colon");
}

static void test_kind(void **state)
{
	(void)state;
	expect_only("Title: Hello\n\nx",
		    P ":1: missing \"Kind:\" header; add \"Kind: tip\" (tip, promo "
		    "or note)");
	expect_only("Kind: tipp\n\nx",
		    P ":1: unknown kind \"tipp\"; use tip, promo or note");
}

static void test_missing_body(void **state)
{
	(void)state;
	expect_only("Kind: tip\nTitle: Hello",
		    P ":2: the post has no body; leave one blank line after the "
		    "headers, then write the post's text");
	expect_only("Kind: tip\r\n\r\n  \r\n\r\n",
		    P ":2: the post has no body; write the post's text after this "
		    "blank line");
	/* an empty file: both problems, on line 1 */
	struct diag d = parse_bad("");
	assert_int_equal(d.n, 2);
	assert_string_equal(d.msgs[0], P ":1: missing \"Kind:\" header; add "
			    "\"Kind: tip\" (tip, promo or note)");
	assert_string_equal(d.msgs[1], P ":1: the post has no body; leave one "
			    "blank line after the headers, then write the post's text");
	diag_free(&d);
}

static void test_control_characters(void **state)
{
	(void)state;
	/* an ANSI colour code in the title: would recolour a terminal */
	expect_only("Kind: tip\nTitle: Red \x1b[31malert\n\nOk\n",
		    P ":2: column 12: a control character (U+001B, ESC: a "
		    "terminal colour code?); remove it: a post may hold tabs and "
		    "line ends but no other control characters");
	/* in the body, after a multi-byte character: columns count characters */
	expect_only("Kind: tip\n\nCaf\xc3\xa9 \x07" "bell\n",
		    P ":3: column 6: a control character (U+0007); remove it: a "
		    "post may hold tabs and line ends but no other control "
		    "characters");
	/* a bare CR (old Mac line end, or one that overwrites the line) */
	expect_only("Kind: tip\n\nOne\rTwo\n",
		    P ":3: column 4: a carriage return (U+000D) inside the line; "
		    "save the file with Unix (LF) or Windows (CRLF) line ends");
	/* DEL and a C1 control (U+009B, the 8-bit CSI) */
	struct diag d = parse_bad("Kind: tip\n\nA\x7f\nB \xc2\x9b" "31m\n");
	assert_int_equal(d.n, 2);
	assert_string_equal(d.msgs[0], P ":3: column 2: a control character "
			    "(U+007F); remove it: a post may hold tabs and line "
			    "ends but no other control characters");
	assert_non_null(strstr(d.msgs[1], P ":4: column 3: a control character "
			       "(U+009B)"));
	diag_free(&d);
	/* form feed and vertical tab too, even at the end of a body line */
	d = parse_bad("Kind: tip\n\nA\f\n");
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], P ":3: column 2: a control character (U+000C)"));
	diag_free(&d);
	/* allowed: tabs, CRLF line ends, U+00A0 (not a control) */
	struct post_file *p = parse_ok("Kind: tip\r\nTitle: A\tB\r\n\r\n"
				       "x\ty \xc2\xa0" "z\r\n");
	assert_string_equal(p->title, "A\tB");
	assert_string_equal(p->body, "x\ty \xc2\xa0" "z");
	postfile_free(p);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	/* Latin-1 "café" in the title and a stray byte in the body */
	expect_only("Kind: tip\nTitle: Caf\xE9\n\nOk\nBad \xFF\n",
		    P ":2: this line is not valid UTF-8 text (nor is 1 later "
		    "line); save the file as UTF-8 in your editor");
	expect_only("Kind: tip\n\nOne\nTwo \xC3\n",
		    P ":4: this line is not valid UTF-8 text; save the file as "
		    "UTF-8 in your editor");
	/* a NUL byte: not a text file */
	static const char nul[] = "Kind: tip\n\nA\0B\n";
	struct diag d = parse_bad_len(nul, sizeof(nul) - 1);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], P ":3: this line is not valid UTF-8"));
	diag_free(&d);
}

static void test_too_long_text(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_puts(&b, "Kind: tip\nTitle: ");
	for (int i = 0; i < 501; i++)
		buf_puts(&b, "\xC3\xA9");
	buf_puts(&b, "\nAlt: ");
	for (int i = 0; i < 600; i++)
		buf_putc(&b, 'a');
	buf_puts(&b, "\n\nx");
	struct diag d = parse_bad(b.data);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.msgs[0], P ":2: Title is 501 characters long; "
			    "shorten it to 500 characters or fewer");
	assert_string_equal(d.msgs[1], P ":3: Alt is 600 characters long; "
			    "shorten it to 500 characters or fewer");
	diag_free(&d);
	buf_free(&b);
}

static void test_bad_link(void **state)
{
	(void)state;
	expect_only("Kind: tip\nLink: www.myrituals.me/book\n\nx",
		    P ":2: Link \"www.myrituals.me/book\" is not a full web "
		    "address; write it starting with https:// (for example "
		    "https://www.myrituals.me/book)");
	expect_only("Kind: tip\nLink: ftp://files.example.com/a\n\nx",
		    P ":2: Link \"ftp://files.example.com/a\" is not a web page "
		    "address; write an address starting with https:// or http://");
	expect_only("Kind: tip\nLink: https://\n\nx",
		    P ":2: Link \"https://\" has no valid host name; write it like "
		    "https://www.example.com/page");
	expect_has("Kind: tip\nLink: https:///book\n\nx", "has no valid host name");
	expect_has("Kind: tip\nLink: https://exa_mple!.com\n\nx",
		   "has no valid host name");
	expect_has("Kind: tip\nLink: https://a..b/\n\nx", "has no valid host name");
	expect_only("Kind: tip\nLink: https://my rituals.me\n\nx",
		    P ":2: Link \"https://my rituals.me\" contains a space; "
		    "remove it (or write it as %20)");
	expect_has("Kind: tip\nLink: https://example.com:80a/\n\nx",
		   ":2: Link \"https://example.com:80a/\" has a bad port number");
	expect_has("Kind: tip\nLink: https://example.com:/\n\nx", "bad port number");
}

static void test_bad_tags(void **state)
{
	(void)state;
	expect_only("Kind: tip\nTags: self-care\n\nx",
		    P ":2: tag \"self-care\" contains \"-\"; a hashtag may hold "
		    "only letters, digits and '_'; write it as \"selfcare\" or "
		    "\"self_care\"");
	expect_only("Kind: tip\nTags: #spa\xE2\x9C\xA8\n\nx",
		    P ":2: tag \"#spa\xE2\x9C\xA8\" contains \"\xE2\x9C\xA8\"; a "
		    "hashtag may hold only letters, digits and '_'; write it as "
		    "\"spa\"");
	expect_only("Kind: tip\nTags: massage #\n\nx",
		    P ":2: a tag in Tags: is only \"#\"; write the word after the "
		    "'#', or remove it");
	expect_only("Kind: tip\nTags: !!!\n\nx",
		    P ":2: tag \"!!!\" contains \"!\"; a hashtag may hold only "
		    "letters, digits and '_'; remove it");
	/* typographic apostrophe and a no-break space pasted from a phone */
	expect_has("Kind: tip\nTags: rock\xE2\x80\x99n\n\nx",
		   "contains \"\xE2\x80\x99\"");
	expect_has("Kind: tip\nTags: a\xC2\xA0" "b\n\nx", "contains \"\xC2\xA0\"");
	/* two bad tags: two messages, same line */
	struct diag d = parse_bad("Kind: tip\nTags: a.b ok c/d\n\nx");
	assert_int_equal(d.n, 2);
	assert_non_null(strstr(d.msgs[0], ":2: tag \"a.b\""));
	assert_non_null(strstr(d.msgs[1], ":2: tag \"c/d\""));
	diag_free(&d);
	expect_only("Kind: tip\nTags: , ,\n\nx",
		    P ":2: Tags: holds no tag; write words separated by spaces or "
		    "commas, or remove the line");
}

static void test_letters_in_other_scripts(void **state)
{
	(void)state;
	struct post_file *p = parse_ok(
		"Kind: tip\nTags: #\xE3\x83\x9E\xE3\x83\x83\xE3\x82\xB5\xE3\x83\xBC"
		"\xE3\x82\xB8 \xD0\xBC\xD0\xB0\xD1\x81\xD1\x81\xD0\xB0\xD0\xB6 "
		"caf\xC3\xA9_2026\n\nx");
	assert_int_equal(p->ntags, 3);
	assert_string_equal(p->tags[2], "caf\xC3\xA9_2026");
	postfile_free(p);
}

static void test_bad_to(void **state)
{
	(void)state;
	expect_only("Kind: tip\nTo: facebook, insta!gram\n\nx",
		    P ":2: account name \"insta!gram\" in To: may hold only "
		    "letters, digits, '-' and '_'; write the account names from "
		    "ritual.conf, separated by spaces or commas");
	expect_only("Kind: tip\nTo: ,\n\nx",
		    P ":2: To: names no account; write the account names from "
		    "ritual.conf, separated by spaces or commas");
}

static void test_bad_times(void **state)
{
	(void)state;
	struct diag d = parse_bad("Kind: tip\nAt: tomorrow 9am\n\nx");
	assert_int_equal(d.n, 1);
	/* schedule.c words the fix; we add the place and the header */
	assert_true(strncmp(d.msgs[0], P ":2: At: ", strlen(P ":2: At: ")) == 0);
	assert_non_null(strstr(d.msgs[0], "2026-12-01 09:00"));
	diag_free(&d);

	/* At needs a time of day; Expires may be a date */
	d = parse_bad("Kind: tip\nAt: 2026-12-01\nExpires: 2026-12-01\n\nx");
	assert_int_equal(d.n, 1);
	assert_true(strncmp(d.msgs[0], P ":2: At: ", strlen(P ":2: At: ")) == 0);
	diag_free(&d);

	d = parse_bad("Kind: tip\nExpires: 2026-02-30\n\nx");
	assert_int_equal(d.n, 1);
	assert_true(strncmp(d.msgs[0], P ":2: Expires: ",
			    strlen(P ":2: Expires: ")) == 0);
	diag_free(&d);
}

static void test_image_url_refused(void **state)
{
	(void)state;
	expect_only("Kind: tip\nImage: https://cdn.example.com/a.jpg\n\nx",
		    P ":2: Image must be a file next to the post, not a web "
		    "address; save the image in the post's folder and write its "
		    "file name");
}

static void test_all_problems_at_once_in_line_order(void **state)
{
	(void)state;
	struct diag d = {0};
	diag_add(&d, "an earlier message stays");
	const char *text =
		"Tittle: Hello\n"           /* 1: typo (and Kind missing) */
		"Link: example.com\n"       /* 2 */
		"Tags: self-care\n"         /* 3 */
		"Link: https://ok.example\n" /* 4: duplicate */
		"At: noon\n"                /* 5 */
		"\n";                       /* 6: no body */
	struct post_file *p = NULL;
	assert_int_equal(postfile_parse_buffer(P, text, strlen(text), &p, &d), -1);
	assert_null(p);
	assert_int_equal(d.n, 8);
	assert_string_equal(d.msgs[0], "an earlier message stays");
	assert_non_null(strstr(d.msgs[1], P ":1: unknown header \"Tittle\""));
	assert_non_null(strstr(d.msgs[2], P ":1: missing \"Kind:\" header"));
	assert_non_null(strstr(d.msgs[3], P ":2: Link \"example.com\""));
	assert_non_null(strstr(d.msgs[4], P ":3: tag \"self-care\""));
	assert_non_null(strstr(d.msgs[5], P ":4: \"Link\" appears twice"));
	assert_non_null(strstr(d.msgs[6], P ":5: At: "));
	assert_non_null(strstr(d.msgs[7], P ":6: the post has no body"));
	diag_free(&d);
}

static void test_buffer_over_one_mib(void **state)
{
	(void)state;
	size_t len = 1024 * 1024 + 1;
	char *big = malloc(len);
	assert_non_null(big);
	memset(big, 'a', len);
	memcpy(big, "Kind: tip\n\n", 11);
	struct diag d = parse_bad_len(big, len);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.msgs[0], P ": the file is 1048577 bytes; a post "
			    "file may be at most 1 MiB (is this really a post file?)");
	diag_free(&d);
	/* exactly 1 MiB is fine */
	struct post_file *p = NULL;
	assert_int_equal(postfile_parse_buffer(P, big, len - 1, &p, &d), 0);
	assert_int_equal(strlen(p->body), len - 1 - 11);
	postfile_free(p);
	free(big);
}

/* ---- files on disk ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ritual-postfile-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static const char *const tmpfiles[] = {
	"mon.post", "big.post", "bad.post", "secret.post"
};

static int remove_tmpdir(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tmpfiles) / sizeof(tmpfiles[0]); i++) {
		char *path = xasprintf("%s/%s", tmpdir, tmpfiles[i]);
		unlink(path);
		free(path);
	}
	return rmdir(tmpdir);
}

static char *write_tmp(const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void test_parse_file(void **state)
{
	(void)state;
	const char *text = "Kind: tip\nImage: pic.jpg\n\nHello\n";
	char *path = write_tmp("mon.post", text, strlen(text));
	struct post_file *p = NULL;
	struct diag d = {0};
	assert_int_equal(postfile_parse(path, &p, &d), 0);
	assert_string_equal(p->path, path);
	char *want = xasprintf("%s/pic.jpg", tmpdir);
	assert_string_equal(p->image, want);
	assert_string_equal(p->body, "Hello");
	free(want);
	postfile_free(p);
	free(path);
}

static void test_parse_file_errors(void **state)
{
	(void)state;
	struct post_file *p = NULL;
	struct diag d = {0};

	char *missing = xasprintf("%s/nope.post", tmpdir);
	assert_int_equal(postfile_parse(missing, &p, &d), -1);
	assert_null(p);
	assert_int_equal(d.n, 1);
	char *want = xasprintf("%s: cannot read the post file: No such file or "
			       "directory; check the path and that you may read it",
			       missing);
	assert_string_equal(d.msgs[0], want);
	free(want);
	free(missing);
	diag_free(&d);

	assert_int_equal(postfile_parse(tmpdir, &p, &d), -1);
	want = xasprintf("%s: is a folder, not a post file; give the path of a "
			 ".post file", tmpdir);
	assert_string_equal(d.msgs[0], want);
	free(want);
	diag_free(&d);

	size_t len = 1024 * 1024 + 10;
	char *big = calloc(1, len);
	assert_non_null(big);
	char *path = write_tmp("big.post", big, len);
	assert_int_equal(postfile_parse(path, &p, &d), -1);
	want = xasprintf("%s: the file is 1048586 bytes; a post file may be at "
			 "most 1 MiB (is this really a post file?)", path);
	assert_string_equal(d.msgs[0], want);
	free(want);
	free(path);
	free(big);
	diag_free(&d);

	/* syntax errors in a file name the file as given */
	const char *text = "Kind: tipp\n\nx";
	path = write_tmp("bad.post", text, strlen(text));
	assert_int_equal(postfile_parse(path, &p, &d), -1);
	want = xasprintf("%s:1: unknown kind \"tipp\"; use tip, promo or note", path);
	assert_string_equal(d.msgs[0], want);
	free(want);
	free(path);
	diag_free(&d);

	/* unreadable (skipped as root, who can read anything) */
	if (geteuid() != 0) {
		text = "Kind: tip\n\nx";
		path = write_tmp("secret.post", text, strlen(text));
		assert_int_equal(chmod(path, 0), 0);
		assert_int_equal(postfile_parse(path, &p, &d), -1);
		assert_non_null(strstr(d.msgs[0], "Permission denied"));
		assert_non_null(strstr(d.msgs[0], path));
		free(path);
		diag_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file_every_header),
		cmocka_unit_test(test_minimal_file),
		cmocka_unit_test(test_sample_week_post),
		cmocka_unit_test(test_image_paths),
		cmocka_unit_test(test_values_accepted),
		cmocka_unit_test(test_unknown_header_suggests),
		cmocka_unit_test(test_duplicate_header),
		cmocka_unit_test(test_line_without_colon),
		cmocka_unit_test(test_many_lines_without_colon_are_summed_up),
		cmocka_unit_test(test_problems_are_capped),
		cmocka_unit_test(test_empty_value),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_missing_body),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_too_long_text),
		cmocka_unit_test(test_bad_link),
		cmocka_unit_test(test_bad_tags),
		cmocka_unit_test(test_letters_in_other_scripts),
		cmocka_unit_test(test_bad_to),
		cmocka_unit_test(test_bad_times),
		cmocka_unit_test(test_image_url_refused),
		cmocka_unit_test(test_all_problems_at_once_in_line_order),
		cmocka_unit_test(test_buffer_over_one_mib),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_parse_file_errors),
		cmocka_unit_test(test_control_characters),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
