/*
 * config.h - the libconfig file turned into one validated, immutable struct.
 *
 * config_load parses the file, checks every key against a table (unknown
 * keys, wrong types, bad values and missing keys are all refused, each with
 * "file:line: what was expected"), resolves relative paths against the
 * config file's folder, fills defaults, and returns a struct config that
 * nothing modifies afterwards. All strings in it are owned by the struct and
 * released by config_free; libconfig's own objects never escape config.c.
 *
 * This part never touches the database or the network, and never reads the
 * token files' contents (only their permissions: a token file that group or
 * others can read is refused, as ssh refuses keys).
 */
#ifndef RITUAL_CONFIG_H
#define RITUAL_CONFIG_H

#include <stddef.h>
#include "ritual/util.h"

enum network {
	NET_FACEBOOK = 0,
	NET_INSTAGRAM,
	NET_LINKEDIN,
	NET__COUNT
};

enum post_kind {
	KIND_TIP = 0,
	KIND_PROMO,
	KIND_NOTE,
	KIND__COUNT
};

/* "facebook", "instagram", "linkedin"; NULL for an invalid value. */
const char *network_name(enum network n);
/* Case-sensitive; returns -1 for an unknown name. */
int network_from_name(const char *name, enum network *out);
/* "tip", "promo", "note". */
const char *kind_name(enum post_kind k);
/* Case-insensitive; returns -1 for an unknown name. */
int kind_from_name(const char *name, enum post_kind *out);

/* Instagram's two login flavours (docs/api-notes.md §Instagram logins). */
enum ig_login {
	IG_LOGIN_FACEBOOK = 0, /* graph.facebook.com, Page token, never expires */
	IG_LOGIN_INSTAGRAM     /* graph.instagram.com, 60-day token, refreshed */
};

struct account {
	char *name;           /* unique, [A-Za-z0-9_-]+ */
	enum network network;
	char *page_id;        /* facebook: required */
	char *user_id;        /* instagram: required */
	char *author;         /* linkedin: urn:li:organization:N or urn:li:person:X */
	char *token_file;     /* absolute path; mode checked at load */
	char *app_secret_file; /* facebook, instagram: the app's secret, or NULL;
				* absolute, mode checked at load. With Facebook
				* Login it signs every Graph call
				* (appsecret_proof); with login = "instagram" it
				* is the Instagram app's, for `ritual connect` */
	char *read_token_file; /* instagram: a user token used for the GETs of
				* containers and media (postiz-app#1562), or
				* NULL; absolute, mode checked at load */
	char *api;            /* base URL: the account's "api", else the network's
			       * from the api group; never NULL */
	enum ig_login login;  /* instagram only; key "login", default "facebook" */
	/* The app's credentials, for `ritual connect`; each may be NULL.
	 * app_id/app_secret_file: facebook, instagram (the Meta app, or for
	 * login = "instagram" the Instagram app); client_id/client_secret_file:
	 * linkedin. The secret files are absolute, mode checked like tokens. */
	char *app_id;
	char *client_id;
	char *client_secret_file;
	int line;             /* line of the account's entry in the config file */
};

/* Per-network publishing limits; all config values (group "limits"). */
struct limits {
	long facebook_text;           /* code points, default 63206 */
	long facebook_image_bytes;    /* default 4194304 (4 MiB) */
	long instagram_caption;       /* code points, default 2200 */
	long instagram_hashtags;      /* default 5 */
	long instagram_mentions;      /* default 20 */
	long instagram_image_bytes;   /* default 8388608 (8 MiB) */
	long linkedin_text;           /* code points, default 3000 */
	long linkedin_image_pixels;   /* default 36152320 (exclusive upper bound) */
};

/* Where Instagram's images are put so Meta can fetch them (issue 3). */
struct media_host {
	char *dir;            /* folder served by a web server, or NULL */
	char *s3_endpoint;    /* https://... S3-compatible endpoint, or NULL */
	char *s3_bucket;
	char *s3_region;
	char *s3_key_file;    /* absolute; "ACCESS_KEY:SECRET" or two lines */
	char *url;            /* public base URL ending in "/", or NULL when unset */
	long retention;       /* seconds to keep a file after publishing; default 0 */
	long keep_days;       /* media.keep_days: days to keep a published post's
			       * image bytes in the database; default 30, 0 = forever */
	int fit;              /* media.fit: 0 "crop" (default), 1 "pad" (issue 13) */
	char *background;     /* media.background: "#rrggbb", "white" or "black";
			       * NULL = white */
	unsigned char background_rgb[3]; /* background parsed at load (white
					  * when unset): what pad fills with */
};

struct config {
	char *path;           /* absolute path of the file loaded */
	char *timezone;       /* IANA name, checked to exist */
	char *database;       /* absolute path */

	struct {
		char *name, *website, *booking_url, *phone; /* each may be NULL */
	} business;

	char **slots;         /* cron expressions, syntax-checked */
	size_t nslots;
	long missed_after;    /* schedule.missed_after, seconds, default 21600 */
	long min_gap;         /* schedule.min_gap, seconds between two posts
			       * of one account, default 300 */
	long duplicate_window; /* schedule.duplicate_window, seconds: the same
				* text and image to the same account within
				* this is refused at queue time; default 30
				* days, 0 = never refuse */

	struct {
		char *graph;            /* default https://graph.facebook.com/v25.0 */
		char *instagram;        /* default https://graph.instagram.com/v25.0 */
		char *linkedin;         /* default https://api.linkedin.com */
		char *linkedin_version; /* YYYYMM, default "202601" */
		char *linkedin_oauth;   /* default https://www.linkedin.com */
		/* Where `ritual connect` sends the browser and trades codes: */
		char *facebook_dialog;  /* default https://www.facebook.com */
		char *instagram_dialog; /* default https://www.instagram.com */
		char *instagram_oauth;  /* default https://api.instagram.com */
	} api;

	struct account *accounts;
	size_t naccounts;

	/* formats.<kind>.<network> and formats.<kind>.default; NULL where the
	 * file leaves it out (format.c then uses its built-in default).
	 * Index [kind][NET__COUNT] is the kind's "default". */
	char *formats[KIND__COUNT][NET__COUNT + 1];

	struct limits limits;
	struct media_host media;

	struct {
		long max_attempts;  /* retry.max_attempts, default 8 */
		long base_delay;    /* retry.base_delay seconds, default 30 */
		long max_delay;     /* retry.max_delay seconds, default 3600 */
		long reconcile_delay; /* retry.reconcile_delay seconds between
				       * read-backs after a lost answer, default 60 */
	} retry;

	struct {
		long connect_timeout; /* http.connect_timeout s, default 10 */
		long timeout;         /* http.timeout s, default 60 */
		long upload_timeout;  /* http.upload_timeout s, default 120 */
		long max_response;    /* http.max_response bytes, default 1048576 */
		long max_in_flight;   /* http.max_in_flight deliveries at once
				       * (rituald), default 64 */
		long max_per_host;    /* http.max_per_host connections to one
				       * host, default 64 */
	} http;

	/* notify = { ... }: telling the owner (issue 10). */
	struct {
		char *heartbeat_url;  /* fetched after each healthy loop, at most
				       * once a minute; NULL = none */
		/* notify.email = { ... }: mail through libcurl's SMTP. smtp_url
		 * NULL = no mail. smtp_url is smtps://HOST[:PORT] or
		 * smtp://HOST[:PORT] (STARTTLS required, except to a loopback
		 * host: plain allowed, for tests); smtp_tls_required says
		 * which (1: CURLUSESSL_ALL). */
		char *smtp_url;
		int smtp_tls_required;
		char *mail_from;      /* notify.email.from: an address */
		char **mail_to;       /* notify.email.to: addresses, NULL-terminated */
		size_t nmail_to;
		char *smtp_user;      /* may be NULL: no authentication */
		char *smtp_password_file; /* absolute, mode checked like tokens;
					   * required with user */
		char *command;        /* notify.command: absolute path, run with
				       * argv[1] = event name, the notice as
				       * JSON on stdin; NULL = none */
		char *digest_at;      /* "HH:MM" local time, NULL = none ("") */
		int digest_minute;    /* the same as minutes after midnight, -1 */
		char *preflight_at;   /* "HH:MM", NULL = none */
		int preflight_minute; /* minutes after midnight, -1 = none */
		long token_warn_days; /* default 14 */
		long dry_days;        /* default 3 */
	} notify;
};

/*
 * Load and validate path. On success *out is a new struct config owned by
 * the caller (config_free). On failure returns -1 and fills diag with one
 * message per problem, each "FILE:LINE: problem; expected ..." (LINE
 * omitted when libconfig cannot tell); *out is left NULL.
 */
int config_load(const char *path, struct config **out, struct diag *diag);
/* config_load, with CONFIG_ACCOUNTS_OPTIONAL: no accounts list (or an
 * empty one) is not a problem - for `ritual connect`, which adds the first
 * account. */
#define CONFIG_ACCOUNTS_OPTIONAL 0x1u
int config_load_flags(const char *path, unsigned flags, struct config **out,
		      struct diag *diag);
void config_free(struct config *cfg);

/* media.background: "#rrggbb", "white" or "black" -> rgb; 0, or -1 for
 * anything else. Pure (no libvips: rituald does not link it). */
int config_colour_parse(const char *s, unsigned char rgb[3]);

/* The account with that name, or NULL. */
const struct account *config_account(const struct config *cfg,
				     const char *name);

#endif
