/*
 * util.h - small helpers shared by every part: allocation that cannot fail
 * silently, error values, growable buffers, files, paths, UTF-8.
 *
 * Conventions used across ritual:
 *  - Functions return 0 on success and -1 on failure, filling a caller-owned
 *    struct err with a message meant for a human (what, where, how to fix).
 *  - x* allocators abort the process on out-of-memory (there is nothing
 *    useful a daemon can do with a failed 100-byte malloc); everything they
 *    return is owned by the caller and released with free().
 */
#ifndef RITUAL_UTIL_H
#define RITUAL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#if defined(__GNUC__)
#define RT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define RT_PRINTF(a, b)
#endif

#define RT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One error message, owned by the caller (usually on its stack). */
struct err {
	char msg[1024];
};

/* Format into err->msg (truncating safely, every registered secret
 * scrubbed: see secret_scrub). Always returns -1 so callers can write
 * `return err_set(err, "...")`. err may be NULL. */
int err_set(struct err *err, const char *fmt, ...) RT_PRINTF(2, 3);
/* Prefix err->msg with "prefix: " (e.g. a file name). err may be NULL. */
void err_prefix(struct err *err, const char *fmt, ...) RT_PRINTF(2, 3);

/* A list of messages, for parts that report every problem at once
 * (config, post files). Zero-initialise; free with diag_free. */
struct diag {
	char **msgs;
	size_t n;
};
void diag_add(struct diag *d, const char *fmt, ...) RT_PRINTF(2, 3);
void diag_free(struct diag *d);

/* The wall clock's current second, read precisely (CLOCK_REALTIME).
 * Use it instead of time(NULL): glibc's time() reads the kernel's coarse
 * clock, which moves on at the next tick and so still says the previous
 * second for up to one tick (about 4 ms here) after a second begins, while a
 * timer armed for that second has already fired. */
time_t wall_now(void);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);            /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) RT_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap);

/* Growable byte buffer; data is always NUL-terminated when non-NULL.
 * Zero-initialise; buf_free releases; buf_steal hands data to the caller
 * (never NULL: an empty buffer yields ""). */
struct buf {
	char *data;
	size_t len, cap;
};
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) RT_PRINTF(2, 3);
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

/* Read a whole file (at most max bytes; larger is an error). *data is
 * NUL-terminated for convenience and owned by the caller. Opened with
 * O_NONBLOCK and refused unless fstat says a regular file, so a FIFO or a
 * device never blocks the caller ("X is a FIFO (named pipe), not a
 * regular file"). */
int read_file(const char *path, unsigned char **data, size_t *len,
	      size_t max, struct err *err);
/* "a folder", "a FIFO (named pipe)", "a character device"... for st_mode. */
const char *file_kind(unsigned mode);

/* Write a file atomically: temp file in the same folder, fsync, rename,
 * fsync the folder. mode is applied to the new file (e.g. 0600). */
int write_file_atomic(const char *path, const void *data, size_t len,
		      unsigned mode, struct err *err);

/* Read a secret (token) file: refuses a file that group or others can
 * read, or that is not a regular file; strips surrounding whitespace;
 * refuses an empty token. The message never contains the token. *out is
 * owned by the caller; wipe it with secret_free. */
int read_secret_file(const char *path, char **out, struct err *err);
void secret_free(char *s);

/* free() that first overwrites the whole block (malloc_usable_size), and
 * a realloc() that wipes the block it leaves: for memory that may have
 * held a token (libcurl's and jansson's allocations go through these). */
void free_wiped(void *p);
void *realloc_wiped(void *p, size_t n);

/* Called early in main() by rituald and ritual: RLIMIT_CORE 0,
 * PR_SET_DUMPABLE 0 (no core file, no ptrace or /proc/PID/mem by the same
 * user), and jansson frees through free_wiped. -1 with err on failure. */
int process_harden(struct err *err);

/*
 * The process-wide secret registry, so that no message ever carries a
 * secret even when a platform quotes it back ("Malformed access token
 * EAAB..."). read_secret_file registers every secret it returns and
 * secret_free forgets it again; secret_register is for secrets that arrive
 * otherwise (a refreshed token, the parts of an S3 key file). Registering
 * is counted: the same value registered twice stays until forgotten twice.
 * The registry keeps its own copies, wiped when forgotten. Strings shorter
 * than 8 bytes are not secrets worth scrubbing (they would match ordinary
 * words) and are ignored. Not thread-safe (ritual is single-threaded).
 * Never fails (an allocation failure aborts, like every x* allocator).
 */
void secret_register(const char *s);
void secret_forget(const char *s);
/* Replace each occurrence of every registered secret in the NUL-terminated
 * buf (of size bytes; a longer text is cut at size - 1) with "[secret]",
 * and so a start of a secret (8 bytes or more) that the text ends with,
 * or that stands right before a final "...": what is left of a secret
 * where a text was cut. A text cut inside a secret and then copied into a
 * longer message is beyond its reach: scrub the full text before cutting
 * it. Never grows the text, never allocates, so log.c may call it. */
void secret_scrub(char *buf, size_t size);

/* Base64 of the n bytes at in (RFC 4648): url = 0 the standard alphabet
 * with "=" padding, url = 1 the URL-safe one ("-_") without padding (PKCE,
 * JWT). A NUL-terminated string the caller frees; aborts only where every
 * x* allocator does. */
char *base64_encode(const void *in, size_t n, int url);

/* The expiry `ritual connect` recorded for token_file in
 * TOKEN_FILE.expires (Unix seconds, one line). 1 with *expires set; 0
 * when there is none to trust: the file is absent, unreadable, not one
 * positive number, or older than the token file (the token was replaced
 * since, e.g. refreshed by rituald). */
int token_expiry_read(const char *token_file, time_t *expires);
/* Record (or, expires 0 = unknown, remove) TOKEN_FILE.expires, atomically,
 * mode 0600: after the token file itself was written, so that it is not
 * older than the token. */
int token_expiry_write(const char *token_file, time_t expires, struct err *err);
/* Whole days from now until that expiry (0 once past), or -1 when
 * token_expiry_read has none. */
long token_days_left(const char *token_file, time_t now);

/* Path helpers; results owned by the caller. */
char *path_dirname(const char *path);                 /* "a/b.c" -> "a", "b" -> "." */
const char *path_basename(const char *path);          /* pointer into path */
char *path_resolve(const char *base_dir, const char *path); /* absolute stays, relative joins */
char *path_absolute(const char *path);                /* against the cwd; no symlink resolution */

/* UTF-8. */
int utf8_valid(const char *s, size_t len);            /* 1 if valid UTF-8 */
size_t utf8_length(const char *s);                    /* code points in a valid string */

/* A copy of s that is safe to print on a terminal or in a log line:
 * C0 controls (bytes 0x00-0x1f), DEL (0x7f) and bytes that are not part of
 * valid UTF-8 become "\xNN"; C1 controls (U+0080-U+009F) become "\u00NN".
 * Controls listed in keep (e.g. "\n\t", or NULL for none) pass through.
 * Everything else is copied as is. Owned by the caller (free). */
char *str_escape_controls(const char *s, const char *keep);
/* The same escaping into the caller's out[0..size), never allocating (for
 * log.c): NUL-terminated when size > 0, cut at a whole character or escape
 * when it does not fit. Returns the length of the whole escaped text (as
 * snprintf: >= size means it was cut). s NULL is "". flags:
 * STR_ESC_INVALID_ONLY escapes only the bytes that are not UTF-8 and
 * passes every control through (for JSON, which escapes those itself). */
enum { STR_ESC_INVALID_ONLY = 1 };
size_t str_escape_to(char *out, size_t size, const char *s, const char *keep,
		     unsigned flags);

/* Whether host (len bytes, as in a URL: IPv6 in brackets) names the
 * loopback interface itself: an IPv4 literal 127.x.y.z in plain dotted
 * decimal (four parts, no leading zeros), "localhost" (any case), or
 * "[::1]" / "::1". Refused: names that merely start with "127." or
 * contain "localhost", hex/octal/short IPv4 forms, IPv4-mapped IPv6. */
int host_is_loopback(const char *host, size_t len);

/* Trim ASCII whitespace in place at both ends; returns s. */
char *str_trim(char *s);
int str_casecmp_ascii(const char *a, const char *b);
int str_has_prefix(const char *s, const char *prefix);
/* Equal once every whitespace run is folded to one space and both ends are
 * trimmed (platforms hand back posts with their line ends changed). */
int str_equal_folded(const char *a, const char *b);

/* Split on any of the separator characters, skipping empty fields.
 * Returns a NULL-terminated array owned by the caller (strv_free). */
char **str_split(const char *s, const char *seps, size_t *n);
void strv_free(char **v);

/* The one edit distance of every "did you mean" (commands, config keys,
 * headers, placeholders, zones, image file names): optimal string
 * alignment (an insertion, deletion, substitution or swap of neighbours
 * costs 1), ASCII case ignored, over bytes. SIZE_MAX when either string is
 * longer than 64 bytes. */
size_t str_distance(const char *a, size_t la, const char *b, size_t lb);
/* Of names[0..n), the one closest to word when it is close enough to be a
 * typo (distance at most 1 for words up to 4 bytes, else at most a third
 * of the word's length, and never as long as either word); NULL if none.
 * Returns a pointer into names. */
const char *str_closest(const char *word, const char *const *names, size_t n);
/* The names of the entries of folder dir (not "." or ".."), as a
 * NULL-terminated array owned by the caller (strv_free). */
int list_dir_names(const char *dir, char ***names, size_t *n);

/*
 * Test seam for the crash-safety harness: when the environment variable
 * RITUAL_TEST_CRASH_AT equals name, the process kills itself with SIGKILL
 * right there, as a power cut would. Does nothing otherwise (one getenv
 * per process). Names used: "claimed", "committing", "response",
 * "saved:<progress key>", "migration".
 */
void crash_point(const char *name);

/*
 * Test seam for races: when RITUAL_TEST_PAUSE_AT equals name and
 * RITUAL_TEST_PAUSE_FILE names a file, the process creates that file and
 * waits (polling every 20 ms, at most 120 s) until the test removes it.
 * Does nothing otherwise. Names used: "queue-insert" (ritual add/import,
 * after choosing the slots, before inserting: inside the write
 * transaction).
 */
void pause_point(const char *name);

/* Random bytes from getrandom(2) (falls back to /dev/urandom). */
int random_bytes(void *buf, size_t len);
/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void hex_encode(const unsigned char *in, size_t len, char *out);

#endif
