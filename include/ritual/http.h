/*
 * http.h - libcurl with safe defaults, for the publishers.
 *
 * Every request: HTTPS only (plain http only to a loopback host, for
 * tests), certificate verification on, no redirects followed, connect and
 * total timeouts, a cap on the response size, headers captured. A token is
 * passed as `bearer` and sent only in the Authorization header; URLs are
 * logged through http_redact_url. Every request that changes something
 * (anything but GET and HEAD, and any "commit" request: the one that makes
 * a post visible) uses a fresh connection that is closed afterwards, so
 * libcurl never replays it on a dead reused connection. Each request has
 * a libcurl handle of its own, cleaned up (and so wiped, see
 * http_global_init) when the call returns, so that no copy of a URL or
 * header outlives it; connections are reused only among requests made
 * inside tasks, through the multi handle's cache.
 *
 * Requests are bounded by the timeouts; an abort callback (checked at
 * least once a second) lets the daemon cut a transfer short on shutdown.
 * Outside a task (task.h) a request is synchronous (curl_easy_perform).
 * Inside a task, on a client whose root has a multi handle
 * (http_multi_enable), http_perform hands the request to that one libcurl
 * multi handle and suspends the task until the answer is in: the caller
 * still sees a plain synchronous call, while the daemon's loop polls
 * curl's sockets (http_multi_fds) and timer (http_multi_timeout) next to
 * its own and drives every transfer in flight (http_multi_run). Only this
 * part includes curl/curl.h. No knowledge of any API.
 */
#ifndef RITUAL_HTTP_H
#define RITUAL_HTTP_H

#include <stddef.h>
#include "ritual/util.h"

/* Call once per process before any other http_* function. */
int http_global_init(struct err *err);
void http_global_cleanup(void);

struct http_options {
	long connect_timeout;       /* seconds */
	long timeout;               /* seconds, whole transfer */
	long max_response;          /* bytes of body kept; more is an error */
	const char *user_agent;     /* may be NULL */
	/* Return non-zero to abort the transfer in progress. May be NULL. */
	int (*abort_cb)(void *ud);
	void *abort_ud;
};

struct http_client;
int http_client_new(const struct http_options *opt, struct http_client **out,
		    struct err *err);
/* A client for one task (one delivery) that shares parent's options, its
 * multi handle and its knowledge of the hosts' clocks, and keeps its own
 * commit status (http_commit_status). Free it (http_client_free) before
 * its root. */
int http_client_child(struct http_client *parent, struct http_client **out,
		      struct err *err);
/* Free c; a root with a multi handle first ends every transfer still in
 * flight as aborted (their tasks are woken, not resumed). NULL ignored. */
void http_client_free(struct http_client *c);

/*
 * The event-driven side, used by rituald's loop. http_multi_enable gives
 * root c a libcurl multi handle: at most max_in_flight connections in all
 * and max_per_host to one host (0: libcurl's default, no limit); a request
 * over either limit waits inside libcurl for a connection. Returns -1 with
 * err set when libcurl cannot make the handle.
 */
int http_multi_enable(struct http_client *c, long max_in_flight,
		      long max_per_host, struct err *err);
struct pollfd;
/* curl's sockets with the events it waits for, *n of them (borrowed:
 * valid until the next call into libcurl; copy them into the poll set). */
const struct pollfd *http_multi_fds(const struct http_client *c, size_t *n);
/* Milliseconds until curl wants to be called without socket activity
 * (0: now; -1: never), at most 60,000. */
long http_multi_timeout(const struct http_client *c);
/* After poll(): act on the ready ones of fds (a copy of what
 * http_multi_fds gave, with revents set) and on curl's timer; every
 * transfer that finished wakes its task (task_wake). */
void http_multi_run(struct http_client *c, const struct pollfd *fds, size_t n);
/* End every transfer in flight at once, as aborted ("aborted (shutting
 * down)", HTTP_NO_RESPONSE), waking their tasks. */
void http_multi_abort(struct http_client *c);

/* A form field (urlencoded or multipart). For a multipart file part set
 * filename and content_type; value may hold binary data with value_len. */
struct http_part {
	const char *name;
	const char *value;
	size_t value_len;           /* 0 = strlen(value) */
	const char *filename;       /* multipart file part, else NULL */
	const char *content_type;   /* multipart file part, else NULL */
};

struct http_request {
	const char *method;         /* "GET", "POST", "PUT", "DELETE", "HEAD" */
	const char *url;
	const char *bearer;         /* token for "Authorization: Bearer", or NULL */
	const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
	/* One body kind at most: */
	const char *content_type;   /* raw body */
	const void *body;
	size_t body_len;
	const struct http_part *form;    /* application/x-www-form-urlencoded */
	size_t nform;
	const struct http_part *parts;   /* multipart/form-data */
	size_t nparts;
	/* AWS SigV4 (S3): "aws:amz:REGION:s3" and "ACCESS:SECRET", or NULL.
	 * Then header lines that remove a header ("Name:") are dropped, since
	 * libcurl < 8.3 would sign them, and the body never waits for
	 * "100 Continue". */
	const char *aws_sigv4;
	const char *aws_credentials;
	int commit;                 /* fresh connection, closed after */
	long timeout;               /* seconds; 0 = the client's default */
};

enum http_fail {
	HTTP_OK = 0,        /* a complete response arrived (any status) */
	HTTP_NOT_SENT,      /* refused before anything was sent: bad URL, DNS,
			     * connection refused; safe to retry any request */
	HTTP_NO_RESPONSE,   /* sent (or possibly sent), but no complete
			     * response: timeout, reset, TLS error mid-way,
			     * aborted: the server may have acted */
	HTTP_TOO_LARGE      /* the response exceeded max_response */
};

struct http_header {
	char *name;                 /* lower-case */
	char *value;
};

struct http_response {
	long status;                /* 0 when no response */
	char *body;                 /* NUL-terminated; never NULL after perform */
	size_t body_len;
	struct http_header *headers;
	size_t nheaders;
	enum http_fail fail;
	char error[256];            /* transport error, for humans */
	double seconds;             /* total time */
	char signed_headers[256];   /* SigV4: the SignedHeaders list sent
				     * ("host;x-amz-date"), else "" */
};

/*
 * Perform req. Returns 0 when a complete response arrived (fail ==
 * HTTP_OK, whatever the status), -1 otherwise with resp->fail and
 * resp->error set. resp must be released with http_response_free either way.
 */
int http_perform(struct http_client *c, const struct http_request *req,
		 struct http_response *resp);
void http_response_free(struct http_response *resp);

/* The first header with that name (case-insensitive), or NULL. */
const char *http_header(const struct http_response *resp, const char *name);

/*
 * The clock of the host that url names, less ours, in seconds (rounded
 * down: the Date header has a resolution of one second), from the Date
 * header of that host's newest complete answer to this client. Returns 1
 * with *offset set, 0 when no answer from that host carried a Date.
 */
int http_clock_offset(const struct http_client *c, const char *url,
		      long *offset);

/* What became of the newest request sent with commit = 1 since the last
 * http_commit_reset() (or since the client was made): -1 = none was sent
 * (or it was refused before anything left: HTTP_NOT_SENT), 0 = it was sent but no complete answer came (timeout, reset, abort),
 * otherwise the answer's HTTP status. The daemon reads it after each
 * publish step, to apply the one rule for answers to a commit call. */
void http_commit_reset(struct http_client *c);
long http_commit_status(const struct http_client *c);

/* Percent-encode s (RFC 3986 unreserved kept); caller frees. */
char *http_escape(const char *s);
/* "a=1&b=2" with every name and value escaped; caller frees. */
char *http_form_encode(const struct http_part *form, size_t n);
/* Copy of url with the values of access_token, client_secret, token,
 * refresh_token, code and X-Amz-Signature replaced by "REDACTED". */
char *http_redact_url(const char *url);
/* The host libcurl would connect to for url (caller frees), or NULL when
 * url does not parse as an absolute URL. */
char *http_url_host(const char *url);
/* Whether url is https, or http to a loopback host. */
int http_url_allowed(const char *url);

#endif
