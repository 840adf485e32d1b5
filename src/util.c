/*
 * util.c - allocation, error values, buffers, files, paths, UTF-8.
 *
 * Owns nothing but process-wide helpers; never touches the database, the
 * network or the configuration.
 */
#include "ritual/util.h"

#include <ctype.h>
#include <signal.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <time.h>

static void oom(void)
{
	static const char msg[] = "ritual: out of memory\n";
	ssize_t r = write(2, msg, sizeof(msg) - 1);
	(void)r;
	abort();
}

time_t wall_now(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return time(NULL);
	return ts.tv_sec;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		oom();
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

int err_set(struct err *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	secret_scrub(err->msg, sizeof(err->msg));
	return -1;
}

void err_prefix(struct err *err, const char *fmt, ...)
{
	if (!err)
		return;
	char pre[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	char *joined = xasprintf("%s: %s", pre, err->msg);
	size_t n = strlen(joined);
	if (n >= sizeof(err->msg))
		n = sizeof(err->msg) - 1;
	memcpy(err->msg, joined, n);
	err->msg[n] = '\0';
	free(joined);
}

void diag_add(struct diag *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	d->msgs = xrealloc(d->msgs, (d->n + 1) * sizeof(*d->msgs));
	d->msgs[d->n++] = m;
}

void diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = 0;
}

static void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap, cp;
	va_start(ap, fmt);
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		oom();
	buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	va_end(ap);
}

char *buf_steal(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

const char *file_kind(unsigned mode)
{
	if (S_ISDIR(mode))
		return "a folder";
	if (S_ISFIFO(mode))
		return "a FIFO (named pipe)";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISREG(mode))
		return "a regular file";
	return "not a regular file";
}

int read_file(const char *path, unsigned char **data, size_t *len, size_t max,
	      struct err *err)
{
	/* O_NONBLOCK: a FIFO (or a device) must not block open() forever;
	 * it is refused below, and it has no effect on a regular file. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return err_set(err, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return err_set(err, "cannot read %s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, "%s is %s, not a regular file", path,
			       file_kind(st.st_mode));
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return err_set(err, "%s is too large (%lld bytes; at most %zu)",
			       path, (long long)st.st_size, max);
	}
	struct buf b = {0};
	char chunk[65536];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			buf_free(&b);
			return err_set(err, "cannot read %s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > max) {
			close(fd);
			buf_free(&b);
			return err_set(err, "%s is too large (more than %zu bytes)",
				       path, max);
		}
		buf_append(&b, chunk, (size_t)r);
	}
	close(fd);
	*len = b.len;
	*data = (unsigned char *)buf_steal(&b);
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len,
		      unsigned mode, struct err *err)
{
	char *dir = path_dirname(path);
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkstemp(tmp);
	int rc = -1;
	if (fd < 0) {
		err_set(err, "cannot create a file in %s: %s", dir, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		err_set(err, "cannot set the mode of %s: %s", tmp, strerror(errno));
		goto fail;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err_set(err, "cannot write %s: %s", tmp, strerror(errno));
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		err_set(err, "cannot sync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		err_set(err, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err_set(err, "cannot replace %s: %s", path, strerror(errno));
		goto fail;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	return rc;
}

int read_secret_file(const char *path, char **out, struct err *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_set(err, "cannot open token file %s: %s", path,
			       strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(err, "token file %s is not a regular file", path);
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return err_set(err,
			       "token file %s can be read by group or others "
			       "(mode %03o); run: chmod 600 %s",
			       path, (unsigned)(st.st_mode & 0777), path);
	}
	if (st.st_size > 16384) {
		close(fd);
		return err_set(err, "token file %s is too large to be a token", path);
	}
	char raw[16385];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, raw + len, sizeof(raw) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			explicit_bzero(raw, sizeof(raw));
			return err_set(err, "cannot read token file %s: %s", path,
				       strerror(e));
		}
		if (r == 0 || len + (size_t)r >= sizeof(raw) - 1) {
			len += (size_t)(r > 0 ? r : 0);
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	raw[len] = '\0';
	char *t = str_trim(raw);
	if (*t == '\0') {
		explicit_bzero(raw, sizeof(raw));
		return err_set(err, "token file %s is empty; put the access token in it", path);
	}
	for (const char *c = t; *c; c++) {
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) {
			explicit_bzero(raw, sizeof(raw));
			return err_set(err,
				       "token file %s holds more than one token-like "
				       "word or a control character; it must hold "
				       "only the token", path);
		}
	}
	*out = xstrdup(t);
	explicit_bzero(raw, sizeof(raw));
	secret_register(*out);
	return 0;
}

void secret_free(char *s)
{
	if (!s)
		return;
	secret_forget(s);
	explicit_bzero(s, strlen(s));
	free(s);
}

/* ---- the secret registry ---- */

#define SECRET_MIN 8   /* >= strlen("[secret]"): a scrub never grows */

struct secret_entry {
	char *value;
	size_t len;
	unsigned refs;
};

static struct secret_entry *secrets;
static size_t nsecrets, capsecrets;

void secret_register(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	if (len < SECRET_MIN)
		return;
	for (size_t i = 0; i < nsecrets; i++) {
		if (secrets[i].len == len && memcmp(secrets[i].value, s, len) == 0) {
			secrets[i].refs++;
			return;
		}
	}
	if (nsecrets == capsecrets) {
		capsecrets = capsecrets ? capsecrets * 2 : 8;
		secrets = xrealloc(secrets, capsecrets * sizeof(*secrets));
	}
	secrets[nsecrets++] = (struct secret_entry){xstrdup(s), len, 1};
}

void secret_forget(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	if (len < SECRET_MIN)
		return;
	for (size_t i = 0; i < nsecrets; i++) {
		if (secrets[i].len != len || memcmp(secrets[i].value, s, len) != 0)
			continue;
		if (--secrets[i].refs == 0) {
			explicit_bzero(secrets[i].value, len);
			free(secrets[i].value);
			secrets[i] = secrets[--nsecrets];
		}
		return;
	}
}

/* The length of the longest prefix (of SECRET_MIN bytes or more) of e that
 * the n bytes at s end with; 0 when none. */
static size_t prefix_at_end(const struct secret_entry *e, const char *s, size_t n)
{
	size_t k = e->len - 1 < n ? e->len - 1 : n;
	for (; k >= SECRET_MIN; k--)
		if (memcmp(s + n - k, e->value, k) == 0)
			return k;
	return 0;
}

void secret_scrub(char *buf, size_t size)
{
	static const char mark[] = "[secret]";
	static const char dots[] = "...";
	const size_t ml = sizeof(mark) - 1;
	if (!buf || size == 0)
		return;
	if (strnlen(buf, size) == size)
		buf[size - 1] = '\0';
	for (size_t i = 0; i < nsecrets; i++) {
		const struct secret_entry *e = &secrets[i];
		char *p = buf;
		while ((p = strstr(p, e->value)) != NULL) {
			size_t used = strlen(buf) + 1;        /* with the NUL */
			size_t tail = used - (size_t)(p - buf) - e->len;
			/* SECRET_MIN >= the mark's length: never grows. */
			memcpy(p, mark, ml);
			memmove(p + ml, p + e->len, tail);
			p += ml;
		}
		/* A text cut short (snprintf's edge, or an ellipsis put where
		 * it was cut) may end with the start of a secret. */
		size_t n = strlen(buf), d = 0;
		if (n >= sizeof(dots) - 1 &&
		    strcmp(buf + n - (sizeof(dots) - 1), dots) == 0)
			d = sizeof(dots) - 1;
		size_t k = prefix_at_end(e, buf, n);
		if (!k && d)
			k = prefix_at_end(e, buf, n - d);
		else
			d = 0;
		if (k) {
			char *q = buf + n - d - k;
			memcpy(q, mark, ml);
			memmove(q + ml, q + k, d + 1);
		}
	}
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

char *path_resolve(const char *base_dir, const char *path)
{
	if (path[0] == '/' || !base_dir || !*base_dir)
		return xstrdup(path);
	if (strcmp(base_dir, ".") == 0)
		return xstrdup(path);
	size_t bl = strlen(base_dir);
	if (bl && base_dir[bl - 1] == '/')
		return xasprintf("%s%s", base_dir, path);
	return xasprintf("%s/%s", base_dir, path);
}

char *path_absolute(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	return path_resolve(cwd, path);
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			min = 0x80;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			min = 0x800;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			min = 0x10000;
			c &= 0x07;
		} else {
			return 0;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

size_t utf8_length(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	return n;
}

char *str_trim(char *s)
{
	char *start = s;
	while (*start && isspace((unsigned char)*start))
		start++;
	size_t len = strlen(start);
	while (len && isspace((unsigned char)start[len - 1]))
		len--;
	memmove(s, start, len);
	s[len] = '\0';
	return s;
}

int str_casecmp_ascii(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
		if (ca != cb || !ca)
			return ca - cb;
	}
}

int str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Copy of s with every whitespace run folded to one space, trimmed. */
static char *fold_space(const char *s)
{
	struct buf b = {0};
	int pending = 0;
	for (; *s; s++) {
		if (isspace((unsigned char)*s)) {
			pending = b.len > 0;
			continue;
		}
		if (pending)
			buf_putc(&b, ' ');
		pending = 0;
		buf_putc(&b, *s);
	}
	return buf_steal(&b);
}

int str_equal_folded(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return 1;
	char *fa = fold_space(a), *fb = fold_space(b);
	int eq = strcmp(fa, fb) == 0;
	free(fa);
	free(fb);
	return eq;
}

char **str_split(const char *s, const char *seps, size_t *n)
{
	size_t count = 0;
	char **v = xcalloc(1, sizeof(*v));
	const char *p = s;
	while (*p) {
		p += strspn(p, seps);
		if (!*p)
			break;
		size_t len = strcspn(p, seps);
		v = xrealloc(v, (count + 2) * sizeof(*v));
		v[count++] = xstrndup(p, len);
		v[count] = NULL;
		p += len;
	}
	if (n)
		*n = count;
	return v;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int random_bytes(void *buf, size_t len)
{
	unsigned char *p = buf;
	while (len) {
		ssize_t r = getrandom(p, len, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void pause_point(const char *name)
{
	const char *at = getenv("RITUAL_TEST_PAUSE_AT");
	const char *file = getenv("RITUAL_TEST_PAUSE_FILE");
	if (!at || !file || !*file || strcmp(at, name) != 0)
		return;
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	close(fd);
	for (int i = 0; i < 6000 && access(file, F_OK) == 0; i++) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

void crash_point(const char *name)
{
	static const char *at;
	static int read_env;
	if (!read_env) {
		at = getenv("RITUAL_TEST_CRASH_AT");
		read_env = 1;
	}
	if (at && strcmp(at, name) == 0)
		kill(getpid(), SIGKILL);
}

/* One dotted-quad part: 1-3 decimal digits, no leading zero, <= 255. */
static int quad_part(const char *s, size_t n)
{
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 255 ? v : -1;
}

int host_is_loopback(const char *host, size_t len)
{
	if (len == 9 && strncasecmp(host, "localhost", 9) == 0)
		return 1;
	if ((len == 5 && memcmp(host, "[::1]", 5) == 0) ||
	    (len == 3 && memcmp(host, "::1", 3) == 0))
		return 1;
	/* exactly four decimal parts, the first 127 */
	size_t start = 0;
	int parts = 0, first = -1;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && host[i] != '.')
			continue;
		int v = quad_part(host + start, i - start);
		if (v < 0 || ++parts > 4)
			return 0;
		if (parts == 1)
			first = v;
		start = i + 1;
	}
	return parts == 4 && first == 127;
}

/* Append piece (len bytes) to out[*at..size) if it fits whole; once one
 * does not, nothing more is written (*full), so the text ends at a whole
 * character or escape. */
static void esc_put(char *out, size_t size, size_t *at, int *full,
		    const void *piece, size_t len)
{
	if (!*full && size && *at + len < size) {
		memcpy(out + *at, piece, len);
		*at += len;
	} else {
		*full = 1;
	}
}

size_t str_escape_to(char *out, size_t size, const char *s, const char *keep,
		     unsigned flags)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), need = 0, at = 0;
	int full = 0;
	int controls = !(flags & STR_ESC_INVALID_ONLY);
	char e[8];
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		size_t k = 1;
		int esc = 0;
		if (c < 0x20 || c == 0x7f) {
			esc = controls && !(keep && c != 0 && strchr(keep, (int)c));
		} else if (c >= 0x80) {
			/* length of a valid sequence here, else one bad byte */
			size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
			if (want && i + want <= n && utf8_valid((const char *)p + i, want))
				k = want;
			else
				esc = 1;
			/* C1 controls U+0080..U+009F: C2 80..C2 9F */
			if (controls && k == 2 && c == 0xc2 && p[i + 1] <= 0x9f) {
				snprintf(e, sizeof(e), "\\u%04x", (unsigned)p[i + 1]);
				esc_put(out, size, &at, &full, e, 6);
				need += 6;
				i += 2;
				continue;
			}
		}
		if (esc) {
			snprintf(e, sizeof(e), "\\x%02x", c);
			esc_put(out, size, &at, &full, e, 4);
			need += 4;
		} else {
			esc_put(out, size, &at, &full, p + i, k);
			need += k;
		}
		i += k;
	}
	if (size)
		out[at] = '\0';
	return need;
}

char *str_escape_controls(const char *s, const char *keep)
{
	size_t n = str_escape_to(NULL, 0, s, keep, 0);
	char *out = xmalloc(n + 1);
	str_escape_to(out, n + 1, s, keep, 0);
	return out;
}

void free_wiped(void *p)
{
	if (!p)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

void *realloc_wiped(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	if (n == 0) {
		free_wiped(p);
		return NULL;
	}
	size_t old = malloc_usable_size(p);
	if (n <= old)
		return p;  /* shrinking in place leaves nothing behind */
	void *q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, old);
	free_wiped(p);
	return q;
}

int process_harden(struct err *err)
{
	/* No core file, no ptrace by the same user, no /proc/PID/mem for
	 * others: memory holds tokens while a request is in flight. */
	struct rlimit none = {0, 0};
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return err_set(err, "cannot switch core dumps off: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return err_set(err, "cannot make the process non-dumpable: %s",
			       strerror(errno));
	/* Parsed JSON can hold a token (Instagram's refresh answer). */
	json_set_alloc_funcs(malloc, free_wiped);
	return 0;
}

static int fold_ascii(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

size_t str_distance(const char *a, size_t la, const char *b, size_t lb)
{
	enum { MAXLEN = 64 };
	size_t d[3][MAXLEN + 1];   /* rows i-2, i-1, i (mod 3) */
	if (la > MAXLEN || lb > MAXLEN)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t *cur = d[i % 3], *up = d[(i - 1) % 3], *up2 = d[(i + 1) % 3];
		cur[0] = i;
		int ca = fold_ascii((unsigned char)a[i - 1]);
		for (size_t j = 1; j <= lb; j++) {
			int cb = fold_ascii((unsigned char)b[j - 1]);
			size_t v = up[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (up[j - 1] + (ca != cb) < v)
				v = up[j - 1] + (ca != cb);
			if (i > 1 && j > 1 && ca == fold_ascii((unsigned char)b[j - 2]) &&
			    fold_ascii((unsigned char)a[i - 2]) == cb &&
			    up2[j - 2] + 1 < v)
				v = up2[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[la % 3][lb];
}

const char *str_closest(const char *word, const char *const *names, size_t n)
{
	size_t wl = strlen(word);
	size_t limit = wl <= 4 ? 1 : wl / 3;
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);
		size_t d = str_distance(word, wl, names[i], nl);
		if (d <= limit && d < wl && d < nl && d < best_d) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}

int list_dir_names(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	*names = NULL;
	*n = 0;
	if (!d)
		return -1;
	char **v = xcalloc(1, sizeof(*v));
	size_t count = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		v = xrealloc(v, (count + 2) * sizeof(*v));
		v[count++] = xstrdup(de->d_name);
		v[count] = NULL;
	}
	closedir(d);
	*names = v;
	*n = count;
	return 0;
}

char *base64_encode(const void *in, size_t n, int url)
{
	static const char std[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char safe[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *tab = url ? safe : std;
	const unsigned char *d = in;
	char *out = xmalloc((n + 2) / 3 * 4 + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)d[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)d[i + 1] << 8;
		if (i + 2 < n)
			v |= d[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = tab[(v >> 6) & 63];
		else if (!url)
			out[o++] = '=';
		if (i + 2 < n)
			out[o++] = tab[v & 63];
		else if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

int token_expiry_write(const char *token_file, time_t expires, struct err *err)
{
	char *path = xasprintf("%s.expires", token_file);
	int rc = 0;
	if (expires > 0) {
		char *line = xasprintf("%lld\n", (long long)expires);
		rc = write_file_atomic(path, line, strlen(line), 0600, err);
		free(line);
	} else if (unlink(path) < 0 && errno != ENOENT) {
		rc = err_set(err, "cannot remove %s: %s", path, strerror(errno));
	}
	free(path);
	return rc;
}

int token_expiry_read(const char *token_file, time_t *expires)
{
	struct stat tok, exp;
	char *path = xasprintf("%s.expires", token_file);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd < 0)
		return 0;
	char buf[32];
	ssize_t n = -1;
	if (fstat(fd, &exp) == 0 && stat(token_file, &tok) == 0 &&
	    (exp.st_mtim.tv_sec > tok.st_mtim.tv_sec ||
	     (exp.st_mtim.tv_sec == tok.st_mtim.tv_sec &&
	      exp.st_mtim.tv_nsec >= tok.st_mtim.tv_nsec)))
		n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *end;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	while (*end == '\n' || *end == '\r' || *end == ' ')
		end++;
	if (errno || end == buf || *end || v <= 0)
		return 0;
	*expires = (time_t)v;
	return 1;
}

long token_days_left(const char *token_file, time_t now)
{
	time_t exp;
	if (!token_expiry_read(token_file, &exp))
		return -1;
	return exp <= now ? 0 : (long)((exp - now) / 86400);
}
