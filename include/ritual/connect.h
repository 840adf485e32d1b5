/*
 * connect.h - `ritual connect`: get an account's token through the
 * platform's own OAuth consent, and renew it the same way.
 *
 * connect_run prints the platform's authorization address (the scopes the
 * account needs, a random state, PKCE for Meta's Facebook Login), waits for
 * the browser's redirect two ways at once - a one-shot HTTP listener on
 * 127.0.0.1 (and ::1) at http://localhost:PORT/callback, and an address
 * pasted on in_fd - checks state, trades the code for the token the
 * account needs (docs/facebook.md, docs/instagram.md, docs/linkedin.md),
 * writes the token file atomically with mode 0600, records its expiry in
 * TOKEN_FILE.expires (Unix seconds, one line; absent when the token has no
 * expiry date; read back by util.h token_expiry_read for `ritual check
 * --online`'s days left), verifies it with the publisher's check (the one `ritual
 * check --online` runs), resumes the account if rituald had paused it, and
 * prints the account block for the configuration or, with write_config,
 * edits the configuration text in place (comments and layout kept) and
 * proves the result by loading it again.
 *
 * A token or secret is never printed, logged or put in a message. Only the
 * platforms' APIs (through http.h) and loopback are contacted.
 */
#ifndef RITUAL_CONNECT_H
#define RITUAL_CONNECT_H

#include <stdio.h>
#include "ritual/config.h"
#include "ritual/util.h"

#define CONNECT_DEFAULT_PORT 8765
#define CONNECT_DEFAULT_TIMEOUT 600   /* seconds */

struct connect_opts {
	enum network network;
	const char *account;        /* --account NAME, or NULL: the network's only
				     * account, else a new one named after it */
	const char *page;           /* --page ID: Facebook page id, or LinkedIn
				     * organization id / URN; NULL = ask */
	int member;                 /* linkedin: the member profile, not a page */
	int login_instagram;        /* instagram: Instagram Login (new account) */
	int write_config;           /* edit the configuration in place */
	int port;                   /* loopback port of the redirect URI */
	long timeout;               /* seconds to wait for the redirect */
	const char *app_id;         /* app_id / client_id; NULL = the account's */
	const char *secret_file;    /* app_secret_file / client_secret_file */
	const char *token_file;     /* new account: where the token goes; NULL =
				     * NAME.token beside the configuration */
	int in_fd;                  /* pasted addresses and answers (stdin) */
};

/*
 * Run the whole flow against cfg (borrowed; not modified - the file may be
 * rewritten). Progress and the account block go to stdout, problems to
 * stderr, each naming the step and the fix. Returns 0 on success, else a
 * sysexits(3) code: EX_USAGE (options), EX_CONFIG (credentials or config
 * edit), EX_NOPERM (refused consent or permission), EX_UNAVAILABLE (a
 * platform call failed or the token does not pass the check),
 * EX_TEMPFAIL (no redirect before the timeout), EX_CANTCREAT (files).
 */
int connect_run(const struct config *cfg, const struct connect_opts *o);

/* What a redirect carried. Strings owned by the struct (connect_callback_free). */
struct connect_callback {
	char *code;
	char *state;
	char *error;                /* "access_denied", ... or NULL */
	char *error_description;
};

/*
 * Parse the redirect: a whole URL, a "/callback?..." request target or a
 * bare query. Returns 1 with cb->code set when a code came with the
 * expected state, 0 when the platform sent an error (cb->error set), -2
 * with err set when the address has neither, -1 with err set when its
 * state is not want_state (an old or foreign answer).
 */
int connect_parse_callback(const char *s, const char *want_state,
			   struct connect_callback *cb, struct err *err);
void connect_callback_free(struct connect_callback *cb);

/* One `key = "value";` to put in an account group. */
struct connect_kv {
	const char *key;
	const char *value;
};

/*
 * Edit the text of a libconfig file: with line > 0, set the keys in the
 * account group that starts on that line (replacing a key's value where it
 * is, adding missing keys before the group's closing brace); with line 0,
 * add a new group with the keys to the top-level `accounts` list (creating
 * the list at the end when there is none). Everything else - comments,
 * layout, other settings - is kept byte for byte. Returns 0 with *out (the
 * new text, caller frees), or -1 with err set when the structure cannot be
 * found.
 */
int connect_config_edit(const char *text, int line, const struct connect_kv *kv,
			size_t n, char **out, struct err *err);

/* base64url(SHA-256(verifier)) without padding into out (44 bytes). */
int connect_pkce_challenge(const char *verifier, char *out, size_t n);

#endif
