/*
 * notify.c - notices: recorded in the store, coalesced, and sent by a
 * child process through libcurl's SMTP and the owner's command (issue 10).
 *
 * Shape: the decisions are pure (notice_coalesce, notice_backoff,
 * notice_render, notice_mail_build); notifier_* do the I/O around them.
 * The parent reads what to send from the store BEFORE fork and hands it to
 * the child in memory; the child never touches the SQLite connection, and
 * leaves with _exit (no atexit handler, no stdio flush of the parent's).
 * The child's error text comes back through a pipe; the parent scrubs it
 * of every registered secret (the SMTP password is read, and so
 * registered, by the parent) before it reaches the store or a log line.
 *
 * When the store refuses a write (a full disk: the very thing a NOTICE_DAEMON
 * reports), the notice is kept in memory (a few slots) and sent from
 * there; it is not listed by `ritual events`, but it is mailed.
 */
#include "ritual/notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ritual/config.h"
#include "ritual/log.h"
#include "ritual/schedule.h"
#include "ritual/store.h"
#include "ritual/util.h"

static const char *const kind_names[NOTICE_KINDS] = {
	[NOTICE_FAILED] = "failed",
	[NOTICE_PAUSED] = "paused",
	[NOTICE_UNKNOWN] = "unknown",
	[NOTICE_MISSED] = "missed",
	[NOTICE_TOKEN_EXPIRING] = "token-expiring",
	[NOTICE_QUEUE_DRY] = "queue-dry",
	[NOTICE_MEDIA_HOST] = "media-host",
	[NOTICE_DAEMON] = "daemon",
	[NOTICE_DIGEST] = "digest",
	[NOTICE_PREFLIGHT] = "preflight",
	[NOTICE_TEST] = "test",
};

const char *notice_kind_name(enum notice_kind k)
{
	if ((unsigned)k >= NOTICE_KINDS)
		return "unknown";
	return kind_names[k];
}

int notice_kind_parse(const char *name, enum notice_kind *out)
{
	for (int i = 0; name && i < NOTICE_KINDS; i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (enum notice_kind)i;
			return 0;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Pure decisions                                                       */

int notice_kind_coalesced(enum notice_kind k)
{
	return k != NOTICE_DIGEST && k != NOTICE_PREFLIGHT && k != NOTICE_TEST &&
	       (unsigned)k < NOTICE_KINDS;
}

enum notice_action notice_coalesce(enum notice_kind kind, int open,
				   time_t told_at, time_t now)
{
	if (!notice_kind_coalesced(kind) || !open)
		return NOTICE_ACT_TELL;
	/* a clock set back: the repeat waits for a day from now, not never */
	if (now < told_at || now - told_at >= NOTICE_REPEAT_AFTER)
		return now < told_at ? NOTICE_ACT_COUNT : NOTICE_ACT_REPEAT;
	return NOTICE_ACT_COUNT;
}

long notice_backoff(long attempts)
{
	long d = 60;
	for (long i = 1; i < attempts && d < 3600; i++)
		d *= 2;
	return d > 3600 ? 3600 : d;
}

/* ------------------------------------------------------------------ */
/* The texts                                                            */

static void scrub_heap(char *s)
{
	if (s)
		secret_scrub(s, strlen(s) + 1);
}

static const char *kind_subject(enum notice_kind k)
{
	switch (k) {
	case NOTICE_FAILED: return "a post failed";
	case NOTICE_PAUSED: return "an account is paused";
	case NOTICE_UNKNOWN: return "a post's outcome is unknown, please look";
	case NOTICE_MISSED: return "a post was missed";
	case NOTICE_TOKEN_EXPIRING: return "a token expires soon";
	case NOTICE_QUEUE_DRY: return "nothing queued";
	case NOTICE_MEDIA_HOST: return "images cannot be hosted";
	case NOTICE_DAEMON: return "rituald needs attention";
	case NOTICE_DIGEST: return "daily digest";
	case NOTICE_PREFLIGHT: return "problems with the next posts";
	case NOTICE_TEST: return "test notice";
	default: return "notice";
	}
}

void notice_render(const struct notice *ev, time_t at, int resolved,
		   long count, char **subject, char **body, char **json)
{
	struct buf s = {0}, b = {0};
	char when[40];
	if (sched_format_iso(at, when, sizeof(when)) < 0)
		snprintf(when, sizeof(when), "%lld", (long long)at);

	buf_printf(&s, "ritual: %s%s", resolved ? "resolved: " : "",
		   kind_subject(ev->kind));
	if (ev->account)
		buf_printf(&s, " on %s", ev->account);
	if (ev->post_id)
		buf_printf(&s, ": post %lld", (long long)ev->post_id);
	if (ev->post_id && ev->post_title && *ev->post_title)
		buf_printf(&s, " \"%s\"", ev->post_title);
	if (count > 1 && !resolved)
		buf_printf(&s, " (%ld times)", count);

	if (ev->body && !resolved) {
		buf_puts(&b, ev->body);
	} else {
		if (resolved)
			buf_printf(&b, "Resolved at %s: this problem has cleared.\n\n",
				   when);
		buf_puts(&b, ev->message ? ev->message : kind_subject(ev->kind));
		buf_puts(&b, "\n");
		if (ev->fix && *ev->fix && !resolved)
			buf_printf(&b, "\nWhat to do: %s\n", ev->fix);
		buf_puts(&b, "\n");
		if (ev->post_id) {
			buf_printf(&b, "Post: %lld", (long long)ev->post_id);
			if (ev->post_title && *ev->post_title)
				buf_printf(&b, " \"%s\"", ev->post_title);
			if (ev->post_file && *ev->post_file)
				buf_printf(&b, " (%s)", ev->post_file);
			buf_puts(&b, "\n");
		}
		if (ev->account)
			buf_printf(&b, "Account: %s%s%s%s\n", ev->account,
				   ev->network ? " (" : "",
				   ev->network ? ev->network : "",
				   ev->network ? ")" : "");
		buf_printf(&b, "Event: %s\nAt: %s\n", notice_kind_name(ev->kind),
			   when);
		if (count > 1 && !resolved)
			buf_printf(&b, "Raised %ld times while the problem lasts; "
				   "repeated at most once a day.\n", count);
		buf_puts(&b, "\n`ritual events` lists every notice.\n");
	}

	json_t *o = json_object();
	json_object_set_new(o, "event", json_string(notice_kind_name(ev->kind)));
	json_object_set_new(o, "account", ev->account ? json_string(ev->account)
						      : json_null());
	json_object_set_new(o, "network", ev->network ? json_string(ev->network)
						      : json_null());
	if (ev->post_id) {
		json_t *p = json_object();
		json_object_set_new(p, "id", json_integer(ev->post_id));
		json_object_set_new(p, "title", ev->post_title
			? json_string(ev->post_title) : json_null());
		json_object_set_new(p, "file", ev->post_file
			? json_string(ev->post_file) : json_null());
		json_object_set_new(o, "post", p);
	} else {
		json_object_set_new(o, "post", json_null());
	}
	json_object_set_new(o, "message", json_string(ev->message ? ev->message
								   : ""));
	json_object_set_new(o, "fix", ev->fix ? json_string(ev->fix) : json_null());
	json_object_set_new(o, "at", json_string(when));
	json_object_set_new(o, "resolved", json_boolean(resolved));
	json_object_set_new(o, "count", json_integer(count > 0 ? count : 1));
	if (ev->body)
		json_object_set_new(o, "body", json_string(ev->body));
	char *j = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);

	*subject = buf_steal(&s);
	*body = buf_steal(&b);
	*json = j ? j : xstrdup("{}");
	scrub_heap(*subject);
	scrub_heap(*body);
	scrub_heap(*json);
}

/* ------------------------------------------------------------------ */
/* The mail                                                             */

static void put_date(struct buf *b, time_t t)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu",
					   "Fri", "Sat"};
	static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May",
					   "Jun", "Jul", "Aug", "Sep", "Oct",
					   "Nov", "Dec"};
	struct tm tm;
	localtime_r(&t, &tm);
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld\r\n",
		   days[tm.tm_wday % 7], tm.tm_mday, mons[tm.tm_mon % 12],
		   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
		   off / 60, off % 60);
}

/* The length of the UTF-8 sequence starting with byte c (1 for a stray
 * byte: it is then encoded on its own). */
static size_t utf8_seq(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

static void put_subject(struct buf *b, const char *subject)
{
	char *s = xstrdup(subject ? subject : "");
	int plain = 1;
	for (char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			*p = ' ';
		else if (c >= 0x80)
			plain = 0;
	}
	size_t n = strlen(s);
	/* "=?" in a plain subject would be read as an encoded-word */
	if (plain && n + 9 <= 78 && !strstr(s, "=?")) {
		buf_printf(b, "Subject: %s\r\n", s);
		free(s);
		return;
	}
	/* RFC 2047: B-encoded words of at most 42 input bytes (each word
	 * 68 characters, a line at most 77), never splitting a character. */
	buf_puts(b, "Subject:");
	size_t i = 0;
	while (i < n || i == 0) {
		size_t j = i;
		while (j < n) {
			size_t k = utf8_seq((unsigned char)s[j]);
			if (j + k > n)
				k = n - j;
			if (j + k - i > 42)
				break;
			j += k;
		}
		char *enc = base64_encode(s + i, j - i, 0);
		buf_printf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : " ", enc);
		free(enc);
		if (j == i)
			break;
		i = j;
	}
	buf_puts(b, "\r\n");
	free(s);
}

char *notice_mail_build(const struct notice_mail *m)
{
	struct buf b = {0};
	const char *at = m->from ? strrchr(m->from, '@') : NULL;
	put_date(&b, m->date);
	buf_printf(&b, "Message-ID: <%s@%s>\r\n", m->unique ? m->unique : "ritual",
		   at && at[1] ? at + 1 : "localhost");
	buf_printf(&b, "From: %s\r\n", m->from ? m->from : "");
	buf_puts(&b, "To: ");
	for (size_t i = 0; i < m->nto; i++)
		buf_printf(&b, "%s%s", i ? ",\r\n " : "", m->to[i]);
	buf_puts(&b, "\r\n");
	put_subject(&b, m->subject);
	buf_puts(&b, "MIME-Version: 1.0\r\n"
		     "Content-Type: text/plain; charset=UTF-8\r\n"
		     "Content-Transfer-Encoding: base64\r\n"
		     "Auto-Submitted: auto-generated\r\n\r\n");
	/* the body in canonical form: CRLF line ends */
	struct buf t = {0};
	for (const char *p = m->body ? m->body : ""; *p; p++) {
		if (*p == '\n' && (p == m->body || p[-1] != '\r'))
			buf_putc(&t, '\r');
		buf_putc(&t, *p);
	}
	char *enc = base64_encode(t.data ? t.data : "", t.len, 0);
	buf_free(&t);
	size_t el = strlen(enc);
	for (size_t i = 0; i < el; i += 76) {
		buf_append(&b, enc + i, el - i < 76 ? el - i : 76);
		buf_puts(&b, "\r\n");
	}
	free(enc);
	return buf_steal(&b);
}

/* ------------------------------------------------------------------ */
/* Sending (in the child, or in `ritual check --notify`)                */

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct upload *u = ud;
	size_t room = size * nmemb, left = u->len - u->off;
	size_t n = left < room ? left : room;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

static void outcome_set(struct notify_outcome *o, const char *fmt, ...)
	RT_PRINTF(2, 3);
static void outcome_set(struct notify_outcome *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->error, sizeof(o->error), fmt, ap);
	va_end(ap);
	secret_scrub(o->error, sizeof(o->error));
	o->ok = 0;
}

static void send_mail(const struct config *cfg, const char *subject,
		      const char *body, struct notify_outcome *o)
{
	char *password = NULL;
	struct err err = {{0}};
	unsigned char rnd[8] = {0};
	char unique[64];

	o->tried = 1;
	o->ok = 0;
	if (cfg->notify.smtp_password_file &&
	    read_secret_file(cfg->notify.smtp_password_file, &password, &err) < 0) {
		outcome_set(o, "%s", err.msg);
		return;
	}
	if (getrandom(rnd, sizeof(rnd), 0) < 0)
		memset(rnd, 0, sizeof(rnd));
	snprintf(unique, sizeof(unique), "%lld.%ld.%02x%02x%02x%02x%02x%02x%02x%02x",
		 (long long)wall_now(), (long)getpid(), rnd[0], rnd[1], rnd[2],
		 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	struct notice_mail m = {
		.from = cfg->notify.mail_from, .to = cfg->notify.mail_to, .nto = cfg->notify.nmail_to,
		.subject = subject, .body = body, .date = wall_now(),
		.unique = unique,
	};
	char *msg = notice_mail_build(&m);
	struct upload up = {.data = msg, .len = strlen(msg)};
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	if (!h) {
		outcome_set(o, "cannot start libcurl");
		goto out;
	}
	char *from = xasprintf("<%s>", cfg->notify.mail_from);
	for (size_t i = 0; i < cfg->notify.nmail_to; i++) {
		char *r = xasprintf("<%s>", cfg->notify.mail_to[i]);
		rcpt = curl_slist_append(rcpt, r);
		free(r);
	}
	curl_easy_setopt(h, CURLOPT_URL, cfg->notify.smtp_url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_USE_SSL, cfg->notify.smtp_tls_required
						     ? (long)CURLUSESSL_ALL
						     : (long)CURLUSESSL_NONE);
	if (cfg->notify.smtp_user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->notify.smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, password ? password : "");
	}
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, cfg->http.connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, cfg->http.timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		o->ok = 1;
	} else {
		long code = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
		if (code)
			outcome_set(o, "mail to %s via %s: %s (SMTP %ld)%s",
				    cfg->notify.mail_to[0], cfg->notify.smtp_url,
				    errbuf[0] ? errbuf : curl_easy_strerror(rc), code,
				    code == 535 || code == 534
					    ? "; check notify.email.user and "
					      "password_file" : "");
		else
			outcome_set(o, "mail to %s via %s: %s", cfg->notify.mail_to[0],
				    cfg->notify.smtp_url,
				    errbuf[0] ? errbuf : curl_easy_strerror(rc));
	}
	free(from);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
out:
	free(msg);
	secret_free(password);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* notify.command EVENT, json on its stdin, killed after the time limit;
 * no shell. */
static void run_command(const struct config *cfg, const char *event,
			const char *json, struct notify_outcome *o)
{
	const char *cmd = cfg->notify.command;
	long limit = cfg->http.timeout > 0 ? cfg->http.timeout : 60;
	int in[2];
	o->tried = 1;
	o->ok = 0;
	if (pipe2(in, O_CLOEXEC) < 0) {
		outcome_set(o, "%s: cannot make a pipe: %s", cmd, strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		outcome_set(o, "%s: cannot start it: %s", cmd, strerror(errno));
		close(in[0]);
		close(in[1]);
		return;
	}
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);  /* stderr stays: the journal */
		signal(SIGPIPE, SIG_DFL);
		char *const argv[] = {xstrdup(cmd), xstrdup(event), NULL};
		execv(cmd, argv);
		_exit(127);
	}
	close(in[0]);
	int pfd = (int)pidfd_open(pid, 0);
	double deadline = mono() + (double)limit;
	/* the JSON, without blocking past the deadline */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	size_t len = strlen(json), off = 0;
	while (off < len) {
		ssize_t w = write(in[1], json + off, len - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			break;  /* EPIPE: it does not read stdin; fine */
		double left = deadline - mono();
		if (left <= 0)
			break;
		struct pollfd p = {.fd = in[1], .events = POLLOUT};
		poll(&p, 1, (int)(left * 1000) + 1);
	}
	close(in[1]);
	int status = 0, done = 0;
	while (!done) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			done = 1;
			break;
		}
		double left = deadline - mono();
		if (left <= 0)
			break;
		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			poll(&p, 1, (int)(left * 1000) + 1);
		} else {
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	if (pfd >= 0)
		close(pfd);
	if (!done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		outcome_set(o, "%s %s: still running after %lds (http.timeout); "
			    "killed", cmd, event, limit);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		o->ok = 1;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		outcome_set(o, "%s: could not be run", cmd);
	else if (WIFEXITED(status))
		outcome_set(o, "%s %s: exit status %d", cmd, event,
			    WEXITSTATUS(status));
	else
		outcome_set(o, "%s %s: killed by signal %d", cmd, event,
			    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int notify_send_some(const struct config *cfg, int skip_mail, int skip_cmd,
		     const char *event, const char *subject, const char *body,
		     const char *json, struct notify_outcome *mail,
		     struct notify_outcome *cmd)
{
	memset(mail, 0, sizeof(*mail));
	memset(cmd, 0, sizeof(*cmd));
	if (cfg->notify.smtp_url && !skip_mail)
		send_mail(cfg, subject, body, mail);
	if (cfg->notify.command && !skip_cmd)
		run_command(cfg, event, json, cmd);
	return (mail->tried && !mail->ok) || (cmd->tried && !cmd->ok) ? -1 : 0;
}

int notify_send(const struct config *cfg, const char *event,
		const char *subject, const char *body, const char *json,
		struct notify_outcome *mail, struct notify_outcome *cmd)
{
	return notify_send_some(cfg, 0, 0, event, subject, body, json, mail,
				cmd);
}

/* ------------------------------------------------------------------ */
/* The notifier                                                         */

#define MEM_SLOTS 8

/* A message the store could not take (it refused a write). */
struct mem_msg {
	int used;
	char *event, *subject, *body, *json;
	long attempts;
	time_t next_try;
	int mail_sent, command_run;  /* delivered on an earlier attempt */
};

struct notifier {
	const struct config *cfg;
	struct store *st;
	/* the sender running, if any */
	pid_t pid;
	int pidfd, errfd;
	int64_t out_id;           /* its outbox row, or 0 */
	int mem_slot;             /* or its memory slot, or -1 */
	long attempts;            /* attempts before this one */
	int skip_mail, skip_cmd;  /* delivered before: not sent again */
	struct mem_msg mem[MEM_SLOTS];
	int daemon_unrecorded;    /* a NOTICE_DAEMON lives in memory only */
};

static int channels(const struct notifier *n)
{
	return n->cfg->notify.smtp_url || n->cfg->notify.command;
}

int notifier_new(const struct config *cfg, struct store *st,
		 struct notifier **out, struct err *err)
{
	struct notifier *n = xcalloc(1, sizeof(*n));
	n->cfg = cfg;
	n->st = st;
	n->pid = -1;
	n->pidfd = n->errfd = -1;
	n->mem_slot = -1;
	*out = n;
	return 0;
}

void notifier_reconfigure(struct notifier *n, const struct config *cfg)
{
	if (n)
		n->cfg = cfg;
}

static void mem_clear(struct mem_msg *m)
{
	free(m->event);
	free(m->subject);
	free(m->body);
	free(m->json);
	memset(m, 0, sizeof(*m));
}

static int reap(struct notifier *n, int status, time_t now, struct err *err);

void notifier_free(struct notifier *n)
{
	if (!n)
		return;
	if (n->pid > 0) {
		int status = 0;
		if (waitpid(n->pid, &status, WNOHANG) != n->pid) {
			kill(-n->pid, SIGKILL);  /* its group: the command too */
			kill(n->pid, SIGKILL);
			waitpid(n->pid, &status, 0);
		}
		/* what it delivered is recorded: the next rituald sends only
		 * the rest (a mail gone out is not sent again) */
		struct err e;
		if (n->errfd >= 0 && reap(n, status, wall_now(), &e) < 0)
			log_warnx("notifier: %s", e.msg);
	}
	if (n->pidfd >= 0)
		close(n->pidfd);
	if (n->errfd >= 0)
		close(n->errfd);
	for (int i = 0; i < MEM_SLOTS; i++)
		mem_clear(&n->mem[i]);
	free(n);
}

int notifier_fd(const struct notifier *n)
{
	return n && n->pid > 0 ? n->pidfd : -1;
}

static void log_notice(const struct notice *ev, int resolved, long count,
		       enum notice_action act)
{
	const char *what = resolved ? "resolved" : act == NOTICE_ACT_COUNT
		? "counted" : act == NOTICE_ACT_REPEAT ? "repeated" : "raised";
	void (*logf)(const char *, ...) = resolved || ev->kind == NOTICE_DIGEST ||
		ev->kind == NOTICE_TEST ? log_info : log_warnx;
	if (ev->post_id)
		logf("notice %s %s: %s post=%lld account=%s event=%s count=%ld",
		     notice_kind_name(ev->kind), what,
		     ev->message ? ev->message : "", (long long)ev->post_id,
		     ev->account ? ev->account : "-", notice_kind_name(ev->kind),
		     count);
	else
		logf("notice %s %s: %s account=%s event=%s count=%ld",
		     notice_kind_name(ev->kind), what,
		     ev->message ? ev->message : "",
		     ev->account ? ev->account : "-", notice_kind_name(ev->kind),
		     count);
}

/* Keep a message in memory: the store refused it. */
static void mem_queue(struct notifier *n, const struct notice *ev, time_t now,
		      int resolved)
{
	if (!channels(n))
		return;
	for (int i = 0; i < MEM_SLOTS; i++) {
		struct mem_msg *m = &n->mem[i];
		if (m->used)
			continue;
		m->used = 1;
		notice_render(ev, now, resolved, 1, &m->subject, &m->body, &m->json);
		m->event = xstrdup(notice_kind_name(ev->kind));
		m->next_try = now;
		return;
	}
	log_warnx("notice %s not kept: %d are waiting to be sent already",
		  notice_kind_name(ev->kind), MEM_SLOTS);
}

static int queue_store(struct notifier *n, int64_t id, const struct notice *ev,
		       time_t now, int resolved, long count, struct err *err)
{
	if (!channels(n))
		return 0;
	char *subject, *body, *json;
	notice_render(ev, now, resolved, count, &subject, &body, &json);
	int rc = store_outbox_add(n->st, id, notice_kind_name(ev->kind), subject,
				  body, json, now, err);
	free(subject);
	free(body);
	free(json);
	return rc;
}

/* The strings of ev scrubbed, for the row. */
static void notice_row(const struct notice *ev, time_t now, const char *state,
		       struct store_notice *r)
{
	memset(r, 0, sizeof(*r));
	r->at = r->last_at = now;
	r->kind = xstrdup(notice_kind_name(ev->kind));
	r->account = xstrdup(ev->account);
	r->network = xstrdup(ev->network);
	r->post_id = ev->post_id;
	r->post_title = xstrdup(ev->post_title);
	r->post_file = xstrdup(ev->post_file);
	r->message = xstrdup(ev->message ? ev->message
					 : kind_subject(ev->kind));
	r->fix = xstrdup(ev->fix);
	r->state = xstrdup(state);
	r->count = 1;
	r->told_at = now;
	scrub_heap(r->message);
	scrub_heap(r->fix);
	scrub_heap(r->post_title);
}

static int raise_stored(struct notifier *n, const struct notice *ev,
			time_t now, int once, struct err *err)
{
	struct store_notice open, row;
	int found = 0;
	enum notice_action act = NOTICE_ACT_TELL;
	long count = 1;
	const char *kind = notice_kind_name(ev->kind);

	if (store_begin(n->st, err) < 0)
		return -1;
	if (!once && store_notice_open(n->st, kind, ev->account, &open, &found,
				       err) < 0)
		goto fail;
	if (!once)
		act = notice_coalesce(ev->kind, found, found ? open.told_at : 0, now);
	if (act == NOTICE_ACT_TELL) {
		int64_t id = 0;
		notice_row(ev, now, once ? "told" : "open", &row);
		int rc = store_notice_add(n->st, &row, &id, err);
		store_notice_clear(&row);
		if (rc < 0 || queue_store(n, id, ev, now, 0, 1, err) < 0)
			goto fail;
	} else {
		char *msg = xstrdup(ev->message), *fix = xstrdup(ev->fix);
		scrub_heap(msg);
		scrub_heap(fix);
		count = open.count + 1;
		int rc = store_notice_repeat(n->st, open.id, now,
					     act == NOTICE_ACT_REPEAT, msg, fix, err);
		free(msg);
		free(fix);
		if (rc < 0 || (act == NOTICE_ACT_REPEAT &&
			       queue_store(n, open.id, ev, now, 0, count, err) < 0))
			goto fail;
	}
	if (store_commit(n->st, err) < 0)
		goto fail;
	if (found)
		store_notice_clear(&open);
	log_notice(ev, 0, count, act);
	return 0;
fail:
	store_rollback(n->st);
	if (found)
		store_notice_clear(&open);
	return -1;
}

static int raise_any(struct notifier *n, const struct notice *ev, time_t now,
		     int once, struct err *err)
{
	struct err e = {{0}};
	if (raise_stored(n, ev, now, once, &e) == 0)
		return 0;
	/* not recorded: still logged and told, from memory */
	log_notice(ev, 0, 1, NOTICE_ACT_TELL);
	if (ev->kind == NOTICE_DAEMON) {
		if (n->daemon_unrecorded)
			return err_set(err, "%s", e.msg);
		n->daemon_unrecorded = 1;
	}
	mem_queue(n, ev, now, 0);
	return err_set(err, "%s", e.msg);
}

int notifier_raise(struct notifier *n, const struct notice *ev, time_t now,
		   struct err *err)
{
	return raise_any(n, ev, now, !notice_kind_coalesced(ev->kind), err);
}

int notifier_raise_once(struct notifier *n, const struct notice *ev,
			time_t now, struct err *err)
{
	return raise_any(n, ev, now, 1, err);
}

int notifier_resolve(struct notifier *n, enum notice_kind kind,
		     const char *account, time_t now, struct err *err)
{
	struct store_notice open;
	int found = 0;
	if (kind == NOTICE_DAEMON && n->daemon_unrecorded) {
		/* told from memory; its end is told (and recorded) now */
		struct notice ev = {.kind = NOTICE_DAEMON,
				    .message = "rituald could not write its "
					       "database; it can again"};
		struct store_notice row;
		int64_t id = 0;
		notice_row(&ev, now, "resolved", &row);
		row.resolved_at = now;
		if (store_begin(n->st, err) < 0)
			return -1;
		int rc = store_notice_add(n->st, &row, &id, err);
		store_notice_clear(&row);
		if (rc < 0 || queue_store(n, id, &ev, now, 1, 1, err) < 0 ||
		    store_commit(n->st, err) < 0) {
			store_rollback(n->st);
			return -1;
		}
		n->daemon_unrecorded = 0;
		log_notice(&ev, 1, 1, NOTICE_ACT_TELL);
		return 0;
	}
	if (store_notice_open(n->st, notice_kind_name(kind), account, &open,
			      &found, err) < 0)
		return -1;
	if (!found)
		return 0;
	struct notice ev = {
		.kind = kind, .account = open.account, .network = open.network,
		.post_id = open.post_id, .post_title = open.post_title,
		.post_file = open.post_file, .message = open.message,
		.fix = open.fix,
	};
	int rc = -1;
	if (store_begin(n->st, err) < 0)
		goto out;
	if (store_notice_resolve(n->st, open.id, now, err) < 0 ||
	    queue_store(n, open.id, &ev, now, 1, open.count, err) < 0 ||
	    store_commit(n->st, err) < 0) {
		store_rollback(n->st);
		goto out;
	}
	log_notice(&ev, 1, open.count, NOTICE_ACT_TELL);
	rc = 0;
out:
	store_notice_clear(&open);
	return rc;
}

/*
 * The child's exit status: 0 when every channel it tried worked; else
 * CHILD_PARTIAL with CHILD_MAIL_SENT / CHILD_CMD_RAN for the channels that
 * did deliver, so that the retry sends only the others. Any other status
 * (a crash, a signal) says nothing was delivered.
 */
#define CHILD_PARTIAL 0x10
#define CHILD_MAIL_SENT 0x01
#define CHILD_CMD_RAN 0x02
/* the first byte on the error pipe when the mail went out */
#define CHILD_MAIL_MARK "\001"

/* The child: send one message, report on errfd, leave. */
static void child_run(const struct config *cfg, int skip_mail, int skip_cmd,
		      int errfd, const char *event, const char *subject,
		      const char *body, const char *json)
{
	struct notify_outcome mail, cmd;
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	/* the mail first, and said at once: killed while the command runs
	 * (rituald stopping), the mail is still known to have gone out */
	int rc = notify_send_some(cfg, skip_mail, 1, event, subject, body, json,
				  &mail, &cmd);
	if (mail.tried && mail.ok) {
		ssize_t m = write(errfd, CHILD_MAIL_MARK, 1);
		(void)m;
	}
	struct notify_outcome none;
	rc |= notify_send_some(cfg, 1, skip_cmd, event, subject, body, json,
			       &none, &cmd);
	char msg[1100];
	snprintf(msg, sizeof(msg), "%s%s%s",
		 mail.tried && !mail.ok ? mail.error : "",
		 mail.tried && !mail.ok && cmd.tried && !cmd.ok ? "; " : "",
		 cmd.tried && !cmd.ok ? cmd.error : "");
	ssize_t w = write(errfd, msg, strlen(msg));
	(void)w;
	if (rc == 0)
		_exit(0);
	_exit(CHILD_PARTIAL | (mail.tried && mail.ok ? CHILD_MAIL_SENT : 0) |
	      (cmd.tried && cmd.ok ? CHILD_CMD_RAN : 0));
}

static int start_child(struct notifier *n, const char *event,
		       const char *subject, const char *body, const char *json,
		       struct err *err)
{
	int ep[2];
	if (pipe2(ep, O_CLOEXEC) < 0)
		return err_set(err, "notifier: cannot make a pipe: %s",
			       strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(ep[0]);
		close(ep[1]);
		return err_set(err, "notifier: cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(ep[0]);
		setpgid(0, 0);  /* the command with it: notifier_free kills both */
		/* None of the parent's descriptors: not the database, and not
		 * the lock file, whose flock would keep a restarted rituald
		 * out while this child finishes a mail. */
		if (ep[1] > 3)
			close_range(3, (unsigned)ep[1] - 1, 0);
		close_range((unsigned)ep[1] + 1, ~0U, 0);
		child_run(n->cfg, n->skip_mail, n->skip_cmd, ep[1], event,
			  subject, body, json);
		_exit(1);
	}
	close(ep[1]);
	n->pid = pid;
	n->errfd = ep[0];
	n->pidfd = (int)pidfd_open(pid, 0);
	if (n->pidfd < 0)
		log_warn("notifier: pidfd_open");
	return 0;
}

/* The child finished: read its words, record the outcome. */
static int reap(struct notifier *n, int status, time_t now, struct err *err)
{
	char msg[1200];
	size_t len = 0;
	ssize_t r;
	fcntl(n->errfd, F_SETFL, O_NONBLOCK);
	while (len + 1 < sizeof(msg) &&
	       (r = read(n->errfd, msg + len, sizeof(msg) - 1 - len)) > 0)
		len += (size_t)r;
	msg[len] = '\0';
	close(n->errfd);
	if (n->pidfd >= 0)
		close(n->pidfd);
	n->errfd = n->pidfd = -1;
	n->pid = -1;
	int marked = msg[0] == CHILD_MAIL_MARK[0];
	if (marked)
		memmove(msg, msg + 1, strlen(msg));
	secret_scrub(msg, sizeof(msg));
	int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
	int partial = !ok && (code & ~(CHILD_MAIL_SENT | CHILD_CMD_RAN)) ==
		CHILD_PARTIAL;
	/* delivered in this attempt (a skipped channel stays as it was) */
	int mail_sent = !n->skip_mail && n->cfg->notify.smtp_url &&
		(ok || marked || (partial && (code & CHILD_MAIL_SENT)));
	int cmd_ran = !n->skip_cmd && n->cfg->notify.command &&
		(ok || (partial && (code & CHILD_CMD_RAN)));
	if (!ok && !msg[0])
		snprintf(msg, sizeof(msg), "the sender stopped (status %d)", status);
	long attempts = n->attempts + 1;
	time_t next = 0;
	if (!ok && attempts < NOTICE_MAX_ATTEMPTS)
		next = now + notice_backoff(attempts);
	if (ok)
		log_info("notice sent attempt=%ld", attempts);
	else if (next)
		log_warnx("notice not sent (attempt %ld), trying again in %lds: %s "
			  "attempt=%ld retry_in=%ld", attempts, (long)(next - now),
			  msg, attempts, (long)(next - now));
	else
		log_error("notice not sent after %ld attempts, given up: %s",
			  attempts, msg);
	if (n->mem_slot >= 0) {
		struct mem_msg *m = &n->mem[n->mem_slot];
		n->mem_slot = -1;
		if (ok || !next) {
			mem_clear(m);
		} else {
			m->attempts = attempts;
			m->next_try = next;
			m->mail_sent |= mail_sent;
			m->command_run |= cmd_ran;
		}
		return 0;
	}
	int64_t id = n->out_id;
	n->out_id = 0;
	return store_outbox_done(n->st, id, now, mail_sent, cmd_ran,
				 ok ? NULL : msg, next, err);
}

int notifier_work(struct notifier *n, time_t now, time_t *next,
		  struct err *err)
{
	*next = 0;
	if (n->pid > 0) {
		int status = 0;
		pid_t r = waitpid(n->pid, &status, WNOHANG);
		if (r == 0)
			return 0;  /* still sending */
		if (r < 0) {
			status = 1 << 8;
			n->pid = -1;
		}
		if (reap(n, status, now, err) < 0)
			return -1;
	}
	if (!channels(n))
		return 0;
	/* memory first: those are what the store could not take */
	time_t soonest = 0;
	for (int i = 0; i < MEM_SLOTS; i++) {
		struct mem_msg *m = &n->mem[i];
		if (!m->used)
			continue;
		if (m->next_try <= now) {
			n->mem_slot = i;
			n->attempts = m->attempts;
			n->skip_mail = m->mail_sent;
			n->skip_cmd = m->command_run;
			if (start_child(n, m->event, m->subject, m->body, m->json,
					err) < 0) {
				n->mem_slot = -1;
				m->next_try = now + notice_backoff(++m->attempts);
				return -1;
			}
			return 0;
		}
		if (!soonest || m->next_try < soonest)
			soonest = m->next_try;
	}
	struct store_outbox o;
	int found = 0;
	time_t due = 0;
	if (store_outbox_next(n->st, now, &o, &found, &due, err) < 0) {
		*next = soonest;
		return -1;
	}
	if (found) {
		n->out_id = o.id;
		n->attempts = o.attempts;
		n->skip_mail = o.mail_sent;
		n->skip_cmd = o.command_run;
		int rc = start_child(n, o.event, o.subject, o.body, o.json, err);
		if (rc < 0) {
			struct err e2;
			store_outbox_done(n->st, o.id, now, 0, 0, err->msg,
					  now + notice_backoff(o.attempts + 1), &e2);
			n->out_id = 0;
		}
		store_outbox_clear(&o);
		return rc;
	}
	if (due && (!soonest || due < soonest))
		soonest = due;
	*next = soonest;
	return 0;
}
