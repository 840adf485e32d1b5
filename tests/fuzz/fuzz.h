/*
 * fuzz.h - helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * Every target is one fuzz_<name>.c defining LLVMFuzzerTestOneInput; they
 * all link fuzz_common.c, which holds:
 *  - FZ_CHECK, an invariant check that prints what broke and abort()s, so
 *    libFuzzer records the input as a crash;
 *  - small string helpers (a NUL-terminated copy of the input, splitting
 *    it into fields at separator lines);
 *  - a scripted HTTP layer for the publisher targets: http_perform is
 *    replaced at link time (-Wl,--wrap=http_perform) by one that answers
 *    from a script parsed out of the fuzz input, and checks every request
 *    the publisher makes (the token only in the Authorization header and
 *    only to an allowed host, committing() before the call that makes a
 *    post visible);
 *  - a publisher driver (fz_publisher_run) with an in-memory save/load
 *    store, that runs publish/reconcile/check/maintain and checks the
 *    result against publisher.h.
 *
 * Nothing here is part of ritual; the harness only reads project headers.
 */
#ifndef RITUAL_FUZZ_H
#define RITUAL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ritual/config.h"
#include "ritual/http.h"
#include "ritual/publisher.h"

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/* abort() with a message when cond is false: libFuzzer saves the input. */
#define FZ_CHECK(cond, ...)                                                   \
	do {                                                                  \
		if (!(cond))                                                  \
			fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);      \
	} while (0)

/* A NUL-terminated copy of the input (which may hold NULs itself: C
 * string functions then see its first part). Caller frees. */
char *fz_cstr(const uint8_t *data, size_t size);

/* 1 if a NUL occurs in the first cap bytes of buf (a fixed array filled
 * by the code under test is a proper C string). */
int fz_terminated(const char *buf, size_t cap);
#define FZ_TERMINATED(arr) fz_terminated((arr), sizeof(arr))

/* Split s in place at lines equal to sep (e.g. "----"); at most max parts;
 * returns the number of parts (>= 1). */
size_t fz_split(char *s, const char *sep, char **parts, size_t max);

/* Byte search (no libc interception, so libFuzzer does not learn needle
 * from our own checks). */
int fz_contains(const void *hay, size_t hlen, const char *needle);

/* A private folder for the process, created on first use under /dev/shm,
 * else $TMPDIR, else /tmp, and removed at exit (files directly inside it
 * only). */
const char *fz_tmpdir(void);
/* Write data to fz_tmpdir()/name with mode; returns the full path
 * (static buffer, valid until the next call). */
const char *fz_write_file(const char *name, const void *data, size_t len,
			  unsigned mode);

/* ---- scripted HTTP responses ---- */

/*
 * A script is text:
 *
 *   op publish            directives, one a line, before the first ">>>"
 *   image jpeg
 *   set container_id=17889455560051444
 *   >>> 200               a response: a status, or "fail not-sent",
 *   x-app-usage: {...}    "fail no-response", "fail too-large"; then
 *                         header lines up to a blank line,
 *   {"id":"1"}            then the body, up to the next ">>>" line
 *
 * Directives (all optional): op publish|reconcile|check|maintain;
 * rounds N (publish again after PUB_WAIT, at most 6); image none|jpeg|png;
 * text ...; alt ...; link ...; member (LinkedIn author is a person);
 * login instagram; media none; mediafail; set KEY=VALUE; savefail N (the
 * Nth save fails); commitfail; tokenfail; tokenage DAYS; commit_at N.
 */
#define FZ_MAX_RESP 16
#define FZ_MAX_HDRS 8
#define FZ_MAX_SETS 8

struct fz_resp {
	long status;
	enum http_fail fail;      /* HTTP_OK, or the failure to simulate */
	const char *hname[FZ_MAX_HDRS], *hvalue[FZ_MAX_HDRS];
	size_t nh;
	const char *body;         /* points into the script's text */
	size_t body_len;
};

struct fz_script {
	char *text;               /* owned copy of the input */
	char op[16];
	int rounds;
	int image;                /* 0 none, 1 jpeg, 2 png */
	const char *job_text, *alt, *link;
	int member, ig_login_instagram, media_none, media_fail;
	const char *set_key[FZ_MAX_SETS], *set_val[FZ_MAX_SETS];
	size_t nsets;
	int savefail, commitfail, tokenfail;
	long tokenage_days;
	long long commit_at;
	struct fz_resp resp[FZ_MAX_RESP];
	size_t nresp;
};

void fz_script_parse(const uint8_t *data, size_t size, struct fz_script *s);
void fz_script_free(struct fz_script *s);
/* A freshly allocated http_response for response i (release with
 * http_response_free). Returns 0, or -1 for a simulated failure. */
int fz_make_response(const struct fz_resp *r, struct http_response *out);

/* The fixed configuration and accounts the publisher targets use. */
extern struct config fz_cfg;
#define FZ_TOKEN "EAAGfuzzSECRETtoken7f3a9c"
#define FZ_NOW ((time_t)1772000000)   /* 2026-02-25 06:13:20 UTC */
const struct account *fz_account(enum network net, int member_or_iglogin);
/* A pub_ctx on fz_cfg for net, with no callbacks (for calling the pure
 * classifiers directly). */
struct pub_ctx fz_plain_ctx(enum network net);

/* Check a pub_result the way publisher.h describes it. op: "publish",
 * "reconcile", or NULL for a classifier's result; now: the ctx's clock.
 * input: the fuzz input
 * (a token the input itself holds is not a leak). */
void fz_check_result(const struct pub_result *res, enum network net,
		     const char *op, time_t now, const uint8_t *input, size_t size);

/* Run the publisher for net over the script in data. */
void fz_publisher_run(enum network net, const uint8_t *data, size_t size);

#endif
