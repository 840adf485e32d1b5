/*
 * http.c - the only user of libcurl.
 *
 * Owns curl's global state, the multi handle of the daemon's loop, one
 * easy handle per request, and the safety rules listed in http.h. Knows
 * no API: publishers build requests and read responses.
 *
 * A request is synchronous for its caller either way: curl_easy_perform
 * outside a task; inside one, the transfer goes to the root's multi handle
 * and the task is suspended until it is done, so that a publish still
 * finishes, or is known unfinished, before its next state change is
 * recorded, while other deliveries' requests are in flight meanwhile.
 * Every transfer is bounded by connect and total timeouts and by the
 * abort callback.
 */
#include "ritual/http.h"

#include <ctype.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "ritual/task.h"

/* What the Date header of a host's newest answer said of its clock. */
struct http_clock {
	char *host;
	long offset;                /* the host's clock less ours, seconds */
};

struct xfer;

/* The event-driven side: one libcurl multi handle, the sockets it asked
 * us to watch and when it wants to be called back (http_multi_enable). */
struct http_multi {
	CURLM *multi;
	struct pollfd *fds;         /* curl's sockets, with the events it wants */
	size_t nfds, capfds;
	long long timer_at;         /* CLOCK_MONOTONIC ms; -1: no timer */
	struct xfer *flying;        /* transfers added and not finished */
};

struct http_client {
	struct http_options opt;
	char *user_agent;
	struct http_clock *clocks;  /* kept in the root only */
	size_t nclocks;
	long commit_status;         /* see http_commit_status() */
	struct http_client *root;   /* itself, or the client a child shares */
	struct http_multi *multi;   /* the root's; NULL: synchronous only */
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
	(void)err;
	struct http_client *c = xcalloc(1, sizeof(*c));
	c->opt = *opt;
	c->user_agent = xstrdup(opt->user_agent ? opt->user_agent : "ritual");
	c->opt.user_agent = c->user_agent;
	c->commit_status = -1;
	c->root = c;
	*out = c;
	return 0;
}

int http_client_child(struct http_client *parent, struct http_client **out,
		      struct err *err)
{
	struct http_client *root = parent->root;
	if (http_client_new(&root->opt, out, err) < 0)
		return -1;
	(*out)->root = root;
	return 0;
}

static void multi_free(struct http_multi *m);
static void multi_abort_all(struct http_multi *m);

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	if (c->root == c)
		multi_free(c->multi);
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
	/* On the multi handle: */
	CURL *easy;
	struct task *task;          /* suspended until done */
	int done;
	CURLcode cc;
	struct xfer *next;          /* http_multi.flying */
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
	case CURLE_FAILED_INIT:          /* the multi handle refused it */
		return 1;
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_ABORTED_BY_CALLBACK:  /* maybe still waiting for a connection */
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
	long offset = (long)(t - wall_now());
	c = c->root;
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
	const struct http_clock *k = host ? find_clock(c->root, host) : NULL;
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

/* ---- the multi handle: many requests in flight from one loop ---- */

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libcurl tells which sockets to watch for what (CURLMOPT_SOCKETFUNCTION). */
static int on_socket(CURL *e, curl_socket_t s, int what, void *userp,
		     void *socketp)
{
	(void)e, (void)socketp;
	struct http_multi *m = userp;
	size_t i = 0;
	while (i < m->nfds && m->fds[i].fd != s)
		i++;
	if (what == CURL_POLL_REMOVE) {
		if (i < m->nfds)
			m->fds[i] = m->fds[--m->nfds];
		return 0;
	}
	if (i == m->nfds) {
		if (m->nfds == m->capfds) {
			m->capfds = m->capfds ? m->capfds * 2 : 16;
			m->fds = xrealloc(m->fds, m->capfds * sizeof(*m->fds));
		}
		m->nfds++;
	}
	m->fds[i].fd = s;
	m->fds[i].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
				   ((what & CURL_POLL_OUT) ? POLLOUT : 0));
	m->fds[i].revents = 0;
	return 0;
}

/* ... and when to call it back without socket activity. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct http_multi *m = userp;
	m->timer_at = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
	return 0;
}

static void multi_free(struct http_multi *m)
{
	if (!m)
		return;
	multi_abort_all(m);
	curl_multi_cleanup(m->multi);
	free(m->fds);
	free(m);
}

/* Hand e to the multi handle and suspend the task until it is done. */
static CURLcode multi_perform(struct http_multi *m, CURL *e, struct xfer *x)
{
	x->easy = e;
	x->task = task_current();
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(m->multi, e) != CURLM_OK)
		return CURLE_FAILED_INIT;
	x->next = m->flying;
	m->flying = x;
	while (!x->done)
		task_yield();
	return x->cc;
}

/* Take x off the multi handle, finished with cc, and wake its task. */
static void multi_done(struct http_multi *m, struct xfer *x, CURLcode cc)
{
	for (struct xfer **p = &m->flying; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			break;
		}
	curl_multi_remove_handle(m->multi, x->easy);
	x->cc = cc;
	x->done = 1;
	task_wake(x->task);
}

int http_multi_enable(struct http_client *c, long max_in_flight,
		      long max_per_host, struct err *err)
{
	if (c->root != c)
		return err_set(err, "a child client shares its root's multi handle");
	if (c->multi)
		return 0;
	struct http_multi *m = xcalloc(1, sizeof(*m));
	m->timer_at = -1;
	if (!(m->multi = curl_multi_init())) {
		free(m);
		return err_set(err, "cannot create a libcurl multi handle");
	}
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m->multi, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(m->multi, CURLMOPT_TIMERDATA, m);
	if (max_in_flight > 0)
		curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
				  max_in_flight);
	if (max_per_host > 0)
		curl_multi_setopt(m->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
				  max_per_host);
	c->multi = m;
	return 0;
}

const struct pollfd *http_multi_fds(const struct http_client *c, size_t *n)
{
	const struct http_multi *m = c ? c->root->multi : NULL;
	*n = m ? m->nfds : 0;
	return m ? m->fds : NULL;
}

long http_multi_timeout(const struct http_client *c)
{
	const struct http_multi *m = c ? c->root->multi : NULL;
	if (!m || m->timer_at < 0)
		return -1;
	long long left = m->timer_at - mono_ms();
	return left < 0 ? 0 : left > 60000 ? 60000 : (long)left;
}

void http_multi_run(struct http_client *c, const struct pollfd *fds, size_t n)
{
	struct http_multi *m = c ? c->root->multi : NULL;
	int running = 0;
	if (!m)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		int ev = ((fds[i].revents & POLLIN) ? CURL_CSELECT_IN : 0) |
			 ((fds[i].revents & POLLOUT) ? CURL_CSELECT_OUT : 0) |
			 ((fds[i].revents & (POLLERR | POLLHUP | POLLNVAL))
				  ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(m->multi, fds[i].fd, ev, &running);
	}
	if (m->timer_at >= 0 && mono_ms() >= m->timer_at) {
		m->timer_at = -1;
		curl_multi_socket_action(m->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		CURLcode cc = msg->data.result;   /* msg dies with the removal */
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x)
			multi_done(m, x, cc);
	}
}

void http_multi_abort(struct http_client *c)
{
	if (c && c->root->multi)
		multi_abort_all(c->root->multi);
}

static void multi_abort_all(struct http_multi *m)
{
	while (m->flying) {
		m->flying->aborted = 1;
		multi_done(m, m->flying, CURLE_ABORTED_BY_CALLBACK);
	}
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

	/* Every request gets a handle of its own, cleaned up after it: a
	 * handle kept for the next request kept this one's URL (a token in
	 * its query) and its buffers in memory until then, which may be
	 * days. Inside a task, connections are still reused through the
	 * multi handle's cache (never for a commit call, see below). */
	struct http_multi *m = task_current() ? c->root->multi : NULL;
	CURL *e = curl_easy_init();
	if (!e) {
		fail_with(resp, HTTP_NOT_SENT, "cannot create a libcurl handle");
		resp->body = xstrdup("");
		return -1;
	}
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

	CURLcode cc = m ? multi_perform(m, e, &x) : curl_easy_perform(e);
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
	curl_easy_cleanup(e);  /* its copies freed through free_wiped */
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
