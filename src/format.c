/*
 * format.c - templates turned into the exact text each network receives.
 *
 * Owns the built-in templates, placeholder expansion, whitespace
 * normalisation, counting (code points, hashtags, mentions), LinkedIn's
 * little-text escaping and the per-network text limit checks.
 *
 * Never does network I/O, never touches the database, never reads the
 * clock or the process locale: the same post and config give the same
 * bytes at "ritual preview" time and at publish time, on any machine.
 *
 * Choices the contract (format.h) leaves open, made here:
 *  - Placeholder values are inserted literally: a "{title}" inside a post's
 *    body stays "{title}" (it is never expanded a second time).
 *  - {until} is "Offer ends Tuesday, December 15." - English names, no
 *    year (the weekday pins the date for any offer running less than a
 *    year), from the Expires date only (a time of day is not shown).
 *  - {cta} never repeats the post's Link: when the template shows {link}
 *    and the Link is the booking URL (ignoring one trailing '/'), the
 *    Facebook/LinkedIn call to action says "Book online at the link above"
 *    (or "below", following the template's order) instead of the URL.
 *  - Normalisation also turns a lone CR into LF, and folds a run of
 *    spaces/tabs at the start of a line to one space like any other run;
 *    only ASCII space and tab are folded (a no-break space is kept).
 *  - A hashtag is '#' at a word start followed by word characters, not
 *    all of them digits ("#1" is a number, not a hashtag); a mention is
 *    '@' at a word start followed by one of [A-Za-z0-9._]. A word start
 *    is the start of the text, or just after whitespace, one of
 *    ( [ { " ' < , ; : ! ? or a non-ASCII character that is not a word
 *    character. So "a@b.com", "C#", "##x", "https://x.org/#top" and
 *    "&#39;" count as neither (and LinkedIn gets their '#'/'@' escaped).
 *  - Word characters are ASCII letters, digits and '_', plus every
 *    non-ASCII code point outside the space, punctuation, symbol and
 *    emoji blocks listed in is_word_cp() (no Unicode tables, no locale).
 *  - LinkedIn: the word inside "{hashtag|\#|word}" is sent unescaped, so
 *    "#self_care" becomes "{hashtag|\#|self_care}": the template's last
 *    parameter is the tag's plain text, as the implementations known to
 *    work send it; a word holds no reserved character other than '_'.
 */
#include "ritual/format.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum placeholder {
	PH_TITLE = 0,
	PH_BODY,
	PH_LINK,
	PH_HASHTAGS,
	PH_UNTIL,
	PH_CTA,
	PH_BUSINESS,
	PH_WEBSITE,
	PH_BOOKING_URL,
	PH_PHONE,
	PH__COUNT
};

static const char *const ph_names[PH__COUNT] = {
	[PH_TITLE] = "title",
	[PH_BODY] = "body",
	[PH_LINK] = "link",
	[PH_HASHTAGS] = "hashtags",
	[PH_UNTIL] = "until",
	[PH_CTA] = "cta",
	[PH_BUSINESS] = "business",
	[PH_WEBSITE] = "website",
	[PH_BOOKING_URL] = "booking_url",
	[PH_PHONE] = "phone",
};

#define TIP_TEMPLATE "{title}\n\n{body}\n\n{cta}\n\n{hashtags}"
#define PROMO_TEMPLATE "{title}\n\n{body}\n\n{until}\n\n{link}\n\n{cta}\n\n{hashtags}"
/* Links in Instagram captions are not clickable: the cta says "link in bio". */
#define PROMO_IG_TEMPLATE "{title}\n\n{body}\n\n{until}\n\n{cta}\n\n{hashtags}"
#define NOTE_TEMPLATE "{body}"

static const char *const builtin[KIND__COUNT][NET__COUNT] = {
	[KIND_TIP] = {
		[NET_FACEBOOK] = TIP_TEMPLATE,
		[NET_INSTAGRAM] = TIP_TEMPLATE,
		[NET_LINKEDIN] = TIP_TEMPLATE,
	},
	[KIND_PROMO] = {
		[NET_FACEBOOK] = PROMO_TEMPLATE,
		[NET_INSTAGRAM] = PROMO_IG_TEMPLATE,
		[NET_LINKEDIN] = PROMO_TEMPLATE,
	},
	[KIND_NOTE] = {
		[NET_FACEBOOK] = NOTE_TEMPLATE,
		[NET_INSTAGRAM] = NOTE_TEMPLATE,
		[NET_LINKEDIN] = NOTE_TEMPLATE,
	},
};

/* How the networks spell themselves, for messages the owner reads. */
static const char *net_display(enum network net)
{
	switch (net) {
	case NET_FACEBOOK:
		return "Facebook";
	case NET_INSTAGRAM:
		return "Instagram";
	case NET_LINKEDIN:
		return "LinkedIn";
	default:
		return "this network";
	}
}

/* ---- UTF-8 ------------------------------------------------------------ */

/*
 * Decode one code point of a NUL-terminated string. Returns the bytes
 * used (1-4), or 0 if s does not start with a valid sequence (overlong,
 * surrogate, above U+10FFFF, truncated), like utf8_valid().
 */
static size_t u8_decode(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c = p[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 1;
		min = 0x80;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 2;
		min = 0x800;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 3;
		min = 0x10000;
		c &= 0x07;
	} else {
		return 0;
	}
	for (size_t k = 1; k <= n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n + 1;
}

/* Byte offset of the first invalid UTF-8 sequence in s, or -1 if none. */
static long u8_invalid_at(const char *s)
{
	size_t i = 0;
	uint32_t cp;

	while (s[i]) {
		size_t n = u8_decode(s + i, &cp);
		if (!n)
			return (long)i;
		i += n;
	}
	return -1;
}

/* Like u8_decode, but never fails: a bad byte counts as one U+FFFD. */
static size_t u8_next(const char *s, uint32_t *cp)
{
	size_t n = u8_decode(s, cp);
	if (!n) {
		*cp = 0xfffd;
		n = 1;
	}
	return n;
}

/*
 * Letters, digits and '_' for hashtags. Non-ASCII code points count as
 * letters unless they sit in a block of spaces, punctuation, symbols or
 * emoji. Combining marks count (a decomposed e + U+0301 stays one word).
 */
static int is_word_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		       (c >= '0' && c <= '9') || c == '_';
	/* C1 controls, no-break space, Latin-1 punctuation and signs, except
	 * the letters U+00AA, U+00B5 and U+00BA */
	if (c <= 0xbf)
		return c == 0xaa || c == 0xb5 || c == 0xba;
	/* multiplication and division signs */
	if (c == 0xd7 || c == 0xf7)
		return 0;
	/* spaces, zero-width joiner, curly quotes, dashes, ellipsis, currency,
	 * arrows, maths, shapes, dingbats (check marks, sparkles) */
	if (c >= 0x2000 && c <= 0x2bff)
		return 0;
	/* supplemental punctuation; CJK spaces and punctuation; private use */
	if ((c >= 0x2e00 && c <= 0x2e7f) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xe000 && c <= 0xf8ff))
		return 0;
	/* variation selectors, CJK compatibility and small forms, BOM */
	if ((c >= 0xfe00 && c <= 0xfe6f) || c == 0xfeff)
		return 0;
	/* full-width punctuation; specials */
	if ((c >= 0xff00 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) ||
	    (c >= 0xff3b && c <= 0xff40) || (c >= 0xff5b && c <= 0xff65) ||
	    (c >= 0xfff0 && c <= 0xffff))
		return 0;
	/* emoji and pictographs; emoji tag characters (flags) */
	if ((c >= 0x1f000 && c <= 0x1faff) || (c >= 0xe0000 && c <= 0xe007f))
		return 0;
	return 1;
}

/* May a hashtag or mention begin right after prev? (prev < 0: text start) */
static int is_word_start_after(long prev)
{
	if (prev < 0)
		return 1;
	if (prev < 0x80)
		return prev != 0 && strchr(" \t\n\r\f\v([{\"'<,;:!?", (int)prev);
	return !is_word_cp((uint32_t)prev);
}

/*
 * If s[i] is the '#' of a hashtag, return the byte length of its word
 * (without the '#'); else 0. A word of digits only ("No. #1") is not a
 * hashtag: the networks do not link it, and LinkedIn must not get one.
 */
static size_t hashtag_word_at(const char *s, size_t i, long prev)
{
	size_t j = i + 1;
	int digits_only = 1;
	uint32_t cp;

	if (s[i] != '#' || !is_word_start_after(prev))
		return 0;
	while (s[j]) {
		size_t n = u8_next(s + j, &cp);
		if (!is_word_cp(cp))
			break;
		if (cp < '0' || cp > '9')
			digits_only = 0;
		j += n;
	}
	return digits_only ? 0 : j - (i + 1);
}

static int is_mention_at(const char *s, size_t i, long prev)
{
	char c = s[i + 1];

	if (s[i] != '@' || !is_word_start_after(prev))
		return 0;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_';
}

/* Code points, hashtags and mentions of text. */
static void count_text(const char *s, size_t *length, size_t *hashtags,
		       size_t *mentions)
{
	size_t i = 0;
	long prev = -1;
	uint32_t cp;

	*length = *hashtags = *mentions = 0;
	while (s[i]) {
		if (hashtag_word_at(s, i, prev))
			(*hashtags)++;
		else if (is_mention_at(s, i, prev))
			(*mentions)++;
		i += u8_next(s + i, &cp);
		prev = (long)cp;
		(*length)++;
	}
}

/* ---- templates -------------------------------------------------------- */

struct tmpl_scan {
	long first[PH__COUNT];  /* byte offset of each placeholder's first use, -1 */
};

static int ph_lookup(const char *name, size_t len)
{
	for (int k = 0; k < PH__COUNT; k++)
		if (strlen(ph_names[k]) == len && !memcmp(ph_names[k], name, len))
			return k;
	return -1;
}

/* "line 2, column 7" of byte offset off in s (columns in code points). */
static void position_of(const char *s, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int unknown_placeholder(const char *tmpl, size_t at, const char *name,
			       size_t len, struct err *err)
{
	struct buf known = {0};
	size_t shown = len;
	int line, col, rc;

	for (int k = 0; k < PH__COUNT; k++)
		buf_printf(&known, "%s{%s}", k ? " " : "", ph_names[k]);
	char *word = xstrndup(name, len);
	const char *best = str_closest(word, ph_names, PH__COUNT);
	free(word);
	if (shown > 40) {
		shown = 40;
		while (shown && ((unsigned char)name[shown] & 0xc0) == 0x80)
			shown--;
	}
	position_of(tmpl, at, &line, &col);
	rc = err_set(err, "unknown placeholder {%.*s%s} at line %d, column %d; "
		     "known: %s%s%s%s", (int)shown, name, shown < len ? "..." : "",
		     line, col, known.data, best ? " (did you mean {" : "",
		     best ? best : "", best ? "}?)" : "");
	buf_free(&known);
	return rc;
}

/*
 * Walk tmpl once: check it and, when out is given, expand it with vals.
 * scan (may be NULL) gets where each placeholder is first used.
 */
static int template_walk(const char *tmpl, const char *const *vals,
			 struct buf *out, struct tmpl_scan *scan,
			 struct err *err)
{
	size_t i = 0;
	int line, col;

	if (scan)
		for (int k = 0; k < PH__COUNT; k++)
			scan->first[k] = -1;
	while (tmpl[i]) {
		char c = tmpl[i];
		if (c == '{' && tmpl[i + 1] == '{') {
			if (out)
				buf_putc(out, '{');
			i += 2;
		} else if (c == '}' && tmpl[i + 1] == '}') {
			if (out)
				buf_putc(out, '}');
			i += 2;
		} else if (c == '}') {
			position_of(tmpl, i, &line, &col);
			return err_set(err, "unbalanced brace at line %d, column %d: "
				       "'}' without an opening '{' (write }} for "
				       "a literal '}')", line, col);
		} else if (c == '{') {
			size_t start = i + 1, end = start;
			while (tmpl[end] && tmpl[end] != '}' && tmpl[end] != '{' &&
			       tmpl[end] != '\n')
				end++;
			if (tmpl[end] != '}') {
				position_of(tmpl, i, &line, &col);
				return err_set(err, "unbalanced brace at line %d, "
					       "column %d: '{' without a closing '}' "
					       "(write {{ for a literal '{')",
					       line, col);
			}
			int k = ph_lookup(tmpl + start, end - start);
			if (k < 0)
				return unknown_placeholder(tmpl, i, tmpl + start,
							   end - start, err);
			if (scan && scan->first[k] < 0)
				scan->first[k] = (long)i;
			if (out)
				buf_puts(out, vals[k] ? vals[k] : "");
			i = end + 1;
		} else {
			if (out)
				buf_putc(out, c);
			i++;
		}
	}
	return 0;
}

int format_check_template(const char *tmpl, struct err *err)
{
	long bad;

	if (!tmpl)
		return err_set(err, "the template is missing");
	bad = u8_invalid_at(tmpl);
	if (bad >= 0) {
		int line, col;
		position_of(tmpl, (size_t)bad, &line, &col);
		return err_set(err, "the template is not valid UTF-8 at line %d, "
			       "column %d; save the configuration file as UTF-8",
			       line, col);
	}
	return template_walk(tmpl, NULL, NULL, NULL, err);
}

const char *format_template(const struct config *cfg, enum post_kind kind,
			    enum network net)
{
	if ((unsigned)kind >= KIND__COUNT || (unsigned)net >= NET__COUNT)
		return NOTE_TEMPLATE;
	if (cfg && cfg->formats[kind][net])
		return cfg->formats[kind][net];
	if (cfg && cfg->formats[kind][NET__COUNT])
		return cfg->formats[kind][NET__COUNT];
	return builtin[kind][net];
}

/* ---- placeholder values ----------------------------------------------- */

static int nonempty(const char *s)
{
	return s && *s;
}

/* Equal URLs, ignoring one trailing '/' on either side. */
static int same_url(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '/')
		la--;
	if (lb && b[lb - 1] == '/')
		lb--;
	return la == lb && !memcmp(a, b, la);
}

static char *build_hashtags(const struct format_input *in)
{
	struct buf b = {0};

	for (size_t k = 0; in->tags && k < in->ntags; k++) {
		const char *t = in->tags[k];
		if (!t)
			continue;
		while (*t == '#')
			t++;
		if (!*t)
			continue;
		if (b.len)
			buf_putc(&b, ' ');
		buf_putc(&b, '#');
		buf_puts(&b, t);
	}
	return buf_steal(&b);
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : days[m - 1];
}

static int build_until(const struct format_input *in, char **out,
		       struct err *err)
{
	static const char *const wdays[7] = {
		"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
		"Friday", "Saturday"
	};
	static const char *const months[12] = {
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"
	};
	const struct wall *w = &in->expires;

	*out = NULL;
	if (!in->has_expires) {
		*out = xstrdup("");
		return 0;
	}
	if (w->year < 1 || w->year > 9999 || w->mon < 1 || w->mon > 12 ||
	    w->day < 1 || w->day > days_in_month(w->year, w->mon))
		return err_set(err, "Expires date %04d-%02d-%02d does not exist; "
			       "write a real date like 2026-12-15",
			       w->year, w->mon, w->day);
	*out = xasprintf("Offer ends %s, %s %d.",
			 wdays[(sched_wall_weekday(w) + 1) % 7],
			 months[w->mon - 1], w->day);
	return 0;
}

/*
 * The call to action. link_dup: the text already shows the booking URL as
 * {link}; link_above tells on which side of {cta} it is.
 */
static char *build_cta(const struct config *cfg, enum network net,
		       int link_dup, int link_above)
{
	const char *url = cfg->business.booking_url;
	const char *phone = cfg->business.phone;
	int has_url = nonempty(url), has_phone = nonempty(phone);
	const char *where = link_above ? "above" : "below";

	if (net == NET_INSTAGRAM) {
		if (has_url && has_phone)
			return xasprintf("Book through the link in our bio or "
					 "text %s.", phone);
		if (has_url)
			return xstrdup("Book through the link in our bio.");
		if (has_phone)
			return xasprintf("Text %s to book.", phone);
		return xstrdup("");
	}
	if (has_url && link_dup) {
		if (has_phone)
			return xasprintf("Book online at the link %s \xc2\xb7 or "
					 "text %s to book.", where, phone);
		return xasprintf("Book online at the link %s.", where);
	}
	if (has_url && has_phone)
		return xasprintf("Book online: %s \xc2\xb7 or text %s to book.",
				 url, phone);
	if (has_url)
		return xasprintf("Book online: %s", url); /* no '.' glued to a URL */
	if (has_phone)
		return xasprintf("Text %s to book.", phone);
	return xstrdup("");
}

/* Refuse an input that is not UTF-8, naming it. */
static int check_utf8(const char *s, const char *what, const char *fix,
		      struct err *err)
{
	long bad;

	if (!s)
		return 0;
	bad = u8_invalid_at(s);
	if (bad < 0)
		return 0;
	return err_set(err, "%s is not valid UTF-8 (bad byte 0x%02x at offset "
		       "%ld); %s", what, (unsigned char)s[bad], bad, fix);
}

static int check_inputs(const struct config *cfg, const struct format_input *in,
			struct err *err)
{
	static const char post_fix[] = "save the post file as UTF-8";
	static const char cfg_fix[] = "save the configuration file as UTF-8";

	if (check_utf8(in->title, "the post's title", post_fix, err) < 0 ||
	    check_utf8(in->body, "the post's body", post_fix, err) < 0 ||
	    check_utf8(in->link, "the post's link", post_fix, err) < 0)
		return -1;
	for (size_t k = 0; in->tags && k < in->ntags; k++)
		if (check_utf8(in->tags[k], "a tag of the post", post_fix, err) < 0)
			return -1;
	if (check_utf8(cfg->business.name, "business.name", cfg_fix, err) < 0 ||
	    check_utf8(cfg->business.website, "business.website", cfg_fix, err) < 0 ||
	    check_utf8(cfg->business.booking_url, "business.booking_url", cfg_fix,
		       err) < 0 ||
	    check_utf8(cfg->business.phone, "business.phone", cfg_fix, err) < 0)
		return -1;
	return 0;
}

/* Where the template for (kind, net) comes from, for messages. */
static char *template_origin(const struct config *cfg, enum post_kind kind,
			     enum network net)
{
	if (cfg->formats[kind][net])
		return xasprintf("formats.%s.%s", kind_name(kind),
				 network_name(net));
	if (cfg->formats[kind][NET__COUNT])
		return xasprintf("formats.%s.default", kind_name(kind));
	return xasprintf("the built-in %s template for %s", kind_name(kind),
			 network_name(net));
}

/* ---- public ----------------------------------------------------------- */

int format_render(const struct config *cfg, enum network net,
		  const struct format_input *in, struct format_output *out,
		  struct err *err)
{
	const char *vals[PH__COUNT] = {0};
	struct tmpl_scan scan;
	struct buf raw = {0};
	char *hashtags = NULL, *until = NULL, *cta = NULL, *origin = NULL;
	const char *tmpl;
	int link_dup, rc = -1;

	memset(out, 0, sizeof(*out));
	if ((unsigned)net >= NET__COUNT)
		return err_set(err, "cannot format for unknown network %d", (int)net);
	if ((unsigned)in->kind >= KIND__COUNT)
		return err_set(err, "cannot format a post of unknown kind %d",
			       (int)in->kind);
	if (!in->body)
		return err_set(err, "the post has no body; write its text after "
			       "the blank line that ends the headers");
	if (check_inputs(cfg, in, err) < 0)
		return -1;

	tmpl = format_template(cfg, in->kind, net);
	origin = template_origin(cfg, in->kind, net);
	if (format_check_template(tmpl, err) < 0) {
		err_prefix(err, "%s", origin);
		goto cleanup;
	}
	(void)template_walk(tmpl, NULL, NULL, &scan, NULL); /* checked above */

	link_dup = nonempty(in->link) && nonempty(cfg->business.booking_url) &&
		   scan.first[PH_LINK] >= 0 &&
		   same_url(in->link, cfg->business.booking_url);
	hashtags = build_hashtags(in);
	if (build_until(in, &until, err) < 0)
		goto cleanup;
	cta = build_cta(cfg, net, link_dup,
			scan.first[PH_LINK] < scan.first[PH_CTA]);

	vals[PH_TITLE] = in->title;
	vals[PH_BODY] = in->body;
	vals[PH_LINK] = in->link;
	vals[PH_HASHTAGS] = hashtags;
	vals[PH_UNTIL] = until;
	vals[PH_CTA] = cta;
	vals[PH_BUSINESS] = cfg->business.name;
	vals[PH_WEBSITE] = cfg->business.website;
	vals[PH_BOOKING_URL] = cfg->business.booking_url;
	vals[PH_PHONE] = cfg->business.phone;
	if (template_walk(tmpl, vals, &raw, NULL, err) < 0)
		goto cleanup;

	out->visible = format_normalize(raw.data ? raw.data : "");
	if (!out->visible[0]) {
		err_set(err, "nothing to publish on %s: the text is empty after "
			"formatting with %s; give the post a body", net_display(net),
			origin);
		goto cleanup;
	}
	if (!utf8_valid(out->visible, strlen(out->visible))) {
		err_set(err, "the text for %s is not valid UTF-8; save the post "
			"and configuration files as UTF-8", net_display(net));
		goto cleanup;
	}
	count_text(out->visible, &out->length, &out->hashtags, &out->mentions);
	if (net == NET_LINKEDIN)
		out->text = format_linkedin_escape(out->visible);
	else
		out->text = xstrdup(out->visible);
	rc = 0;

cleanup:
	if (rc < 0)
		format_output_free(out);
	buf_free(&raw);
	free(hashtags);
	free(until);
	free(cta);
	free(origin);
	return rc;
}

void format_output_free(struct format_output *out)
{
	if (!out)
		return;
	free(out->text);
	free(out->visible);
	memset(out, 0, sizeof(*out));
}

/* n over a limit: how much, or 0. A negative limit counts as 0. */
static size_t excess(size_t n, long limit)
{
	size_t lim = limit < 0 ? 0 : (size_t)limit;

	return n > lim ? n - lim : 0;
}

int format_check_limits(const struct config *cfg, enum network net,
			const struct format_output *out, struct err *err)
{
	const struct limits *l = &cfg->limits;
	const char *name = net_display(net);
	const char *what = net == NET_INSTAGRAM ? "caption" : "text";
	struct buf msg = {0};
	long max_len;
	size_t over;
	int rc = 0;

	switch (net) {
	case NET_FACEBOOK:
		max_len = l->facebook_text;
		break;
	case NET_INSTAGRAM:
		max_len = l->instagram_caption;
		break;
	case NET_LINKEDIN:
		max_len = l->linkedin_text;
		break;
	default:
		return err_set(err, "no limits known for network %d", (int)net);
	}

	over = excess(out->length, max_len);
	if (over)
		buf_printf(&msg, "shorten the text by %zu character%s: %s allows at "
			   "most %ld characters and this %s has %zu", over,
			   over == 1 ? "" : "s", name, max_len, what, out->length);
	if (net == NET_INSTAGRAM) {
		over = excess(out->hashtags, l->instagram_hashtags);
		if (over)
			buf_printf(&msg, "%sremove %zu hashtag%s: %s allows at most "
				   "%ld hashtags and this caption has %zu",
				   msg.len ? "; " : "", over, over == 1 ? "" : "s",
				   name, l->instagram_hashtags, out->hashtags);
		over = excess(out->mentions, l->instagram_mentions);
		if (over)
			buf_printf(&msg, "%sremove %zu @mention%s: %s allows at most "
				   "%ld @mentions and this caption has %zu",
				   msg.len ? "; " : "", over, over == 1 ? "" : "s",
				   name, l->instagram_mentions, out->mentions);
	}
	if (msg.len)
		rc = err_set(err, "%s", msg.data);
	buf_free(&msg);
	return rc;
}

char *format_normalize(const char *text)
{
	struct buf out = {0}, line = {0};
	int seen_text = 0, blank_pending = 0;
	const char *p = text;

	if (!text)
		return NULL;
	for (;;) {
		int space = 0;

		line.len = 0;
		while (*p && *p != '\n' && *p != '\r') {
			if (*p == ' ' || *p == '\t') {
				space = 1;
			} else {
				if (space)
					buf_putc(&line, ' ');
				space = 0;
				buf_putc(&line, *p);
			}
			p++;
		}
		if (line.len) {
			if (seen_text)
				buf_puts(&out, blank_pending ? "\n\n" : "\n");
			buf_append(&out, line.data, line.len);
			seen_text = 1;
			blank_pending = 0;
		} else if (seen_text) {
			blank_pending = 1;
		}
		if (!*p)
			break;
		if (p[0] == '\r' && p[1] == '\n')
			p++;
		p++;
	}
	buf_free(&line);
	return buf_steal(&out);
}

char *format_linkedin_escape(const char *text)
{
	static const char reserved[] = "\\|{}@[]()<>#*_~";
	struct buf b = {0};
	size_t i = 0, word;
	long prev = -1;
	uint32_t cp;

	if (!text)
		return NULL;
	while (text[i]) {
		if ((word = hashtag_word_at(text, i, prev))) {
			buf_puts(&b, "{hashtag|\\#|");
			buf_append(&b, text + i + 1, word);
			buf_putc(&b, '}');
			i += 1 + word;
			/* the last code point of the word, for what follows */
			size_t k = i - 1;
			while (((unsigned char)text[k] & 0xc0) == 0x80)
				k--;
			u8_next(text + k, &cp);
			prev = (long)cp;
			continue;
		}
		size_t n = u8_next(text + i, &cp);
		if (n == 1 && strchr(reserved, text[i]))
			buf_putc(&b, '\\');
		buf_append(&b, text + i, n);
		i += n;
		prev = (long)cp;
	}
	return buf_steal(&b);
}

char *format_linkedin_visible(const char *wire)
{
	struct buf b = {0};
	static const char tag[] = "{hashtag|\\#|";
	if (!wire)
		return NULL;
	for (size_t i = 0; wire[i];) {
		if (strncmp(wire + i, tag, sizeof(tag) - 1) == 0) {
			const char *end = strchr(wire + i + sizeof(tag) - 1, '}');
			if (end) {
				const char *w = wire + i + sizeof(tag) - 1;
				buf_putc(&b, '#');
				buf_append(&b, w, (size_t)(end - w));
				i = (size_t)(end - wire) + 1;
				continue;
			}
		}
		if (wire[i] == '\\' && wire[i + 1]) {
			buf_putc(&b, wire[i + 1]);
			i += 2;
			continue;
		}
		buf_putc(&b, wire[i]);
		i++;
	}
	if (!b.data)
		return xstrdup("");
	return buf_steal(&b);
}

int format_output_from_wire(enum network net, const char *wire,
			    struct format_output *out)
{
	memset(out, 0, sizeof(*out));
	out->text = xstrdup(wire ? wire : "");
	out->visible = net == NET_LINKEDIN ? format_linkedin_visible(out->text)
					   : xstrdup(out->text);
	count_text(out->visible, &out->length, &out->hashtags, &out->mentions);
	return 0;
}
