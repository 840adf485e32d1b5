/*
 * connect.c - `ritual connect`: OAuth consent, code exchange, token file,
 * check, account block (include/ritual/connect.h; docs/<network>.md).
 *
 * Steps, each named in its errors: (1) authorize in a browser, (2) receive
 * the redirect (loopback listener or pasted address), (3) exchange the code
 * and find the page / Instagram account / author, (4) save the token, (5)
 * check it, (6) the account block. Never prints a token or secret.
 */
#include "ritual/connect.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ritual/http.h"
#include "ritual/publisher.h"
#include "ritual/schedule.h"
#include "ritual/store.h"
#include "net/instagram_internal.h"   /* ig_origin */
#include "net/meta.h"                 /* meta_appsecret_proof */

#define REQ_MAX 8192
#define CONN_WAIT_MS 3000     /* a connection that sends nothing (a browser's
			       * speculative one) is dropped after this */

/* ---- small helpers ---- */

int connect_pkce_challenge(const char *verifier, char *out, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (n < 44 || !EVP_Digest(verifier, strlen(verifier), md, &len,
				  EVP_sha256(), NULL) || len != 32)
		return -1;
	char *b = base64_encode(md, len, 1);
	snprintf(out, n, "%s", b);
	free(b);
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static char *url_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

void connect_callback_free(struct connect_callback *cb)
{
	if (cb->code) {
		explicit_bzero(cb->code, strlen(cb->code));
		free(cb->code);
	}
	free(cb->state);
	free(cb->error);
	free(cb->error_description);
	memset(cb, 0, sizeof(*cb));
}

int connect_parse_callback(const char *s, const char *want_state,
			   struct connect_callback *cb, struct err *err)
{
	memset(cb, 0, sizeof(*cb));
	const char *q = strchr(s, '?');
	q = q ? q + 1 : s;
	size_t end = strcspn(q, "# \t\r\n");
	for (const char *p = q; p < q + end;) {
		size_t len = strcspn(p, "&");
		if (p + len > q + end)
			len = (size_t)(q + end - p);
		const char *eq = memchr(p, '=', len);
		if (eq) {
			size_t kl = (size_t)(eq - p);
			char **dst = NULL;
			if (kl == 4 && strncmp(p, "code", 4) == 0)
				dst = &cb->code;
			else if (kl == 5 && strncmp(p, "state", 5) == 0)
				dst = &cb->state;
			else if (kl == 5 && strncmp(p, "error", 5) == 0)
				dst = &cb->error;
			else if (kl == 17 && strncmp(p, "error_description", 17) == 0)
				dst = &cb->error_description;
			if (dst && !*dst)
				*dst = url_decode(eq + 1, len - kl - 1);
		}
		p += len;
		if (*p == '&')
			p++;
	}
	if (!cb->code && !cb->error) {
		connect_callback_free(cb);
		err_set(err, "that address has no code: paste the whole address the "
			"browser ended on (it starts with http://localhost:PORT/callback?)");
		return -2;
	}
	if (!cb->state || strcmp(cb->state, want_state) != 0) {
		connect_callback_free(cb);
		err_set(err, "that address belongs to another attempt (its state does "
			"not match this one): use the address printed above");
		return -1;
	}
	if (cb->error)
		return 0;
	if (!*cb->code) {
		connect_callback_free(cb);
		err_set(err, "that address has an empty code");
		return -1;
	}
	return 1;
}

/* The path of url after its origin ("/v25.0"), or "". */
static const char *path_of(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return "";
	p += 3;
	p += strcspn(p, "/?#");
	return p;
}

/* ---- the session ---- */

struct session {
	const struct config *cfg;
	const struct connect_opts *o;
	const struct account *existing;
	struct http_client *http;
	enum network net;
	int ig_login;
	int member;
	char *name;
	char *token_file;
	char *api;
	char *app_id;
	char *secret_file;
	char *secret;
	char state[40];
	char verifier[64];
	char redirect[64];
	/* results */
	char *token;            /* the account's token */
	char *refresh_token;    /* linkedin, when the app has them */
	time_t expires;         /* 0 = no expiry date */
	time_t data_access;     /* Page token's data_access_expires_at; 0 = none said */
	int page_debugged;      /* debug_token answered for the Page token */
	char *page_id, *user_id, *author;
	char *what;             /* "page Wellness Rituals (1020...)" */
	char *scope_granted;
	char pending[256];      /* typed ahead after the pasted address */
};

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* A token as it arrives from the platform: a copy, registered with the
 * secret registry so that no message prints it (secret_scrub). */
static char *token_dup(const char *v)
{
	char *t = xstrdup(v ? v : "");
	secret_register(t);
	return t;
}

/* Forget a token_dup()ed token, then wipe and free it. */
static void token_free(char *t)
{
	if (t) {
		secret_forget(t);
		wipe_free(t);
	}
}

static void session_free(struct session *s)
{
	free(s->name);
	free(s->token_file);
	free(s->api);
	free(s->app_id);
	free(s->secret_file);
	secret_free(s->secret);
	token_free(s->token);
	token_free(s->refresh_token);
	free(s->page_id);
	free(s->user_id);
	free(s->author);
	free(s->what);
	free(s->scope_granted);
	explicit_bzero(s->verifier, sizeof(s->verifier));
}

static const char *net_title(const struct session *s)
{
	switch (s->net) {
	case NET_FACEBOOK: return "Facebook";
	case NET_INSTAGRAM: return "Instagram";
	default: return "LinkedIn";
	}
}

static const char *scopes_for(const struct session *s)
{
	if (s->net == NET_FACEBOOK)
		return "pages_show_list,pages_read_engagement,pages_manage_posts";
	if (s->net == NET_INSTAGRAM && !s->ig_login)
		return "pages_show_list,pages_read_engagement,instagram_basic,"
		       "instagram_content_publish";
	if (s->net == NET_INSTAGRAM)
		return "instagram_business_basic,instagram_business_content_publish";
	if (s->member)
		return "openid profile w_member_social";
	return "w_organization_social r_organization_social rw_organization_admin";
}

static const char *doc_for(const struct session *s)
{
	return s->net == NET_FACEBOOK ? "docs/facebook.md"
	       : s->net == NET_INSTAGRAM ? "docs/instagram.md" : "docs/linkedin.md";
}

/* Where the app's settings list permissions, for the fixes. */
static const char *where_scopes(const struct session *s)
{
	if (s->net == NET_LINKEDIN)
		return s->member ? "the app's Products tab: add \"Share on LinkedIn\" "
				   "and \"Sign In with LinkedIn using OpenID Connect\""
				 : "the app's Products tab: add \"Community "
				   "Management API\"";
	if (s->ig_login)
		return "the app's Instagram use case (API setup with Instagram login "
		       "-> permissions)";
	return "the app's use case \"Manage everything on your Page\" "
	       "(Customize -> permissions)";
}

/* Credentials of another account of the same app family. */
static const struct account *sibling(const struct session *s)
{
	for (size_t i = 0; i < s->cfg->naccounts; i++) {
		const struct account *a = &s->cfg->accounts[i];
		int same;
		if (s->net == NET_LINKEDIN)
			same = a->network == NET_LINKEDIN;
		else if (s->ig_login)
			same = a->network == NET_INSTAGRAM && a->login == IG_LOGIN_INSTAGRAM;
		else
			same = a->network == NET_FACEBOOK ||
			       (a->network == NET_INSTAGRAM && a->login != IG_LOGIN_INSTAGRAM);
		if (!same)
			continue;
		if (s->net == NET_LINKEDIN ? (a->client_id && a->client_secret_file)
					   : (a->app_id && a->app_secret_file))
			return a;
	}
	return NULL;
}

static int setup(struct session *s, const struct config *cfg,
		 const struct connect_opts *o)
{
	s->cfg = cfg;
	s->o = o;
	s->net = o->network;
	const struct account *ex = NULL;
	if (o->account) {
		ex = config_account(cfg, o->account);
		if (ex && ex->network != o->network) {
			fprintf(stderr, "ritual connect: account '%s' is a %s account, "
				"not %s\n", o->account, network_name(ex->network),
				network_name(o->network));
			return EX_USAGE;
		}
	} else {
		size_t n = 0;
		for (size_t i = 0; i < cfg->naccounts; i++)
			if (cfg->accounts[i].network == o->network) {
				ex = &cfg->accounts[i];
				n++;
			}
		if (n > 1) {
			fprintf(stderr, "ritual connect: %s has %zu %s accounts; say "
				"which with --account NAME\n", cfg->path, n,
				network_name(o->network));
			return EX_USAGE;
		}
	}
	s->existing = ex;
	s->name = xstrdup(ex ? ex->name : o->account ? o->account
						    : network_name(o->network));
	for (const char *p = s->name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
			fprintf(stderr, "ritual connect: account names are letters, "
				"digits, '_' and '-'\n");
			return EX_USAGE;
		}
	s->ig_login = ex ? ex->login == IG_LOGIN_INSTAGRAM : o->login_instagram;
	s->member = ex ? (ex->author && str_has_prefix(ex->author, "urn:li:person:"))
		       : o->member;
	if (ex) {
		s->api = xstrdup(ex->api);
	} else {
		s->api = xstrdup(s->net == NET_FACEBOOK ? cfg->api.graph
				 : s->net == NET_LINKEDIN ? cfg->api.linkedin
				 : s->ig_login ? cfg->api.instagram : cfg->api.graph);
	}
	if (ex)
		s->token_file = xstrdup(ex->token_file);
	else if (o->token_file)
		s->token_file = path_absolute(o->token_file);
	else {
		char *dir = path_dirname(cfg->path);
		s->token_file = xasprintf("%s/%s.token", dir, s->name);
		free(dir);
	}
	const struct account *sib = sibling(s);
	const char *id = o->app_id, *sf = o->secret_file;
	if (s->net == NET_LINKEDIN) {
		if (!id)
			id = ex && ex->client_id ? ex->client_id : sib ? sib->client_id : NULL;
		if (!sf)
			sf = ex && ex->client_secret_file ? ex->client_secret_file
			     : sib ? sib->client_secret_file : NULL;
	} else {
		if (!id)
			id = ex && ex->app_id ? ex->app_id : sib ? sib->app_id : NULL;
		if (!sf)
			sf = ex && ex->app_secret_file ? ex->app_secret_file
			     : sib ? sib->app_secret_file : NULL;
	}
	const char *kid = s->net == NET_LINKEDIN ? "client_id" : "app_id";
	if (!id || !sf) {
		fprintf(stderr, "ritual connect: step 0 (the app): no %s and %s for "
			"account '%s'. Create the app (%s), then give --%s ID and "
			"--%s FILE (the secret alone in a file, chmod 600), or add "
			"%s and %s to the account in %s\n", kid,
			s->net == NET_LINKEDIN ? "client_secret_file" : "app_secret_file",
			s->name, doc_for(s),
			s->net == NET_LINKEDIN ? "client-id" : "app-id",
			s->net == NET_LINKEDIN ? "client-secret-file" : "app-secret-file",
			kid, s->net == NET_LINKEDIN ? "client_secret_file" : "app_secret_file",
			cfg->path);
		return EX_CONFIG;
	}
	s->app_id = xstrdup(id);
	s->secret_file = path_absolute(sf);
	struct err err;
	if (read_secret_file(s->secret_file, &s->secret, &err) < 0) {
		fprintf(stderr, "ritual connect: step 0 (the app): %s\n", err.msg);
		return EX_CONFIG;
	}
	unsigned char rnd[32];
	if (random_bytes(rnd, 16) < 0)
		return EX_OSERR;
	hex_encode(rnd, 16, s->state);
	if (random_bytes(rnd, 32) < 0)
		return EX_OSERR;
	char *v = base64_encode(rnd, 32, 1);
	snprintf(s->verifier, sizeof(s->verifier), "%s", v);
	wipe_free(v);
	explicit_bzero(rnd, sizeof(rnd));
	snprintf(s->redirect, sizeof(s->redirect), "http://localhost:%d/callback",
		 o->port);
	return 0;
}

static char *auth_url(const struct session *s)
{
	struct buf b = {0};
	char *cid = http_escape(s->app_id), *ru = http_escape(s->redirect);
	char *sc = http_escape(scopes_for(s));
	if (s->net == NET_LINKEDIN) {
		buf_printf(&b, "%s/oauth/v2/authorization?response_type=code&client_id=%s"
			   "&redirect_uri=%s&state=%s&scope=%s", s->cfg->api.linkedin_oauth,
			   cid, ru, s->state, sc);
	} else if (s->ig_login) {
		buf_printf(&b, "%s/oauth/authorize?client_id=%s&redirect_uri=%s"
			   "&response_type=code&scope=%s&state=%s",
			   s->cfg->api.instagram_dialog, cid, ru, sc, s->state);
	} else {
		char ch[64];
		connect_pkce_challenge(s->verifier, ch, sizeof(ch));
		buf_printf(&b, "%s%s/dialog/oauth?client_id=%s&redirect_uri=%s&state=%s"
			   "&response_type=code&scope=%s&code_challenge=%s"
			   "&code_challenge_method=S256", s->cfg->api.facebook_dialog,
			   path_of(s->api), cid, ru, s->state, sc, ch);
	}
	free(cid);
	free(ru);
	free(sc);
	return buf_steal(&b);
}

/* ---- step 2: the redirect ---- */

static int listen_on(int family, int port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rc;
	if (family == AF_INET) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons((uint16_t)port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		struct sockaddr_in6 a = {.sin6_family = AF_INET6,
					 .sin6_port = htons((uint16_t)port)};
		a.sin6_addr = in6addr_loopback;
		rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (rc < 0 || listen(fd, 8) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void answer(int fd, int status, const char *title, const char *text)
{
	char body[1024], head[256];
	int bl = snprintf(body, sizeof(body), "<!DOCTYPE html><html><head>"
			  "<meta charset=\"utf-8\"><title>ritual: %s</title></head>"
			  "<body><h1>%s</h1><p>%s</p></body></html>\n", title, title, text);
	int hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: "
			  "text/html; charset=utf-8\r\nContent-Length: %d\r\n"
			  "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
			  status, status == 200 ? "OK" : status == 404 ? "Not Found"
			  : status == 405 ? "Method Not Allowed" : "Bad Request", bl);
	if (write(fd, head, (size_t)hl) == hl)
		(void)!write(fd, body, (size_t)bl);
}

enum got { GOT_NOTHING = 0, GOT_CODE, GOT_ERROR };

/* One connection to the listener. */
static enum got serve_one(int fd, const char *state, struct connect_callback *cb)
{
	char req[REQ_MAX + 1];
	size_t n = 0;
	while (n < REQ_MAX) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, CONN_WAIT_MS) <= 0)
			return GOT_NOTHING;
		ssize_t r = read(fd, req + n, REQ_MAX - n);
		if (r <= 0)
			return GOT_NOTHING;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[n] = '\0';
	char *sp1 = strchr(req, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2) {
		answer(fd, 400, "Bad request", "Not an HTTP request.");
		return GOT_NOTHING;
	}
	*sp1 = *sp2 = '\0';
	const char *target = sp1 + 1;
	if (strcmp(req, "GET") != 0) {
		answer(fd, 405, "Not allowed", "Only GET.");
		return GOT_NOTHING;
	}
	size_t pl = strcspn(target, "?");
	if (pl != 9 || strncmp(target, "/callback", 9) != 0) {
		answer(fd, 404, "Not found", "ritual only answers /callback.");
		return GOT_NOTHING;
	}
	struct err err;
	int rc = connect_parse_callback(target, state, cb, &err);
	if (rc == -2) {
		answer(fd, 400, "No code", "There is no code in the address: this "
		       "is not the platform's answer. Start again from the address "
		       "<code>ritual connect</code> printed.");
		fprintf(stderr, "ritual connect: ignored a redirect: %s\n", err.msg);
		return GOT_NOTHING;
	}
	if (rc < 0) {
		answer(fd, 400, "Not for this attempt", "This answer does not belong to "
		       "the <code>ritual connect</code> that is waiting (its state "
		       "differs). Start again from the address it printed.");
		fprintf(stderr, "ritual connect: ignored a redirect: %s\n", err.msg);
		return GOT_NOTHING;
	}
	if (rc == 0) {
		answer(fd, 200, "Not authorized", "The platform did not authorize "
		       "ritual. Go back to the terminal for what to do.");
		return GOT_ERROR;
	}
	answer(fd, 200, "Connected", "ritual received the authorization. You can "
	       "close this window.");
	return GOT_CODE;
}

/*
 * The loopback listeners, opened before the address is printed so that a
 * browser quicker than this process never finds the port closed. Either
 * may be -1 (the pasted address still works).
 */
static void open_listeners(const struct connect_opts *o, int *l4, int *l6)
{
	*l4 = listen_on(AF_INET, o->port);
	if (*l4 < 0) {
		fprintf(stderr, "ritual connect: step 2 (the redirect): cannot listen "
			"on 127.0.0.1:%d (%s). Free the port or pick another with "
			"--port N (and register http://localhost:N/callback in the "
			"app), or paste the address instead\n", o->port, strerror(errno));
	}
	*l6 = listen_on(AF_INET6, o->port);
}

/* Waits for the redirect on l4/l6 or a pasted address; closes l4 and l6. */
static int wait_redirect(struct session *s, int l4, int l6, struct connect_callback *cb)
{
	const struct connect_opts *o = s->o;
	char line[REQ_MAX + 1];
	size_t ll = 0;
	int in = o->in_fd;
	time_t deadline = wall_now() + o->timeout;
	int rc = EX_TEMPFAIL;
	if (l4 < 0 && l6 < 0 && in < 0)
		return EX_UNAVAILABLE;
	for (;;) {
		time_t now = wall_now();
		if (now >= deadline)
			break;
		struct pollfd p[3] = {{.fd = l4, .events = POLLIN},
				      {.fd = l6, .events = POLLIN},
				      {.fd = in, .events = POLLIN}};
		long ms = (long)(deadline - now) * 1000;
		int r = poll(p, 3, (int)(ms > 60000 ? 60000 : ms));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		enum got g = GOT_NOTHING;
		for (int i = 0; i < 2 && g == GOT_NOTHING; i++) {
			if (p[i].fd < 0 || !(p[i].revents & POLLIN))
				continue;
			int c = accept4(p[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			g = serve_one(c, s->state, cb);
			close(c);
		}
		if (g == GOT_NOTHING && in >= 0 && (p[2].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(in, line + ll, REQ_MAX - ll);
			if (n <= 0) {
				in = -1;      /* no more input: the listener alone */
				if (l4 < 0 && l6 < 0)
					break;
			} else {
				ll += (size_t)n;
				line[ll] = '\0';
				char *nl;
				while (g == GOT_NOTHING && (nl = strchr(line, '\n'))) {
					*nl = '\0';
					char *t = str_trim(line);
					if (*t) {
						struct err err;
						int pr = connect_parse_callback(t, s->state, cb, &err);
						if (pr < 0)
							fprintf(stderr, "ritual connect: %s\n", err.msg);
						else
							g = pr ? GOT_CODE : GOT_ERROR;
					}
					size_t rest = ll - (size_t)(nl + 1 - line);
					memmove(line, nl + 1, rest + 1);
					ll = rest;
				}
				if (ll >= REQ_MAX)
					ll = 0;
				if (g != GOT_NOTHING && ll < sizeof(s->pending))
					memcpy(s->pending, line, ll + 1);
			}
		}
		if (g != GOT_NOTHING) {
			rc = 0;
			break;
		}
	}
	if (l4 >= 0)
		close(l4);
	if (l6 >= 0)
		close(l6);
	explicit_bzero(line, sizeof(line));
	if (rc == EX_TEMPFAIL)
		fprintf(stderr, "ritual connect: step 2 (the redirect): nothing came "
			"back within %ld s. If the browser showed \"URL blocked\" or "
			"\"redirect_uri does not match\", register %s as a redirect URI "
			"in the app's settings (%s) and run the command again\n",
			o->timeout, s->redirect, doc_for(s));
	if (rc == 0 && cb->error) {
		int denied = strcmp(cb->error, "access_denied") == 0 ||
			     strcmp(cb->error, "user_cancelled_login") == 0 ||
			     strcmp(cb->error, "user_cancelled_authorize") == 0;
		fprintf(stderr, "ritual connect: step 1 (authorize): %s refused: %s%s%s. %s\n",
			net_title(s), cb->error, cb->error_description ? ": " : "",
			cb->error_description ? cb->error_description : "",
			denied ? "Run the command again and choose Allow"
			: strcmp(cb->error, "unauthorized_scope_error") == 0
				? "The app lacks a product: add it in the app's settings, "
				  "then run the command again"
				: "See the platform's message above");
		if (!denied && strcmp(cb->error, "unauthorized_scope_error") == 0)
			fprintf(stderr, "ritual connect: fix: %s\n", where_scopes(s));
		return EX_NOPERM;
	}
	return rc;
}

/* ---- step 3: the exchanges ---- */

/* What the platform said, from any of the three error shapes. */
static void said(json_t *root, long status, char *out, size_t n)
{
	json_t *e = json_object_get(root, "error");
	const char *m = NULL, *kind = NULL;
	long code = 0, sub = 0;
	if (json_is_object(e)) {
		m = json_string_value(json_object_get(e, "message"));
		code = (long)json_integer_value(json_object_get(e, "code"));
		sub = (long)json_integer_value(json_object_get(e, "error_subcode"));
	} else {
		kind = json_string_value(e);
		m = json_string_value(json_object_get(root, "error_description"));
		if (!m)
			m = json_string_value(json_object_get(root, "error_message"));
		if (!m)
			m = json_string_value(json_object_get(root, "message"));
	}
	if (!m && !kind)
		snprintf(out, n, "HTTP %ld", status);
	else if (code)
		snprintf(out, n, "HTTP %ld, code %ld%s%.0ld: %s", status, code,
			 sub ? "/" : "", sub, m ? m : "?");
	else
		snprintf(out, n, "HTTP %ld%s%s: %s", status, kind ? ", " : "",
			 kind ? kind : "", m ? m : "?");
}

static long meta_sub(json_t *root)
{
	return (long)json_integer_value(json_object_get(json_object_get(root, "error"),
							"error_subcode"));
}

/* Perform; 0 with *root (2xx JSON), else -1 with the problem printed. */
static int call(struct session *s, const struct http_request *req, const char *step,
		json_t **root)
{
	struct http_response resp;
	/* A Graph call with a user or Page token carries appsecret_proof, as
	 * rituald's do, so that an app with "Require App Secret" on connects
	 * too (app tokens, "ID|SECRET", need none). */
	struct http_request r = *req;
	char *proofed = NULL;
	char proof[META_PROOF_LEN + 1];
	if (s->net != NET_LINKEDIN && !s->ig_login && req->bearer && s->secret &&
	    !strchr(req->bearer, '|') &&
	    meta_appsecret_proof(s->secret, req->bearer, proof) == 0) {
		proofed = meta_url_proofed(req->url, proof);
		r.url = proofed;
	}
	int rc = http_perform(s->http, &r, &resp);
	wipe_free(proofed);                 /* debug_token's holds a token */
	*root = NULL;
	if (rc < 0) {
		char *host = http_url_host(req->url);
		secret_scrub(resp.error, sizeof(resp.error));
		fprintf(stderr, "ritual connect: %s: cannot reach %s (%s); check the "
			"network and the api settings in %s\n", step, host ? host : "?",
			resp.error, s->cfg->path);
		free(host);
		http_response_free(&resp);
		return -1;
	}
	json_t *j = json_loadb(resp.body, resp.body_len, 0, NULL);
	if (resp.status >= 200 && resp.status < 300 && json_is_object(j)) {
		*root = j;
		http_response_free(&resp);
		return 0;
	}
	char msg[600];
	said(j, resp.status, msg, sizeof(msg));
	secret_scrub(msg, sizeof(msg));   /* "Malformed access token EAA..." */
	const char *fix = "run the command again";
	const char *em = json_is_object(json_object_get(j, "error"))
		? json_string_value(json_object_get(json_object_get(j, "error"), "message"))
		: json_string_value(json_object_get(j, "error_message"));
	const char *ek = json_string_value(json_object_get(j, "error"));
	long sub = meta_sub(j);
	if (sub == 36008 || (ek && strcmp(ek, "invalid_redirect_uri") == 0) ||
	    (em && strstr(em, "redirect_uri")))
		fix = "the redirect URI differs from the one the app lists: register "
		      "it exactly (see the address printed above) and run the command "
		      "again";
	else if (sub == 36009 || sub == 36007 || (ek && strcmp(ek, "invalid_request") == 0) ||
		 (em && (strstr(em, "code") || strstr(em, "Code"))))
		fix = "an authorization code works once and for a few minutes: run "
		      "the command again and finish within a few minutes";
	else if ((em && strstr(em, "secret")) || (ek && strcmp(ek, "invalid_client") == 0))
		fix = "the app id or secret is wrong: copy them again from the app's "
		      "settings (Basic / Auth) into the config and the secret file";
	else if (resp.status == 401 || resp.status == 403)
		fix = "the token lacks a permission: see the fix below";
	fprintf(stderr, "ritual connect: %s: %s said %s. Fix: %s\n", step, net_title(s),
		msg, fix);
	json_decref(j);
	http_response_free(&resp);
	return -1;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Every scope of want (separated by seps) in have? First missing one in miss. */
static int scopes_missing(const char *want, const char *have, char *miss, size_t n)
{
	size_t c = 0;
	char **w = str_split(want, ", ", &c);
	size_t hc = 0;
	char **h = str_split(have ? have : "", ", ", &hc);
	int missing = 0;
	for (size_t i = 0; i < c && !missing; i++) {
		int found = 0;
		for (size_t j = 0; j < hc; j++)
			found |= strcmp(w[i], h[j]) == 0;
		if (!found) {
			snprintf(miss, n, "%s", w[i]);
			missing = 1;
		}
	}
	strv_free(w);
	strv_free(h);
	return missing;
}

static int report_missing(struct session *s, const char *have)
{
	char miss[80];
	if (!scopes_missing(scopes_for(s), have, miss, sizeof(miss)))
		return 0;
	fprintf(stderr, "ritual connect: step 3 (permissions): the token lacks the "
		"%s permission. Fix: in %s, add %s; then run the command again and "
		"leave every permission ticked on the consent page\n", miss,
		where_scopes(s), miss);
	return -1;
}

/* Read a line from in_fd (a choice from a list). */
static int read_choice(struct session *s, char *buf, size_t n)
{
	size_t l = 0;
	fflush(stdout);
	char *nl = strchr(s->pending, '\n');
	if (nl) {
		*nl = '\0';
		snprintf(buf, n, "%s", s->pending);
		memmove(s->pending, nl + 1, strlen(nl + 1) + 1);
		str_trim(buf);
		return 0;
	}
	while (l + 1 < n) {
		char c;
		ssize_t r = read(s->o->in_fd, &c, 1);
		if (r <= 0)
			break;
		if (c == '\n')
			break;
		buf[l++] = c;
	}
	buf[l] = '\0';
	str_trim(buf);
	return l > 0 || buf[0] ? 0 : -1;
}

/* Choose from n labels; returns the index, or -1. */
static long choose(struct session *s, const char *what, char **labels, char **ids,
		   size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (want && (strcmp(ids[i], want) == 0 ||
			     (strrchr(ids[i], ':') && strcmp(strrchr(ids[i], ':') + 1, want) == 0)))
			return (long)i;
	if (want) {
		fprintf(stderr, "ritual connect: step 3: %s is not among the %s%s the "
			"person manages:\n", want, what, n == 1 ? "" : "s");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  %s\n", labels[i]);
		return -1;
	}
	if (n == 1)
		return 0;
	printf("Which %s?\n", what);
	for (size_t i = 0; i < n; i++)
		printf("  %zu) %s\n", i + 1, labels[i]);
	printf("Number: ");
	char buf[64];
	if (read_choice(s, buf, sizeof(buf)) < 0) {
		fprintf(stderr, "ritual connect: no choice made; run again with --page ID\n");
		return -1;
	}
	char *end;
	long v = strtol(buf, &end, 10);
	if (*end || v < 1 || (size_t)v > n) {
		fprintf(stderr, "ritual connect: \"%s\" is not a number from the list\n", buf);
		return -1;
	}
	return v - 1;
}

/* Ask debug_token when the Page token expires (expires_at, 0 = never)
 * and until when it may read data (data_access_expires_at), as the API
 * says rather than assumed. */
static int page_expiry(struct session *s)
{
	char *app_tok = xasprintf("%s|%s", s->app_id, s->secret);
	char *it = http_escape(s->token);
	char *url = xasprintf("%s/debug_token?input_token=%s", s->api, it);
	wipe_free(it);
	struct http_request req = {.method = "GET", .url = url, .bearer = app_tok};
	json_t *root;
	int rc = call(s, &req, "step 3 (the Page token's expiry)", &root);
	wipe_free(url);
	wipe_free(app_tok);
	if (rc < 0)
		return -1;
	json_t *d = json_object_get(root, "data");
	s->expires = (time_t)json_integer_value(json_object_get(d, "expires_at"));
	s->data_access = (time_t)json_integer_value(json_object_get(d,
							"data_access_expires_at"));
	s->page_debugged = 1;
	json_decref(root);
	return 0;
}

static int meta_flow(struct session *s, const char *code)
{
	const char *graph = s->api;
	char *url = xasprintf("%s/oauth/access_token", graph);
	struct http_part f1[] = {
		{.name = "client_id", .value = s->app_id},
		{.name = "client_secret", .value = s->secret},
		{.name = "redirect_uri", .value = s->redirect},
		{.name = "code", .value = code},
		{.name = "code_verifier", .value = s->verifier},
	};
	struct http_request req = {.method = "POST", .url = url, .form = f1, .nform = 5};
	json_t *root;
	int rc = call(s, &req, "step 3 (exchanging the code for a user token)", &root);
	if (rc < 0) {
		free(url);
		return EX_UNAVAILABLE;
	}
	char *short_tok = token_dup(jstr(root, "access_token"));
	json_decref(root);
	struct http_part f2[] = {
		{.name = "grant_type", .value = "fb_exchange_token"},
		{.name = "client_id", .value = s->app_id},
		{.name = "client_secret", .value = s->secret},
		{.name = "fb_exchange_token", .value = short_tok},
	};
	struct http_request req2 = {.method = "POST", .url = url, .form = f2, .nform = 4};
	rc = call(s, &req2, "step 3 (the long-lived user token)", &root);
	token_free(short_tok);
	free(url);
	if (rc < 0)
		return EX_UNAVAILABLE;
	char *user = token_dup(jstr(root, "access_token"));
	json_decref(root);

	/* Which permissions the person granted (debug_token, app token). */
	char *app_tok = xasprintf("%s|%s", s->app_id, s->secret);
	char *it = http_escape(user);
	url = xasprintf("%s/debug_token?input_token=%s", graph, it);
	wipe_free(it);
	struct http_request dreq = {.method = "GET", .url = url, .bearer = app_tok};
	rc = call(s, &dreq, "step 3 (reading the permissions granted)", &root);
	wipe_free(url);
	wipe_free(app_tok);
	if (rc < 0) {
		token_free(user);
		return EX_UNAVAILABLE;
	}
	struct buf granted = {0};
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(json_object_get(root, "data"), "scopes"), i, v)
		buf_printf(&granted, "%s%s", i ? "," : "", json_string_value(v));
	json_decref(root);
	s->scope_granted = buf_steal(&granted);
	if (!s->scope_granted)
		s->scope_granted = xstrdup("");
	if (report_missing(s, s->scope_granted) < 0) {
		token_free(user);
		return EX_NOPERM;
	}

	/* The Pages the person manages. */
	url = xasprintf("%s/me/accounts?fields=id,name,access_token,tasks&limit=100", graph);
	struct http_request areq = {.method = "GET", .url = url, .bearer = user};
	rc = call(s, &areq, "step 3 (listing the person's Pages)", &root);
	free(url);
	token_free(user);
	if (rc < 0)
		return EX_UNAVAILABLE;
	json_t *data = json_object_get(root, "data");
	size_t n = json_array_size(data);
	if (n == 0) {
		fprintf(stderr, "ritual connect: step 3 (the Page): the person who "
			"logged in manages no Facebook Page (or did not select it on the "
			"consent page). Fix: log in as an admin of the Page - or give "
			"this person a role with full control on the Page (Page settings "
			"-> Page access) - and run the command again, selecting the Page\n");
		json_decref(root);
		return EX_NOPERM;
	}
	char **labels = xcalloc(n, sizeof(char *)), **ids = xcalloc(n, sizeof(char *));
	json_array_foreach(data, i, v) {
		ids[i] = xstrdup(jstr(v, "id") ? jstr(v, "id") : "?");
		labels[i] = xasprintf("%s (%s)", jstr(v, "name") ? jstr(v, "name") : "?", ids[i]);
	}
	const char *want = s->existing && s->existing->page_id ? s->existing->page_id : s->o->page;
	long k = s->net == NET_FACEBOOK ? choose(s, "Page", labels, ids, n, want)
		 : choose(s, "Page (the one linked to the Instagram account)", labels,
			  ids, n, s->o->page);
	int ret = 0;
	if (k < 0) {
		ret = EX_NOPERM;
		goto out;
	}
	json_t *pg = json_array_get(data, (size_t)k);
	int can = 0;
	json_array_foreach(json_object_get(pg, "tasks"), i, v) {
		const char *t = json_string_value(v);
		can |= t && (strcmp(t, "CREATE_CONTENT") == 0 || strcmp(t, "MANAGE") == 0);
	}
	if (!can || !jstr(pg, "access_token")) {
		fprintf(stderr, "ritual connect: step 3 (the Page): the person may not "
			"create content on %s. Fix: give them a Page role with content "
			"access (Page settings -> Page access) and run the command again\n",
			labels[k]);
		ret = EX_NOPERM;
		goto out;
	}
	s->token = token_dup(jstr(pg, "access_token"));
	s->page_id = xstrdup(ids[k]);
	s->what = xasprintf("page %s", labels[k]);
	if (page_expiry(s) < 0) {
		ret = EX_UNAVAILABLE;
		goto out;
	}
	if (s->net == NET_INSTAGRAM) {
		url = xasprintf("%s/%s?fields=instagram_business_account", graph, ids[k]);
		struct http_request ireq = {.method = "GET", .url = url, .bearer = s->token};
		json_t *ig;
		rc = call(s, &ireq, "step 3 (the Instagram account of the Page)", &ig);
		free(url);
		if (rc < 0) {
			ret = EX_UNAVAILABLE;
			goto out;
		}
		const char *uid = jstr(json_object_get(ig, "instagram_business_account"), "id");
		if (!uid) {
			fprintf(stderr, "ritual connect: step 3 (the Instagram account): "
				"%s has no Instagram professional account linked. Fix: "
				"in the Instagram app, switch the account to Professional "
				"(Business or Creator), then link it to the Page (Page "
				"settings -> Linked accounts -> Instagram) and run the "
				"command again\n", labels[k]);
			json_decref(ig);
			ret = EX_NOPERM;
			goto out;
		}
		if (s->existing && s->existing->user_id &&
		    strcmp(s->existing->user_id, uid) != 0) {
			fprintf(stderr, "ritual connect: step 3: %s is linked to Instagram "
				"account %s, not to %s of account '%s'; choose the Page "
				"linked to it (--page ID)\n", labels[k], uid,
				s->existing->user_id, s->name);
			json_decref(ig);
			ret = EX_NOPERM;
			goto out;
		}
		s->user_id = xstrdup(uid);
		free(s->what);
		s->what = xasprintf("Instagram account %s (linked to page %s)", uid, labels[k]);
		json_decref(ig);
	}
out:
	for (i = 0; i < n; i++) {
		free(labels[i]);
		free(ids[i]);
	}
	free(labels);
	free(ids);
	json_decref(root);
	return ret;
}

static int ig_login_flow(struct session *s, const char *code)
{
	char *url = xasprintf("%s/oauth/access_token", s->cfg->api.instagram_oauth);
	struct http_part f[] = {
		{.name = "client_id", .value = s->app_id},
		{.name = "client_secret", .value = s->secret},
		{.name = "grant_type", .value = "authorization_code"},
		{.name = "redirect_uri", .value = s->redirect},
		{.name = "code", .value = code},
	};
	struct http_request req = {.method = "POST", .url = url, .form = f, .nform = 5};
	json_t *root;
	int rc = call(s, &req, "step 3 (exchanging the code for a token)", &root);
	free(url);
	if (rc < 0)
		return EX_UNAVAILABLE;
	json_t *d = json_object_get(root, "data");
	json_t *e = json_is_array(d) ? json_array_get(d, 0) : root;
	const char *st = jstr(e, "access_token");
	char *short_tok = token_dup(st);
	json_t *perm = json_object_get(e, "permissions");
	struct buf pb = {0};
	if (json_is_string(perm)) {
		buf_puts(&pb, json_string_value(perm));
	} else {
		size_t i;
		json_t *v;
		json_array_foreach(perm, i, v)
			buf_printf(&pb, "%s%s", i ? "," : "", json_string_value(v));
	}
	s->scope_granted = buf_steal(&pb);
	json_decref(root);
	if (report_missing(s, s->scope_granted) < 0) {
		token_free(short_tok);
		return EX_NOPERM;
	}
	char *origin = ig_origin(s->api);
	char *sec = http_escape(s->secret), *tk = http_escape(short_tok);
	url = xasprintf("%s/access_token?grant_type=ig_exchange_token&client_secret=%s"
			"&access_token=%s", origin ? origin : "", sec, tk);
	wipe_free(sec);
	wipe_free(tk);
	free(origin);
	struct http_request lreq = {.method = "GET", .url = url};
	rc = call(s, &lreq, "step 3 (the long-lived token)", &root);
	wipe_free(url);
	token_free(short_tok);   /* after the call: its message may quote it */
	if (rc < 0)
		return EX_UNAVAILABLE;
	s->token = token_dup(jstr(root, "access_token"));
	long ei = (long)json_integer_value(json_object_get(root, "expires_in"));
	s->expires = wall_now() + (ei > 0 ? ei : 60L * 86400);
	json_decref(root);
	url = xasprintf("%s/me?fields=user_id,username", s->api);
	struct http_request mreq = {.method = "GET", .url = url, .bearer = s->token};
	rc = call(s, &mreq, "step 3 (whose Instagram account)", &root);
	free(url);
	if (rc < 0)
		return EX_UNAVAILABLE;
	json_t *uidj = json_object_get(root, "user_id");
	char idbuf[40];
	const char *uid = json_string_value(uidj);
	if (!uid && json_is_integer(uidj)) {
		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)json_integer_value(uidj));
		uid = idbuf;
	}
	if (!uid) {
		fprintf(stderr, "ritual connect: step 3: Instagram did not say whose "
			"account the token is for\n");
		json_decref(root);
		return EX_UNAVAILABLE;
	}
	if (s->existing && s->existing->user_id && strcmp(s->existing->user_id, uid) != 0) {
		fprintf(stderr, "ritual connect: step 3: you logged in as Instagram "
			"account %s, but account '%s' is %s; log in as that account\n",
			uid, s->name, s->existing->user_id);
		json_decref(root);
		return EX_NOPERM;
	}
	s->user_id = xstrdup(uid);
	s->what = xasprintf("Instagram account @%s (%s)",
			    jstr(root, "username") ? jstr(root, "username") : "?", uid);
	json_decref(root);
	return 0;
}

static int li_get(struct session *s, const char *path, const char *step, json_t **root)
{
	char *url = xasprintf("%s/%s", s->api, path);
	char ver[64];
	snprintf(ver, sizeof(ver), "LinkedIn-Version: %s", s->cfg->api.linkedin_version);
	const char *hdrs[] = {ver, "X-Restli-Protocol-Version: 2.0.0", NULL};
	struct http_request req = {.method = "GET", .url = url, .bearer = s->token,
				   .headers = hdrs};
	int rc = call(s, &req, step, root);
	free(url);
	return rc;
}

static int linkedin_flow(struct session *s, const char *code)
{
	char *url = xasprintf("%s/oauth/v2/accessToken", s->cfg->api.linkedin_oauth);
	struct http_part f[] = {
		{.name = "grant_type", .value = "authorization_code"},
		{.name = "code", .value = code},
		{.name = "client_id", .value = s->app_id},
		{.name = "client_secret", .value = s->secret},
		{.name = "redirect_uri", .value = s->redirect},
	};
	struct http_request req = {.method = "POST", .url = url, .form = f, .nform = 5};
	json_t *root;
	int rc = call(s, &req, "step 3 (exchanging the code for a token)", &root);
	free(url);
	if (rc < 0)
		return EX_UNAVAILABLE;
	s->token = token_dup(jstr(root, "access_token"));
	if (jstr(root, "refresh_token"))
		s->refresh_token = token_dup(jstr(root, "refresh_token"));
	long ei = (long)json_integer_value(json_object_get(root, "expires_in"));
	s->expires = wall_now() + (ei > 0 ? ei : 60L * 86400);
	s->scope_granted = xstrdup(jstr(root, "scope") ? jstr(root, "scope") : "");
	json_decref(root);
	if (report_missing(s, s->scope_granted) < 0)
		return EX_NOPERM;
	if (s->member) {
		if (li_get(s, "v2/userinfo", "step 3 (who logged in)", &root) < 0)
			return EX_UNAVAILABLE;
		const char *sub = jstr(root, "sub");
		if (!sub) {
			json_decref(root);
			fprintf(stderr, "ritual connect: step 3: LinkedIn did not say who "
				"logged in\n");
			return EX_UNAVAILABLE;
		}
		s->author = xasprintf("urn:li:person:%s", sub);
		s->what = xasprintf("member %s (%s)", jstr(root, "name") ? jstr(root, "name")
			  : sub, s->author);
		json_decref(root);
		if (s->existing && strcmp(s->existing->author, s->author) != 0) {
			fprintf(stderr, "ritual connect: step 3: you logged in as %s, but "
				"account '%s' is %s; log in as that member\n", s->author,
				s->name, s->existing->author);
			return EX_NOPERM;
		}
		return 0;
	}
	if (li_get(s, "rest/organizationAcls?q=roleAssignee&state=APPROVED",
		   "step 3 (the pages you administer)", &root) < 0)
		return EX_UNAVAILABLE;
	json_t *el = json_object_get(root, "elements");
	size_t n = 0, i;
	json_t *v;
	char **labels = xcalloc(json_array_size(el) + 1, sizeof(char *));
	char **ids = xcalloc(json_array_size(el) + 1, sizeof(char *));
	json_array_foreach(el, i, v) {
		const char *role = jstr(v, "role"), *org = jstr(v, "organization");
		if (!org || !role || (strcmp(role, "ADMINISTRATOR") != 0 &&
				      strcmp(role, "CONTENT_ADMIN") != 0 &&
				      strcmp(role, "DIRECT_SPONSORED_CONTENT_POSTER") != 0))
			continue;
		ids[n] = xstrdup(org);
		labels[n] = xasprintf("%s (%s)", org, role);
		n++;
	}
	json_decref(root);
	int ret = 0;
	if (n == 0) {
		fprintf(stderr, "ritual connect: step 3 (the page): the member who "
			"logged in administers no LinkedIn page. Fix: have a page "
			"admin give them the Super admin or Content admin role (page "
			"-> Settings -> Manage admins), or connect the member profile "
			"with --member\n");
		ret = EX_NOPERM;
	} else {
		const char *want = s->existing ? s->existing->author : s->o->page;
		long k = choose(s, "LinkedIn page", labels, ids, n, want);
		if (k < 0)
			ret = EX_NOPERM;
		else {
			s->author = xstrdup(ids[k]);
			s->what = xasprintf("page %s", labels[k]);
		}
	}
	for (i = 0; i < n; i++) {
		free(labels[i]);
		free(ids[i]);
	}
	free(labels);
	free(ids);
	return ret;
}

/* ---- step 4: files ---- */

static int save_token(struct session *s)
{
	struct err err;
	size_t len = strlen(s->token);
	char *data = xasprintf("%s\n", s->token);
	int rc = write_file_atomic(s->token_file, data, len + 1, 0600, &err);
	wipe_free(data);
	if (rc < 0) {
		fprintf(stderr, "ritual connect: step 4 (saving the token): %s\n", err.msg);
		return EX_CANTCREAT;
	}
	if (token_expiry_write(s->token_file, s->expires, &err) < 0)
		fprintf(stderr, "ritual connect: warning: %s\n", err.msg);
	if (s->refresh_token) {
		char *rf = xasprintf("%s.refresh", s->token_file);
		char *d2 = xasprintf("%s\n", s->refresh_token);
		if (write_file_atomic(rf, d2, strlen(d2), 0600, &err) < 0)
			fprintf(stderr, "ritual connect: warning: %s\n", err.msg);
		wipe_free(d2);
		free(rf);
	}
	return 0;
}

/* rituald paused the account for its old token: resume it. The store
 * write wakes a running rituald (it watches the database with inotify). */
static void resume(struct session *s)
{
	struct store *st;
	struct err err;
	struct stat sb;
	if (stat(s->cfg->database, &sb) < 0 ||
	    store_open(s->cfg->database, 0, &st, &err) < 0)
		return;
	struct store_account *acc = NULL;
	size_t na = 0;
	if (store_accounts_list(st, &acc, &na, &err) == 0) {
		for (size_t i = 0; i < na; i++)
			if (acc[i].paused && strcmp(acc[i].name, s->name) == 0 &&
			    store_account_resume(st, s->name, &err) == 0)
				printf("account %s resumed\n", s->name);
		store_accounts_free(acc, na);
	}
	store_close(st);
}

/* ---- step 5: the check ---- */

static int verify(struct session *s)
{
	struct account a = {
		.name = s->name, .network = s->net, .page_id = s->page_id,
		.user_id = s->user_id, .author = s->author, .token_file = s->token_file,
		.api = s->api, .login = s->ig_login ? IG_LOGIN_INSTAGRAM : IG_LOGIN_FACEBOOK,
		.line = s->existing ? s->existing->line : 0,
	};
	/* The account as the block below has it: a Facebook-login account
	 * signs its calls with the app secret (appsecret_proof). */
	int meta_app = s->net != NET_LINKEDIN && !s->ig_login;
	if (meta_app)
		a.app_secret_file = s->secret_file;
	const struct publisher *pub = publisher_for(s->net);
	struct pub_check res = {0};
	struct pub_ctx ctx = {.cfg = s->cfg, .account = &a, .token = s->token,
			      .http = s->http, .now = wall_now(),
			      .app_secret = meta_app ? s->secret : NULL};
	pub->check(&ctx, &res);
	if (!res.ok) {
		fprintf(stderr, "ritual connect: step 5 (checking the token): %s\n",
			res.detail);
		if (res.fix[0])
			fprintf(stderr, "ritual connect: fix: %s\n", res.fix);
		return EX_UNAVAILABLE;
	}
	printf("check: OK, %s\n", res.detail);
	return 0;
}

/* ---- step 6: the account block ---- */

static void put_kv(struct connect_kv *kv, size_t *n, int only_changed,
		   const char *k, const char *v, const char *old)
{
	if (v && (!only_changed || !old || strcmp(v, old) != 0))
		kv[(*n)++] = (struct connect_kv){k, v};
}

static size_t collect_kv(struct session *s, struct connect_kv *kv, int only_changed)
{
	const struct account *ex = s->existing;
	size_t n = 0;
	int li = s->net == NET_LINKEDIN;
	if (!only_changed) {
		kv[n++] = (struct connect_kv){"name", s->name};
		kv[n++] = (struct connect_kv){"network", network_name(s->net)};
	}
	put_kv(kv, &n, only_changed, "page_id",
	       s->net == NET_FACEBOOK ? s->page_id : NULL, ex ? ex->page_id : NULL);
	put_kv(kv, &n, only_changed, "user_id", s->user_id, ex ? ex->user_id : NULL);
	put_kv(kv, &n, only_changed, "author", s->author, ex ? ex->author : NULL);
	if (s->net == NET_INSTAGRAM && s->ig_login && (!only_changed || !ex))
		kv[n++] = (struct connect_kv){"login", "instagram"};
	put_kv(kv, &n, only_changed, "token_file", s->token_file,
	       ex ? ex->token_file : NULL);
	put_kv(kv, &n, only_changed, li ? "client_id" : "app_id", s->app_id,
	       ex ? (li ? ex->client_id : ex->app_id) : NULL);
	put_kv(kv, &n, only_changed, li ? "client_secret_file" : "app_secret_file",
	       s->secret_file, ex ? (li ? ex->client_secret_file : ex->app_secret_file)
				  : NULL);
	return n;
}

static void put_quoted(struct buf *b, const char *v)
{
	buf_putc(b, '"');
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *v);
	}
	buf_putc(b, '"');
}

static char *block_text(const struct connect_kv *kv, size_t n)
{
	struct buf b = {0};
	buf_puts(&b, "{ ");
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s = ", kv[i].key);
		put_quoted(&b, kv[i].value);
		buf_puts(&b, "; ");
	}
	buf_puts(&b, "}");
	return buf_steal(&b);
}

/* Scanner over libconfig text: skips strings and comments. */
static size_t skip_ws(const char *t, size_t i)
{
	for (;;) {
		if (isspace((unsigned char)t[i])) {
			i++;
		} else if (t[i] == '#' || (t[i] == '/' && t[i + 1] == '/')) {
			while (t[i] && t[i] != '\n')
				i++;
		} else if (t[i] == '/' && t[i + 1] == '*') {
			const char *e = strstr(t + i + 2, "*/");
			i = e ? (size_t)(e - t) + 2 : strlen(t);
		} else {
			return i;
		}
	}
}

static size_t skip_string(const char *t, size_t i)
{
	for (i++; t[i] && t[i] != '"'; i++)
		if (t[i] == '\\' && t[i + 1])
			i++;
	return t[i] ? i + 1 : i;
}

/* The next significant token at or after i (comments and blanks
 * skipped): its start, returned, and *end just after it (a string is one
 * token, its quotes included). At the end of t both are strlen(t). */
static size_t next_tok(const char *t, size_t i, size_t *end)
{
	i = skip_ws(t, i);
	*end = !t[i] ? i : t[i] == '"' ? skip_string(t, i) : i + 1;
	return i;
}

static int opens(char c)
{
	return c == '{' || c == '(' || c == '[';
}

static int closes(char c)
{
	return c == '}' || c == ')' || c == ']';
}

/* Index of the bracket closing the one at open, or 0. */
static size_t matching(const char *t, size_t open)
{
	int depth = 0;
	size_t e;
	for (size_t i = next_tok(t, open, &e); t[i]; i = next_tok(t, e, &e)) {
		if (opens(t[i]))
			depth++;
		else if (closes(t[i]) && --depth == 0)
			return i;
	}
	return 0;
}

/* Position of "key" as a setting name at depth 0 within [from, to), or 0. */
static size_t find_key(const char *t, size_t from, size_t to, const char *key)
{
	size_t kl = strlen(key);
	int depth = 0;
	size_t e;
	for (size_t i = next_tok(t, from, &e); i < to && t[i]; i = next_tok(t, e, &e)) {
		char c = t[i];
		if (opens(c)) {
			depth++;
		} else if (closes(c)) {
			depth--;
		} else if (depth == 0 && (isalpha((unsigned char)c) || c == '_') &&
			   (i == 0 || !(isalnum((unsigned char)t[i - 1]) || t[i - 1] == '_'))) {
			e = i;
			while (isalnum((unsigned char)t[e]) || t[e] == '_' || t[e] == '-')
				e++;
			size_t a = skip_ws(t, e);
			if (e - i == kl && strncmp(t + i, key, kl) == 0 &&
			    (t[a] == '=' || t[a] == ':'))
				return i + 1;   /* +1: 0 means "none" */
		}
	}
	return 0;
}

int connect_config_edit(const char *text, int line, const struct connect_kv *kv,
			size_t n, char **out, struct err *err)
{
	struct buf b = {0};
	size_t len = strlen(text);
	if (line <= 0) {
		size_t k = find_key(text, 0, len, "accounts");
		char *blk = block_text(kv, n);
		if (!k) {
			buf_puts(&b, text);
			if (len && text[len - 1] != '\n')
				buf_putc(&b, '\n');
			buf_printf(&b, "accounts = (\n  %s\n);\n", blk);
		} else {
			size_t i = skip_ws(text, k - 1 + strlen("accounts"));
			i = skip_ws(text, i + 1);
			if (text[i] != '(') {
				free(blk);
				return err_set(err, "accounts in the configuration is not a "
					       "list ( ... ); add the block by hand");
			}
			size_t close = matching(text, i);
			if (!close) {
				free(blk);
				return err_set(err, "the accounts list has no closing ')'");
			}
			/* the last significant character before ')' (of a
			 * string: its closing quote) */
			size_t last = i, e;
			for (size_t p = next_tok(text, i + 1, &e); p < close;
			     p = next_tok(text, e, &e))
				last = e - 1;
			size_t at = last + 1;
			buf_append(&b, text, at);
			buf_printf(&b, "%s\n  %s", text[last] == '(' || text[last] == ','
				   ? "" : ",", blk);
			buf_puts(&b, text + at);
		}
		free(blk);
		*out = buf_steal(&b);
		return 0;
	}
	/* The group that starts on that line. */
	size_t i = 0;
	for (int l = 1; l < line && text[i]; i++)
		if (text[i] == '\n')
			l++;
	while (text[i] && text[i] != '{')
		i = text[i] == '"' ? skip_string(text, i) : i + 1;
	size_t close = text[i] ? matching(text, i) : 0;
	if (!close)
		return err_set(err, "cannot find the account's { ... } at line %d", line);
	char *t = xstrdup(text);
	for (size_t k = 0; k < n; k++) {
		size_t kpos = find_key(t, i + 1, close, kv[k].key);
		struct buf v = {0};
		put_quoted(&v, kv[k].value);
		char *val = buf_steal(&v);
		struct buf nb = {0};
		if (kpos) {
			size_t p = skip_ws(t, kpos - 1 + strlen(kv[k].key));
			p = skip_ws(t, p + 1);
			size_t e = p;
			if (t[p] == '"') {
				/* adjacent strings "a" "b" form one value */
				while (t[e] == '"')
					e = skip_ws(t, skip_string(t, e));
				while (e > p && isspace((unsigned char)t[e - 1]))
					e--;
			} else {
				while (t[e] && t[e] != ';' && t[e] != ',' && t[e] != '}')
					e++;
			}
			buf_append(&nb, t, p);
			buf_puts(&nb, val);
			buf_puts(&nb, t + e);
		} else {
			size_t last = i, p = i + 1;
			while (p < close) {
				size_t q = skip_ws(t, p);
				if (q != p) {
					p = q;
					continue;
				}
				p = t[p] == '"' ? skip_string(t, p) : p + 1;
				last = p - 1;
			}
			size_t at = last + 1;
			buf_append(&nb, t, at);
			buf_printf(&nb, "%s %s = %s;", t[last] == ';' || t[last] == ',' ||
				   t[last] == '{' ? "" : ";", kv[k].key, val);
			buf_puts(&nb, t + at);
		}
		free(val);
		free(t);
		t = buf_steal(&nb);
		close = matching(t, i);
	}
	*out = t;
	return 0;
}

static int write_config(struct session *s)
{
	struct connect_kv kv[12];
	int line = s->existing ? s->existing->line : 0;
	size_t n = collect_kv(s, kv, s->existing != NULL);
	if (n == 0) {
		printf("config: %s already has account '%s' as it is; unchanged\n",
		       s->cfg->path, s->name);
		return 0;
	}
	unsigned char *text = NULL;
	size_t len;
	struct err err;
	struct stat sb;
	if (read_file(s->cfg->path, &text, &len, 4u << 20, &err) < 0 ||
	    stat(s->cfg->path, &sb) < 0) {
		fprintf(stderr, "ritual connect: step 6 (the config): %s\n", err.msg);
		free(text);
		return EX_CONFIG;
	}
	char *out = NULL;
	if (connect_config_edit((const char *)text, line, kv, n, &out, &err) < 0) {
		fprintf(stderr, "ritual connect: step 6 (the config): %s\n", err.msg);
		free(text);
		return EX_CONFIG;
	}
	free(text);
	char *tmp = xasprintf("%s.connect-new", s->cfg->path);
	int rc = write_file_atomic(tmp, out, strlen(out), sb.st_mode & 07777, &err);
	free(out);
	if (rc < 0) {
		fprintf(stderr, "ritual connect: step 6 (the config): %s\n", err.msg);
		free(tmp);
		return EX_CANTCREAT;
	}
	struct config *check = NULL;
	struct diag diag = {0};
	if (config_load(tmp, &check, &diag) < 0) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.msgs[i]);
		diag_free(&diag);
		unlink(tmp);
		free(tmp);
		fprintf(stderr, "ritual connect: step 6 (the config): the edited "
			"configuration would not load (above); %s is unchanged: add "
			"the block printed above by hand\n", s->cfg->path);
		return EX_CONFIG;
	}
	config_free(check);
	if (rename(tmp, s->cfg->path) < 0) {
		fprintf(stderr, "ritual connect: step 6 (the config): cannot replace "
			"%s: %s\n", s->cfg->path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return EX_CANTCREAT;
	}
	free(tmp);
	printf("config: %s account '%s' in %s (comments kept; the file loads)\n",
	       s->existing ? "updated" : "added", s->name, s->cfg->path);
	return 0;
}

/* ---- the whole flow ---- */

int connect_run(const struct config *cfg, const struct connect_opts *o)
{
	struct session s = {0};
	struct connect_callback cb = {0};
	struct err err;
	int rc = setup(&s, cfg, o);
	if (rc)
		goto out;
	char *url = auth_url(&s);
	int l4, l6;
	open_listeners(o, &l4, &l6);
	printf("Connecting %s account '%s'%s.\n\n"
	       "Step 1: open this address in a browser, log in as %s, and allow "
	       "ritual:\n\n  %s\n\n"
	       "The app must list this redirect URI: %s\n"
	       "If the browser runs on another machine, first run there: ssh -L "
	       "%d:localhost:%d THIS-SERVER\n"
	       "Or paste here the address the browser ends on (it starts with %s?):\n",
	       net_title(&s), s.name, s.existing ? " (renewing its token)" : "",
	       s.net == NET_LINKEDIN ? (s.member ? "the member" : "an admin of the page")
	       : s.ig_login ? "the Instagram professional account"
	       : "a person who manages the Page", url, s.redirect, o->port, o->port,
	       s.redirect);
	free(url);
	fflush(stdout);
	if ((rc = wait_redirect(&s, l4, l6, &cb)))
		goto out;
	printf("Step 2: authorization received.\n");
	fflush(stdout);
	if (http_global_init(&err) < 0) {
		fprintf(stderr, "ritual connect: %s\n", err.msg);
		rc = EX_SOFTWARE;
		goto out;
	}
	struct http_options ho = {
		.connect_timeout = cfg->http.connect_timeout,
		.timeout = cfg->http.timeout,
		.max_response = cfg->http.max_response,
		.user_agent = "ritual/" RITUAL_VERSION,
	};
	if (http_client_new(&ho, &s.http, &err) < 0) {
		fprintf(stderr, "ritual connect: %s\n", err.msg);
		rc = EX_SOFTWARE;
		goto cleanup;
	}
	if (s.net == NET_LINKEDIN)
		rc = linkedin_flow(&s, cb.code);
	else if (s.ig_login)
		rc = ig_login_flow(&s, cb.code);
	else
		rc = meta_flow(&s, cb.code);
	if (rc)
		goto cleanup;
	if (!s.token || !*s.token) {
		fprintf(stderr, "ritual connect: step 3: %s answered without a token\n",
			net_title(&s));
		rc = EX_UNAVAILABLE;
		goto cleanup;
	}
	printf("Step 3: %s.\n", s.what);
	if ((rc = save_token(&s)))
		goto cleanup;
	if (s.expires) {
		char when[40];
		sched_format_human(s.expires, when, sizeof(when));
		printf("Step 4: token saved to %s (mode 0600); valid until %s%s\n",
		       s.token_file, when, s.net == NET_INSTAGRAM
		       ? "; rituald refreshes it" : "; run this command again before then");
	} else {
		printf("Step 4: token saved to %s (mode 0600); %s\n", s.token_file,
		       s.page_debugged ? "Facebook says the Page token does not "
		       "expire (expires_at 0)" : "the token has no expiry date");
	}
	if (s.data_access) {
		char when[40];
		sched_format_human(s.data_access, when, sizeof(when));
		printf("Step 4: its data access lasts until %s (data_access_expires_at): "
		       "run this command again before then\n", when);
	}
	/* A failed check still gives the account block: the token is saved,
	 * and the fix (e.g. Instagram's media group) is often elsewhere. */
	int checked = verify(&s);
	if (!checked && s.existing)
		resume(&s);
	struct connect_kv kv[12];
	size_t n = collect_kv(&s, kv, 0);
	char *blk = block_text(kv, n);
	if (o->write_config) {
		printf("Step 6: the account:\n  %s\n", blk);
		rc = write_config(&s);
	} else if (s.existing && collect_kv(&s, kv, 1) == 0) {
		printf("Done: account '%s' has its new token; the configuration needs "
		       "no change.\n", s.name);
	} else {
		printf("Step 6: put this account in the accounts list of %s (or run "
		       "again with --write-config):\n  %s\n", cfg->path, blk);
	}
	free(blk);
	if (checked) {
		fprintf(stderr, "ritual connect: the token is saved and the account "
			"is %s, but the check failed (step 5 above): fix that, then "
			"run `ritual check --online`\n", o->write_config && !rc
			? "in the configuration" : "above");
		rc = checked;
	}
cleanup:
	http_client_free(s.http);
	http_global_cleanup();
out:
	connect_callback_free(&cb);
	session_free(&s);
	return rc;
}
