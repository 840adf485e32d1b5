/*
 * http.c - the only user of libcurl.
 *
 * Owns curl's global state, one reusable easy handle per client (so that
 * ordinary requests may reuse a connection), and the safety rules listed
 * in http.h. Knows no API: publishers build requests and read responses.
 *
 * Requests are synchronous (curl_easy_perform): ritual publishes a handful
 * of posts a day, one at a time, and a publish must finish or be known
 * unfinished before the next state change is recorded. Every transfer is
 * bounded by connect and total timeouts and by the abort callback.
 */
#include "ritual/http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

/* What the Date header of a host's newest answer said of its clock. */
struct http_clock {
	char *host;
	long offset;                /* the host's clock less ours, seconds */
};

struct http_client {
	CURL *easy;
	struct http_options opt;
	char *user_agent;
	struct http_clock *clocks;
	size_t nclocks;
	long commit_status;         /* see http_commit_status() */
};

int http_global_init(struct err *err)
{
	/* libcurl copies the Authorization header, form bodies and S3 keys
	 * into buffers of its own: every block it frees is wiped first. */
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, free_wiped,
				 realloc_wiped, strdup,
				 calloc) != CURLE_OK)
		return err_set(err, "cannot initialise libcurl");
	return 0;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

int http_client_new(const struct http_options *opt, struct http_client **out,
		    struct err *err)
{
	struct http_client *c = xcalloc(1, sizeof(*c));
	c->easy = curl_easy_init();
	if (!c->easy) {
		free(c);
		return err_set(err, "cannot create a libcurl handle");
	}
	c->opt = *opt;
	c->user_agent = xstrdup(opt->user_agent ? opt->user_agent : "ritual");
	c->opt.user_agent = c->user_agent;
	c->commit_status = -1;
	*out = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->easy);
	free(c->user_agent);
	for (size_t i = 0; i < c->nclocks; i++)
		free(c->clocks[i].host);
	free(c->clocks);
	free(c);
}

char *http_url_host(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *out = NULL;
	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		out = xstrdup(host);
	curl_free(host);
	curl_url_cleanup(u);
	return out;
}

int http_url_allowed(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ok = 0;
	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (strcmp(scheme, "https") == 0)
		ok = 1;
	else if (strcmp(scheme, "http") == 0 && host_is_loopback(host, strlen(host)))
		ok = 1;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

struct xfer {
	struct http_client *c;
	struct http_response *resp;
	struct buf body;
	int too_large;
	int aborted;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	if (x->c->opt.max_response > 0 &&
	    x->body.len + n > (size_t)x->c->opt.max_response) {
		x->too_large = 1;
		return 0;  /* makes curl fail with CURLE_WRITE_ERROR */
	}
	buf_append(&x->body, data, n);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	struct http_response *r = x->resp;
	/* A new status line (e.g. after "100 Continue") starts a new set. */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		for (size_t i = 0; i < r->nheaders; i++) {
			free(r->headers[i].name);
			free(r->headers[i].value);
		}
		r->nheaders = 0;
		return n;
	}
	const char *colon = memchr(data, ':', n);
	if (!colon || r->nheaders >= 200)
		return n;
	size_t nl = (size_t)(colon - data);
	const char *v = colon + 1;
	size_t vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
		vl--;
	r->headers = xrealloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
	struct http_header *h = &r->headers[r->nheaders++];
	h->name = xstrndup(data, nl);
	for (char *p = h->name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	h->value = xstrndup(v, vl);
	return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	struct xfer *x = ud;
	if (x->c->opt.abort_cb && x->c->opt.abort_cb(x->c->opt.abort_ud)) {
		x->aborted = 1;
		return 1;
	}
	return 0;
}

/* SigV4 requests: keep the SignedHeaders list of the request headers
 * libcurl sent (nothing else of them: the signature stays here). */
static int on_debug(CURL *e, curl_infotype type, char *data, size_t n,
		    void *ud)
{
	(void)e;
	struct xfer *x = ud;
	static const char key[] = "SignedHeaders=";
	if (type != CURLINFO_HEADER_OUT)
		return 0;
	for (size_t i = 0; i + sizeof(key) - 1 <= n; i++) {
		if (memcmp(data + i, key, sizeof(key) - 1) != 0)
			continue;
		const char *v = data + i + sizeof(key) - 1;
		size_t vl = 0;
		while (v + vl < data + n && v[vl] != ',' && v[vl] != '\r' &&
		       v[vl] != '\n' && v[vl] != ' ')
			vl++;
		snprintf(x->resp->signed_headers,
			 sizeof(x->resp->signed_headers), "%.*s", (int)vl, v);
		break;
	}
	return 0;
}

char *http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, (int)strlen(s));
	if (!e)
		abort();
	char *r = xstrdup(e);
	curl_free(e);
	return r;
}

char *http_form_encode(const struct http_part *form, size_t n)
{
	struct buf b = {0};
	for (size_t i = 0; i < n; i++) {
		char *k = http_escape(form[i].name);
		char *v = http_escape(form[i].value ? form[i].value : "");
		buf_printf(&b, "%s%s=%s", i ? "&" : "", k, v);
		free(k);
		free(v);
	}
	return buf_steal(&b);
}

char *http_redact_url(const char *url)
{
	static const char *const secret[] = {
		"access_token=", "client_secret=", "token=", "refresh_token=",
		"code=", "input_token=", "fb_exchange_token=", "X-Amz-Signature=",
		"appsecret_proof=",
	};
	struct buf b = {0};
	const char *q = strchr(url, '?');
	if (!q)
		return xstrdup(url);
	buf_append(&b, url, (size_t)(q - url) + 1);
	const char *p = q + 1;
	while (*p) {
		size_t len = strcspn(p, "&#");
		int hidden = 0;
		for (size_t i = 0; i < RT_ARRAY_LEN(secret); i++) {
			size_t sl = strlen(secret[i]);
			if (len >= sl && strncasecmp(p, secret[i], sl) == 0) {
				buf_append(&b, p, sl);
				buf_puts(&b, "REDACTED");
				hidden = 1;
				break;
			}
		}
		if (!hidden)
			buf_append(&b, p, len);
		p += len;
		if (*p == '#') {
			buf_puts(&b, p);
			break;
		}
		if (*p == '&') {
			buf_putc(&b, '&');
			p++;
		}
	}
	return buf_steal(&b);
}

static void fail_with(struct http_response *r, enum http_fail f,
		      const char *msg)
{
	r->fail = f;
	snprintf(r->error, sizeof(r->error), "%s", msg);
}

/* Whether a failed transfer certainly never handed the request to the
 * server: name resolution, TCP connect or the TLS handshake failed. */
static int request_not_sent(CURL *e, CURLcode cc)
{
	curl_off_t connected = 0, pretransfer = 0;
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return 1;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connected);
		curl_easy_getinfo(e, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
		return connected == 0 || pretransfer == 0;
	default:
		return 0;
	}
}

/* The clock kept for host, or NULL. */
static struct http_clock *find_clock(const struct http_client *c,
				     const char *host)
{
	for (size_t i = 0; i < c->nclocks; i++)
		if (strcmp(c->clocks[i].host, host) == 0)
			return &c->clocks[i];
	return NULL;
}

/* Remember the offset of the answering host's clock from its Date header
 * (RFC 9110 §6.6.1: the server's time when it made the answer). */
static void clock_note(struct http_client *c, const char *url,
		       const struct http_response *resp)
{
	const char *date = http_header(resp, "date");
	if (!date)
		return;
	time_t t = curl_getdate(date, NULL);
	if (t <= 0)
		return;
	char *host = http_url_host(url);
	if (!host)
		return;
	long offset = (long)(t - time(NULL));
	struct http_clock *k = find_clock(c, host);
	if (k) {
		k->offset = offset;
		free(host);
		return;
	}
	c->clocks = xrealloc(c->clocks, (c->nclocks + 1) * sizeof(*c->clocks));
	c->clocks[c->nclocks++] = (struct http_clock){.host = host, .offset = offset};
}

int http_clock_offset(const struct http_client *c, const char *url,
		      long *offset)
{
	if (!c)
		return 0;
	char *host = http_url_host(url);
	const struct http_clock *k = host ? find_clock(c, host) : NULL;
	if (k)
		*offset = k->offset;
	free(host);
	return k != NULL;
}

void http_commit_reset(struct http_client *c)
{
	if (c)
		c->commit_status = -1;
}

long http_commit_status(const struct http_client *c)
{
	return c ? c->commit_status : -1;
}

int http_perform(struct http_client *c, const struct http_request *req,
		 struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	struct xfer x = {.c = c, .resp = resp};
	struct curl_slist *hdrs = NULL;
	curl_mime *mime = NULL;
	char *auth = NULL, *form = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	int rc = -1;

	if (!http_url_allowed(req->url)) {
		char *red = http_redact_url(req->url);
		char *msg = xasprintf("refused to send to %s: only https:// (or "
				      "http:// to 127.0.0.1 for tests) is allowed",
				      red);
		fail_with(resp, HTTP_NOT_SENT, msg);
		free(msg);
		free(red);
		resp->body = xstrdup("");
		return -1;
	}

	CURL *e = c->easy;
	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->opt.connect_timeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT,
			 req->timeout > 0 ? req->timeout : c->opt.timeout);
	curl_easy_setopt(e, CURLOPT_USERAGENT, c->opt.user_agent);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	/* libcurl re-sends a request by itself when a reused keep-alive
	 * connection turns out dead. Harmless for a GET; for anything that
	 * changes something (a post, a container, an upload) it is a second
	 * request nobody asked for. So those get a connection of their own. */
	if (req->commit || (strcmp(req->method, "GET") != 0 &&
			    strcmp(req->method, "HEAD") != 0)) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
	/* No "Expect: 100-continue" round trip: it adds a second a request
	 * on some servers and changes nothing for us. A SigV4 request gets
	 * no blank "Expect:" line: libcurl before 8.3.0 signs the headers
	 * the caller removes (curl issue #11664), so a real S3 server
	 * rebuilds another canonical request and answers 403
	 * SignatureDoesNotMatch. There, curl may send its own
	 * "Expect: 100-continue" (bodies over 1 MiB; added after signing,
	 * never signed) and a zero timeout sends the body at once. */
	if (req->aws_sigv4)
		curl_easy_setopt(e, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
	else
		hdrs = curl_slist_append(hdrs, "Expect:");
	if (req->bearer) {
		auth = xasprintf("Authorization: Bearer %s", req->bearer);
		hdrs = curl_slist_append(hdrs, auth);
	}
	for (const char *const *h = req->headers; h && *h; h++)
		hdrs = curl_slist_append(hdrs, *h);

	if (req->nparts) {
		mime = curl_mime_init(e);
		for (size_t i = 0; i < req->nparts; i++) {
			const struct http_part *p = &req->parts[i];
			curl_mimepart *mp = curl_mime_addpart(mime);
			curl_mime_name(mp, p->name);
			curl_mime_data(mp, p->value,
				       p->value_len ? p->value_len : strlen(p->value));
			if (p->filename)
				curl_mime_filename(mp, p->filename);
			if (p->content_type)
				curl_mime_type(mp, p->content_type);
		}
		curl_easy_setopt(e, CURLOPT_MIMEPOST, mime);
	} else if (req->nform) {
		form = http_form_encode(req->form, req->nform);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, form);
		hdrs = curl_slist_append(hdrs,
			"Content-Type: application/x-www-form-urlencoded");
	} else if (req->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)req->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body);
		if (req->content_type) {
			char *ct = xasprintf("Content-Type: %s", req->content_type);
			hdrs = curl_slist_append(hdrs, ct);
			free(ct);
		}
	}
	if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "POST") == 0) {
		if (!req->nparts && !req->nform && !req->body) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		}
	} else {
		if (!req->nparts && !req->nform && !req->body &&
		    strcmp(req->method, "PUT") == 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
			curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		}
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (req->aws_sigv4) {
		curl_easy_setopt(e, CURLOPT_AWS_SIGV4, req->aws_sigv4);
		curl_easy_setopt(e, CURLOPT_USERPWD, req->aws_credentials);
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(e, CURLOPT_DEBUGDATA, &x);
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);

	CURLcode cc = curl_easy_perform(e);
	long status = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &resp->seconds);
	resp->status = status;
	resp->body_len = x.body.len;
	resp->body = buf_steal(&x.body);

	if (cc == CURLE_OK) {
		resp->fail = HTTP_OK;
		rc = 0;
		clock_note(c, req->url, resp);
	} else if (x.too_large) {
		char msg[80];
		snprintf(msg, sizeof(msg), "the response was larger than %ld bytes",
			 c->opt.max_response);
		fail_with(resp, HTTP_TOO_LARGE, msg);
	} else if (request_not_sent(e, cc)) {
		fail_with(resp, HTTP_NOT_SENT,
			  errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else {
		fail_with(resp, HTTP_NO_RESPONSE,
			  x.aborted ? "aborted (shutting down)"
				    : errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	if (req->commit)
		c->commit_status = rc == 0 ? status
				 : resp->fail == HTTP_NOT_SENT ? -1 : 0;
	/* The bearer header, S3 credentials and errbuf must not outlive
	 * this call. */
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(e, CURLOPT_USERPWD, NULL);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);  /* curl's free: wiped, see http_global_init */
	curl_mime_free(mime);
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	if (form)
		explicit_bzero(form, strlen(form));
	free(form);
	return rc;
}

void http_response_free(struct http_response *resp)
{
	/* A body may carry a token (Instagram's refresh answer). */
	if (resp->body)
		explicit_bzero(resp->body, resp->body_len);
	free(resp->body);
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->headers[i].name);
		free(resp->headers[i].value);
	}
	free(resp->headers);
	memset(resp, 0, sizeof(*resp));
}

const char *http_header(const struct http_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (str_casecmp_ascii(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}
