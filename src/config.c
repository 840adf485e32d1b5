/*
 * config.c - ritual.conf (libconfig) turned into one validated struct config.
 *
 * Owns the file's grammar: every key ritual knows is a row in one of the
 * static tables below (name, type, required, bounds, default, example,
 * validator). config_load parses the file with libconfig, walks those tables
 * group by group, refuses unknown keys (suggesting the closest known one),
 * wrong types, missing keys and bad values, and collects every problem as
 * "FILE:LINE: ..." before refusing. Relative paths are resolved against the
 * config file's folder. Every string is copied: when config_load returns,
 * no libconfig object is alive.
 *
 * This is the only file that includes libconfig.h. It never touches the
 * database or the network, and never reads a token file's contents: it only
 * stats token and key files to refuse ones that group or others can use.
 *
 * Choices the contract (config.h) leaves open, made here:
 *  - schedule.slots is optional (default: none); a slot listed twice is
 *    refused. An array [ ] or a list ( ) of strings is accepted.
 *  - Durations are > 0 and at most 365 days; schedule.min_gap,
 *    schedule.duplicate_window and media.retention may also be 0.
 *  - Two accounts that publish to the same place (a Facebook page_id, an
 *    Instagram user_id, a LinkedIn author) are refused: every post would
 *    go out twice there.
 *  - An empty string is refused everywhere ("leave the key out").
 *  - Base URLs (api.*, an account's api, media.s3.endpoint) lose trailing
 *    slashes; media.url must end with one. URLs carry no user:password@,
 *    query or fragment. business.website and booking_url are only printed,
 *    never fetched: any http:// or https:// link is accepted there.
 *  - Token and key files are checked with lstat: a symbolic link is
 *    refused, as the daemon opens them O_NOFOLLOW (util.c). Ownership is
 *    not checked (ritual(1) may run as another user than rituald).
 *  - Account names are unique ignoring case; ids are quoted digits.
 *  - api.linkedin_version also accepts a bare number (202601).
 *  - media.dir must be an existing folder; all four media.s3 keys are
 *    required. retry.max_attempts is 1-100, http.max_response >= 1024,
 *    retry.base_delay <= retry.max_delay.
 *  - Checking the zone selects it (sched_tz_use is process-global), so
 *    config_load gives the process back the zone it had before.
 *  - @include works, relative to the config file's folder; problems are
 *    reported per file, sorted by line (those without a line last).
 */
#include "ritual/config.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ritual/format.h"
#include "ritual/schedule.h"

/* ------------------------------------------------------------------ */
/* Names                                                                */

static const char *const net_names[NET__COUNT + 1] = {
	[NET_FACEBOOK] = "facebook",
	[NET_INSTAGRAM] = "instagram",
	[NET_LINKEDIN] = "linkedin",
	[NET__COUNT] = NULL,
};

static const char *const kind_names[KIND__COUNT + 1] = {
	[KIND_TIP] = "tip",
	[KIND_PROMO] = "promo",
	[KIND_NOTE] = "note",
	[KIND__COUNT] = NULL,
};

static const char *const login_names[] = { "facebook", "instagram", NULL };

const char *network_name(enum network n)
{
	if ((unsigned)n >= NET__COUNT)
		return NULL;
	return net_names[n];
}

int network_from_name(const char *name, enum network *out)
{
	if (!name)
		return -1;
	for (int i = 0; i < NET__COUNT; i++) {
		if (strcmp(name, net_names[i]) == 0) {
			*out = (enum network)i;
			return 0;
		}
	}
	return -1;
}

const char *kind_name(enum post_kind k)
{
	if ((unsigned)k >= KIND__COUNT)
		return NULL;
	return kind_names[k];
}

int kind_from_name(const char *name, enum post_kind *out)
{
	if (!name)
		return -1;
	for (int i = 0; i < KIND__COUNT; i++) {
		if (str_casecmp_ascii(name, kind_names[i]) == 0) {
			*out = (enum post_kind)i;
			return 0;
		}
	}
	return -1;
}

const struct account *config_account(const struct config *cfg,
				     const char *name)
{
	if (!cfg || !name)
		return NULL;
	for (size_t i = 0; i < cfg->naccounts; i++)
		if (cfg->accounts[i].name && strcmp(cfg->accounts[i].name, name) == 0)
			return &cfg->accounts[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* The grammar, as tables                                               */

enum ktype {
	K_STR,        /* any non-empty UTF-8 string (+ optional check) */
	K_LINK,       /* a link printed in posts: http:// or https:// */
	K_URL,        /* a URL ritual calls: https://, or http:// to loopback */
	K_PATH,       /* a path, resolved against the config file's folder */
	K_SECRET,     /* a path to a secret file: must be mode 0600 or stricter */
	K_INT,        /* a whole number within [min, max] */
	K_DUR,        /* a duration: seconds, or "90m", "6h", "2d" */
	K_VERSION,    /* LinkedIn API version: "YYYYMM" */
	K_TEMPLATE,   /* a formats template, checked by format.c */
	K_ENUM,       /* one of names[], stored with set_enum */
	K_GROUP,      /* a nested group: sub table, same base struct */
	K_SLOTS,      /* schedule.slots: cron strings */
	K_ACCOUNTS,   /* accounts: list of groups */
	K_ADDRS,      /* a list of mail addresses (off: char **, off2: size_t) */
};

#define F_REQUIRED  0x01u  /* missing is an error */
#define F_ZERO_OK   0x02u  /* K_DUR: 0 allowed */
#define F_SLASH     0x04u  /* K_URL: must end with "/" (kept); else trailing "/" dropped */
#define F_FOLDER    0x08u  /* K_PATH: must be an existing folder */
#define F_EMPTY_OK  0x10u  /* K_STR: "" means none (the field stays NULL) */
#define F_EXEC      0x20u  /* K_PATH: must be an executable regular file */

#define NET_BIT(n)  (1u << (n))

/* Durations: at most a year (keeps every sum with a time_t far from
 * overflow; nothing in ritual waits longer). */
#define DUR_MAX     (365L * 86400L)

struct key {
	const char *name;
	enum ktype type;
	unsigned flags;
	size_t off;                 /* offsetof the field in the base struct */
	size_t off2;                /* K_ADDRS: offsetof the count */
	long dflt;                  /* K_INT, K_DUR */
	long min, max;              /* K_INT */
	const char *sdflt;          /* K_STR, K_URL, K_VERSION default */
	const char *example;        /* right-hand side shown in messages */
	const struct key *sub;      /* K_GROUP */
	unsigned nets;              /* account keys: NET_BIT mask; 0 = all */
	const char *const *names;   /* K_ENUM */
	void (*set_enum)(void *base, int v);
	int (*check)(const char *v, struct err *err);
	const char *what;           /* K_SECRET: "token file" or "key file" */
};

static int check_timezone(const char *v, struct err *err);
static int check_account_name(const char *v, struct err *err);
static int check_digits(const char *v, struct err *err);
static int check_author(const char *v, struct err *err);
static int check_bucket(const char *v, struct err *err);
static int check_region(const char *v, struct err *err);
static void set_network(void *base, int v);
static void set_login(void *base, int v);
static void set_fit(void *base, int v);
static int check_colour(const char *v, struct err *err);
static const char *const fit_names[] = { "crop", "pad", NULL };
static int check_smtp_url(const char *v, struct err *err);
static int check_address(const char *v, struct err *err);
static int check_hhmm(const char *v, struct err *err);

#define CFG(f) offsetof(struct config, f)
#define ACC(f) offsetof(struct account, f)

static const struct key business_keys[] = {
	{ .name = "name", .type = K_STR, .off = CFG(business.name),
	  .example = "\"Wellness Rituals\"" },
	{ .name = "website", .type = K_LINK, .off = CFG(business.website),
	  .example = "\"https://www.myrituals.me\"" },
	{ .name = "booking_url", .type = K_LINK, .off = CFG(business.booking_url),
	  .example = "\"https://www.myrituals.me/book-online\"" },
	{ .name = "phone", .type = K_STR, .off = CFG(business.phone),
	  .example = "\"407-535-2331\"" },
	{ 0 }
};

static const struct key schedule_keys[] = {
	{ .name = "slots", .type = K_SLOTS,
	  .example = "[ \"0 9 * * MON,WED,FRI\", \"30 17 * * TUE,THU\" ]" },
	{ .name = "missed_after", .type = K_DUR, .off = CFG(missed_after),
	  .dflt = 6 * 3600, .example = "\"6h\"" },
	{ .name = "min_gap", .type = K_DUR, .flags = F_ZERO_OK,
	  .off = CFG(min_gap), .dflt = 300, .example = "\"5m\"" },
	{ .name = "duplicate_window", .type = K_DUR, .flags = F_ZERO_OK,
	  .off = CFG(duplicate_window), .dflt = 30 * 86400,
	  .example = "\"30d\"" },
	{ 0 }
};

static const struct key api_keys[] = {
	{ .name = "graph", .type = K_URL, .off = CFG(api.graph),
	  .sdflt = "https://graph.facebook.com/v25.0",
	  .example = "\"https://graph.facebook.com/v25.0\"" },
	{ .name = "instagram", .type = K_URL, .off = CFG(api.instagram),
	  .sdflt = "https://graph.instagram.com/v25.0",
	  .example = "\"https://graph.instagram.com/v25.0\"" },
	{ .name = "linkedin", .type = K_URL, .off = CFG(api.linkedin),
	  .sdflt = "https://api.linkedin.com",
	  .example = "\"https://api.linkedin.com\"" },
	{ .name = "linkedin_version", .type = K_VERSION,
	  .off = CFG(api.linkedin_version), .sdflt = "202601",
	  .example = "\"202601\"" },
	{ .name = "linkedin_oauth", .type = K_URL, .off = CFG(api.linkedin_oauth),
	  .sdflt = "https://www.linkedin.com",
	  .example = "\"https://www.linkedin.com\"" },
	{ .name = "facebook_dialog", .type = K_URL,
	  .off = CFG(api.facebook_dialog), .sdflt = "https://www.facebook.com",
	  .example = "\"https://www.facebook.com\"" },
	{ .name = "instagram_dialog", .type = K_URL,
	  .off = CFG(api.instagram_dialog), .sdflt = "https://www.instagram.com",
	  .example = "\"https://www.instagram.com\"" },
	{ .name = "instagram_oauth", .type = K_URL,
	  .off = CFG(api.instagram_oauth), .sdflt = "https://api.instagram.com",
	  .example = "\"https://api.instagram.com\"" },
	{ 0 }
};

static const struct key account_keys[] = {
	{ .name = "name", .type = K_STR, .flags = F_REQUIRED, .off = ACC(name),
	  .check = check_account_name, .example = "\"facebook\"" },
	{ .name = "network", .type = K_ENUM, .flags = F_REQUIRED,
	  .names = net_names, .set_enum = set_network,
	  .example = "\"facebook\"" },
	{ .name = "page_id", .type = K_STR, .flags = F_REQUIRED,
	  .off = ACC(page_id), .nets = NET_BIT(NET_FACEBOOK),
	  .check = check_digits, .example = "\"102030405060708\"" },
	{ .name = "user_id", .type = K_STR, .flags = F_REQUIRED,
	  .off = ACC(user_id), .nets = NET_BIT(NET_INSTAGRAM),
	  .check = check_digits, .example = "\"17841400000000000\"" },
	{ .name = "author", .type = K_STR, .flags = F_REQUIRED,
	  .off = ACC(author), .nets = NET_BIT(NET_LINKEDIN),
	  .check = check_author, .example = "\"urn:li:organization:5515715\"" },
	{ .name = "token_file", .type = K_SECRET, .flags = F_REQUIRED,
	  .off = ACC(token_file), .what = "token file",
	  .example = "\"/etc/ritual/facebook.token\"" },
	{ .name = "app_secret_file", .type = K_SECRET,
	  .off = ACC(app_secret_file), .what = "app secret file",
	  .nets = NET_BIT(NET_FACEBOOK) | NET_BIT(NET_INSTAGRAM),
	  .example = "\"/etc/ritual/meta-app.secret\"" },
	{ .name = "read_token_file", .type = K_SECRET,
	  .off = ACC(read_token_file), .what = "read token file",
	  .nets = NET_BIT(NET_INSTAGRAM),
	  .example = "\"/etc/ritual/instagram-user.token\"" },
	{ .name = "login", .type = K_ENUM, .nets = NET_BIT(NET_INSTAGRAM),
	  .names = login_names, .set_enum = set_login,
	  .example = "\"facebook\"" },
	{ .name = "api", .type = K_URL, .off = ACC(api),
	  .example = "\"https://graph.facebook.com/v25.0\"" },
	/* The app's credentials, for `ritual connect` (docs/<network>.md). */
	{ .name = "app_id", .type = K_STR, .off = ACC(app_id),
	  .nets = NET_BIT(NET_FACEBOOK) | NET_BIT(NET_INSTAGRAM),
	  .check = check_digits, .example = "\"1234567890\"" },
	{ .name = "client_id", .type = K_STR, .off = ACC(client_id),
	  .nets = NET_BIT(NET_LINKEDIN), .example = "\"78abcdefgh1234\"" },
	{ .name = "client_secret_file", .type = K_SECRET,
	  .off = ACC(client_secret_file), .nets = NET_BIT(NET_LINKEDIN),
	  .what = "client secret file",
	  .example = "\"/etc/ritual/linkedin-app.secret\"" },
	{ 0 }
};

#define FORMAT_KEYS(k)                                                      \
	{ .name = "default", .type = K_TEMPLATE,                            \
	  .off = CFG(formats[k][NET__COUNT]), .example = "\"{title}\\n\\n{body}\"" }, \
	{ .name = "facebook", .type = K_TEMPLATE,                           \
	  .off = CFG(formats[k][NET_FACEBOOK]), .example = "\"{title}\\n\\n{body}\"" }, \
	{ .name = "instagram", .type = K_TEMPLATE,                          \
	  .off = CFG(formats[k][NET_INSTAGRAM]), .example = "\"{title}\\n\\n{body}\"" }, \
	{ .name = "linkedin", .type = K_TEMPLATE,                           \
	  .off = CFG(formats[k][NET_LINKEDIN]), .example = "\"{title}\\n\\n{body}\"" }, \
	{ 0 }

static const struct key format_tip_keys[] = { FORMAT_KEYS(KIND_TIP) };
static const struct key format_promo_keys[] = { FORMAT_KEYS(KIND_PROMO) };
static const struct key format_note_keys[] = { FORMAT_KEYS(KIND_NOTE) };

static const struct key formats_keys[] = {
	{ .name = "tip", .type = K_GROUP, .sub = format_tip_keys,
	  .example = "{ facebook = \"{title}\\n\\n{body}\"; }" },
	{ .name = "promo", .type = K_GROUP, .sub = format_promo_keys,
	  .example = "{ default = \"{title}\\n\\n{body}\\n\\n{until}\"; }" },
	{ .name = "note", .type = K_GROUP, .sub = format_note_keys,
	  .example = "{ default = \"{body}\"; }" },
	{ 0 }
};

#define LIMIT(n, d) { .name = #n, .type = K_INT, .off = CFG(limits.n),        \
		      .dflt = (d), .min = 1, .max = INT_MAX, .example = #d }

static const struct key limits_keys[] = {
	LIMIT(facebook_text, 63206),
	LIMIT(facebook_image_bytes, 4194304),
	LIMIT(instagram_caption, 2200),
	LIMIT(instagram_hashtags, 5),
	LIMIT(instagram_mentions, 20),
	LIMIT(instagram_image_bytes, 8388608),
	LIMIT(linkedin_text, 3000),
	LIMIT(linkedin_image_pixels, 36152320),
	{ 0 }
};

static const struct key s3_keys[] = {
	{ .name = "endpoint", .type = K_URL, .flags = F_REQUIRED,
	  .off = CFG(media.s3_endpoint),
	  .example = "\"https://s3.eu-central-1.amazonaws.com\"" },
	{ .name = "bucket", .type = K_STR, .flags = F_REQUIRED,
	  .off = CFG(media.s3_bucket), .check = check_bucket,
	  .example = "\"ritual-media\"" },
	{ .name = "region", .type = K_STR, .flags = F_REQUIRED,
	  .off = CFG(media.s3_region), .check = check_region,
	  .example = "\"eu-central-1\"" },
	{ .name = "key_file", .type = K_SECRET, .flags = F_REQUIRED,
	  .off = CFG(media.s3_key_file), .what = "key file",
	  .example = "\"/etc/ritual/s3.key\"" },
	{ 0 }
};

static const struct key media_keys[] = {
	{ .name = "dir", .type = K_PATH, .flags = F_FOLDER, .off = CFG(media.dir),
	  .example = "\"/var/www/ritual-media\"" },
	{ .name = "s3", .type = K_GROUP, .sub = s3_keys,
	  .example = "{ endpoint = \"https://s3.eu-central-1.amazonaws.com\"; "
		     "bucket = \"ritual-media\"; region = \"eu-central-1\"; "
		     "key_file = \"/etc/ritual/s3.key\"; }" },
	{ .name = "url", .type = K_URL, .flags = F_SLASH, .off = CFG(media.url),
	  .example = "\"https://media.example.com/ritual/\"" },
	{ .name = "retention", .type = K_DUR, .flags = F_ZERO_OK,
	  .off = CFG(media.retention), .dflt = 0, .example = "\"1d\"" },
	{ .name = "keep_days", .type = K_INT, .off = CFG(media.keep_days),
	  .dflt = 30, .min = 0, .max = 3650, .example = "30" },
	{ .name = "fit", .type = K_ENUM, .names = fit_names, .set_enum = set_fit,
	  .example = "\"crop\"" },
	{ .name = "background", .type = K_STR, .off = CFG(media.background),
	  .check = check_colour, .example = "\"#ffffff\"" },
	{ 0 }
};

static const struct key retry_keys[] = {
	{ .name = "max_attempts", .type = K_INT, .off = CFG(retry.max_attempts),
	  .dflt = 8, .min = 1, .max = 100, .example = "8" },
	{ .name = "base_delay", .type = K_DUR, .off = CFG(retry.base_delay),
	  .dflt = 30, .example = "\"30s\"" },
	{ .name = "max_delay", .type = K_DUR, .off = CFG(retry.max_delay),
	  .dflt = 3600, .example = "\"1h\"" },
	{ .name = "reconcile_delay", .type = K_DUR,
	  .off = CFG(retry.reconcile_delay), .dflt = 60, .example = "\"1m\"" },
	{ 0 }
};

static const struct key http_keys[] = {
	{ .name = "connect_timeout", .type = K_DUR,
	  .off = CFG(http.connect_timeout), .dflt = 10, .example = "\"10s\"" },
	{ .name = "timeout", .type = K_DUR, .off = CFG(http.timeout),
	  .dflt = 60, .example = "\"60s\"" },
	{ .name = "upload_timeout", .type = K_DUR, .off = CFG(http.upload_timeout),
	  .dflt = 120, .example = "\"120s\"" },
	{ .name = "max_response", .type = K_INT, .off = CFG(http.max_response),
	  .dflt = 1048576, .min = 1024, .max = INT_MAX, .example = "1048576" },
	{ .name = "max_in_flight", .type = K_INT, .off = CFG(http.max_in_flight),
	  .dflt = 64, .min = 1, .max = 1024, .example = "64" },
	{ .name = "max_per_host", .type = K_INT, .off = CFG(http.max_per_host),
	  .dflt = 64, .min = 1, .max = 1024, .example = "64" },
	{ 0 }
};

static const struct key email_keys[] = {
	{ .name = "smtp_url", .type = K_STR, .flags = F_REQUIRED,
	  .off = CFG(notify.smtp_url), .check = check_smtp_url,
	  .example = "\"smtps://smtp.example.com:465\"" },
	{ .name = "from", .type = K_STR, .flags = F_REQUIRED,
	  .off = CFG(notify.mail_from), .check = check_address,
	  .example = "\"ritual@studio.example\"" },
	{ .name = "to", .type = K_ADDRS, .flags = F_REQUIRED,
	  .off = CFG(notify.mail_to), .off2 = CFG(notify.nmail_to),
	  .example = "[ \"owner@studio.example\" ]" },
	{ .name = "user", .type = K_STR, .off = CFG(notify.smtp_user),
	  .example = "\"ritual@studio.example\"" },
	{ .name = "password_file", .type = K_SECRET,
	  .off = CFG(notify.smtp_password_file), .what = "password file",
	  .example = "\"/etc/ritual/smtp.password\"" },
	{ 0 }
};

static const struct key notify_keys[] = {
	{ .name = "heartbeat_url", .type = K_URL, .off = CFG(notify.heartbeat_url),
	  .example = "\"https://hc-ping.com/your-check-uuid\"" },
	{ .name = "email", .type = K_GROUP, .sub = email_keys,
	  .example = "{ smtp_url = \"smtps://smtp.example.com:465\"; "
		     "from = \"ritual@studio.example\"; "
		     "to = [ \"owner@studio.example\" ]; }" },
	{ .name = "command", .type = K_PATH, .flags = F_EXEC,
	  .off = CFG(notify.command),
	  .example = "\"/usr/local/bin/on-ritual-event\"" },
	{ .name = "digest_at", .type = K_STR, .flags = F_EMPTY_OK,
	  .off = CFG(notify.digest_at), .check = check_hhmm,
	  .example = "\"07:30\"" },
	{ .name = "preflight_at", .type = K_STR, .flags = F_EMPTY_OK,
	  .off = CFG(notify.preflight_at), .check = check_hhmm,
	  .example = "\"18:00\"" },
	{ .name = "token_warn_days", .type = K_INT,
	  .off = CFG(notify.token_warn_days), .dflt = 14, .min = 0, .max = 365,
	  .example = "14" },
	{ .name = "dry_days", .type = K_INT, .off = CFG(notify.dry_days),
	  .dflt = 3, .min = 0, .max = 365, .example = "3" },
	{ 0 }
};

/* Order matters: api before accounts (an account's api defaults to it). */
static const struct key top_keys[] = {
	{ .name = "timezone", .type = K_STR, .flags = F_REQUIRED,
	  .off = CFG(timezone), .check = check_timezone,
	  .example = "\"America/New_York\"" },
	{ .name = "database", .type = K_PATH, .flags = F_REQUIRED,
	  .off = CFG(database), .example = "\"/var/lib/ritual/ritual.db\"" },
	{ .name = "business", .type = K_GROUP, .sub = business_keys,
	  .example = "{ name = \"Wellness Rituals\"; }" },
	{ .name = "schedule", .type = K_GROUP, .sub = schedule_keys,
	  .example = "{ slots = [ \"0 9 * * MON,WED,FRI\" ]; }" },
	{ .name = "api", .type = K_GROUP, .sub = api_keys,
	  .example = "{ graph = \"https://graph.facebook.com/v25.0\"; }" },
	{ .name = "accounts", .type = K_ACCOUNTS, .flags = F_REQUIRED,
	  .example = "( { name = \"facebook\"; network = \"facebook\"; "
		     "page_id = \"102030405060708\"; "
		     "token_file = \"/etc/ritual/facebook.token\"; } )" },
	{ .name = "formats", .type = K_GROUP, .sub = formats_keys,
	  .example = "{ tip = { default = \"{title}\\n\\n{body}\"; }; }" },
	{ .name = "limits", .type = K_GROUP, .sub = limits_keys,
	  .example = "{ instagram_hashtags = 5; }" },
	{ .name = "media", .type = K_GROUP, .sub = media_keys,
	  .example = "{ dir = \"/var/www/ritual-media\"; "
		     "url = \"https://media.example.com/ritual/\"; }" },
	{ .name = "retry", .type = K_GROUP, .sub = retry_keys,
	  .example = "{ max_attempts = 8; }" },
	{ .name = "http", .type = K_GROUP, .sub = http_keys,
	  .example = "{ timeout = \"60s\"; }" },
	{ .name = "notify", .type = K_GROUP, .sub = notify_keys,
	  .example = "{ heartbeat_url = \"https://hc-ping.com/your-check-uuid\"; }" },
	{ 0 }
};

static void set_network(void *base, int v)
{
	((struct account *)base)->network = (enum network)v;
}

static void set_login(void *base, int v)
{
	((struct account *)base)->login = (enum ig_login)v;
}

static void set_fit(void *base, int v)
{
	((struct config *)base)->media.fit = v;
}

int config_colour_parse(const char *s, unsigned char rgb[3])
{
	if (!s)
		return -1;
	if (strcmp(s, "white") == 0) {
		rgb[0] = rgb[1] = rgb[2] = 255;
		return 0;
	}
	if (strcmp(s, "black") == 0) {
		rgb[0] = rgb[1] = rgb[2] = 0;
		return 0;
	}
	if (s[0] != '#' || strlen(s) != 7)
		return -1;
	for (int i = 0; i < 3; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char ch = s[1 + 2 * i + k];
			v <<= 4;
			if (ch >= '0' && ch <= '9')
				v |= (unsigned)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				v |= (unsigned)(ch - 'a' + 10);
			else if (ch >= 'A' && ch <= 'F')
				v |= (unsigned)(ch - 'A' + 10);
			else
				return -1;
		}
		rgb[i] = (unsigned char)v;
	}
	return 0;
}

static int check_colour(const char *v, struct err *err)
{
	unsigned char rgb[3];
	if (config_colour_parse(v, rgb) < 0)
		return err_set(err, "\"%s\" is not a colour; write \"#rrggbb\" "
			       "(e.g. \"#ffffff\"), \"white\" or \"black\"", v);
	return 0;
}

/* "HH:MM", 00:00 to 23:59: minutes after midnight, or -1. */
static int hhmm_minutes(const char *v)
{
	if (strlen(v) != 5 || v[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (v[i] < '0' || v[i] > '9'))
			return -1;
	int h = (v[0] - '0') * 10 + (v[1] - '0');
	int m = (v[3] - '0') * 10 + (v[4] - '0');
	if (h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

static int check_hhmm(const char *v, struct err *err)
{
	if (hhmm_minutes(v) < 0)
		return err_set(err, "\"%s\" is not a time of day; expected \"HH:MM\" "
			       "in the configured time zone, 00:00 to 23:59 (e.g. "
			       "\"07:30\"), or \"\" for none", v);
	return 0;
}

/* An addr-spec as the owner writes it: local@domain, no spaces, angle
 * brackets, quotes or controls (they would break the mail's headers). */
static int check_address(const char *v, struct err *err)
{
	const char *at = strrchr(v, '@');
	int ok = at && at != v && at[1] && strlen(v) <= 254 &&
		 strchr(v, '@') == at && strchr(at, '.') != NULL &&
		 at[strlen(at) - 1] != '.';
	for (const char *p = v; ok && *p; p++)
		ok = (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f &&
		     !strchr("<>()[]\\,;:\"", *p);
	if (!ok)
		return err_set(err, "\"%s\" is not a mail address; expected "
			       "name@domain with no spaces or angle brackets, "
			       "e.g. \"owner@studio.example\"", v);
	return 0;
}

/*
 * smtps://HOST[:PORT] (TLS from the start) or smtp://HOST[:PORT]
 * (STARTTLS, required unless the host is loopback). No user:password@
 * (user and password_file say that), no query or fragment.
 */
static int check_smtp_url(const char *v, struct err *err)
{
	const char *rest;
	if (strncasecmp(v, "smtps://", 8) == 0)
		rest = v + 8;
	else if (strncasecmp(v, "smtp://", 7) == 0)
		rest = v + 7;
	else
		return err_set(err, "\"%s\" is not an SMTP URL; expected "
			       "\"smtps://HOST:465\" (TLS) or \"smtp://HOST:587\" "
			       "(STARTTLS), e.g. \"smtps://smtp.example.com:465\"", v);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return err_set(err, "\"%s\" contains a space or a character "
				       "that is not allowed in a URL", v);
	size_t alen = strcspn(rest, "/?#");
	if (alen == 0)
		return err_set(err, "\"%s\" has no host name after the scheme", v);
	if (memchr(rest, '@', alen))
		return err_set(err, "\"%s\" contains a user name or password; put "
			       "them in notify.email.user and password_file", v);
	if (strpbrk(rest, "?#"))
		return err_set(err, "\"%s\" contains a query (?) or fragment (#); "
			       "expected smtps://HOST:PORT", v);
	return 0;
}

/* Whether smtp_url (checked) names a loopback host. */
static int smtp_loopback(const char *v)
{
	const char *rest = strstr(v, "://") + 3;
	size_t alen = strcspn(rest, "/?#");
	size_t hlen;
	if (rest[0] == '[') {
		const char *close = memchr(rest, ']', alen);
		hlen = close ? (size_t)(close - rest) + 1 : alen;
	} else {
		const char *colon = memchr(rest, ':', alen);
		hlen = colon ? (size_t)(colon - rest) : alen;
	}
	return host_is_loopback(rest, hlen);
}

/* ------------------------------------------------------------------ */
/* Loading state and messages                                           */

/* One problem found; sorted by line before it reaches the caller. */
struct problem {
	size_t file;           /* rank of its file, in order of first problem */
	unsigned line;         /* 0: libconfig cannot tell (sorted last) */
	char *msg;             /* "FILE:LINE: ..." */
};

struct ctx {
	const char *file;      /* the path as given, for messages */
	char *dir;             /* absolute folder of the config file */
	struct config *cfg;
	struct problem *probs;
	size_t nerr;
	char **files;          /* files named by problems, in order */
	size_t nfiles;
	int net;               /* network of the account being read, or -1 */
	unsigned flags;        /* CONFIG_* of config_load_flags */
};

/* Where a group sits, for messages: where = "schedule" or
 * "account \"facebook\"" (NULL at the top); prefix is put before a key's
 * name ("schedule." or "account \"facebook\" "). */
struct scope {
	const char *where;
	const char *prefix;
};

static void problem(struct ctx *c, const config_setting_t *s,
		    const char *fmt, ...) RT_PRINTF(3, 4);

static void problem(struct ctx *c, const config_setting_t *s,
		    const char *fmt, ...)
{
	const char *src = NULL;
	unsigned line = 0;
	char *file;
	if (s) {
		src = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	/* an @include'd file is named as libconfig found it: next to us */
	if (!src || strcmp(src, c->file) == 0)
		file = xstrdup(c->file);
	else
		file = path_resolve(c->dir, src);
	size_t rank = 0;
	while (rank < c->nfiles && strcmp(c->files[rank], file) != 0)
		rank++;
	if (rank == c->nfiles) {
		c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof(*c->files));
		c->files[c->nfiles++] = xstrdup(file);
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	c->probs = xrealloc(c->probs, (c->nerr + 1) * sizeof(*c->probs));
	c->probs[c->nerr].file = rank;
	c->probs[c->nerr].line = line;
	c->probs[c->nerr].msg = line ? xasprintf("%s:%u: %s", file, line, msg)
				     : xasprintf("%s: %s", file, msg);
	c->nerr++;
	free(msg);
	free(file);
}

static int problem_before(const struct problem *a, const struct problem *b)
{
	unsigned la = a->line ? a->line : UINT_MAX;
	unsigned lb = b->line ? b->line : UINT_MAX;
	if (a->file != b->file)
		return a->file < b->file;
	return la < lb;
}

/* Hand the problems to the caller in the order of the file's lines (those
 * without a line last), keeping the walk's order within a line. */
static void flush_problems(struct ctx *c, struct diag *diag)
{
	for (size_t i = 1; i < c->nerr; i++) {
		struct problem p = c->probs[i];
		size_t j = i;
		while (j > 0 && problem_before(&p, &c->probs[j - 1])) {
			c->probs[j] = c->probs[j - 1];
			j--;
		}
		c->probs[j] = p;
	}
	for (size_t i = 0; i < c->nerr; i++) {
		diag_add(diag, "%s", c->probs[i].msg);
		free(c->probs[i].msg);
	}
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->probs);
	c->files = NULL;
	c->probs = NULL;
}

static const char *type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "a number";
	case CONFIG_TYPE_FLOAT: return "a decimal number";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "true/false";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	default: return "nothing";
	}
}

/* The known key closest to name, or NULL if none is close. */
static const char *suggest(const char *name, const struct key *tab)
{
	size_t n = 0;
	while (tab[n].name)
		n++;
	const char **names = xcalloc(n ? n : 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = tab[i].name;
	const char *best = str_closest(name, names, n);
	free(names);
	return best;
}

static char *key_list(const struct key *tab)
{
	struct buf b = {0};
	for (const struct key *k = tab; k->name; k++) {
		if (k != tab)
			buf_puts(&b, ", ");
		buf_puts(&b, k->name);
	}
	return buf_steal(&b);
}

/* "a facebook", "an instagram". */
static const char *a_an(const char *word)
{
	return strchr("aeiou", word[0]) ? "an" : "a";
}

static const char *nets_text(unsigned nets)
{
	switch (nets) {
	case NET_BIT(NET_FACEBOOK): return "facebook";
	case NET_BIT(NET_INSTAGRAM): return "instagram";
	case NET_BIT(NET_LINKEDIN): return "linkedin";
	case NET_BIT(NET_FACEBOOK) | NET_BIT(NET_INSTAGRAM):
		return "facebook and instagram";
	default: return "some networks";
	}
}

/* ------------------------------------------------------------------ */
/* Value validators                                                     */

/* schedule.c's message names the zone, examples and the tzdata package. */
static int check_timezone(const char *v, struct err *err)
{
	return sched_tz_use(v, err);
}

static int check_account_name(const char *v, struct err *err)
{
	size_t n = strlen(v);
	int ok = n >= 1 && n <= 32;
	for (const char *p = v; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_';
	if (!ok)
		return err_set(err, "\"%s\" is not a usable account name; expected "
			       "1 to 32 letters, digits, '-' or '_', e.g. "
			       "\"facebook\" or \"studio-linkedin\"", v);
	return 0;
}

static int all_digits(const char *v)
{
	if (!*v)
		return 0;
	for (const char *p = v; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

static int check_digits(const char *v, struct err *err)
{
	if (!all_digits(v) || strlen(v) > 32)
		return err_set(err, "\"%s\" is not a numeric id; expected digits "
			       "only, in double quotes, e.g. \"102030405060708\"", v);
	return 0;
}

static int check_author(const char *v, struct err *err)
{
	static const char org[] = "urn:li:organization:";
	static const char person[] = "urn:li:person:";
	if (str_has_prefix(v, org) && all_digits(v + sizeof(org) - 1) &&
	    strlen(v) <= 64)
		return 0;
	if (str_has_prefix(v, person) && v[sizeof(person) - 1] &&
	    strlen(v) <= 64) {
		const char *p = v + sizeof(person) - 1;
		for (; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
				break;
		if (!*p)
			return 0;
	}
	return err_set(err, "\"%s\" is not a LinkedIn author; expected "
		       "\"urn:li:organization:<digits>\" for a company page "
		       "(e.g. \"urn:li:organization:5515715\") or "
		       "\"urn:li:person:<id>\" for a member profile", v);
}

static int check_bucket(const char *v, struct err *err)
{
	size_t n = strlen(v);
	int ok = n >= 3 && n <= 63;
	for (size_t i = 0; ok && i < n; i++) {
		char ch = v[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		ok = alnum || ((ch == '-' || ch == '.') && i > 0 && i + 1 < n);
	}
	if (!ok)
		return err_set(err, "\"%s\" is not an S3 bucket name; expected 3 to "
			       "63 lower-case letters, digits, '-' or '.', "
			       "e.g. \"ritual-media\"", v);
	return 0;
}

static int check_region(const char *v, struct err *err)
{
	int ok = strlen(v) <= 64;
	for (const char *p = v; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		     *p == '-';
	if (!ok)
		return err_set(err, "\"%s\" is not a region name; expected e.g. "
			       "\"eu-central-1\" (use \"auto\" or \"us-east-1\" if "
			       "the provider has no regions)", v);
	return 0;
}

/*
 * A URL ritual sends requests to. https:// with a host; http:// only to a
 * loopback host (127.0.0.1, localhost, [::1]: the fake APIs in tests). No
 * user:password@, no query, no fragment, no spaces. need_slash: must end
 * with "/".
 */
static int check_url(const char *u, int need_slash, int loopback_http,
		     struct err *err)
{
	const char *rest;
	int https;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return err_set(err, "\"%s\" contains a space or a character "
				       "that is not allowed in a URL", u);
	if (strncasecmp(u, "https://", 8) == 0) {
		https = 1;
		rest = u + 8;
	} else if (strncasecmp(u, "http://", 7) == 0) {
		https = 0;
		rest = u + 7;
	} else {
		return err_set(err, "\"%s\" is not a URL; expected one starting "
			       "with https://", u);
	}
	size_t alen = strcspn(rest, "/?#");
	if (alen == 0)
		return err_set(err, "\"%s\" has no host name after the scheme", u);
	if (memchr(rest, '@', alen))
		return err_set(err, "\"%s\" contains a user name or password; "
			       "expected a plain https:// URL (credentials go in "
			       "their own files)", u);
	if (strpbrk(rest, "?#"))
		return err_set(err, "\"%s\" contains a query (?) or fragment (#); "
			       "expected a base URL only", u);
	/* host and optional port */
	const char *host = rest;
	size_t hlen;
	const char *port = NULL;
	if (rest[0] == '[') {
		const char *close = memchr(rest, ']', alen);
		if (!close)
			return err_set(err, "\"%s\" has a bad [IPv6] host", u);
		hlen = (size_t)(close - rest) + 1;
		if (hlen < alen) {
			if (rest[hlen] != ':')
				return err_set(err, "\"%s\" has a bad host", u);
			port = rest + hlen + 1;
		}
	} else {
		const char *colon = memchr(rest, ':', alen);
		hlen = colon ? (size_t)(colon - rest) : alen;
		if (colon)
			port = colon + 1;
	}
	if (hlen == 0)
		return err_set(err, "\"%s\" has no host name", u);
	if (port) {
		size_t plen = (size_t)(rest + alen - port);
		long pv = 0;
		int okp = plen >= 1 && plen <= 5;
		for (size_t i = 0; okp && i < plen; i++) {
			okp = port[i] >= '0' && port[i] <= '9';
			pv = pv * 10 + (port[i] - '0');
		}
		if (!okp || pv < 1 || pv > 65535)
			return err_set(err, "\"%s\" has a bad port number", u);
	}
	if (!https) {
		if (!host_is_loopback(host, hlen) && loopback_http)
			return err_set(err, "\"%s\" uses plain http://; expected "
				       "https:// (http:// is accepted only for "
				       "127.x.y.z, localhost or [::1], for tests)", u);
	}
	if (need_slash && u[strlen(u) - 1] != '/')
		return err_set(err, "\"%s\" does not end with \"/\"; expected the "
			       "folder URL that file names are appended to, "
			       "e.g. \"%s/\"", u, u);
	return 0;
}

/* Mode check of a secret file; never opens it. */
static int check_secret_file(const char *what, const char *path,
			     struct err *err)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return err_set(err, "%s %s does not exist; put %s in it "
				       "and run: chmod 600 %s", what, path,
				       strcmp(what, "token file") == 0
					       ? "the account's access token"
				       : strcmp(what, "key file") == 0
					       ? "the access key and secret"
					       : strcmp(what, "read token file") == 0
					       ? "a user access token for reads"
					       : strcmp(what, "password file") == 0
					       ? "the SMTP password"
					       : "the app's secret",
				       path);
		return err_set(err, "cannot check %s %s: %s", what, path,
			       strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return err_set(err, "%s %s is a symbolic link; expected a regular "
			       "file (point the setting at the file itself)",
			       what, path);
	if (!S_ISREG(st.st_mode))
		return err_set(err, "%s %s is not a regular file", what, path);
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return err_set(err, "%s %s can be read by group or others "
			       "(mode %03o); run: chmod 600 %s", what, path,
			       (unsigned)(st.st_mode & 0777), path);
	return 0;
}

static int check_folder(const char *path, struct err *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_set(err, "folder %s: %s; create it (the web server "
			       "must serve it at media.url)", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, "%s is not a folder", path);
	return 0;
}

static int check_exec(const char *path, struct err *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return err_set(err, "%s: %s; expected the path of a program "
			       "(it gets the event name and the notice as JSON "
			       "on stdin)", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return err_set(err, "%s is not an executable file; run: "
			       "chmod +x %s", path, path);
	return 0;
}

/* "6h" → 21600. Digits, then at most one unit letter s/m/h/d. */
static int parse_duration_text(const char *v, long *out)
{
	const char *p = v;
	long n = 0;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if (n <= DUR_MAX)    /* larger stays larger: the range check */
			n = n * 10 + (*p - '0');
	long mul = 1;
	switch (*p) {
	case '\0': break;
	case 's': mul = 1; p++; break;
	case 'm': mul = 60; p++; break;
	case 'h': mul = 3600; p++; break;
	case 'd': mul = 86400; p++; break;
	default: return -1;
	}
	if (*p)
		return -1;
	if (n > DUR_MAX)
		n = DUR_MAX + 1;
	*out = n > (DUR_MAX + 1) / mul ? DUR_MAX + 1 : n * mul;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The walker                                                           */

static char *label(const struct scope *sc, const char *name)
{
	return xasprintf("%s%s", sc->prefix ? sc->prefix : "", name);
}

static char *where_text(const struct scope *sc)
{
	return sc->where ? xasprintf(" in %s", sc->where) : xstrdup("");
}

/* The string value of s, or NULL after reporting why not. */
static const char *get_string(struct ctx *c, const config_setting_t *s,
			      const struct key *k, const char *lbl)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		problem(c, s, "%s: expected a string in double quotes, got %s; "
			"e.g. %s = %s;", lbl, type_name(s), k->name, k->example);
		return NULL;
	}
	const char *v = config_setting_get_string(s);
	if (v && !*v && (k->flags & F_EMPTY_OK))
		return v;
	if (!v || !*v) {
		problem(c, s, "%s: is empty; expected e.g. %s = %s; (or leave "
			"the key out)", lbl, k->name, k->example);
		return NULL;
	}
	if (!utf8_valid(v, strlen(v))) {
		problem(c, s, "%s: is not valid UTF-8; save the file as UTF-8", lbl);
		return NULL;
	}
	return v;
}

static void store_string(void *base, const struct key *k, char *v)
{
	char **sp = (char **)((char *)base + k->off);
	free(*sp);
	*sp = v;
}

static long *long_field(void *base, const struct key *k)
{
	return (long *)((char *)base + k->off);
}

static void read_slots(struct ctx *c, const config_setting_t *s,
		       const struct key *k, const char *lbl);
static void read_accounts(struct ctx *c, const config_setting_t *s,
			  const struct key *k);
static void walk_group(struct ctx *c, const config_setting_t *grp,
		       const struct key *tab, void *base,
		       const struct scope *sc);
static void read_addrs(struct ctx *c, const config_setting_t *s,
		       const struct key *k, void *base, const char *lbl);

/* The key is absent: its default, if it has one. */
static void set_default(struct ctx *c, const struct key *k, void *base)
{
	static const struct scope none = { NULL, NULL };

	switch (k->type) {
	case K_STR:
	case K_URL:
	case K_VERSION:
		if (k->sdflt)
			store_string(base, k, xstrdup(k->sdflt));
		break;
	case K_INT:
	case K_DUR:
		*long_field(base, k) = k->dflt;
		break;
	case K_GROUP:
		walk_group(c, NULL, k->sub, base, &none);
		break;
	default:
		break;
	}
}

/*
 * token_file = "credential:NAME": the file NAME in $CREDENTIALS_DIRECTORY,
 * where systemd puts what the unit's LoadCredential=NAME:/path gives the
 * service (read-only: for tokens that never need rewriting). Without that
 * variable (the owner running `ritual` by hand), the path systemd uses
 * for rituald.service, /run/credentials/rituald.service/NAME, with
 * *fallback = 1.
 */
static int credential_path(const char *name, char **out, int *fallback,
			   struct err *err)
{
	*out = NULL;
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return err_set(err, "\"credential:%s\" is not a credential name; "
			       "expected \"credential:NAME\" with the NAME of the "
			       "unit's LoadCredential=NAME:/path (no \"/\")", name);
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	*fallback = !dir || !*dir;
	if (*fallback)
		dir = "/run/credentials/rituald.service";
	*out = xasprintf("%s/%s", dir, name);
	return 0;
}

/* K_STR, K_LINK, K_URL, K_PATH, K_SECRET, K_TEMPLATE. */
static void read_text(struct ctx *c, const config_setting_t *s,
		      const struct key *k, void *base, const char *lbl)
{
	struct err e = {{0}};
	const char *v = get_string(c, s, k, lbl);
	char *val = NULL;

	if (!v || !*v)
		return;
	switch (k->type) {
	case K_STR:
		if (k->check && k->check(v, &e) < 0)
			goto bad;
		val = xstrdup(v);
		break;
	case K_LINK:
	case K_URL:
		if (check_url(v, (k->flags & F_SLASH) != 0, k->type == K_URL,
			      &e) < 0) {
			problem(c, s, "%s: %s; e.g. %s = %s;", lbl, e.msg,
				k->name, k->example);
			return;
		}
		val = xstrdup(v);
		if (k->type == K_URL && !(k->flags & F_SLASH)) {
			/* a base URL: paths are appended as "/...", so drop
			 * trailing slashes (never the one after the host) */
			const char *host = strstr(val, "://") + 3;
			size_t keep = (size_t)(host - val) + strcspn(host, "/");
			size_t n = strlen(val);
			while (n > keep && val[n - 1] == '/')
				val[--n] = '\0';
		}
		break;
	case K_PATH:
	case K_SECRET:
		if (k->type == K_SECRET && strncmp(v, "credential:", 11) == 0) {
			int fallback = 0;
			if (credential_path(v + 11, &val, &fallback, &e) < 0)
				goto bad;
			/* Outside the unit (the owner's `ritual`) the file is
			 * systemd's and may be absent or unreadable: only
			 * reading the token says so. */
			if (!fallback && check_secret_file(k->what, val, &e) < 0)
				goto bad;
			break;
		}
		val = path_resolve(c->dir, v);
		if (k->type == K_SECRET && check_secret_file(k->what, val, &e) < 0)
			goto bad;
		if ((k->flags & F_FOLDER) && check_folder(val, &e) < 0)
			goto bad;
		if ((k->flags & F_EXEC) && check_exec(val, &e) < 0)
			goto bad;
		break;
	case K_TEMPLATE:
		if (format_check_template(v, &e) < 0)
			goto bad;
		val = xstrdup(v);
		break;
	default:
		return;
	}
	store_string(base, k, val);
	return;
bad:
	problem(c, s, "%s: %s", lbl, e.msg);
	free(val);
}

/* K_VERSION: "YYYYMM" (a bare number is accepted too). */
static void read_version(struct ctx *c, const config_setting_t *s,
			 const struct key *k, void *base, const char *lbl)
{
	char num[32];
	const char *v;
	int t = config_setting_type(s);

	if (t == CONFIG_TYPE_STRING) {
		v = config_setting_get_string(s);
	} else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
		snprintf(num, sizeof(num), "%lld",
			 (long long)config_setting_get_int64(s));
		v = num;
	} else {
		problem(c, s, "%s: expected a string, got %s; e.g. %s = %s;",
			lbl, type_name(s), k->name, k->example);
		return;
	}
	int ok = v && strlen(v) == 6 && all_digits(v);
	if (ok) {
		int mon = (v[4] - '0') * 10 + (v[5] - '0');
		ok = mon >= 1 && mon <= 12;
	}
	if (!ok) {
		problem(c, s, "%s: \"%s\" is not a LinkedIn API version; "
			"expected six digits YYYYMM with a month 01-12, "
			"e.g. %s = %s;", lbl, v ? v : "", k->name, k->example);
		return;
	}
	store_string(base, k, xstrdup(v));
}

/* K_ENUM: one of k->names, case-sensitive. */
static void read_enum(struct ctx *c, const config_setting_t *s,
		      const struct key *k, void *base, const char *lbl)
{
	struct buf b = {0};
	for (const char *const *n = k->names; *n; n++) {
		if (n != k->names)
			buf_puts(&b, n[1] ? ", " : " or ");
		buf_printf(&b, "\"%s\"", *n);
	}
	char *alts = buf_steal(&b);

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		problem(c, s, "%s: expected a string, got %s; one of %s",
			lbl, type_name(s), alts);
		goto out;
	}
	const char *v = config_setting_get_string(s);
	for (int i = 0; v && k->names[i]; i++) {
		if (strcmp(v, k->names[i]) == 0) {
			k->set_enum(base, i);
			goto out;
		}
	}
	problem(c, s, "%s: \"%s\" is not known; expected one of %s", lbl,
		v ? v : "", alts);
out:
	free(alts);
}

/* K_INT: a whole number in [k->min, k->max]. */
static void read_int(struct ctx *c, const config_setting_t *s,
		     const struct key *k, void *base, const char *lbl)
{
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		problem(c, s, "%s: expected a whole number without quotes, "
			"got %s; e.g. %s = %s;", lbl, type_name(s), k->name,
			k->example);
		return;
	}
	long long n = config_setting_get_int64(s);
	if (n < k->min || n > k->max) {
		problem(c, s, "%s: %lld is out of range; expected a whole "
			"number from %ld to %ld, e.g. %s = %s;", lbl, n,
			k->min, k->max, k->name, k->example);
		return;
	}
	*long_field(base, k) = (long)n;
}

/* K_DUR: seconds as a number, or "90m" / "6h" / "2d". */
static void read_duration(struct ctx *c, const config_setting_t *s,
			  const struct key *k, void *base, const char *lbl)
{
	int t = config_setting_type(s);
	long n = -1;
	int ok = 0;

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
		long long ll = config_setting_get_int64(s);
		n = ll > DUR_MAX ? DUR_MAX + 1 : (ll < 0 ? -1 : (long)ll);
		ok = 1;
	} else if (t == CONFIG_TYPE_STRING) {
		ok = parse_duration_text(config_setting_get_string(s), &n) == 0;
	}
	if (!ok) {
		problem(c, s, "%s: expected a duration: a number of seconds, "
			"or a string with a unit s, m, h or d such as "
			"\"90m\", \"6h\" or \"2d\"; e.g. %s = %s;", lbl,
			k->name, k->example);
		return;
	}
	long min = (k->flags & F_ZERO_OK) ? 0 : 1;
	if (n < min || n > DUR_MAX) {
		problem(c, s, "%s: expected a duration %s and at most 365 "
			"days; e.g. %s = %s;", lbl,
			min ? "greater than 0" : "of 0 or more",
			k->name, k->example);
		return;
	}
	*long_field(base, k) = n;
}

/* K_GROUP: walk the sub table; a non-group still gets its defaults. */
static void read_group(struct ctx *c, const config_setting_t *s,
		       const struct key *k, void *base, const char *lbl)
{
	char *pre = xasprintf("%s.", lbl);
	struct scope sub = { .where = lbl, .prefix = pre };

	if (config_setting_is_group(s)) {
		walk_group(c, s, k->sub, base, &sub);
	} else {
		problem(c, s, "%s: expected a group in braces, got %s; "
			"e.g. %s = %s;", lbl, type_name(s), k->name, k->example);
		walk_group(c, NULL, k->sub, base, &sub);
	}
	free(pre);
}

/* K_ADDRS: [ "a@b", ... ], at least one, each check_address'd. */
static void read_addrs(struct ctx *c, const config_setting_t *s,
		       const struct key *k, void *base, const char *lbl)
{
	char ***vp = (char ***)((char *)base + k->off);
	size_t *np = (size_t *)((char *)base + k->off2);
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		problem(c, s, "%s: expected a list of addresses in brackets, got "
			"%s; e.g. %s = %s;", lbl, type_name(s), k->name, k->example);
		return;
	}
	int n = config_setting_length(s);
	if (n == 0) {
		problem(c, s, "%s: the list is empty; expected at least one "
			"address, e.g. %s = %s;", lbl, k->name, k->example);
		return;
	}
	char **v = xcalloc((size_t)n + 1, sizeof(*v));
	size_t count = 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		struct err er = {{0}};
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			problem(c, e, "%s: element %d is %s; expected an address "
				"in double quotes, e.g. \"owner@studio.example\"",
				lbl, i + 1, type_name(e));
			continue;
		}
		const char *a = config_setting_get_string(e);
		if (check_address(a, &er) < 0) {
			problem(c, e, "%s: %s", lbl, er.msg);
			continue;
		}
		v[count++] = xstrdup(a);
	}
	*vp = v;
	*np = count;
}

static void read_value(struct ctx *c, const config_setting_t *s,
		       const struct key *k, void *base,
		       const struct scope *sc)
{
	char *lbl = label(sc, k->name);

	switch (k->type) {
	case K_STR:
	case K_LINK:
	case K_URL:
	case K_PATH:
	case K_SECRET:
	case K_TEMPLATE:
		read_text(c, s, k, base, lbl);
		break;
	case K_VERSION:
		read_version(c, s, k, base, lbl);
		break;
	case K_ENUM:
		read_enum(c, s, k, base, lbl);
		break;
	case K_INT:
		read_int(c, s, k, base, lbl);
		break;
	case K_DUR:
		read_duration(c, s, k, base, lbl);
		break;
	case K_GROUP:
		read_group(c, s, k, base, lbl);
		break;
	case K_SLOTS:
		read_slots(c, s, k, lbl);
		break;
	case K_ACCOUNTS:
		read_accounts(c, s, k);
		break;
	case K_ADDRS:
		read_addrs(c, s, k, base, lbl);
		break;
	}
	free(lbl);
}

/*
 * Check every setting of grp against tab and store the values in base.
 * grp NULL: the group is absent; fill the defaults only.
 */
static void walk_group(struct ctx *c, const config_setting_t *grp,
		       const struct key *tab, void *base,
		       const struct scope *sc)
{
	char *in = where_text(sc);

	if (grp) {
		int n = config_setting_length(grp);
		for (int i = 0; i < n; i++) {
			const config_setting_t *s = config_setting_get_elem(grp, i);
			const char *name = config_setting_name(s);
			const struct key *k = tab;
			while (k->name && strcmp(k->name, name) != 0)
				k++;
			if (!k->name) {
				const char *near = suggest(name, tab);
				if (near) {
					problem(c, s, "unknown key \"%s\"%s; did you "
						"mean \"%s\"?", name, in, near);
				} else {
					char *all = key_list(tab);
					problem(c, s, "unknown key \"%s\"%s; expected "
						"one of: %s", name, in, all);
					free(all);
				}
				continue;
			}
			if (k->nets && c->net >= 0 && !(k->nets & NET_BIT(c->net))) {
				char *lbl = label(sc, name);
				problem(c, s, "%s: does not apply to %s %s account "
					"(only to %s accounts); remove it", lbl,
					a_an(net_names[c->net]), net_names[c->net],
					nets_text(k->nets));
				free(lbl);
			}
		}
	}

	for (const struct key *k = tab; k->name; k++) {
		const config_setting_t *s =
			grp ? config_setting_get_member(grp, k->name) : NULL;
		int applies = !k->nets ||
			      (c->net >= 0 && (k->nets & NET_BIT(c->net)));
		if (!s) {
			if (grp && (k->flags & F_REQUIRED) && applies &&
			    !(k->type == K_ACCOUNTS &&
			      (c->flags & CONFIG_ACCOUNTS_OPTIONAL))) {
				const char *who = "";
				char *need = NULL;
				if (k->nets && c->net >= 0)
					need = xasprintf("; %s %s account needs it",
							 a_an(net_names[c->net]),
							 net_names[c->net]);
				problem(c, grp, "missing key \"%s\"%s%s; expected "
					"e.g. %s = %s;", k->name, in,
					need ? need : who, k->name, k->example);
				free(need);
			}
			set_default(c, k, base);
			continue;
		}
		if (k->nets && !applies)
			continue;
		read_value(c, s, k, base, sc);
	}
	free(in);
}

static void read_slots(struct ctx *c, const config_setting_t *s,
		       const struct key *k, const char *lbl)
{
	struct config *cfg = c->cfg;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		problem(c, s, "%s: expected a list of cron strings in brackets, "
			"got %s; e.g. %s = %s;", lbl, type_name(s), k->name,
			k->example);
		return;
	}
	int n = config_setting_length(s);
	cfg->slots = xcalloc((size_t)n + 1, sizeof(*cfg->slots));
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			problem(c, e, "%s: element %d is %s; expected a cron string "
				"such as \"0 9 * * MON,WED,FRI\"", lbl, i + 1,
				type_name(e));
			continue;
		}
		const char *v = config_setting_get_string(e);
		struct err er = {{0}};
		struct cron *cr = NULL;
		if (sched_cron_parse(v, &cr, &er) < 0) {
			if (strstr(er.msg, v))
				problem(c, e, "%s: %s", lbl, er.msg);
			else
				problem(c, e, "%s: \"%s\": %s", lbl, v, er.msg);
			continue;
		}
		sched_cron_free(cr);
		int dup = 0;
		for (size_t j = 0; j < cfg->nslots; j++)
			if (strcmp(cfg->slots[j], v) == 0)
				dup = 1;
		if (dup) {
			problem(c, e, "%s: \"%s\" is listed twice; remove one", lbl, v);
			continue;
		}
		cfg->slots[cfg->nslots++] = xstrdup(v);
	}
}

static const char *peek_string(const config_setting_t *grp, const char *name)
{
	const config_setting_t *s = config_setting_get_member(grp, name);
	if (!s || config_setting_type(s) != CONFIG_TYPE_STRING)
		return NULL;
	return config_setting_get_string(s);
}

static void read_accounts(struct ctx *c, const config_setting_t *s,
			  const struct key *k)
{
	struct config *cfg = c->cfg;
	if (!config_setting_is_list(s)) {
		problem(c, s, "accounts: expected a list of groups in parentheses, "
			"got %s; e.g. accounts = %s;", type_name(s), k->example);
		return;
	}
	int n = config_setting_length(s);
	if (n == 0 && (c->flags & CONFIG_ACCOUNTS_OPTIONAL))
		return;
	if (n == 0) {
		problem(c, s, "accounts: the list is empty; expected at least one "
			"account, e.g. accounts = %s;", k->example);
		return;
	}
	cfg->accounts = xcalloc((size_t)n, sizeof(*cfg->accounts));
	cfg->naccounts = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		struct account *a = &cfg->accounts[i];
		a->line = (int)config_setting_source_line(e);
		if (!config_setting_is_group(e)) {
			problem(c, e, "accounts: entry %d is %s; expected a group "
				"in braces, e.g. { name = \"facebook\"; ... }",
				i + 1, type_name(e));
			continue;
		}
		const char *name = peek_string(e, "name");
		struct err ignore = {{0}};
		char *where;
		if (name && check_account_name(name, &ignore) == 0)
			where = xasprintf("account \"%s\"", name);
		else
			where = xasprintf("account #%d", i + 1);
		char *prefix = xasprintf("%s ", where);
		enum network net;
		c->net = network_from_name(peek_string(e, "network"), &net) == 0
				 ? (int)net : -1;
		struct scope sc = { .where = where, .prefix = prefix };
		walk_group(c, e, account_keys, a, &sc);
		c->net = -1;
		free(prefix);
		free(where);
		if (!a->api) {
			const char *dflt = cfg->api.graph;
			if (a->network == NET_LINKEDIN)
				dflt = cfg->api.linkedin;
			else if (a->network == NET_INSTAGRAM &&
				 a->login == IG_LOGIN_INSTAGRAM)
				dflt = cfg->api.instagram;
			a->api = xstrdup(dflt);
		}
		/* The user token for reads belongs to Facebook Login;
		 * graph.instagram.com documents none (nor appsecret_proof: an
		 * Instagram Login account's app_secret_file is the Instagram
		 * app's, for `ritual connect` only). */
		if (a->network == NET_INSTAGRAM && a->login == IG_LOGIN_INSTAGRAM) {
			static const char *const fl_keys[] = {"read_token_file"};
			for (size_t k2 = 0; k2 < RT_ARRAY_LEN(fl_keys); k2++) {
				const config_setting_t *ks =
					config_setting_get_member(e, fl_keys[k2]);
				if (ks)
					problem(c, ks, "%s: only for Instagram accounts "
						"with login = \"facebook\" (graph.instagram."
						"com takes no second token); remove it",
						fl_keys[k2]);
			}
		}
	}
	/* names are unique, ignoring case (the owner types them) */
	for (size_t i = 0; i < cfg->naccounts; i++) {
		const char *ni = cfg->accounts[i].name;
		for (size_t j = 0; ni && j < i; j++) {
			const char *nj = cfg->accounts[j].name;
			if (nj && str_casecmp_ascii(ni, nj) == 0) {
				const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
				const config_setting_t *ns = config_setting_get_member(e, "name");
				problem(c, ns ? ns : e, "account name \"%s\" is already "
					"used at line %d; expected a unique name for each "
					"account", ni, cfg->accounts[j].line);
				break;
			}
		}
	}
}

/* The place an account publishes to, and its name for messages. */
static const char *account_target(const struct account *a, const char **what)
{
	switch (a->network) {
	case NET_FACEBOOK:
		*what = "Facebook page_id";
		return a->page_id;
	case NET_INSTAGRAM:
		*what = "Instagram user_id";
		return a->user_id;
	case NET_LINKEDIN:
		*what = "LinkedIn author";
		return a->author;
	default:
		*what = "";
		return NULL;
	}
}

/* Two accounts naming the same page, user or author publish every post
 * twice there: refuse the later one, naming both. */
static void check_same_target(struct ctx *c, const config_setting_t *root)
{
	struct config *cfg = c->cfg;
	const config_setting_t *accounts = config_setting_get_member(root, "accounts");
	if (!accounts || !config_setting_is_list(accounts))
		return;
	for (size_t i = 0; i < cfg->naccounts; i++) {
		const struct account *a = &cfg->accounts[i];
		const char *what;
		const char *ta = account_target(a, &what);
		for (size_t j = 0; ta && j < i; j++) {
			const struct account *b = &cfg->accounts[j];
			const char *w2;
			const char *tb = account_target(b, &w2);
			if (b->network != a->network || !tb || strcmp(ta, tb) != 0)
				continue;
			const config_setting_t *e =
				config_setting_get_elem(accounts, (unsigned)j);
			const char *src = e ? config_setting_source_file(e) : NULL;
			char *bfile = !src || strcmp(src, c->file) == 0
					      ? xstrdup(c->file)
					      : path_resolve(c->dir, src);
			const config_setting_t *ea =
				config_setting_get_elem(accounts, (unsigned)i);
			const config_setting_t *key = NULL;
			if (ea)
				key = config_setting_get_member(
					ea, a->network == NET_FACEBOOK    ? "page_id"
					    : a->network == NET_INSTAGRAM ? "user_id"
									  : "author");
			problem(c, key ? key : ea,
				"account \"%s\" publishes to the same %s %s as "
				"account \"%s\" (%s:%d); every post would go out "
				"twice there: remove one of the two accounts",
				a->name ? a->name : "?", what, ta,
				b->name ? b->name : "?", bfile, b->line);
			free(bfile);
			break;
		}
	}
}

/* Rules that tie several keys together. */
/* notify: user and password_file go together; the parsed forms of the
 * times and of smtp_url. */
static void check_notify(struct ctx *c, const config_setting_t *root)
{
	struct config *cfg = c->cfg;
	const config_setting_t *nt = config_setting_get_member(root, "notify");
	const config_setting_t *em = nt && config_setting_is_group(nt)
		? config_setting_get_member(nt, "email") : NULL;
	cfg->notify.digest_minute = cfg->notify.digest_at
		? hhmm_minutes(cfg->notify.digest_at) : -1;
	cfg->notify.preflight_minute = cfg->notify.preflight_at
		? hhmm_minutes(cfg->notify.preflight_at) : -1;
	if (cfg->notify.smtp_url)
		cfg->notify.smtp_tls_required =
			!smtp_loopback(cfg->notify.smtp_url) ||
			strncasecmp(cfg->notify.smtp_url, "smtps://", 8) == 0;
	if (!em || !config_setting_is_group(em))
		return;
	const config_setting_t *u = config_setting_get_member(em, "user");
	const config_setting_t *pw = config_setting_get_member(em, "password_file");
	if (u && !pw)
		problem(c, u, "notify.email.user is set but password_file is not; "
			"expected both, e.g. password_file = "
			"\"/etc/ritual/smtp.password\"; (a file of mode 0600 "
			"holding the password), or neither");
	else if (pw && !u)
		problem(c, pw, "notify.email.password_file is set but user is not; "
			"expected both, e.g. user = \"ritual@studio.example\";");
}

static void check_across(struct ctx *c, const config_setting_t *root)
{
	struct config *cfg = c->cfg;
	check_same_target(c, root);
	check_notify(c, root);
	const config_setting_t *retry = config_setting_get_member(root, "retry");
	if (retry && config_setting_is_group(retry) &&
	    cfg->retry.base_delay > cfg->retry.max_delay) {
		const config_setting_t *b = config_setting_get_member(retry, "base_delay");
		problem(c, b ? b : retry, "retry.base_delay (%lds) is longer than "
			"retry.max_delay (%lds); expected base_delay <= max_delay",
			cfg->retry.base_delay, cfg->retry.max_delay);
	}

	const config_setting_t *media = config_setting_get_member(root, "media");
	int media_host = 0;   /* the media group names where images go */
	if (media && config_setting_is_group(media)) {
		const config_setting_t *dir = config_setting_get_member(media, "dir");
		const config_setting_t *s3 = config_setting_get_member(media, "s3");
		/* media = { keep_days = 30; } alone names no image host */
		int host = dir || s3 || config_setting_get_member(media, "url") ||
			   config_setting_get_member(media, "retention");
		media_host = host;
		if (!host)
			;
		else if (dir && s3)
			problem(c, media, "media: both dir and s3 are set; expected "
				"exactly one: a local folder (dir) or an S3 bucket (s3)");
		else if (!dir && !s3)
			problem(c, media, "media: neither dir nor s3 is set; expected "
				"exactly one, e.g. dir = \"/var/www/ritual-media\";");
		if (host && !config_setting_get_member(media, "url"))
			problem(c, media, "media: missing key \"url\"; expected the "
				"public https:// address of the files, ending in \"/\", "
				"e.g. url = \"https://media.example.com/ritual/\";");
	}

	/* Instagram fetches images only from a public URL (docs/api-notes.md §Instagram publishing). */
	const config_setting_t *accounts = config_setting_get_member(root, "accounts");
	for (size_t i = 0; (!media || !media_host) && accounts && i < cfg->naccounts; i++) {
		if (cfg->accounts[i].network != NET_INSTAGRAM)
			continue;
		const config_setting_t *e =
			config_setting_get_elem(accounts, (unsigned)i);
		problem(c, e ? e : accounts, "account \"%s\": Instagram downloads "
			"each image from a public https:// address; expected a "
			"media group, e.g. media = { dir = \"/var/www/ritual-media\"; "
			"url = \"https://media.example.com/ritual/\"; }; (see the "
			"README, \"Hosting Instagram's images\")",
			cfg->accounts[i].name ? cfg->accounts[i].name : "?");
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Public entry points                                                  */

/*
 * libconfig 1.5 calls exit() when an @include names a folder (its scanner
 * fails on read), and blocks for ever on a FIFO. Before libconfig opens
 * anything, walk the file and its @include lines (nested too, any size:
 * the file is streamed line by line), and refuse anything that is not a
 * regular file, with its line. The file itself is opened non-blocking and
 * checked with fstat, so a FIFO never blocks. Returns the number of
 * problems; 0 also when a file cannot be opened (libconfig reports that).
 */
static int check_includes(const char *file, const char *dir, int depth,
			  const char *from, int from_line, struct diag *diag)
{
	int bad = 0, line = 0;
	if (depth > 10) {
		diag_add(diag, "%s: @include nested more than 10 deep", file);
		return 1;
	}
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0;  /* libconfig reports it */
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		if (from)
			diag_add(diag, "%s:%d: @include \"%s\" is not a file; "
				 "expected the name of a file next to the "
				 "configuration", from, from_line, file);
		else
			diag_add(diag, "%s: is not a regular file; expected the "
				 "configuration file", file);
		return 1;
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return 0;
	}
	char *p = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&p, &cap, f)) >= 0) {
		line++;
		if (memchr(p, '\0', (size_t)n)) {
			/* libconfig and this scan would read such a file differently. */
			diag_add(diag, "%s:%d: contains a NUL byte; expected a text "
				 "file", file, line);
			bad++;
			break;
		}
		char *q = p + strspn(p, " \t");
		if (strncmp(q, "@include", 8) != 0)
			continue;
		q += 8 + strspn(q + 8, " \t");
		char *end = *q == '"' ? strchr(q + 1, '"') : NULL;
		if (!end || memchr(q + 1, '\\', (size_t)(end - q - 1))) {
			/* A name libconfig might read otherwise (escapes). */
			diag_add(diag, "%s:%d: @include needs a plain file name "
				 "in double quotes", file, line);
			bad++;
			continue;
		}
		char *name = xstrndup(q + 1, (size_t)(end - q - 1));
		char *full = path_resolve(dir, name);
		struct stat sb;
		if (stat(full, &sb) == 0 && !S_ISREG(sb.st_mode)) {
			/* not opened at all: a FIFO would wait for a writer */
			diag_add(diag, "%s:%d: @include \"%s\" is not a file; "
				 "expected the name of a file next to the "
				 "configuration", file, line, name);
			bad++;
		} else if (stat(full, &sb) == 0) {
			bad += check_includes(full, dir, depth + 1, file, line, diag);
		}
		free(full);
		free(name);
	}
	free(p);
	fclose(f);
	return bad;
}

int config_load(const char *path, struct config **out, struct diag *diag)
{
	return config_load_flags(path, 0, out, diag);
}

int config_load_flags(const char *path, unsigned flags, struct config **out,
		      struct diag *diag)
{
	config_t lc;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct ctx c = { .file = path, .cfg = cfg, .net = -1, .flags = flags };
	char *prev_tz = xstrdup(sched_tz_current());
	int rc = -1;

	*out = NULL;
	config_init(&lc);
	cfg->path = path_absolute(path);
	c.dir = path_dirname(cfg->path);

	/* O_NONBLOCK: a FIFO must not block here; check_includes refuses it */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		diag_add(diag, "%s: cannot read the configuration: %s", path,
			 strerror(errno));
		goto cleanup;
	}
	close(fd);

	config_set_include_dir(&lc, c.dir);
	if (check_includes(path, c.dir, 0, NULL, 0, diag) > 0)
		goto cleanup;
	if (!config_read_file(&lc, path)) {
		/* an error in an @include'd file names it as found: next to us */
		const char *ef = config_error_file(&lc);
		char *f = !ef || strcmp(ef, path) == 0 ? xstrdup(path)
						       : path_resolve(c.dir, ef);
		const char *text = config_error_text(&lc);
		if (config_error_type(&lc) == CONFIG_ERR_PARSE &&
		    strcmp(text, "syntax error") == 0)
			diag_add(diag, "%s:%d: syntax error; look for a missing "
				 "quote, '=', brace, bracket or parenthesis on this "
				 "line or the one before", f, config_error_line(&lc));
		else if (config_error_type(&lc) == CONFIG_ERR_PARSE)
			diag_add(diag, "%s:%d: syntax error: %s", f,
				 config_error_line(&lc), text);
		else
			diag_add(diag, "%s: cannot read the configuration: %s",
				 f, text);
		free(f);
		goto cleanup;
	}

	const config_setting_t *root = config_root_setting(&lc);
	struct scope top = { NULL, NULL };
	walk_group(&c, root, top_keys, cfg, &top);
	check_across(&c, root);
	/* parsed once here (check_colour refused a bad one), not per image */
	memset(cfg->media.background_rgb, 255, sizeof(cfg->media.background_rgb));
	if (cfg->media.background &&
	    config_colour_parse(cfg->media.background, cfg->media.background_rgb) < 0)
		memset(cfg->media.background_rgb, 255,
		       sizeof(cfg->media.background_rgb));
	flush_problems(&c, diag);
	if (c.nerr == 0) {
		*out = cfg;
		cfg = NULL;
		rc = 0;
	}

cleanup:
	/* validating the zone selected it; give the process its zone back */
	if (prev_tz) {
		struct err e;
		sched_tz_use(prev_tz, &e);
	}
	free(prev_tz);
	config_destroy(&lc);
	free(c.dir);
	config_free(cfg);
	return rc;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->timezone);
	free(cfg->database);
	free(cfg->business.name);
	free(cfg->business.website);
	free(cfg->business.booking_url);
	free(cfg->business.phone);
	for (size_t i = 0; i < cfg->nslots; i++)
		free(cfg->slots[i]);
	free(cfg->slots);
	free(cfg->api.graph);
	free(cfg->api.instagram);
	free(cfg->api.linkedin);
	free(cfg->api.linkedin_version);
	free(cfg->api.linkedin_oauth);
	free(cfg->api.facebook_dialog);
	free(cfg->api.instagram_dialog);
	free(cfg->api.instagram_oauth);
	for (size_t i = 0; i < cfg->naccounts; i++) {
		struct account *a = &cfg->accounts[i];
		free(a->name);
		free(a->page_id);
		free(a->user_id);
		free(a->author);
		free(a->token_file);
		free(a->app_secret_file);
		free(a->read_token_file);
		free(a->api);
		free(a->app_id);
		free(a->client_id);
		free(a->client_secret_file);
	}
	free(cfg->accounts);
	for (int k = 0; k < KIND__COUNT; k++)
		for (int n = 0; n <= NET__COUNT; n++)
			free(cfg->formats[k][n]);
	free(cfg->media.dir);
	free(cfg->media.s3_endpoint);
	free(cfg->media.s3_bucket);
	free(cfg->media.s3_region);
	free(cfg->media.s3_key_file);
	free(cfg->media.url);
	free(cfg->notify.heartbeat_url);
	free(cfg->notify.smtp_url);
	free(cfg->notify.mail_from);
	strv_free(cfg->notify.mail_to);
	free(cfg->notify.smtp_user);
	free(cfg->notify.smtp_password_file);
	free(cfg->notify.command);
	free(cfg->notify.digest_at);
	free(cfg->notify.preflight_at);
	free(cfg->media.background);
	free(cfg);
}
