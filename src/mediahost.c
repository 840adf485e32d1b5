/*
 * mediahost.c - putting an image where Meta can fetch it (Instagram).
 *
 * Owns: the two media backends (a served folder, an S3-compatible bucket),
 * the S3 key file, the public fetch-back that proves Meta can download what
 * was stored, and the file names (ritual-<128 random bits in hex>.<ext>).
 * Never: logs or returns the S3 secret (it lives only in h->creds, is sent
 * only through libcurl's SigV4 signer and is wiped on free; S3 error texts
 * that quote it are withheld), touches SQL (the daemon tracks names), or
 * follows a redirect.
 *
 * Choices the contract leaves open, made here:
 *  - The fetch-back uses a private http client, not the borrowed one: an
 *    image (up to 8 MB for Instagram) is larger than the API responses the
 *    borrowed client is capped for (http.max_response, 1 MiB by default),
 *    and http_request has no per-request cap. It has the config's connect
 *    timeout, http.upload_timeout as its total timeout and FETCH_MAX as its
 *    cap; it has no abort callback, so a shutdown waits for it at most
 *    http.upload_timeout. The S3 PUT/DELETE go through the borrowed client
 *    (abortable), the PUT with http.upload_timeout.
 *  - The fetch-back sends a User-Agent that contains "facebookexternalhit"
 *    (Meta's fetcher) so that a web server or WAF that blocks Meta by agent
 *    is caught here too. It requires status 200, exactly the stored bytes,
 *    and a Content-Type equal to mime (parameters ignored), since Meta
 *    refuses images served as text/html or application/octet-stream.
 *  - A put whose fetch-back fails leaves the stored file in place: the
 *    caller chose and persisted the name and removes it. mediahost_check
 *    removes its test file whatever happens.
 *  - Names are checked (letters, digits, '.', '_', '-'; no leading dot) so
 *    that no name can leave media.dir or change the S3 object path.
 *  - S3 answers: PUT 200/201/204 and DELETE 200/204/404 are success.
 *    Otherwise the message has the HTTP status, S3's <Code> and <Message>
 *    (found by plain string search; entities decoded; at most 300 bytes)
 *    and a hint chosen from the code. The codes that name the key, the
 *    bucket or the region (s3_code_is_config) return MEDIAHOST_CONFIG:
 *    sending the same request again cannot help.
 */
#include "ritual/mediahost.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RITUAL_VERSION
#define RITUAL_VERSION "0"
#endif

#define FETCH_MAX (64L * 1024 * 1024)   /* cap of a fetched-back image */
#define KEYFILE_MAX 4096
#define NAME_MAX_LEN 200
#define S3_TEXT_MAX 300

enum backend {
	BACKEND_DIR,
	BACKEND_S3
};

struct mediahost {
	enum backend kind;
	struct http_client *http;   /* borrowed: S3 PUT and DELETE */
	struct http_client *fetch;  /* owned: public fetch-back */
	char *url;                  /* public base URL, ends with "/" */
	char *dir;                  /* BACKEND_DIR */
	char *endpoint;             /* BACKEND_S3, without trailing "/" */
	char *bucket;
	char *key_file;             /* for messages only */
	char *sigv4;                /* "aws:amz:REGION:s3" */
	char *creds;                /* "ACCESS:SECRET"; wiped on free */
	long upload_timeout;
};

/* The smallest useful JPEG: 1x1 grey, baseline, 160 bytes (made with
 * ImageMagick, checked by identify(1) and media_probe). */
static const unsigned char check_jpeg[] = {
	0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01,
	0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43,
	0x00, 0x03, 0x02, 0x02, 0x03, 0x02, 0x02, 0x03, 0x03, 0x03, 0x03, 0x04,
	0x03, 0x03, 0x04, 0x05, 0x08, 0x05, 0x05, 0x04, 0x04, 0x05, 0x0a, 0x07,
	0x07, 0x06, 0x08, 0x0c, 0x0a, 0x0c, 0x0c, 0x0b, 0x0a, 0x0b, 0x0b, 0x0d,
	0x0e, 0x12, 0x10, 0x0d, 0x0e, 0x11, 0x0e, 0x0b, 0x0b, 0x10, 0x16, 0x10,
	0x11, 0x13, 0x14, 0x15, 0x15, 0x15, 0x0c, 0x0f, 0x17, 0x18, 0x16, 0x14,
	0x18, 0x12, 0x14, 0x15, 0x14, 0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x01,
	0x00, 0x01, 0x01, 0x01, 0x11, 0x00, 0xff, 0xc4, 0x00, 0x14, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x08, 0xff, 0xc4, 0x00, 0x14, 0x10, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00,
	0x60, 0x3f, 0xff, 0xd9
};

/* ---------------------------------------------------------------- keys */

static int key_token_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Split raw (NUL-terminated, modified in place) into at most two
 * non-empty trimmed lines. Returns the number of non-empty lines. */
static size_t key_lines(char *raw, char *line[2])
{
	size_t n = 0;
	char *p = raw;
	while (*p) {
		char *nl = strchr(p, '\n');
		char *next = nl ? nl + 1 : p + strlen(p);
		if (nl)
			*nl = '\0';
		char *t = str_trim(p);
		if (*t) {
			if (n < 2)
				line[n] = t;
			n++;
		}
		p = next;
	}
	return n;
}

/*
 * Read the S3 key file with read_secret_file's rules (regular file, no
 * symlink, not readable by group or others) but its own format:
 * "ACCESS_KEY:SECRET" on one line, or the access key on line 1 and the
 * secret on line 2. *creds (allocated, wipe with secret_free) becomes
 * "ACCESS:SECRET", the form libcurl's SigV4 signer takes. Messages never
 * quote the file's content.
 */
static int read_key_file(const char *path, char **creds, struct err *err)
{
	char raw[KEYFILE_MAX + 1];
	size_t len = 0;
	int rc = -1;
	*creds = NULL;

	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(err, "cannot open the S3 key file %s (media.s3.key_file): %s",
			       path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, "S3 key file %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		err_set(err, "S3 key file %s can be read by group or others "
			"(mode %03o); run: chmod 600 %s",
			path, (unsigned)(st.st_mode & 0777), path);
		goto out;
	}
	if (st.st_size > KEYFILE_MAX) {
		err_set(err, "S3 key file %s is too large to hold a key", path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, raw + len, sizeof(raw) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(err, "cannot read the S3 key file %s: %s", path,
				strerror(errno));
			goto out;
		}
		len += (size_t)r;
		if (r == 0 || len == sizeof(raw) - 1)
			break;
	}
	raw[len] = '\0';
	if (memchr(raw, '\0', len)) {
		err_set(err, "S3 key file %s holds a NUL byte; it must be text", path);
		goto out;
	}

	char *line[2] = {NULL, NULL};
	size_t n = key_lines(raw, line);
	const char *access = NULL, *secret = NULL;
	if (n == 1) {
		char *colon = strchr(line[0], ':');
		if (colon) {
			*colon = '\0';
			access = line[0];
			secret = colon + 1;
		}
	} else if (n == 2 && !strchr(line[0], ':')) {
		access = line[0];
		secret = line[1];
	}
	if (!access) {
		const char *found = n == 0 ? "it is empty"
				    : n == 1 ? "its one line has no ':'"
				    : n == 2 ? "line 1 holds a ':' as well"
				    : "it has more than two lines";
		err_set(err, "S3 key file %s must hold ACCESS_KEY:SECRET on one "
			"line, or the access key on line 1 and the secret on "
			"line 2; %s", path, found);
		goto out;
	}
	if (!key_token_ok(access) || !key_token_ok(secret)) {
		err_set(err, "S3 key file %s: the access key or the secret is "
			"empty or holds a space or a control character", path);
		goto out;
	}
	*creds = xasprintf("%s:%s", access, secret);
	/* Scrubbed from every message (util.h), and so from "ACCESS:SECRET"
	 * too; forgotten in mediahost_free. */
	secret_register(secret);
	rc = 0;
out:
	close(fd);
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

/* The secret part of h->creds. */
static const char *creds_secret(const struct mediahost *h)
{
	const char *c = h->creds ? strchr(h->creds, ':') : NULL;
	return c ? c + 1 : "";
}

/* ----------------------------------------------------------- lifetime */

int mediahost_new(const struct config *cfg, struct http_client *http,
		  struct mediahost **out, struct err *err)
{
	const struct media_host *m = &cfg->media;
	struct mediahost *h = NULL;
	struct http_options fo = {
		.connect_timeout = cfg->http.connect_timeout > 0
				   ? cfg->http.connect_timeout : 10,
		.timeout = cfg->http.upload_timeout > 0
			   ? cfg->http.upload_timeout : 120,
		.max_response = FETCH_MAX,
		.user_agent = "ritual/" RITUAL_VERSION
			      " (media check; like facebookexternalhit/1.1)",
	};
	*out = NULL;

	if (!m->dir && !m->s3_endpoint)
		return 0;
	if (m->dir && m->s3_endpoint)
		return err_set(err, "media: both dir and s3 are set; expected exactly one");
	if (!m->url || !*m->url)
		return err_set(err, "media: url is not set; expected the public "
			       "address of the images, e.g. "
			       "url = \"https://media.example.com/ritual/\";");
	if (m->s3_endpoint && (!m->s3_bucket || !m->s3_region || !m->s3_key_file))
		return err_set(err, "media.s3: endpoint, bucket, region and "
			       "key_file are all required");

	h = xcalloc(1, sizeof(*h));
	h->http = http;
	h->upload_timeout = fo.timeout;
	size_t ul = strlen(m->url);
	h->url = m->url[ul - 1] == '/' ? xstrdup(m->url) : xasprintf("%s/", m->url);

	if (m->dir) {
		h->kind = BACKEND_DIR;
		h->dir = xstrdup(m->dir);
	} else {
		h->kind = BACKEND_S3;
		size_t el = strlen(m->s3_endpoint);
		while (el > 0 && m->s3_endpoint[el - 1] == '/')
			el--;
		h->endpoint = xstrndup(m->s3_endpoint, el);
		h->bucket = xstrdup(m->s3_bucket);
		h->key_file = xstrdup(m->s3_key_file);
		h->sigv4 = xasprintf("aws:amz:%s:s3", m->s3_region);
		if (read_key_file(m->s3_key_file, &h->creds, err) < 0)
			goto fail;
	}

	if (http_client_new(&fo, &h->fetch, err) < 0)
		goto fail;
	*out = h;
	return 0;
fail:
	mediahost_free(h);
	return -1;
}

void mediahost_free(struct mediahost *h)
{
	if (!h)
		return;
	http_client_free(h->fetch);
	free(h->url);
	free(h->dir);
	free(h->endpoint);
	free(h->bucket);
	free(h->key_file);
	free(h->sigv4);
	secret_forget(creds_secret(h));   /* "" without creds: a no-op */
	secret_free(h->creds);
	free(h);
}

/* -------------------------------------------------------------- names */

void mediahost_name(const char *ext, char *buf, size_t len)
{
	unsigned char rnd[16];
	char hex[2 * sizeof(rnd) + 1];

	if (len == 0)
		return;
	if (random_bytes(rnd, sizeof(rnd)) < 0) {
		/* Without randomness the name would be guessable: give no
		 * name rather than a weak one (mediahost_put refuses ""). */
		buf[0] = '\0';
		return;
	}
	hex_encode(rnd, sizeof(rnd), hex);
	int n = snprintf(buf, len, "ritual-%s.%s", hex, ext);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';  /* a cut name would lose its extension */
	explicit_bzero(rnd, sizeof(rnd));
}

static int valid_name(const char *name)
{
	size_t n = 0;
	if (!name || !*name || name[0] == '.')
		return 0;
	for (const char *p = name; *p; p++, n++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return n <= NAME_MAX_LEN;
}

char *mediahost_url(const struct mediahost *h, const char *name)
{
	char *e = http_escape(name);
	char *u = xasprintf("%s%s", h->url, e);
	free(e);
	return u;
}

/* {endpoint}/{bucket}/{name}, path-style. */
static char *s3_object_url(const struct mediahost *h, const char *name)
{
	char *b = http_escape(h->bucket);
	char *n = http_escape(name);
	char *u = xasprintf("%s/%s/%s", h->endpoint, b, n);
	free(b);
	free(n);
	return u;
}

/* ----------------------------------------------------------- S3 errors */

/* The decoded text of the first <tag>...</tag> in body, or NULL. Control
 * characters become spaces; at most S3_TEXT_MAX bytes are kept. */
static char *xml_text(const char *body, const char *tag)
{
	char *open = xasprintf("<%s>", tag);
	char *close = xasprintf("</%s>", tag);
	char *out = NULL;
	const char *a = strstr(body, open);
	const char *z = a ? strstr(a + strlen(open), close) : NULL;
	if (!a || !z)
		goto done;
	a += strlen(open);

	static const struct {
		const char *ent;
		char c;
	} ents[] = {
		{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
		{"&quot;", '"'}, {"&apos;", '\''},
	};
	struct buf b = {0};
	while (a < z && b.len < S3_TEXT_MAX) {
		char c = *a;
		size_t adv = 1;
		if (c == '&') {
			for (size_t i = 0; i < RT_ARRAY_LEN(ents); i++) {
				size_t el = strlen(ents[i].ent);
				if ((size_t)(z - a) >= el &&
				    memcmp(a, ents[i].ent, el) == 0) {
					c = ents[i].c;
					adv = el;
					break;
				}
			}
		} else if ((unsigned char)c < 0x20 || c == 0x7f) {
			c = ' ';
		}
		buf_putc(&b, c);
		a += adv;
	}
	out = buf_steal(&b);
	str_trim(out);
	if (!*out) {
		free(out);
		out = NULL;
	}
done:
	free(open);
	free(close);
	return out;
}

/* What to check, from S3's error code (NULL when unknown). */
static const char *s3_hint(const struct mediahost *h, long status,
			   const char *code, const char *signed_headers,
			   int deleting, char *buf, size_t len)
{
	const char *c = code ? code : "";
	if (strcmp(c, "SignatureDoesNotMatch") == 0)
		snprintf(buf, len, "either the secret in the key file %s does "
			 "not belong to its access key (copy both again from the "
			 "storage provider's console), or the server rebuilt "
			 "another request than ritual signed (signed headers: "
			 "%s; a proxy in front of the storage that changes "
			 "them?)", h->key_file,
			 signed_headers && *signed_headers ? signed_headers
							   : "unknown");
	else if (strcmp(c, "InvalidAccessKeyId") == 0)
		snprintf(buf, len, "the access key in %s is unknown at %s; check "
			 "it and media.s3.endpoint", h->key_file, h->endpoint);
	else if (strcmp(c, "AccessDenied") == 0)
		snprintf(buf, len, "the key in %s may not %s objects in bucket "
			 "%s; grant it s3:PutObject and s3:DeleteObject",
			 h->key_file, deleting ? "delete" : "write", h->bucket);
	else if (strcmp(c, "NoSuchBucket") == 0)
		snprintf(buf, len, "there is no bucket %s at %s; check "
			 "media.s3.bucket and media.s3.endpoint",
			 h->bucket, h->endpoint);
	else if (strcmp(c, "AuthorizationHeaderMalformed") == 0 ||
		 strcmp(c, "PermanentRedirect") == 0 ||
		 strcmp(c, "IllegalLocationConstraintException") == 0 ||
		 status == 301 || status == 307)
		snprintf(buf, len, "the bucket lives in another region or at "
			 "another endpoint; check media.s3.region and "
			 "media.s3.endpoint");
	else if (strcmp(c, "RequestTimeTooSkewed") == 0 ||
		 strcmp(c, "RequestExpired") == 0)
		snprintf(buf, len, "this machine's clock is off; set it right "
			 "(NTP) and try again");
	else if (strcmp(c, "EntityTooLarge") == 0 || status == 413)
		snprintf(buf, len, "the storage refuses a file this large");
	else if (status >= 500 || status == 429 || strcmp(c, "SlowDown") == 0)
		snprintf(buf, len, "the storage service had a problem; it will "
			 "be tried again");
	else
		return NULL;
	return buf;
}

/* S3 error codes that only the owner can fix (the key file, the bucket,
 * the region): trying again sends the same refused request. */
static int s3_code_is_config(const char *code)
{
	static const char *const cfg_codes[] = {
		"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied",
		"NoSuchBucket", "AuthorizationHeaderMalformed",
		"PermanentRedirect", "IllegalLocationConstraintException",
	};
	for (size_t i = 0; code && i < RT_ARRAY_LEN(cfg_codes); i++)
		if (strcmp(code, cfg_codes[i]) == 0)
			return 1;
	return 0;
}

/* "S3 PUT of NAME to bucket B at E failed: HTTP 403 SignatureDoesNotMatch
 * (The request signature...); hint". */
static int s3_fail(const struct mediahost *h, const char *what,
		   const char *name, const struct http_response *r,
		   int deleting, struct err *err)
{
	char *code = xml_text(r->body, "Code");
	char *msg = xml_text(r->body, "Message");
	const char *secret = creds_secret(h);
	char hint[512];
	struct buf b = {0};

	/* No S3 server quotes the secret, but this text reaches logs. */
	if (*secret && ((code && strstr(code, secret)) || (msg && strstr(msg, secret)))) {
		free(code);
		free(msg);
		code = xstrdup("(withheld: it quoted the key)");
		msg = NULL;
	}
	buf_printf(&b, "HTTP %ld", r->status);
	if (code)
		buf_printf(&b, " %s", code);
	if (msg)
		buf_printf(&b, " (%s)", msg);
	if (!code && !msg)
		buf_puts(&b, " without an S3 error code");
	const char *hn = s3_hint(h, r->status, code, r->signed_headers,
				 deleting, hint, sizeof(hint));
	int rc = s3_code_is_config(code) ? MEDIAHOST_CONFIG : -1;
	err_set(err, "S3 %s of %s %s bucket %s at %s failed: %s%s%s", what,
		name, deleting ? "in" : "to", h->bucket, h->endpoint, b.data,
		hn ? "; " : "", hn ? hn : "");
	buf_free(&b);
	free(code);
	free(msg);
	return rc;
}

/* ------------------------------------------------------------ storing */

static int dir_store(struct mediahost *h, const char *name, const void *data,
		     size_t len, struct err *err)
{
	char *path = xasprintf("%s/%s", h->dir, name);
	struct err e;
	int rc = write_file_atomic(path, data, len, 0644, &e);
	if (rc < 0)
		err_set(err, "could not write the image %s into media.dir %s: %s; "
			"rituald must be able to write there",
			name, h->dir, e.msg);
	free(path);
	return rc;
}

/*
 * AWS S3 refuses a SigV4 request without x-amz-content-sha256 ("Missing
 * required header for this request"), and libcurl before 8.x does not add
 * it; when the header is given, libcurl signs it and uses its value as the
 * payload hash. A PUT says UNSIGNED-PAYLOAD (accepted by AWS, R2, B2 and
 * MinIO; the transfer is HTTPS and the fetch-back compares every byte, so
 * hashing the body here would add no check and a SHA-256 of our own); a
 * DELETE sends the hash of the empty body.
 */
static const char *const s3_put_headers[] = {
	"x-amz-content-sha256: UNSIGNED-PAYLOAD", NULL
};
static const char *const s3_delete_headers[] = {
	"x-amz-content-sha256: "
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", NULL
};

static int s3_store(struct mediahost *h, const char *name, const void *data,
		    size_t len, const char *mime, struct err *err)
{
	char *url = s3_object_url(h, name);
	struct http_response r;
	struct http_request req = {
		.method = "PUT",
		.url = url,
		.headers = s3_put_headers,
		.content_type = mime,
		.body = len ? data : "",
		.body_len = len,
		.aws_sigv4 = h->sigv4,
		.aws_credentials = h->creds,
		.timeout = h->upload_timeout,
	};
	int rc = -1;
	if (http_perform(h->http, &req, &r) < 0) {
		err_set(err, "S3 PUT of %s to bucket %s at %s failed: %s%s", name,
			h->bucket, h->endpoint, r.error,
			r.fail == HTTP_NOT_SENT ? "; check media.s3.endpoint"
						: " (it may or may not be stored)");
		goto out;
	}
	if (r.status != 200 && r.status != 201 && r.status != 204) {
		rc = s3_fail(h, "PUT", name, &r, 0, err);
		goto out;
	}
	rc = 0;
out:
	http_response_free(&r);
	free(url);
	return rc;
}

static int store(struct mediahost *h, const char *name, const void *data,
		 size_t len, const char *mime, struct err *err)
{
	if (h->kind == BACKEND_DIR)
		return dir_store(h, name, data, len, err);
	return s3_store(h, name, data, len, mime, err);
}

/* ---------------------------------------------------------- fetch-back */

/* Why a public GET answered status instead of 200. */
static const char *fetch_hint(const struct mediahost *h, long status)
{
	if (status == 401 || status == 403)
		return h->kind == BACKEND_S3
		       ? "the bucket is not publicly readable; Meta must be "
			 "able to download it without credentials"
		       : "the folder is not publicly readable; Meta must be "
			 "able to download it without credentials";
	if (status == 404 || status == 410)
		return h->kind == BACKEND_S3
		       ? "media.url does not serve the bucket's objects; set "
			 "it to the bucket's public address"
		       : "media.url does not serve media.dir; set it to the "
			 "address where the web server publishes that folder";
	if (status >= 300 && status < 400)
		return "it redirects; Meta must get the image itself, so set "
		       "media.url to the final address";
	if (status == 429 || status >= 500)
		return "the web server failed; if this lasts, Meta cannot "
		       "download the image either";
	return "Meta must be able to download it without credentials";
}

/* The media type of a Content-Type value equals mime (case and
 * parameters ignored). */
static int same_type(const char *ctype, const char *mime)
{
	size_t n = strcspn(ctype, "; \t");
	return strlen(mime) == n && strncasecmp(ctype, mime, n) == 0;
}

static int fetch_back(struct mediahost *h, const char *url, const void *data,
		      size_t len, const char *mime, struct err *err)
{
	struct http_response r;
	struct http_request req = {.method = "GET", .url = url};
	int rc = -1;

	if (http_perform(h->fetch, &req, &r) < 0) {
		if (r.fail == HTTP_TOO_LARGE)
			err_set(err, "the image was stored but the public URL %s "
				"served different bytes (more than %ld bytes "
				"instead of %zu): a cache or a rewrite in front "
				"of it?", url, FETCH_MAX, len);
		else
			err_set(err, "the image was stored but fetching %s failed: "
				"%s; check media.url: Meta must be able to "
				"download it from there", url, r.error);
		goto out;
	}
	if (r.status != 200) {
		const char *loc = http_header(&r, "location");
		err_set(err, "the image was stored but %s answered HTTP %ld%s%s: %s",
			url, r.status, loc ? " to " : "", loc ? loc : "",
			fetch_hint(h, r.status));
		goto out;
	}
	if (r.body_len != len) {
		err_set(err, "the image was stored but the public URL %s served "
			"different bytes (%zu bytes instead of %zu): a cache or "
			"a rewrite in front of it?", url, r.body_len, len);
		goto out;
	}
	if (memcmp(r.body, data, len) != 0) {
		err_set(err, "the image was stored but the public URL %s served "
			"different bytes (the same %zu bytes in size, another "
			"content): a cache or a rewrite in front of it?",
			url, len);
		goto out;
	}
	const char *ct = http_header(&r, "content-type");
	if (mime && (!ct || !same_type(ct, mime))) {
		err_set(err, "the image was stored but %s serves it as \"%s\", not "
			"%s; Meta refuses images with the wrong Content-Type: "
			"%s", url, ct ? ct : "(no Content-Type)", mime,
			h->kind == BACKEND_S3
			? "the object was uploaded with the right type, so "
			  "something in front of the bucket changes it"
			: "map the file extension to that type in the web "
			  "server");
		goto out;
	}
	rc = 0;
out:
	http_response_free(&r);
	return rc;
}

/* ------------------------------------------------------------- public */

int mediahost_put(struct mediahost *h, const char *name, const void *data,
		  size_t len, const char *mime, char **url, struct err *err)
{
	if (url)
		*url = NULL;
	if (!valid_name(name))
		return err_set(err, "refusing to store an image under the name "
			       "\"%s\": expected letters, digits, '.', '_' and "
			       "'-' only", name ? name : "");
	if (len >= (size_t)FETCH_MAX)
		return err_set(err, "the image %s is too large to host "
			       "(%zu bytes; at most %ld)", name, len, FETCH_MAX - 1);
	int rc = store(h, name, data, len, mime, err);
	if (rc < 0)
		return rc;
	char *u = mediahost_url(h, name);
	if (fetch_back(h, u, data, len, mime, err) < 0) {
		free(u);
		return -1;
	}
	if (url)
		*url = u;
	else
		free(u);
	return 0;
}

int mediahost_remove(struct mediahost *h, const char *name, struct err *err)
{
	if (!valid_name(name))
		return err_set(err, "refusing to remove the name \"%s\": expected "
			       "letters, digits, '.', '_' and '-' only",
			       name ? name : "");
	if (h->kind == BACKEND_DIR) {
		char *path = xasprintf("%s/%s", h->dir, name);
		int rc = 0;
		if (unlink(path) < 0 && errno != ENOENT)
			rc = err_set(err, "could not remove %s from media.dir: %s",
				     path, strerror(errno));
		free(path);
		return rc;
	}

	char *url = s3_object_url(h, name);
	struct http_response r;
	struct http_request req = {
		.method = "DELETE",
		.url = url,
		.headers = s3_delete_headers,
		.aws_sigv4 = h->sigv4,
		.aws_credentials = h->creds,
	};
	int rc = -1;
	if (http_perform(h->http, &req, &r) < 0) {
		err_set(err, "S3 DELETE of %s in bucket %s at %s failed: %s", name,
			h->bucket, h->endpoint, r.error);
		goto out;
	}
	if (r.status != 200 && r.status != 204 && r.status != 404) {
		rc = s3_fail(h, "DELETE", name, &r, 1, err);
		goto out;
	}
	rc = 0;
out:
	http_response_free(&r);
	free(url);
	return rc;
}

int mediahost_check(struct mediahost *h, struct err *err)
{
	char name[MEDIAHOST_NAME_SIZE];
	struct err e = {""};
	char *url = NULL;
	const char *where;
	char *place = h->kind == BACKEND_DIR
		      ? xasprintf("the folder %s", h->dir)
		      : xasprintf("bucket %s at %s", h->bucket, h->endpoint);
	int rc = -1;

	mediahost_name("jpg", name, sizeof(name));
	if (!*name) {
		err_set(err, "media check: no random bytes for a file name");
		goto out;
	}
	int st = store(h, name, check_jpeg, sizeof(check_jpeg), "image/jpeg", &e);
	if (st < 0) {
		rc = st;
		err_set(err, "media check, step 1 of 3 (store a test image in %s) "
			"failed: %s", place, e.msg);
		goto out;
	}
	url = mediahost_url(h, name);
	if (fetch_back(h, url, check_jpeg, sizeof(check_jpeg), "image/jpeg", &e) < 0) {
		struct err r = {""};
		where = mediahost_remove(h, name, &r) < 0 ? r.msg
			: "the test image was removed";
		err_set(err, "media check, step 2 of 3 (fetch it back through "
			"media.url) failed: %s (%s)", e.msg, where);
		goto out;
	}
	if ((st = mediahost_remove(h, name, &e)) < 0) {
		rc = st;
		err_set(err, "media check, step 3 of 3 (remove the test image) "
			"failed: %s", e.msg);
		goto out;
	}
	err_set(err, "stored a %zu-byte test image in %s, fetched it back "
		"unchanged from %s, removed it", sizeof(check_jpeg), place, url);
	rc = 0;
out:
	free(url);
	free(place);
	return rc;
}
