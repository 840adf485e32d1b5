/*
 * postfile.c - the owner's post file (*.post) turned into a struct post_file.
 *
 * Owns the file format (see postfile.h): the header block of "Name: value"
 * lines up to the first blank line, the body after it, and every message
 * about their syntax, each "PATH:LINE: what is wrong; how to fix it". The
 * whole file is read before refusing it, so the owner sees every problem
 * at once, in line order.
 *
 * Never touches the database, the configuration or the clock: whether the
 * accounts in To: exist, whether At: is in the future or in a DST gap, and
 * whether Image: can be read are the caller's checks, made with the line
 * numbers kept here.
 */
#include "ritual/postfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define POSTFILE_MAX_BYTES (1024 * 1024)
#define TEXT_MAX_CHARS 500      /* Title and Alt, in code points */
#define NOCOLON_REPORT_MAX 10   /* "is not a header" messages per file */
#define EXCERPT_MAX 48          /* bytes of the owner's text quoted back */
#define PROBLEM_MAX 50          /* messages per file before "N more" */

enum hdr {
	H_KIND = 0,
	H_TITLE,
	H_AT,
	H_TO,
	H_IMAGE,
	H_ALT,
	H_TAGS,
	H_LINK,
	H_EXPIRES,
	H_FIT,
	H__COUNT
};

static const char *const hdr_names[H__COUNT] = {
	"Kind", "Title", "At", "To", "Image", "Alt", "Tags", "Link", "Expires",
	"Fit"
};

#define KNOWN_HEADERS "Kind, Title, At, To, Image, Alt, Tags, Link, Expires and Fit"

/* Words owners write for a header, beyond typos (compared ignoring case). */
static const struct {
	const char *word;
	enum hdr h;
} hdr_aliases[] = {
	{"type", H_KIND}, {"category", H_KIND},
	{"subject", H_TITLE}, {"headline", H_TITLE}, {"heading", H_TITLE},
	{"date", H_AT}, {"time", H_AT}, {"when", H_AT}, {"schedule", H_AT},
	{"publish", H_AT},
	{"account", H_TO}, {"accounts", H_TO}, {"network", H_TO},
	{"networks", H_TO}, {"channels", H_TO}, {"targets", H_TO},
	{"photo", H_IMAGE}, {"picture", H_IMAGE}, {"img", H_IMAGE},
	{"pic", H_IMAGE}, {"file", H_IMAGE},
	{"alt-text", H_ALT}, {"alttext", H_ALT}, {"alt_text", H_ALT},
	{"alt text", H_ALT}, {"description", H_ALT},
	{"hashtag", H_TAGS}, {"hashtags", H_TAGS}, {"hash tags", H_TAGS},
	{"url", H_LINK}, {"website", H_LINK}, {"web", H_LINK},
	{"http", H_LINK}, {"https", H_LINK},
	{"expiry", H_EXPIRES}, {"expire", H_EXPIRES}, {"until", H_EXPIRES},
	{"ends", H_EXPIRES}, {"end", H_EXPIRES},
};

/* One problem, kept until the end so messages come out in line order. */
struct problem {
	int line;
	char *msg;
};

struct parser {
	const char *path;
	struct post_file *post;
	struct problem *probs;
	size_t nprobs;
	int seen[H__COUNT];   /* line of the header's first appearance, or 0 */
	int kind_ok;          /* Kind: named a known kind */
	int nocolon;          /* lines in the header block that are not headers */
	int nocolon_first_unreported;
	int final;            /* whole-file checks: always kept */
	size_t dropped;       /* problems over PROBLEM_MAX, only counted */
};

static void problem(struct parser *ps, int line, const char *fmt, ...)
	RT_PRINTF(3, 4);
static void problem(struct parser *ps, int line, const char *fmt, ...)
{
	if (ps->nprobs >= PROBLEM_MAX && !ps->final) {
		/* a binary or wildly wrong file: the first ones will do */
		ps->dropped++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	ps->probs = xrealloc(ps->probs, (ps->nprobs + 1) * sizeof(*ps->probs));
	ps->probs[ps->nprobs].line = line;
	ps->probs[ps->nprobs].msg = m;
	ps->nprobs++;
}

/* Move the problems into diag, in line order (a stable insertion sort:
 * problems on one line stay in the order they were found). */
static void flush_problems(struct parser *ps, struct diag *diag)
{
	size_t n = ps->nprobs;
	for (size_t i = 1; i < n; i++) {
		struct problem k = ps->probs[i];
		size_t j = i;
		while (j > 0 && ps->probs[j - 1].line > k.line) {
			ps->probs[j] = ps->probs[j - 1];
			j--;
		}
		ps->probs[j] = k;
	}
	for (size_t i = 0; i < n; i++) {
		struct problem *p = &ps->probs[i];
		if (p->line > 0)
			diag_add(diag, "%s:%d: %s", ps->path, p->line, p->msg);
		else
			diag_add(diag, "%s: %s", ps->path, p->msg);
		free(p->msg);
	}
	if (ps->dropped)
		diag_add(diag, "%s: %zu more problem%s not shown; fix the ones "
			 "above first", ps->path, ps->dropped,
			 ps->dropped == 1 ? "" : "s");
	free(ps->probs);
	ps->probs = NULL;
	ps->nprobs = 0;
	ps->dropped = 0;
}

/* ---- small text helpers ---- */

/* A short, printable copy of the owner's text for quoting in a message:
 * cut at a character boundary with "..." when long; control bytes shown
 * as '?'. Owned by the caller. */
static char *excerpt(const char *s, size_t len)
{
	struct buf b = {0};
	size_t n = len;
	int cut = 0;
	if (n > EXCERPT_MAX) {
		n = EXCERPT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		cut = 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf_putc(&b, (c < 0x20 || c == 0x7F) ? '?' : (char)c);
	}
	if (cut)
		buf_puts(&b, "...");
	return buf_steal(&b);
}

/* Decode one UTF-8 sequence at s (n bytes left); returns its length and
 * stores the code point, or 0 for an invalid sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len;
	unsigned c = s[0], min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		len = 2, min = 0x80, c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, min = 0x800, c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/*
 * Whether a code point may be part of a hashtag: ASCII letters, digits and
 * '_', and any other character outside the blocks of spaces, punctuation,
 * symbols, emoji, variation selectors and private use. (A full Unicode
 * letter table would be large; these ranges refuse what owners actually
 * paste into tags: dashes, quotes, dots, emoji, invisible spaces.)
 */
static int tag_char_ok(unsigned c)
{
	static const struct {
		unsigned lo, hi;
	} deny[] = {
		{0x0080, 0x00A9}, {0x00AB, 0x00B4}, {0x00B6, 0x00B9},
		{0x00BB, 0x00BF}, {0x00D7, 0x00D7}, {0x00F7, 0x00F7},
		{0x037E, 0x037E}, {0x0387, 0x0387}, {0x055A, 0x055F},
		{0x0589, 0x058A}, {0x05BE, 0x05BE}, {0x05C0, 0x05C0},
		{0x05C3, 0x05C3}, {0x05F3, 0x05F4}, {0x060C, 0x060D},
		{0x061B, 0x061F}, {0x066A, 0x066D}, {0x06D4, 0x06D4},
		{0x0964, 0x0965}, {0x0E3F, 0x0E3F}, {0x0E4F, 0x0E4F},
		{0x0E5A, 0x0E5B}, {0x2000, 0x2BFF}, {0x2E00, 0x2FFF},
		{0x3000, 0x3004}, {0x3007, 0x3030}, {0x3036, 0x303A},
		{0x303D, 0x303F}, {0x30FB, 0x30FB}, {0xD800, 0xF8FF},
		{0xFD3E, 0xFD3F}, {0xFE00, 0xFE6F}, {0xFEFF, 0xFEFF},
		{0xFF00, 0xFF0F}, {0xFF1A, 0xFF20}, {0xFF3B, 0xFF40},
		{0xFF5B, 0xFF65}, {0xFFE0, 0xFFFF}, {0x1D100, 0x1D1FF},
		{0x1F000, 0x1FBFF}, {0xE0000, 0x10FFFF},
	};
	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		       (c >= '0' && c <= '9') || c == '_';
	for (size_t i = 0; i < RT_ARRAY_LEN(deny); i++)
		if (c >= deny[i].lo && c <= deny[i].hi)
			return 0;
	return 1;
}

static int name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The known header an unknown name most likely meant, or -1. */
static int suggest_header(const char *name)
{
	for (size_t i = 0; i < RT_ARRAY_LEN(hdr_aliases); i++)
		if (str_casecmp_ascii(name, hdr_aliases[i].word) == 0)
			return (int)hdr_aliases[i].h;
	const char *best = str_closest(name, hdr_names, H__COUNT);
	for (int h = 0; best && h < H__COUNT; h++)
		if (hdr_names[h] == best)
			return h;
	return -1;
}

static void strv_push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static int strv_has(char **v, size_t n, const char *s, int nocase)
{
	for (size_t i = 0; i < n; i++)
		if (nocase ? str_casecmp_ascii(v[i], s) == 0 : strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* ---- header values ---- */

static void set_text(struct parser *ps, const char *what, char **dst,
		     int *dst_line, char *value, int line)
{
	size_t chars = utf8_length(value);
	if (chars > TEXT_MAX_CHARS) {
		problem(ps, line, "%s is %zu characters long; shorten it to %d "
			"characters or fewer", what, chars, TEXT_MAX_CHARS);
		free(value);
		return;
	}
	*dst = value;
	*dst_line = line;
}

static void parse_time(struct parser *ps, const char *what, const char *value,
		       int date_only_ok, int line, int *has, struct parsed_time *dst,
		       int *dst_line)
{
	struct err e = {{0}};
	struct parsed_time t;
	memset(&t, 0, sizeof(t));
	if (sched_parse_time(value, date_only_ok, &t, &e) < 0) {
		if (e.msg[0])
			problem(ps, line, "%s: %s", what, e.msg);
		else
			problem(ps, line, "%s: \"%s\" is not a time; write it as "
				"2026-12-01 09:00", what, value);
		return;
	}
	*has = 1;
	*dst = t;
	*dst_line = line;
}

static void parse_to(struct parser *ps, const char *value, int line)
{
	size_t n = 0, bad = 0;
	char **names = str_split(value, " \t,", &n);
	char **to = NULL;
	size_t nto = 0;

	for (size_t i = 0; i < n; i++) {
		const char *s = names[i];
		size_t k = 0;
		while (s[k] && name_char_ok(s[k]))
			k++;
		if (s[k]) {
			char *q = excerpt(s, strlen(s));
			problem(ps, line, "account name \"%s\" in To: may hold only "
				"letters, digits, '-' and '_'; write the account "
				"names from ritual.conf, separated by spaces or "
				"commas", q);
			free(q);
			bad++;
			continue;
		}
		/* Naming an account twice would not post twice: drop it. */
		if (!strv_has(to, nto, s, 0))
			strv_push(&to, &nto, xstrdup(s));
	}
	if (n == 0)
		problem(ps, line, "To: names no account; write the account names "
			"from ritual.conf, separated by spaces or commas");
	strv_free(names);
	if (bad || n == 0) {
		strv_free(to);
		return;
	}
	ps->post->to = to;
	ps->post->nto = nto;
	ps->post->to_line = line;
}

/* The tag with the characters a hashtag cannot hold removed (or replaced
 * by '_' when underscore is set). Owned by the caller. */
static char *tag_cleaned(const char *s, int underscore)
{
	struct buf b = {0};
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		unsigned c;
		size_t k = utf8_decode(p, n, &c);
		if (k && tag_char_ok(c))
			buf_append(&b, p, k);
		else if (underscore && b.len && b.data[b.len - 1] != '_')
			buf_putc(&b, '_');
		if (!k)
			k = 1;
		p += k;
		n -= k;
	}
	while (b.len && b.data[b.len - 1] == '_' && underscore)
		b.data[--b.len] = '\0';
	return buf_steal(&b);
}

static void parse_tags(struct parser *ps, const char *value, int line)
{
	size_t n = 0, bad = 0;
	char **words = str_split(value, " \t,", &n);
	char **tags = NULL;
	size_t ntags = 0;

	for (size_t i = 0; i < n; i++) {
		const char *t = words[i];
		if (*t == '#')
			t++;
		if (!*t) {
			problem(ps, line, "a tag in Tags: is only \"#\"; write the "
				"word after the '#', or remove it");
			bad++;
			continue;
		}
		const unsigned char *p = (const unsigned char *)t;
		size_t left = strlen(t), k = 0;
		unsigned c = 0;
		while (left) {
			k = utf8_decode(p, left, &c);
			if (!k || !tag_char_ok(c))
				break;
			p += k;
			left -= k;
		}
		if (left) {
			char *q = excerpt(words[i], strlen(words[i]));
			char *shown = k ? xstrndup((const char *)p, k)
					: xstrdup("an invalid byte");
			char *joined = tag_cleaned(t, 0);
			char *under = tag_cleaned(t, 1);
			if (*joined && strcmp(joined, under) != 0)
				problem(ps, line, "tag \"%s\" contains \"%s\"; a "
					"hashtag may hold only letters, digits and "
					"'_'; write it as \"%s\" or \"%s\"",
					q, shown, joined, under);
			else if (*joined)
				problem(ps, line, "tag \"%s\" contains \"%s\"; a "
					"hashtag may hold only letters, digits and "
					"'_'; write it as \"%s\"", q, shown, joined);
			else
				problem(ps, line, "tag \"%s\" contains \"%s\"; a "
					"hashtag may hold only letters, digits and "
					"'_'; remove it", q, shown);
			free(q);
			free(shown);
			free(joined);
			free(under);
			bad++;
			continue;
		}
		/* #Massage and #massage are the same hashtag: keep the first. */
		if (!strv_has(tags, ntags, t, 1))
			strv_push(&tags, &ntags, xstrdup(t));
	}
	if (n == 0)
		problem(ps, line, "Tags: holds no tag; write words separated by "
			"spaces or commas, or remove the line");
	strv_free(words);
	if (bad || n == 0) {
		strv_free(tags);
		return;
	}
	ps->post->tags = tags;
	ps->post->ntags = ntags;
	ps->post->tags_line = line;
}

enum link_fault {
	LINK_OK = 0,
	LINK_SCHEME,   /* not http:// or https:// */
	LINK_SPACE,    /* a space or control character */
	LINK_HOST,     /* no usable host name */
	LINK_PORT      /* ":port" not 1-5 digits */
};

/* Why value is not an http(s) URL with a host. */
static enum link_fault link_problem(const char *v)
{
	size_t skip;
	if (strncasecmp(v, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(v, "http://", 7) == 0)
		skip = 7;
	else
		return LINK_SCHEME;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= 0x20 || *p == 0x7F)
			return LINK_SPACE;
	const char *auth = v + skip;
	size_t alen = strcspn(auth, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i;
	const char *host = at ? at + 1 : auth;
	size_t hlen = alen - (size_t)(host - auth);
	const char *port = NULL;
	if (hlen && host[0] == '[') {
		const char *close = memchr(host, ']', hlen);
		if (!close || close == host + 1)
			return LINK_HOST;
		if ((size_t)(close - host) + 1 < hlen) {
			if (close[1] != ':')
				return LINK_HOST;
			port = close + 1;
		}
	} else {
		const char *colon = memchr(host, ':', hlen);
		size_t name_len = colon ? (size_t)(colon - host) : hlen;
		if (name_len == 0 || host[0] == '.' || host[0] == '-')
			return LINK_HOST;
		for (size_t i = 0; i < name_len; i++) {
			unsigned char c = (unsigned char)host[i];
			if (!(name_char_ok((char)c) || c == '.' || c >= 0x80))
				return LINK_HOST;
			if (c == '.' && i + 1 < name_len && host[i + 1] == '.')
				return LINK_HOST;
		}
		port = colon;
	}
	if (port) {
		size_t plen = hlen - (size_t)(port - host) - 1;
		if (plen == 0 || plen > 5)
			return LINK_PORT;
		for (size_t i = 1; i <= plen; i++)
			if (port[i] < '0' || port[i] > '9')
				return LINK_PORT;
	}
	return LINK_OK;
}

static void parse_link(struct parser *ps, char *value, int line)
{
	enum link_fault why = link_problem(value);
	if (why == LINK_OK) {
		ps->post->link = value;
		ps->post->link_line = line;
		return;
	}
	char *q = excerpt(value, strlen(value));
	switch (why) {
	case LINK_SCHEME:
		if (!strstr(value, "://"))
			problem(ps, line, "Link \"%s\" is not a full web address; "
				"write it starting with https:// (for example "
				"https://%s)", q, q);
		else
			problem(ps, line, "Link \"%s\" is not a web page address; "
				"write an address starting with https:// or "
				"http://", q);
		break;
	case LINK_SPACE:
		problem(ps, line, "Link \"%s\" contains a space; remove it (or "
			"write it as %%20)", q);
		break;
	case LINK_PORT:
		problem(ps, line, "Link \"%s\" has a bad port number after the "
			"host name; write it like https://www.example.com/page", q);
		break;
	default:
		problem(ps, line, "Link \"%s\" has no valid host name; write it "
			"like https://www.example.com/page", q);
		break;
	}
	free(q);
	free(value);
}

static void parse_image(struct parser *ps, char *value, int line)
{
	if (strstr(value, "://")) {
		problem(ps, line, "Image must be a file next to the post, not a "
			"web address; save the image in the post's folder and "
			"write its file name");
		free(value);
		return;
	}
	char *dir = path_dirname(ps->path);
	ps->post->image = path_resolve(dir, value);
	ps->post->image_line = line;
	free(dir);
	free(value);
}

/* ---- lines ---- */

/* A line in the header block that cannot be a header: most often the
 * body, with the blank line above it forgotten. */
static void not_a_header(struct parser *ps, const char *s, size_t len,
			 int line, const char *why)
{
	ps->nocolon++;
	if (ps->nocolon > NOCOLON_REPORT_MAX) {
		if (!ps->nocolon_first_unreported)
			ps->nocolon_first_unreported = line;
		return;
	}
	char *q = excerpt(s, len);
	problem(ps, line, "\"%s\" is not a header (%s); write headers as "
		"\"Name: value\", and leave one blank line between the headers "
		"and the body", q, why);
	free(q);
}

/* Handle one line of the header block. text_ok is 0 when the line is not
 * valid UTF-8 (already reported): the header still counts as present, but
 * its value is not checked further. */
static void header_line(struct parser *ps, const char *s, size_t len,
			int line, int text_ok)
{
	const char *colon = memchr(s, ':', len);
	if (!colon) {
		not_a_header(ps, s, len, line, "it has no ':'");
		return;
	}

	char *name = str_trim(xstrndup(s, (size_t)(colon - s)));
	char *value = str_trim(xstrndup(colon + 1, len - (size_t)(colon - s) - 1));
	struct post_file *post = ps->post;
	int h;

	if (strpbrk(name, " \t") && suggest_header(name) < 0) {
		/* "The good news: ..." - body text above a missing blank line */
		not_a_header(ps, s, len, line, "header names have no spaces");
		goto out;
	}
	if (!*name) {
		problem(ps, line, "this header has no name before the ':'; write "
			"headers as \"Name: value\" (%s)", KNOWN_HEADERS);
		goto out;
	}
	for (h = 0; h < H__COUNT; h++)
		if (str_casecmp_ascii(name, hdr_names[h]) == 0)
			break;
	if (h == H__COUNT) {
		char *q = excerpt(name, strlen(name));
		int guess = suggest_header(name);
		if (guess >= 0)
			problem(ps, line, "unknown header \"%s\"; did you mean "
				"\"%s\"? (known headers are %s)", q,
				hdr_names[guess], KNOWN_HEADERS);
		else
			problem(ps, line, "unknown header \"%s\"; known headers "
				"are %s", q, KNOWN_HEADERS);
		free(q);
		goto out;
	}
	if (ps->seen[h]) {
		problem(ps, line, "\"%s\" appears twice (first on line %d); keep "
			"only one \"%s:\" line", hdr_names[h], ps->seen[h],
			hdr_names[h]);
		goto out;
	}
	ps->seen[h] = line;
	if (!*value) {
		if (h == H_KIND)
			problem(ps, line, "\"Kind:\" has no value; write tip, promo "
				"or note after the colon");
		else
			problem(ps, line, "\"%s:\" has no value; write one after "
				"the colon, or remove the line", hdr_names[h]);
		goto out;
	}
	if (!text_ok)
		goto out;

	switch ((enum hdr)h) {
	case H_KIND:
		if (kind_from_name(value, &post->kind) < 0) {
			char *q = excerpt(value, strlen(value));
			problem(ps, line, "unknown kind \"%s\"; use tip, promo or "
				"note", q);
			free(q);
		} else {
			ps->kind_ok = 1;
		}
		post->kind_line = line;
		break;
	case H_TITLE:
		set_text(ps, "Title", &post->title, &post->title_line, value, line);
		value = NULL;
		break;
	case H_ALT:
		set_text(ps, "Alt", &post->alt, &post->alt_line, value, line);
		value = NULL;
		break;
	case H_AT:
		parse_time(ps, "At", value, 0, line, &post->has_at, &post->at,
			   &post->at_line);
		break;
	case H_EXPIRES:
		parse_time(ps, "Expires", value, 1, line, &post->has_expires,
			   &post->expires, &post->expires_line);
		break;
	case H_TO:
		parse_to(ps, value, line);
		break;
	case H_TAGS:
		parse_tags(ps, value, line);
		break;
	case H_LINK:
		parse_link(ps, value, line);
		value = NULL;
		break;
	case H_IMAGE:
		parse_image(ps, value, line);
		value = NULL;
		break;
	case H_FIT:
		if (strcmp(value, "crop") == 0 || strcmp(value, "pad") == 0) {
			post->has_fit = 1;
			post->fit = value[0] == 'p';
		} else {
			char *q = excerpt(value, strlen(value));
			problem(ps, line, "unknown fit \"%s\"; write \"Fit: crop\" "
				"(cut the edges to the network's shape) or \"Fit: "
				"pad\" (add a border)", q);
			free(q);
		}
		post->fit_line = line;
		break;
	case H__COUNT:
		break;
	}
out:
	free(name);
	free(value);
}

static int is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\v' && s[i] != '\f')
			return 0;
	return 1;
}

void postfile_free(struct post_file *p)
{
	if (!p)
		return;
	free(p->path);
	free(p->title);
	strv_free(p->to);
	free(p->image);
	free(p->alt);
	strv_free(p->tags);
	free(p->link);
	free(p->body);
	free(p);
}

/*
 * The first control character in a valid UTF-8 line of n bytes (its line
 * end already cut): C0 controls other than tab, DEL, and C1 controls
 * (U+0080..U+009F). They could move a terminal's cursor or recolour it
 * when the text is shown, and no platform wants them. Returns 1 and the
 * 1-based column (in characters) and the code point, 0 when clean.
 */
static int find_control(const char *s, size_t n, size_t *col, unsigned *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t chars = 0;
	for (size_t i = 0; i < n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			chars++;
		if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7F) {
			*cp = u[i];
			*col = chars;
			return 1;
		}
		if (u[i] == 0xC2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F) {
			*cp = u[i + 1];
			*col = chars;
			return 1;
		}
	}
	return 0;
}

static void control_problem(struct parser *ps, int line, size_t col, unsigned cp)
{
	if (cp == '\r')
		problem(ps, line, "column %zu: a carriage return (U+000D) inside "
			"the line; save the file with Unix (LF) or Windows (CRLF) "
			"line ends", col);
	else
		problem(ps, line, "column %zu: a control character (U+%04X%s); "
			"remove it: a post may hold tabs and line ends but no "
			"other control characters", col, cp,
			cp == 0x1B ? ", ESC: a terminal colour code?" : "");
}

static int parse_buffer(const char *path, const char *data, size_t len,
			struct post_file **out, struct diag *diag, int partial)
{
	struct diag local = {0};
	struct parser ps = {0};
	struct buf body = {0};
	const char *p, *end;
	int line = 0, in_header = 1, blank_line = 0, body_started = 0;
	int bad_line = 0, bad_more = 0;
	size_t pending_blank = 0;
	int rc = -1;

	*out = NULL;
	if (!diag)
		diag = &local;
	ps.path = path ? path : "(post)";
	ps.post = xcalloc(1, sizeof(*ps.post));
	if (!data) {
		data = "";
		len = 0;
	}

	if (len > POSTFILE_MAX_BYTES) {
		problem(&ps, 0, "the file is %zu bytes; a post file may be at "
			"most 1 MiB (is this really a post file?)", len);
		goto done;
	}

	p = data;
	end = data + len;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);
		line++;
		if (n && p[n - 1] == '\r')
			n--;
		int text_ok = !memchr(p, '\0', n) && utf8_valid(p, n);
		if (!text_ok) {
			if (!bad_line)
				bad_line = line;
			else
				bad_more++;
		}
		size_t ctl_col;
		unsigned ctl_cp;
		if (text_ok && find_control(p, n, &ctl_col, &ctl_cp)) {
			control_problem(&ps, line, ctl_col, ctl_cp);
			text_ok = 0;  /* no further checks of this header's value */
		}

		if (in_header) {
			if (is_blank(p, n)) {
				in_header = 0;
				blank_line = line;
			} else {
				header_line(&ps, p, n, line, text_ok);
			}
		} else {
			while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
				     p[n - 1] == '\r' || p[n - 1] == '\v' ||
				     p[n - 1] == '\f'))
				n--;
			if (n == 0) {
				if (body_started)
					pending_blank++;
			} else {
				if (!body_started) {
					body_started = 1;
					ps.post->body_line = line;
				} else {
					for (size_t i = 0; i <= pending_blank; i++)
						buf_putc(&body, '\n');
				}
				pending_blank = 0;
				buf_append(&body, p, n);
			}
		}
		p = nl ? nl + 1 : end;
	}

	ps.final = 1;
	if (ps.nocolon > NOCOLON_REPORT_MAX) {
		int more = ps.nocolon - NOCOLON_REPORT_MAX;
		problem(&ps, ps.nocolon_first_unreported,
			"%d more line%s from here to the first blank line %s not "
			"headers either; is the blank line between the headers and "
			"the body missing?", more, more == 1 ? "" : "s",
			more == 1 ? "is" : "are");
	}
	if (bad_line) {
		if (bad_more)
			problem(&ps, bad_line, "this line is not valid UTF-8 text "
				"(nor %s %d later line%s); save the file as UTF-8 "
				"in your editor", bad_more == 1 ? "is" : "are",
				bad_more, bad_more == 1 ? "" : "s");
		else
			problem(&ps, bad_line, "this line is not valid UTF-8 text; "
				"save the file as UTF-8 in your editor");
	}
	if (!ps.seen[H_KIND])
		problem(&ps, 1, "missing \"Kind:\" header; add \"Kind: tip\" "
			"(tip, promo or note)");
	if (!blank_line)
		problem(&ps, line > 0 ? line : 1, "the post has no body; leave "
			"one blank line after the headers, then write the post's "
			"text");
	else if (!body_started)
		problem(&ps, blank_line, "the post has no body; write the post's "
			"text after this blank line");

done:
	if (ps.nprobs || ps.dropped) {
		flush_problems(&ps, diag);
		if (partial && ps.kind_ok && body_started && !bad_line) {
			/* what parsed, for the checks that need no more */
			ps.post->path = xstrdup(ps.path);
			ps.post->body = buf_steal(&body);
			*out = ps.post;
			ps.post = NULL;
		}
		goto out;
	}
	ps.post->path = xstrdup(ps.path);
	ps.post->body = buf_steal(&body);
	*out = ps.post;
	ps.post = NULL;
	rc = 0;
out:
	buf_free(&body);
	postfile_free(ps.post);
	diag_free(&local);
	return rc;
}

int postfile_parse_buffer(const char *path, const char *data, size_t len,
			  struct post_file **out, struct diag *diag)
{
	return parse_buffer(path, data, len, out, diag, 0);
}

static int parse_path(const char *path, struct post_file **out,
		      struct diag *diag, int partial)
{
	struct diag local = {0};
	struct err e = {{0}};
	struct stat st;
	unsigned char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!diag)
		diag = &local;
	if (stat(path, &st) < 0) {
		diag_add(diag, "%s: cannot read the post file: %s; check the path "
			 "and that you may read it", path, strerror(errno));
		rc = -1;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		diag_add(diag, "%s: is a folder, not a post file; give the path of "
			 "a .post file", path);
		rc = -1;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		/* never open a FIFO or a device: open() could block forever */
		diag_add(diag, "%s: is %s, not a post file; give the path of a "
			 "regular .post file", path, file_kind(st.st_mode));
		rc = -1;
		goto out;
	}
	if (S_ISREG(st.st_mode) && st.st_size > POSTFILE_MAX_BYTES) {
		diag_add(diag, "%s: the file is %lld bytes; a post file may be at "
			 "most 1 MiB (is this really a post file?)", path,
			 (long long)st.st_size);
		rc = -1;
		goto out;
	}
	if (read_file(path, &data, &len, POSTFILE_MAX_BYTES, &e) < 0) {
		diag_add(diag, "%s; check the path and that you may read it", e.msg);
		rc = -1;
		goto out;
	}
	rc = parse_buffer(path, (const char *)data, len, out, diag, partial);
out:
	free(data);
	diag_free(&local);
	return rc;
}

int postfile_parse(const char *path, struct post_file **out, struct diag *diag)
{
	return parse_path(path, out, diag, 0);
}

int postfile_parse_partial(const char *path, struct post_file **out,
			   struct diag *diag)
{
	return parse_path(path, out, diag, 1);
}
