/*
 * mediahost.h - putting an image where Meta can fetch it (Instagram).
 *
 * Instagram takes images only from a public HTTPS URL. Two backends, from
 * the config's media group:
 *   dir  - a folder that the owner's web server publishes at media.url;
 *          files are written atomically with mode 0644.
 *   s3   - an S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2,
 *          MinIO...), path-style PUT/DELETE signed with AWS SigV4 by
 *          libcurl; the objects must be publicly readable at media.url.
 * After every put the file is fetched back through its public URL (plain
 * GET, no credentials, the same way Meta will) and compared byte for byte;
 * any difference or error is reported before Meta is ever called.
 *
 * Names are unguessable: 128 random bits in hex plus the extension. The
 * caller chooses the name first (mediahost_name) and persists it, so that a
 * crash between put and publish leaves nothing untracked.
 *
 * Never logs or returns credentials. No SQL: the daemon tracks names.
 */
#ifndef RITUAL_MEDIAHOST_H
#define RITUAL_MEDIAHOST_H

#include <stddef.h>
#include "ritual/config.h"
#include "ritual/http.h"
#include "ritual/util.h"

struct mediahost;

/*
 * A host for cfg->media. *out = NULL (and 0 returned) when the config has
 * no media group. Reads the S3 key file (refusing a group/world-readable
 * one; "ACCESS_KEY:SECRET" on one line, or the two on two lines). http is
 * borrowed and must outlive the host.
 */
int mediahost_new(const struct config *cfg, struct http_client *http,
		  struct mediahost **out, struct err *err);
void mediahost_free(struct mediahost *h);

/* A new unguessable file name with ext ("jpg"): "ritual-" + 32 hex
 * characters + "." + ext. buf needs 41 + strlen(ext) bytes
 * (MEDIAHOST_NAME_SIZE fits any extension of up to 7 characters). If buf
 * is too small, or the system gives no random bytes, buf becomes "", a
 * name that mediahost_put refuses. */
#define MEDIAHOST_NAME_SIZE 48
void mediahost_name(const char *ext, char *buf, size_t len);

/* What mediahost_put, mediahost_remove and mediahost_check return instead
 * of -1 when S3 refused the configuration itself: SignatureDoesNotMatch,
 * InvalidAccessKeyId, AccessDenied, NoSuchBucket, or a wrong region
 * (AuthorizationHeaderMalformed, PermanentRedirect). The message says what
 * to fix in media.s3 or its key file; sending again cannot help. Every
 * other failure (5xx, SlowDown, timeouts, the fetch-back) is -1. */
#define MEDIAHOST_CONFIG (-2)

/* Store data under name, then fetch it back through the public URL and
 * compare. *url (caller frees) is the public URL. Messages say which step
 * failed (writing the folder, the S3 PUT with its HTTP status and S3 error
 * code, the public fetch with its status) and what to check.
 * name must be letters, digits, '.', '_' and '-' (no leading dot). url may
 * be NULL; on failure *url is NULL. When the fetch-back fails the file
 * stays stored (the caller tracks the name and removes it). The fetch-back
 * also requires the served Content-Type to be mime (when mime is set). */
int mediahost_put(struct mediahost *h, const char *name, const void *data,
		  size_t len, const char *mime, char **url, struct err *err);

/* Delete name (a missing file is not an error). */
int mediahost_remove(struct mediahost *h, const char *name, struct err *err);

/* Round trip of a tiny file (put, fetch back, remove), for
 * `ritual check --online`. On failure the message names the step (1 of 3
 * store, 2 of 3 fetch back, 3 of 3 remove) and the test file is removed
 * whenever it was stored. On success err->msg holds a one-line summary of
 * the steps, to print. */
int mediahost_check(struct mediahost *h, struct err *err);

/* The public URL of name (caller frees). */
char *mediahost_url(const struct mediahost *h, const char *name);

#endif
