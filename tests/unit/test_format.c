/*
 * test_format.c - the exact text each network receives.
 *
 * Every expected string here is what a reader of the Wellness Rituals page
 * sees (or, for LinkedIn, the wire text the API gets). A change to one of
 * them changes what the owner publishes: update it on purpose only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ritual/format.h"

#define BOOKING "https://www.myrituals.me/book-online"
#define PHONE "407-535-2331"
#define DOT "\xc2\xb7" /* U+00B7 MIDDLE DOT */

static struct config studio(void)
{
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.business.name = "Wellness Rituals";
	cfg.business.website = "https://www.myrituals.me";
	cfg.business.booking_url = BOOKING;
	cfg.business.phone = PHONE;
	cfg.limits.facebook_text = 63206;
	cfg.limits.instagram_caption = 2200;
	cfg.limits.instagram_hashtags = 5;
	cfg.limits.instagram_mentions = 20;
	cfg.limits.linkedin_text = 3000;
	return cfg;
}

static char *tip_tags[] = {"massage", "stretching"};

static struct format_input tip_post(void)
{
	struct format_input in = {
		.kind = KIND_TIP,
		.title = "Loosen tight hamstrings",
		.body = "Long hours of sitting keep your hamstrings short.\n\n"
			"Try our Table Top Stretch (20 minutes) after work.",
		.tags = tip_tags,
		.ntags = 2,
	};
	return in;
}

static char *promo_tags[] = {"thaiyogamassage", "yoga"};

static struct format_input promo_post(void)
{
	struct format_input in = {
		.kind = KIND_PROMO,
		.title = "Thai Yoga Massage",
		.body = "Give yourself an unhurried hour before the year turns.",
		.link = BOOKING,
		.tags = promo_tags,
		.ntags = 2,
		.has_expires = 1,
		.expires = {.year = 2026, .mon = 12, .day = 31},
	};
	return in;
}

/* Render and return the visible text (the test owns it), failing on error. */
static char *render_visible(const struct config *cfg, enum network net,
			    const struct format_input *in)
{
	struct format_output out;
	struct err err = {{0}};
	char *s;

	if (format_render(cfg, net, in, &out, &err) != 0)
		fail_msg("format_render: %s", err.msg);
	s = out.visible;
	out.visible = NULL;
	format_output_free(&out);
	return s;
}

static char *render_wire(const struct config *cfg, enum network net,
			 const struct format_input *in)
{
	struct format_output out;
	struct err err = {{0}};
	char *s;

	if (format_render(cfg, net, in, &out, &err) != 0)
		fail_msg("format_render: %s", err.msg);
	s = out.text;
	out.text = NULL;
	format_output_free(&out);
	return s;
}

static void assert_visible(const struct config *cfg, enum network net,
			   const struct format_input *in, const char *want)
{
	char *got = render_visible(cfg, net, in);
	assert_string_equal(got, want);
	free(got);
}

static void assert_wire(const struct config *cfg, enum network net,
			const struct format_input *in, const char *want)
{
	char *got = render_wire(cfg, net, in);
	assert_string_equal(got, want);
	free(got);
}

static void assert_normalized(const char *in, const char *want)
{
	char *got = format_normalize(in);
	assert_string_equal(got, want);
	free(got);
}

static void assert_escaped(const char *in, const char *want)
{
	char *got = format_linkedin_escape(in);
	assert_string_equal(got, want);
	assert_true(utf8_valid(got, strlen(got)));
	free(got);
}

/* ---- built-in templates, kind x network ------------------------------- */

static void test_tip_facebook(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	(void)state;

	assert_visible(&cfg, NET_FACEBOOK, &in,
		       "Loosen tight hamstrings\n\n"
		       "Long hours of sitting keep your hamstrings short.\n\n"
		       "Try our Table Top Stretch (20 minutes) after work.\n\n"
		       "Book online: " BOOKING " " DOT " or text " PHONE " to book.\n\n"
		       "#massage #stretching");
}

static void test_tip_instagram(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	(void)state;

	assert_visible(&cfg, NET_INSTAGRAM, &in,
		       "Loosen tight hamstrings\n\n"
		       "Long hours of sitting keep your hamstrings short.\n\n"
		       "Try our Table Top Stretch (20 minutes) after work.\n\n"
		       "Book through the link in our bio or text " PHONE ".\n\n"
		       "#massage #stretching");
}

static void test_tip_linkedin(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	struct format_output out;
	struct err err = {{0}};
	(void)state;

	assert_int_equal(format_render(&cfg, NET_LINKEDIN, &in, &out, &err), 0);
	assert_string_equal(out.visible,
			    "Loosen tight hamstrings\n\n"
			    "Long hours of sitting keep your hamstrings short.\n\n"
			    "Try our Table Top Stretch (20 minutes) after work.\n\n"
			    "Book online: " BOOKING " " DOT " or text " PHONE " to book.\n\n"
			    "#massage #stretching");
	assert_string_equal(out.text,
			    "Loosen tight hamstrings\n\n"
			    "Long hours of sitting keep your hamstrings short.\n\n"
			    "Try our Table Top Stretch \\(20 minutes\\) after work.\n\n"
			    "Book online: " BOOKING " " DOT " or text " PHONE " to book.\n\n"
			    "{hashtag|\\#|massage} {hashtag|\\#|stretching}");
	/* counted on the visible text, before escaping */
	assert_int_equal(out.length, utf8_length(out.visible));
	assert_int_equal(out.hashtags, 2);
	assert_int_equal(out.mentions, 0);
	format_output_free(&out);
}

static void test_promo_facebook_link_is_booking_url(void **state)
{
	struct config cfg = studio();
	struct format_input in = promo_post();
	(void)state;

	assert_visible(&cfg, NET_FACEBOOK, &in,
		       "Thai Yoga Massage\n\n"
		       "Give yourself an unhurried hour before the year turns.\n\n"
		       "Offer ends Thursday, December 31.\n\n"
		       BOOKING "\n\n"
		       "Book online at the link above " DOT " or text " PHONE " to book.\n\n"
		       "#thaiyogamassage #yoga");
}

static void test_promo_instagram_has_no_link(void **state)
{
	struct config cfg = studio();
	struct format_input in = promo_post();
	(void)state;

	assert_visible(&cfg, NET_INSTAGRAM, &in,
		       "Thai Yoga Massage\n\n"
		       "Give yourself an unhurried hour before the year turns.\n\n"
		       "Offer ends Thursday, December 31.\n\n"
		       "Book through the link in our bio or text " PHONE ".\n\n"
		       "#thaiyogamassage #yoga");
}

static void test_promo_linkedin(void **state)
{
	struct config cfg = studio();
	struct format_input in = promo_post();
	(void)state;

	assert_wire(&cfg, NET_LINKEDIN, &in,
		    "Thai Yoga Massage\n\n"
		    "Give yourself an unhurried hour before the year turns.\n\n"
		    "Offer ends Thursday, December 31.\n\n"
		    BOOKING "\n\n"
		    "Book online at the link above " DOT " or text " PHONE " to book.\n\n"
		    "{hashtag|\\#|thaiyogamassage} {hashtag|\\#|yoga}");
}

static void test_promo_other_link_keeps_booking_url(void **state)
{
	struct config cfg = studio();
	struct format_input in = promo_post();
	(void)state;

	in.link = "https://www.myrituals.me/post/thai-yoga-massage";
	in.has_expires = 0;
	assert_visible(&cfg, NET_FACEBOOK, &in,
		       "Thai Yoga Massage\n\n"
		       "Give yourself an unhurried hour before the year turns.\n\n"
		       "https://www.myrituals.me/post/thai-yoga-massage\n\n"
		       "Book online: " BOOKING " " DOT " or text " PHONE " to book.\n\n"
		       "#thaiyogamassage #yoga");
}

static void test_promo_link_equal_but_for_trailing_slash(void **state)
{
	struct config cfg = studio();
	struct format_input in = promo_post();
	char *got;
	(void)state;

	in.link = BOOKING "/";
	got = render_visible(&cfg, NET_FACEBOOK, &in);
	assert_non_null(strstr(got, "Book online at the link above " DOT));
	/* the URL appears once: as the link, not again in the call to action */
	assert_null(strstr(strstr(got, BOOKING) + 1, BOOKING));
	free(got);
}

static void test_note_is_body_only(void **state)
{
	struct config cfg = studio();
	struct format_input in = {
		.kind = KIND_NOTE,
		.title = "Holiday hours",
		.body = "We are closed on Thursday for Thanksgiving. Happy holidays!",
		.link = BOOKING,
		.tags = tip_tags,
		.ntags = 2,
	};
	(void)state;

	for (int net = 0; net < NET__COUNT; net++)
		assert_visible(&cfg, (enum network)net, &in,
			       "We are closed on Thursday for Thanksgiving. "
			       "Happy holidays!");
}

static void test_builtin_templates(void **state)
{
	struct config cfg = studio();
	struct err err = {{0}};
	(void)state;

	assert_string_equal(format_template(&cfg, KIND_TIP, NET_INSTAGRAM),
			    "{title}\n\n{body}\n\n{cta}\n\n{hashtags}");
	assert_string_equal(format_template(&cfg, KIND_PROMO, NET_LINKEDIN),
			    "{title}\n\n{body}\n\n{until}\n\n{link}\n\n{cta}\n\n{hashtags}");
	assert_null(strstr(format_template(&cfg, KIND_PROMO, NET_INSTAGRAM), "{link}"));
	assert_string_equal(format_template(&cfg, KIND_NOTE, NET_FACEBOOK), "{body}");
	for (int k = 0; k < KIND__COUNT; k++)
		for (int n = 0; n < NET__COUNT; n++)
			assert_int_equal(format_check_template(
				format_template(&cfg, (enum post_kind)k,
						(enum network)n), &err), 0);
}

/* ---- business fields missing ------------------------------------------ */

static void test_no_business_details(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	(void)state;

	memset(&cfg.business, 0, sizeof(cfg.business));
	/* the empty {cta} paragraph is folded away */
	for (int net = 0; net < NET__COUNT; net++)
		assert_visible(&cfg, (enum network)net, &in,
			       "Loosen tight hamstrings\n\n"
			       "Long hours of sitting keep your hamstrings short.\n\n"
			       "Try our Table Top Stretch (20 minutes) after work.\n\n"
			       "#massage #stretching");
}

static void test_cta_phone_only(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	char *got;
	(void)state;

	cfg.business.booking_url = NULL;
	for (int net = 0; net < NET__COUNT; net++) {
		got = render_visible(&cfg, (enum network)net, &in);
		assert_non_null(strstr(got, "\n\nText " PHONE " to book.\n\n#massage"));
		free(got);
	}
}

static void test_cta_booking_only(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	char *got;
	(void)state;

	cfg.business.phone = "";  /* empty counts as missing */
	got = render_visible(&cfg, NET_FACEBOOK, &in);
	assert_non_null(strstr(got, "\n\nBook online: " BOOKING "\n\n#massage"));
	free(got);
	got = render_visible(&cfg, NET_INSTAGRAM, &in);
	assert_non_null(strstr(got, "\n\nBook through the link in our bio.\n\n#massage"));
	free(got);

	/* a promo whose link is the booking page, and no phone */
	struct format_input promo = promo_post();
	got = render_visible(&cfg, NET_LINKEDIN, &promo);
	assert_non_null(strstr(got, BOOKING "\n\nBook online at the link above.\n\n#"));
	free(got);
}

static void test_business_placeholders_null(void **state)
{
	struct config cfg = studio();
	struct format_input in = {.kind = KIND_NOTE, .body = "See you soon."};
	(void)state;

	cfg.formats[KIND_NOTE][NET__COUNT] =
		"{body}\n\n{business} {website}\n{booking_url}\n{phone}\n{title}{link}{until}";
	assert_visible(&cfg, NET_FACEBOOK, &in,
		       "See you soon.\n\nWellness Rituals https://www.myrituals.me\n"
		       BOOKING "\n" PHONE);
	memset(&cfg.business, 0, sizeof(cfg.business));
	assert_visible(&cfg, NET_FACEBOOK, &in, "See you soon.");
}

/* ---- config overrides ------------------------------------------------- */

static void test_override_kind_default(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	(void)state;

	cfg.formats[KIND_TIP][NET__COUNT] = "{title} | {business}\n\n{body}\n\n{hashtags}";
	assert_string_equal(format_template(&cfg, KIND_TIP, NET_LINKEDIN),
			    cfg.formats[KIND_TIP][NET__COUNT]);
	/* other kinds keep their built-in template */
	assert_string_equal(format_template(&cfg, KIND_NOTE, NET_LINKEDIN), "{body}");
	assert_visible(&cfg, NET_FACEBOOK, &in,
		       "Loosen tight hamstrings | Wellness Rituals\n\n"
		       "Long hours of sitting keep your hamstrings short.\n\n"
		       "Try our Table Top Stretch (20 minutes) after work.\n\n"
		       "#massage #stretching");
	assert_wire(&cfg, NET_LINKEDIN, &in,
		    "Loosen tight hamstrings \\| Wellness Rituals\n\n"
		    "Long hours of sitting keep your hamstrings short.\n\n"
		    "Try our Table Top Stretch \\(20 minutes\\) after work.\n\n"
		    "{hashtag|\\#|massage} {hashtag|\\#|stretching}");
}

static void test_override_per_network_wins(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	(void)state;

	cfg.formats[KIND_TIP][NET__COUNT] = "{title}\n\n{body}";
	cfg.formats[KIND_TIP][NET_INSTAGRAM] = "{{{title}}}\n{body}\n{hashtags} #wellnessrituals";
	assert_visible(&cfg, NET_INSTAGRAM, &in,
		       "{Loosen tight hamstrings}\n"
		       "Long hours of sitting keep your hamstrings short.\n\n"
		       "Try our Table Top Stretch (20 minutes) after work.\n"
		       "#massage #stretching #wellnessrituals");
	assert_visible(&cfg, NET_FACEBOOK, &in,
		       "Loosen tight hamstrings\n\n"
		       "Long hours of sitting keep your hamstrings short.\n\n"
		       "Try our Table Top Stretch (20 minutes) after work.");
}

static void test_link_below_cta(void **state)
{
	struct config cfg = studio();
	struct format_input in = promo_post();
	(void)state;

	cfg.formats[KIND_PROMO][NET_FACEBOOK] = "{body}\n\n{cta}\n{link}";
	assert_visible(&cfg, NET_FACEBOOK, &in,
		       "Give yourself an unhurried hour before the year turns.\n\n"
		       "Book online at the link below " DOT " or text " PHONE " to book.\n"
		       BOOKING);
}

static void test_values_are_not_expanded_again(void **state)
{
	struct config cfg = studio();
	struct format_input in = {.kind = KIND_NOTE, .body = "Use {title} and {{x}} as you like"};
	(void)state;

	assert_visible(&cfg, NET_FACEBOOK, &in, "Use {title} and {{x}} as you like");
	assert_wire(&cfg, NET_LINKEDIN, &in,
		    "Use \\{title\\} and \\{\\{x\\}\\} as you like");
}

static void test_bad_config_template_is_refused(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	struct format_output out;
	struct err err = {{0}};
	(void)state;

	cfg.formats[KIND_TIP][NET_FACEBOOK] = "{titel}\n{body}";
	assert_int_equal(format_render(&cfg, NET_FACEBOOK, &in, &out, &err), -1);
	assert_non_null(strstr(err.msg, "formats.tip.facebook: unknown placeholder {titel}"));
	assert_null(out.text);
	assert_null(out.visible);
	format_output_free(&out);
}

/* ---- {until} ------------------------------------------------------------ */

static void test_until_dates(void **state)
{
	struct config cfg = studio();
	struct format_input in = promo_post();
	char *got;
	(void)state;

	in.expires = (struct wall){.year = 2026, .mon = 12, .day = 15, .hour = 18};
	got = render_visible(&cfg, NET_INSTAGRAM, &in);
	assert_non_null(strstr(got, "\n\nOffer ends Tuesday, December 15.\n\n"));
	free(got);

	in.expires = (struct wall){.year = 2028, .mon = 2, .day = 29};
	got = render_visible(&cfg, NET_INSTAGRAM, &in);
	assert_non_null(strstr(got, "\n\nOffer ends Tuesday, February 29.\n\n"));
	free(got);

	in.expires = (struct wall){.year = 2027, .mon = 1, .day = 1};
	got = render_visible(&cfg, NET_INSTAGRAM, &in);
	assert_non_null(strstr(got, "\n\nOffer ends Friday, January 1.\n\n"));
	free(got);
}

static void test_until_impossible_date(void **state)
{
	struct config cfg = studio();
	struct format_input in = promo_post();
	struct format_output out;
	struct err err = {{0}};
	(void)state;

	in.expires = (struct wall){.year = 2026, .mon = 2, .day = 30};
	assert_int_equal(format_render(&cfg, NET_FACEBOOK, &in, &out, &err), -1);
	assert_non_null(strstr(err.msg, "2026-02-30"));
}

/* ---- normalisation ---------------------------------------------------- */

static void test_normalize(void **state)
{
	(void)state;

	assert_normalized("one\r\ntwo\r\n", "one\ntwo");
	assert_normalized("old\rmac", "old\nmac");
	assert_normalized("trailing   \nspaces\t \n", "trailing\nspaces");
	assert_normalized("a\n\n\n\nb", "a\n\nb");
	assert_normalized("a\n  \n\t\n\nb", "a\n\nb");
	assert_normalized("tabs\tand   runs \t of  spaces", "tabs and runs of spaces");
	assert_normalized("\n\n  \nfirst\n\nlast\n\n\n", "first\n\nlast");
	assert_normalized("\tindented", " indented");
	assert_normalized("  \n\t\r\n", "");
	/* a no-break space is the owner's choice: kept */
	assert_normalized("10\xc2\xa0min", "10\xc2\xa0min");
	assert_null(format_normalize(NULL));
}

static void test_render_normalizes_body(void **state)
{
	struct config cfg = studio();
	struct format_input in = {
		.kind = KIND_NOTE,
		.body = "\r\nClosed  today. \r\n\r\n\r\n\r\nBack\ttomorrow!  \r\n",
	};
	(void)state;

	assert_visible(&cfg, NET_FACEBOOK, &in, "Closed today.\n\nBack tomorrow!");
}

static void test_empty_result_is_refused(void **state)
{
	struct config cfg = studio();
	struct format_input in = {.kind = KIND_NOTE, .body = " \n\t\n"};
	struct format_output out;
	struct err err = {{0}};
	(void)state;

	assert_int_equal(format_render(&cfg, NET_INSTAGRAM, &in, &out, &err), -1);
	assert_non_null(strstr(err.msg, "nothing to publish on Instagram"));

	in.body = NULL;
	assert_int_equal(format_render(&cfg, NET_INSTAGRAM, &in, &out, &err), -1);
	assert_non_null(strstr(err.msg, "no body"));
}

/* ---- UTF-8 ------------------------------------------------------------ */

static void test_length_in_code_points(void **state)
{
	struct config cfg = studio();
	struct format_input in = {.kind = KIND_NOTE, .body = "Caf\xc3\xa9 \xf0\x9f\x99\x82"};
	struct format_output out;
	struct err err = {{0}};
	(void)state;

	/* "Café 🙂": é counts 1, 🙂 counts 1 */
	assert_int_equal(format_render(&cfg, NET_FACEBOOK, &in, &out, &err), 0);
	assert_int_equal(out.length, 6);
	format_output_free(&out);

	/* decomposed e + U+0301 is two code points, as the networks count */
	in.body = "e\xcc\x81";
	assert_int_equal(format_render(&cfg, NET_LINKEDIN, &in, &out, &err), 0);
	assert_int_equal(out.length, 2);
	assert_string_equal(out.text, "e\xcc\x81");
	format_output_free(&out);
}

static void test_invalid_utf8_is_refused(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	struct format_output out;
	struct err err = {{0}};
	(void)state;

	in.body = "caf\xe9 au lait";          /* Latin-1, not UTF-8 */
	assert_int_equal(format_render(&cfg, NET_FACEBOOK, &in, &out, &err), -1);
	assert_non_null(strstr(err.msg, "body is not valid UTF-8"));
	assert_non_null(strstr(err.msg, "offset 3"));
	assert_null(out.text);

	in = tip_post();
	in.title = "\xc0\xafoverlong";
	assert_int_equal(format_render(&cfg, NET_FACEBOOK, &in, &out, &err), -1);
	assert_non_null(strstr(err.msg, "title is not valid UTF-8"));

	in = tip_post();
	in.body = "cut in the middle \xf0\x9f\x99";
	assert_int_equal(format_render(&cfg, NET_INSTAGRAM, &in, &out, &err), -1);

	in = tip_post();
	cfg.business.phone = "407\xed\xa0\x80";   /* a UTF-16 surrogate */
	assert_int_equal(format_render(&cfg, NET_INSTAGRAM, &in, &out, &err), -1);
	assert_non_null(strstr(err.msg, "business.phone"));
}

/* ---- limits ----------------------------------------------------------- */

static void test_limits_ok(void **state)
{
	struct config cfg = studio();
	struct format_input in = tip_post();
	struct format_output out;
	struct err err = {{0}};
	(void)state;

	for (int net = 0; net < NET__COUNT; net++) {
		assert_int_equal(format_render(&cfg, (enum network)net, &in, &out, &err), 0);
		assert_int_equal(format_check_limits(&cfg, (enum network)net, &out, &err), 0);
		format_output_free(&out);
	}
}

static void test_limits_text_too_long(void **state)
{
	struct config cfg = studio();
	struct format_output out = {.length = 243};
	struct err err = {{0}};
	(void)state;

	cfg.limits.facebook_text = 100;
	assert_int_equal(format_check_limits(&cfg, NET_FACEBOOK, &out, &err), -1);
	assert_string_equal(err.msg, "shorten the text by 143 characters: Facebook "
			    "allows at most 100 characters and this text has 243");

	out.length = 2201;
	assert_int_equal(format_check_limits(&cfg, NET_INSTAGRAM, &out, &err), -1);
	assert_string_equal(err.msg, "shorten the text by 1 character: Instagram "
			    "allows at most 2200 characters and this caption has 2201");

	out.length = 3143;
	assert_int_equal(format_check_limits(&cfg, NET_LINKEDIN, &out, &err), -1);
	assert_string_equal(err.msg, "shorten the text by 143 characters: LinkedIn "
			    "allows at most 3000 characters and this text has 3143");

	out.length = 3000;  /* exactly at the limit is fine */
	assert_int_equal(format_check_limits(&cfg, NET_LINKEDIN, &out, &err), 0);
}

static void test_limits_instagram_hashtags(void **state)
{
	static char *six[] = {"massage", "stretching", "thaiyoga", "selfcare",
			      "orlando", "wellness"};
	struct config cfg = studio();
	struct format_input in = tip_post();
	struct format_output out;
	struct err err = {{0}};
	(void)state;

	in.tags = six;
	in.ntags = 6;
	assert_int_equal(format_render(&cfg, NET_INSTAGRAM, &in, &out, &err), 0);
	assert_int_equal(out.hashtags, 6);
	assert_int_equal(format_check_limits(&cfg, NET_INSTAGRAM, &out, &err), -1);
	assert_string_equal(err.msg, "remove 1 hashtag: Instagram allows at most 5 "
			    "hashtags and this caption has 6");
	/* Facebook has no hashtag limit */
	assert_int_equal(format_check_limits(&cfg, NET_FACEBOOK, &out, &err), 0);
	format_output_free(&out);

	struct format_output many = {.length = 10, .hashtags = 8};
	assert_int_equal(format_check_limits(&cfg, NET_INSTAGRAM, &many, &err), -1);
	assert_non_null(strstr(err.msg, "remove 3 hashtags: Instagram allows at most 5"));
}

static void test_limits_instagram_everything_at_once(void **state)
{
	struct config cfg = studio();
	struct format_output out = {.length = 2343, .hashtags = 7, .mentions = 22};
	struct err err = {{0}};
	(void)state;

	assert_int_equal(format_check_limits(&cfg, NET_INSTAGRAM, &out, &err), -1);
	assert_string_equal(err.msg,
			    "shorten the text by 143 characters: Instagram allows at "
			    "most 2200 characters and this caption has 2343; "
			    "remove 2 hashtags: Instagram allows at most 5 hashtags "
			    "and this caption has 7; "
			    "remove 2 @mentions: Instagram allows at most 20 "
			    "@mentions and this caption has 22");
}

/* ---- hashtags and mentions -------------------------------------------- */

static void test_counting_hashtags_and_mentions(void **state)
{
	struct config cfg = studio();
	struct format_input in = {.kind = KIND_NOTE};
	struct format_output out;
	struct err err = {{0}};
	(void)state;

	in.body = "Email hello@myrituals.me or a@b.com, thanks to @lauren.walker "
		  "(@studio_fl)! #selfcare #caf\xc3\xa9 C# ##x "
		  "https://www.myrituals.me/#top &#39; #1 # alone";
	assert_int_equal(format_render(&cfg, NET_FACEBOOK, &in, &out, &err), 0);
	assert_int_equal(out.mentions, 2);   /* @lauren.walker, @studio_fl */
	assert_int_equal(out.hashtags, 2);   /* #selfcare, #café; not #1 */
	format_output_free(&out);
}

/* ---- LinkedIn escaping ------------------------------------------------ */

static void test_linkedin_escapes_every_reserved_char(void **state)
{
	(void)state;

	assert_escaped("\\ | { } @ [ ] ( ) < > # * _ ~",
		       "\\\\ \\| \\{ \\} \\@ \\[ \\] \\( \\) \\< \\> \\# \\* \\_ \\~");
	assert_escaped("a\\b", "a\\\\b");
	assert_escaped("\\(", "\\\\\\(");
}

static void test_linkedin_keeps_ordinary_text(void **state)
{
	const char *plain = "Caf\xc3\xa9, ni\xc3\xb1o \xf0\x9f\x99\x82 \xe2\x9c\x85 . ! ? : / - & "
			    "\"quoted\" 'single' + = 50% $40 \xe2\x80\x94 "
			    "https://www.myrituals.me/book-online";
	(void)state;

	assert_escaped(plain, plain);
}

static void test_linkedin_parentheses(void **state)
{
	(void)state;

	assert_escaped("Try a session of (Thai Yoga) today.",
		       "Try a session of \\(Thai Yoga\\) today.");
}

static void test_linkedin_hashtags(void **state)
{
	(void)state;

	assert_escaped("#massage", "{hashtag|\\#|massage}");
	assert_escaped("Relax #self_care #caf\xc3\xa9 #ni\xc3\xb1o.",
		       "Relax {hashtag|\\#|self_care} {hashtag|\\#|caf\xc3\xa9} "
		       "{hashtag|\\#|ni\xc3\xb1o}.");
	/* an emoji ends the hashtag and is kept whole */
	assert_escaped("#massage\xf0\x9f\x99\x82 (#yoga)",
		       "{hashtag|\\#|massage}\xf0\x9f\x99\x82 \\({hashtag|\\#|yoga}\\)");
	/* not hashtags: escaped as plain '#' */
	assert_escaped("C# ##x x.org/#top # alone",
		       "C\\# \\#\\#x x.org/\\#top \\# alone");
	/* "#1" is a number, not a hashtag; "#2026goals" is a hashtag */
	assert_escaped("We are #1 #2026goals", "We are \\#1 {hashtag|\\#|2026goals}");
	/* the underscore outside a hashtag is escaped, inside it is not */
	assert_escaped("snake_case #snake_case",
		       "snake\\_case {hashtag|\\#|snake_case}");
}

static void test_linkedin_mentions_and_email(void **state)
{
	(void)state;

	assert_escaped("email a@b.com or @wellnessrituals",
		       "email a\\@b.com or \\@wellnessrituals");
}

static void test_linkedin_escape_keeps_utf8_whole(void **state)
{
	(void)state;

	/* reserved characters right next to multi-byte sequences */
	assert_escaped("(caf\xc3\xa9)\xf0\x9f\x99\x82_\xe2\x80\x9c*\xe2\x80\x9d~",
		       "\\(caf\xc3\xa9\\)\xf0\x9f\x99\x82\\_\xe2\x80\x9c\\*\xe2\x80\x9d\\~");
	/* a hashtag after a curly quote or a no-break space still counts */
	assert_escaped("\xe2\x80\x9c#calm\xe2\x80\x9d\xc2\xa0#rest",
		       "\xe2\x80\x9c{hashtag|\\#|calm}\xe2\x80\x9d\xc2\xa0{hashtag|\\#|rest}");
	assert_null(format_linkedin_escape(NULL));
}

/* ---- template syntax -------------------------------------------------- */

static void test_check_template_valid(void **state)
{
	struct err err = {{0}};
	(void)state;

	assert_int_equal(format_check_template("{title}\n\n{body}", &err), 0);
	assert_int_equal(format_check_template("{{braces}} {business} {website} "
					       "{booking_url} {phone} {link} {until} "
					       "{cta} {hashtags}", &err), 0);
	assert_int_equal(format_check_template("no placeholders at all", &err), 0);
	assert_int_equal(format_check_template("", &err), 0);
}

static void test_check_template_unknown(void **state)
{
	struct err err = {{0}};
	(void)state;

	assert_int_equal(format_check_template("{title}\n\n{titel}", &err), -1);
	assert_string_equal(err.msg,
			    "unknown placeholder {titel} at line 3, column 1; known: "
			    "{title} {body} {link} {hashtags} {until} {cta} "
			    "{business} {website} {booking_url} {phone} "
			    "(did you mean {title}?)");
	assert_int_equal(format_check_template("{Body}", &err), -1);
	assert_non_null(strstr(err.msg, "unknown placeholder {Body}"));
	assert_int_equal(format_check_template("{price}", &err), -1);
	assert_null(strstr(err.msg, "did you mean"));
	assert_int_equal(format_check_template("{}", &err), -1);
	assert_non_null(strstr(err.msg, "unknown placeholder {}"));
}

static void test_check_template_unbalanced(void **state)
{
	struct err err = {{0}};
	(void)state;

	assert_int_equal(format_check_template("{title\n{body}", &err), -1);
	assert_string_equal(err.msg, "unbalanced brace at line 1, column 1: '{' "
			    "without a closing '}' (write {{ for a literal '{')");
	assert_int_equal(format_check_template("{body} :-}", &err), -1);
	assert_string_equal(err.msg, "unbalanced brace at line 1, column 10: '}' "
			    "without an opening '{' (write }} for a literal '}')");
	assert_int_equal(format_check_template("{{title}", &err), -1);
	assert_int_equal(format_check_template("{ti{tle}", &err), -1);
	assert_int_equal(format_check_template("ends with {", &err), -1);
	assert_int_equal(format_check_template("bad \xff", &err), -1);
	assert_non_null(strstr(err.msg, "not valid UTF-8"));
	assert_int_equal(format_check_template(NULL, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tip_facebook),
		cmocka_unit_test(test_tip_instagram),
		cmocka_unit_test(test_tip_linkedin),
		cmocka_unit_test(test_promo_facebook_link_is_booking_url),
		cmocka_unit_test(test_promo_instagram_has_no_link),
		cmocka_unit_test(test_promo_linkedin),
		cmocka_unit_test(test_promo_other_link_keeps_booking_url),
		cmocka_unit_test(test_promo_link_equal_but_for_trailing_slash),
		cmocka_unit_test(test_note_is_body_only),
		cmocka_unit_test(test_builtin_templates),
		cmocka_unit_test(test_no_business_details),
		cmocka_unit_test(test_cta_phone_only),
		cmocka_unit_test(test_cta_booking_only),
		cmocka_unit_test(test_business_placeholders_null),
		cmocka_unit_test(test_override_kind_default),
		cmocka_unit_test(test_override_per_network_wins),
		cmocka_unit_test(test_link_below_cta),
		cmocka_unit_test(test_values_are_not_expanded_again),
		cmocka_unit_test(test_bad_config_template_is_refused),
		cmocka_unit_test(test_until_dates),
		cmocka_unit_test(test_until_impossible_date),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_render_normalizes_body),
		cmocka_unit_test(test_empty_result_is_refused),
		cmocka_unit_test(test_length_in_code_points),
		cmocka_unit_test(test_invalid_utf8_is_refused),
		cmocka_unit_test(test_limits_ok),
		cmocka_unit_test(test_limits_text_too_long),
		cmocka_unit_test(test_limits_instagram_hashtags),
		cmocka_unit_test(test_limits_instagram_everything_at_once),
		cmocka_unit_test(test_counting_hashtags_and_mentions),
		cmocka_unit_test(test_linkedin_escapes_every_reserved_char),
		cmocka_unit_test(test_linkedin_keeps_ordinary_text),
		cmocka_unit_test(test_linkedin_parentheses),
		cmocka_unit_test(test_linkedin_hashtags),
		cmocka_unit_test(test_linkedin_mentions_and_email),
		cmocka_unit_test(test_linkedin_escape_keeps_utf8_whole),
		cmocka_unit_test(test_check_template_valid),
		cmocka_unit_test(test_check_template_unknown),
		cmocka_unit_test(test_check_template_unbalanced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
