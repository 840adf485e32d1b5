/*
 * cli.c - the owner's commands and their output.
 *
 * Owns argument parsing, the command table (which is also `ritual help`),
 * and what the owner reads: tables for people, JSON for scripts. It never
 * writes SQL (store does), never renders post text itself (queue/format
 * do), and never prints a token.
 */
#include "ritual/cli.h"

#include <errno.h>
#include <signal.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ritual/config.h"
#include "ritual/connect.h"
#include "ritual/format.h"
#include "ritual/http.h"
#include "ritual/mediahost.h"
#include "ritual/notify.h"
#include "ritual/publisher.h"
#include "ritual/queue.h"
#include "ritual/schedule.h"
#include "ritual/store.h"
#include "ritual/week.h"
#include "ritual/when.h"

struct cli {
	const char *config_path;
	struct config *cfg;
	struct slots slots;
	int argc;
	char **argv;
};

struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(struct cli *c);
	int needs_config;
};

static const struct command commands[];
static int print_json(json_t *v);

/* ---- helpers ---- */

static int load_config(struct cli *c)
{
	struct diag diag = {0};
	struct err err;
	unsigned flags = c->argc > 0 && strcmp(c->argv[0], "connect") == 0
			 ? CONFIG_ACCOUNTS_OPTIONAL : 0;
	if (config_load_flags(c->config_path, flags, &c->cfg, &diag) < 0) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.msgs[i]);
		fprintf(stderr, "ritual: %zu problem%s in the configuration\n",
			diag.n, diag.n == 1 ? "" : "s");
		diag_free(&diag);
		return EX_CONFIG;
	}
	if (sched_tz_use(c->cfg->timezone, &err) < 0 ||
	    sched_slots_parse(c->cfg->slots, c->cfg->nslots, &c->slots, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return EX_CONFIG;
	}
	return 0;
}

static int open_store(struct cli *c, int flags, struct store **st)
{
	struct err err;
	if (store_open(c->cfg->database, flags, st, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return (flags & STORE_CREATE) ? EX_CANTCREAT : EX_UNAVAILABLE;
	}
	return 0;
}

static int usage_of(const char *name)
{
	for (const struct command *k = commands; k->name; k++)
		if (strcmp(k->name, name) == 0)
			fprintf(stderr, "usage: ritual %s %s\n", k->name, k->args);
	return EX_USAGE;
}

/* Whether argv holds --help / -h; prints the command's help. */
static int wants_help(struct cli *c, const struct command *k)
{
	for (int i = 1; i < c->argc; i++) {
		if (strcmp(c->argv[i], "--help") == 0 || strcmp(c->argv[i], "-h") == 0) {
			printf("usage: ritual %s %s\n  %s\n", k->name, k->args, k->help);
			return 1;
		}
	}
	return 0;
}

/* Take "--flag" from argv (removing it); returns 1 if present. */
static int take_flag(struct cli *c, const char *flag)
{
	for (int i = 1; i < c->argc; i++) {
		if (strcmp(c->argv[i], flag) == 0) {
			memmove(&c->argv[i], &c->argv[i + 1],
				(size_t)(c->argc - i) * sizeof(*c->argv));
			c->argc--;
			return 1;
		}
	}
	return 0;
}

/* Take "--opt VALUE" or "--opt=VALUE"; returns the value or NULL;
 * *missing = 1 when the option is present without a value. */
static const char *take_option(struct cli *c, const char *opt, int *missing)
{
	size_t ol = strlen(opt);
	for (int i = 1; i < c->argc; i++) {
		const char *a = c->argv[i];
		const char *val = NULL;
		int used = 0;
		if (strcmp(a, opt) == 0) {
			if (i + 1 >= c->argc) {
				*missing = 1;
				return NULL;
			}
			val = c->argv[i + 1];
			used = 2;
		} else if (strncmp(a, opt, ol) == 0 && a[ol] == '=') {
			val = a + ol + 1;
			used = 1;
		}
		if (used) {
			memmove(&c->argv[i], &c->argv[i + used],
				(size_t)(c->argc - i - used + 1) * sizeof(*c->argv));
			c->argc -= used;
			return val;
		}
	}
	return NULL;
}

static int no_unknown_options(struct cli *c, const char *name)
{
	for (int i = 1; i < c->argc; i++) {
		if (c->argv[i][0] == '-' && c->argv[i][1] && strcmp(c->argv[i], "-") != 0) {
			fprintf(stderr, "ritual %s: unknown option %s\n", name, c->argv[i]);
			return usage_of(name);
		}
	}
	return 0;
}

static int parse_id(const char *s, int64_t *id)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0 || end == s) {
		fprintf(stderr, "ritual: \"%s\" is not a post id (a number, as shown "
			"by `ritual list`)\n", s);
		return -1;
	}
	*id = v;
	return 0;
}

static void fmt_iso(time_t t, char *buf, size_t n)
{
	if (sched_format_iso(t, buf, n) < 0)
		snprintf(buf, n, "%lld", (long long)t);
}

static void fmt_human(time_t t, char *buf, size_t n)
{
	if (sched_format_human(t, buf, n) < 0)
		snprintf(buf, n, "%lld", (long long)t);
}

/* A time given on the command line, as owners write it (when.h: "now",
 * "9am", "Mon 09:00", "tomorrow 17:30", "03.12.2026 09:00", ISO 8601).
 * Refuses a DST gap and a form without a time of day. */
static int parse_when(const char *s, time_t now, time_t *out, const char *tz)
{
	struct parsed_time pt;
	struct err err;
	if (when_parse(s, now, tz, &pt, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return -1;
	}
	if (!pt.has_time) {
		fprintf(stderr, "ritual: \"%s\" has no time of day; add one, e.g. "
			"\"%s 09:00\"\n", s, s);
		return -1;
	}
	if (pt.has_offset) {
		*out = pt.instant;
		return 0;
	}
	enum wall_kind kind;
	if (sched_wall_to_utc(&pt.wall, out, &kind, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return -1;
	}
	if (kind == WALL_GAP) {
		time_t b, a;
		char b1[40] = "?", b2[40] = "?";
		if (sched_gap_bounds(&pt.wall, &b, &a) == 0) {
			fmt_human(b, b1, sizeof(b1));
			fmt_human(a, b2, sizeof(b2));
		}
		fprintf(stderr, "ritual: %s does not exist in %s (the clocks jump "
			"forward); use %s or %s\n", s, tz, b1, b2);
		return -1;
	}
	return 0;
}

/* Text from outside (post files, platforms, paths) for the terminal:
 * control characters and bytes that are not UTF-8 escaped ("\x1b").
 * Results live in a small ring, so several fit in one printf. NULL in,
 * NULL out. */
static const char *esc(const char *s)
{
	static char *ring[8];
	static unsigned at;
	if (!s)
		return NULL;
	at = (at + 1) % RT_ARRAY_LEN(ring);
	free(ring[at]);
	ring[at] = str_escape_controls(s, NULL);
	return ring[at];
}

/* ---- queueing ---- */

/* What was queued (ids[i]: item i's post id) or, ids NULL, what a dry run
 * would queue, with each image's variant. Every name from outside (file,
 * title, account) is escaped for the terminal. */
static void print_queued(const struct queue_batch *b, const int64_t *ids)
{
	printf("%s %zu post%s%s:\n", ids ? "queued" : "would queue", b->n,
	       b->n == 1 ? "" : "s", ids ? "" : " (nothing was written)");
	for (size_t i = 0; i < b->n; i++) {
		const struct queue_item *it = &b->items[i];
		char when[40], id[32] = "";
		fmt_human(it->due, when, sizeof(when));
		if (ids)
			snprintf(id, sizeof(id), "#%-4lld ", (long long)ids[i]);
		printf("  %s%s  %-5s %s%s%s  ->", id, when, kind_name(it->pf->kind),
		       it->pf->title ? "\"" : "",
		       esc(it->pf->title ? it->pf->title : path_basename(it->pf->path)),
		       it->pf->title ? "\"" : "");
		for (size_t k = 0; k < it->ntargets; k++)
			printf(" %s", esc(it->targets[k].account->name));
		printf("%s\n", it->from_slot ? "  (slot)" : "");
		for (size_t k = 0; !ids && k < it->ntargets; k++) {
			const struct image_variant *v = &it->targets[k].variant;
			if (v->data)
				printf("      %s image: %ldx%ld, %s\n",
				       esc(it->targets[k].account->name), v->width,
				       v->height, esc(v->notes));
		}
	}
}

static json_t *jstr(const char *s);
static int jset(json_t *o, const char *key, json_t *v);

/* import --json / --dry-run --json: what was (or would be) queued. NULL
 * when the JSON cannot be built (print_json reports it): a post is never
 * left out silently. */
static json_t *queued_json(const struct queue_batch *b, const int64_t *ids)
{
	json_t *arr = json_array();
	int bad = !arr;
	for (size_t i = 0; !bad && i < b->n; i++) {
		const struct queue_item *it = &b->items[i];
		char due[40], human[40];
		fmt_iso(it->due, due, sizeof(due));
		fmt_human(it->due, human, sizeof(human));
		json_t *o = json_pack("{s:o, s:o?, s:s, s:s, s:s, s:b}", "file",
				      jstr(it->pf->path), "title", jstr(it->pf->title),
				      "kind", kind_name(it->pf->kind), "due", due,
				      "due_local", human, "slot", it->from_slot);
		if (!o || json_array_append_new(arr, o) < 0) {
			bad = 1;
			break;
		}
		if (ids)
			bad |= jset(o, "id", json_integer((json_int_t)ids[i]));
		json_t *acc = json_array();
		bad |= jset(o, "accounts", acc);
		for (size_t k = 0; !bad && k < it->ntargets; k++) {
			const struct queue_target *t = &it->targets[k];
			json_t *a = json_pack("{s:o, s:s}", "account",
					      jstr(t->account->name), "network",
					      network_name(t->account->network));
			if (!a || json_array_append_new(acc, a) < 0) {
				bad = 1;
				break;
			}
			if (t->variant.data)
				bad |= jset(a, "image", json_pack(
					"{s:s, s:I, s:I, s:I, s:o}", "mime", t->variant.mime,
					"bytes", (json_int_t)t->variant.len,
					"width", (json_int_t)t->variant.width,
					"height", (json_int_t)t->variant.height,
					"done", jstr(t->variant.notes)));
		}
	}
	json_t *w = json_array();
	bad |= !w;
	for (size_t i = 0; !bad && i < b->warnings.n; i++)
		bad |= json_array_append_new(w, jstr(b->warnings.msgs[i])) < 0;
	if (bad) {
		json_decref(arr);
		json_decref(w);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:b}", "posts", arr, "warnings", w,
			 "dry_run", ids == NULL);
}

static void print_problems(const struct queue_batch *b)
{
	struct diag d = {0};
	queue_problems(b, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", esc(d.msgs[i]));
	size_t files = b->nbad;
	fprintf(stderr, "ritual: nothing queued: %zu problem%s in %zu file%s; "
		"fix %s and run the command again\n", d.n, d.n == 1 ? "" : "s",
		files, files == 1 ? "" : "s", d.n == 1 ? "it" : "them");
	diag_free(&d);
}

/*
 * Read and check every file with no lock held (a slow or hung file never
 * blocks rituald), then one write transaction: BEGIN IMMEDIATE, read the
 * occupancy and choose the slots, insert, COMMIT. No rollback between
 * choosing and inserting, so two imports at once never share a slot. A dry
 * run writes nothing: it reads an existing database read-only in a read
 * transaction (no write lock, no migration), and with no database at all
 * places the batch alone; it never creates the file.
 */
static int queue_files(struct cli *c, char *const *files, size_t n, int again,
		       int dry_run, int json)
{
	struct store *st = NULL;
	struct queue_batch *b = NULL;
	struct err err;
	time_t now = wall_now();
	int rc = 0;
	int have_db = access(c->cfg->database, F_OK) == 0;

	if (queue_read(c->cfg, files, n, now, &b) < 0) {
		/* still place what can be, to report every problem at once */
		if (have_db &&
		    store_open(c->cfg->database, STORE_READONLY, &st, &err) < 0)
			st = NULL;
		if (queue_place(c->cfg, &c->slots, st, b, now, again, &err) == -2)
			fprintf(stderr, "ritual: %s\n", esc(err.msg));
		print_problems(b);
		store_close(st);
		queue_batch_free(b);
		return EX_DATAERR;
	}
	if (dry_run)
		rc = have_db ? open_store(c, STORE_READONLY, &st) : 0;
	else
		rc = open_store(c, STORE_CREATE, &st);
	if (rc) {
		queue_batch_free(b);
		return rc;
	}
	int64_t *ids = xcalloc(b->n ? b->n : 1, sizeof(*ids));
	int prc;
	if (st && (dry_run ? store_begin_read(st, &err) : store_begin(st, &err)) < 0) {
		fprintf(stderr, "ritual: nothing queued: %s\n", esc(err.msg));
		rc = EX_UNAVAILABLE;
	} else if ((prc = queue_place(c->cfg, &c->slots, st, b, now, again,
				      &err)) < 0) {
		if (st)
			store_rollback(st);
		if (prc == -2) {
			fprintf(stderr, "ritual: nothing queued: %s\n", esc(err.msg));
			rc = EX_UNAVAILABLE;
		} else {
			print_problems(b);
			rc = EX_DATAERR;
		}
	} else if (dry_run) {
		if (st)
			store_rollback(st);
		for (size_t i = 0; i < b->warnings.n; i++)
			fprintf(stderr, "%s\n", esc(b->warnings.msgs[i]));
		if (json)
			rc = print_json(queued_json(b, NULL));
		else
			print_queued(b, NULL);
	} else if (queue_insert(st, b, now, ids, &err) < 0 ||
		   store_commit(st, &err) < 0) {
		store_rollback(st);
		fprintf(stderr, "ritual: nothing queued: %s\n", esc(err.msg));
		rc = EX_CANTCREAT;
	} else {
		for (size_t i = 0; i < b->warnings.n; i++)
			fprintf(stderr, "%s\n", esc(b->warnings.msgs[i]));
		if (json)
			rc = print_json(queued_json(b, ids));
		else
			print_queued(b, ids);
	}
	free(ids);
	queue_batch_free(b);
	store_close(st);
	return rc;
}

static int cmd_add(struct cli *c)
{
	int dry = take_flag(c, "--dry-run");
	int json = take_flag(c, "--json");
	int again = take_flag(c, "--again");
	int rc = no_unknown_options(c, "add");
	if (rc)
		return rc;
	if (c->argc < 2)
		return usage_of("add");
	return queue_files(c, c->argv + 1, (size_t)c->argc - 1, again, dry, json);
}

static int cmd_import(struct cli *c)
{
	int dry = take_flag(c, "--dry-run");
	int json = take_flag(c, "--json");
	int again = take_flag(c, "--again");
	int rc = no_unknown_options(c, "import");
	if (rc)
		return rc;
	if (c->argc != 2)
		return usage_of("import");
	char **files;
	size_t n;
	struct err err;
	if (queue_list_dir(c->argv[1], &files, &n, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return EX_NOINPUT;
	}
	rc = queue_files(c, files, n, again, dry, json);
	strv_free(files);
	return rc;
}

/* ---- reading ---- */

/* A JSON string of s; bytes that are not UTF-8 (a file name can hold any)
 * become the text "\xNN", since JSON strings are Unicode. NULL for NULL. */
static json_t *jstr(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	if (utf8_valid(s, n))
		return json_stringn(s, n);
	size_t len = str_escape_to(NULL, 0, s, NULL, STR_ESC_INVALID_ONLY);
	char *t = xmalloc(len + 1);
	str_escape_to(t, len + 1, s, NULL, STR_ESC_INVALID_ONLY);
	json_t *j = json_stringn(t, len);
	free(t);
	return j;
}

/* json_object_set_new that reports a failure (a NULL value included). */
static int jset(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

static json_t *delivery_json(const struct store_delivery *d)
{
	char next[40];
	fmt_iso(d->next_attempt, next, sizeof(next));
	json_t *o = json_pack("{s:o, s:o, s:s, s:I, s:o?, s:o?, s:o?}",
			      "account", jstr(d->account), "network", jstr(d->network),
			      "state", dl_state_name(d->state), "attempts",
			      (json_int_t)d->attempts,
			      "remote_id", jstr(d->remote_id), "permalink",
			      jstr(d->permalink), "error", jstr(d->error));
	if (!o)
		return NULL;
	int bad = 0;
	if (d->state == DL_PENDING)
		bad |= jset(o, "next_attempt", json_string(next));
	if (d->state == DL_PENDING && d->phase == PHASE_COMMIT)
		bad |= jset(o, "awaiting_readback", json_true());
	if (d->published_at) {
		char pub[40];
		fmt_iso(d->published_at, pub, sizeof(pub));
		bad |= jset(o, "published_at", json_string(pub));
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* NULL when the JSON cannot be built (print_json reports it). */
static json_t *post_json(const struct store_post *p)
{
	char due[40];
	fmt_iso(p->due, due, sizeof(due));
	json_t *o = json_pack("{s:I, s:o, s:o?, s:s, s:o?}", "id", (json_int_t)p->id,
			      "kind", jstr(p->kind), "title", jstr(p->title), "due", due,
			      "source", jstr(p->source));
	if (!o)
		return NULL;
	int bad = 0;
	if (p->expires) {
		char ex[40];
		fmt_iso(p->expires, ex, sizeof(ex));
		bad |= jset(o, "expires", json_string(ex));
	}
	json_t *arr = json_array();
	bad |= jset(o, "deliveries", arr);
	for (size_t i = 0; !bad && i < p->ndeliveries; i++) {
		json_t *d = delivery_json(&p->deliveries[i]);
		bad |= !d || json_array_append_new(arr, d) < 0;
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int print_json(json_t *v)
{
	if (!v) {
		fprintf(stderr, "ritual: cannot build the JSON output (out of "
			"memory, or a text jansson refused); nothing printed\n");
		return EX_SOFTWARE;
	}
	char *text = json_dumps(v, JSON_INDENT(2));
	json_decref(v);
	if (!text) {
		fprintf(stderr, "ritual: cannot write the JSON output; nothing "
			"printed\n");
		return EX_SOFTWARE;
	}
	int rc = fputs(text, stdout) < 0 || fputc('\n', stdout) == EOF ||
		 fflush(stdout) != 0;
	free(text);
	if (rc) {
		fprintf(stderr, "ritual: cannot write to standard output: %s\n",
			strerror(errno));
		return EX_IOERR;
	}
	return 0;
}

/* Paused accounts and deliveries needing the owner, shown loudly. */
static void print_alerts(struct store *st, struct store_post **v, size_t n)
{
	struct store_account *acc = NULL;
	size_t na = 0;
	struct err err;
	time_t now = wall_now();
	if (store_accounts_list(st, &acc, &na, &err) == 0) {
		for (size_t i = 0; i < na; i++) {
			if (acc[i].paused)
				printf("!! account %s is PAUSED: %s\n\n", acc[i].name,
				       acc[i].reason ? esc(acc[i].reason) : "");
			else if (acc[i].hold_until > now) {
				char w[40];
				fmt_human(acc[i].hold_until, w, sizeof(w));
				printf("!  account %s waits until %s: %s\n\n", acc[i].name,
				       w, acc[i].reason ? esc(acc[i].reason) : "");
			}
		}
		store_accounts_free(acc, na);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < v[i]->ndeliveries; k++)
			if (v[i]->deliveries[k].state == DL_UNKNOWN)
				printf("!! post %lld on %s: OUTCOME UNKNOWN: %s\n\n",
				       (long long)v[i]->id, v[i]->deliveries[k].account,
				       v[i]->deliveries[k].error ? esc(v[i]->deliveries[k].error) : "");
}

#define LIST_LIMIT 200    /* posts per page of `ritual list` by default */

/* A positive count or id for --limit/--after; 0 when absent. */
static int list_number(const char *name, const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long n = v ? strtoll(v, &end, 10) : 0;
	if (v && (!*v || *end || errno || n <= 0)) {
		fprintf(stderr, "ritual list: %s takes a positive number, not "
			"\"%s\"\n", name, v);
		return -1;
	}
	*out = n;
	return 0;
}

static int cmd_list(struct cli *c)
{
	int all = take_flag(c, "--all");
	int json = take_flag(c, "--json");
	int missing = 0, missing2 = 0;
	const char *limit_s = take_option(c, "--limit", &missing);
	const char *after_s = take_option(c, "--after", &missing2);
	int rc = no_unknown_options(c, "list");
	if (rc)
		return rc;
	int64_t limit = 0, after = 0;
	if (missing || missing2 || c->argc != 1)
		return usage_of("list");
	if (list_number("--limit", limit_s, &limit) < 0 ||
	    list_number("--after", after_s, &after) < 0)
		return EX_USAGE;
	if (!limit)
		limit = LIST_LIMIT;
	struct store *st;
	if (access(c->cfg->database, F_OK) != 0) {
		if (json)
			return print_json(json_array());
		printf("nothing queued yet (no database at %s); queue posts with "
		       "`ritual import DIR`\n", c->cfg->database);
		return 0;
	}
	if ((rc = open_store(c, STORE_READONLY, &st)))
		return rc;
	struct store_post **v;
	size_t n;
	struct err err;
	int more = 0;
	if (store_posts_page(st, all, wall_now(), after, (size_t)limit, &v, &n,
			     &more, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		store_close(st);
		return after ? EX_NOINPUT : EX_UNAVAILABLE;
	}
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; arr && i < n; i++) {
			json_t *o = post_json(v[i]);
			if (!o || json_array_append_new(arr, o) < 0) {
				json_decref(arr);
				arr = NULL;
			}
		}
		rc = print_json(arr);
	} else {
		print_alerts(st, v, n);
		if (n == 0)
			printf(all ? "no posts\n"
				   : "nothing waiting; `ritual list --all` shows "
				     "published posts too\n");
		else
			printf("%-5s %-25s %-5s %-36s %s\n", "ID", "DUE", "KIND",
			       "TITLE", "ACCOUNTS");
		for (size_t i = 0; i < n; i++) {
			char due[40];
			fmt_human(v[i]->due, due, sizeof(due));
			const char *title = v[i]->title ? v[i]->title
							: path_basename(v[i]->source);
			printf("%-5lld %-25s %-5s %-36.36s", (long long)v[i]->id, due,
			       v[i]->kind, esc(title));
			for (size_t k = 0; k < v[i]->ndeliveries; k++)
				printf(" %s:%s", v[i]->deliveries[k].account,
				       dl_state_name(v[i]->deliveries[k].state));
			printf("\n");
		}
	}
	/* The next page: on stderr with --json, so that stdout stays one
	 * JSON array. */
	if (more && n)
		fprintf(json ? stderr : stdout,
			"%s%lld posts shown; the next ones: ritual list%s%s "
			"--limit %lld --after %lld\n", json ? "ritual: " : "",
			(long long)n, all ? " --all" : "", json ? " --json" : "",
			(long long)limit, (long long)v[n - 1]->id);
	store_posts_free(v, n);
	store_close(st);
	return rc;
}

/* The original and each network's variant: size, dimensions, what was
 * done to it. */
static void show_images(struct store *st, const struct store_post *p)
{
	struct store_media *m = NULL, **v = NULL;
	size_t n = 0;
	struct err err;
	if (!p->media_id)
		return;
	if (store_media_get(st, p->media_id, &m, &err) < 0) {
		printf("  image:   %s\n", err.msg);
		return;
	}
	printf("  image:   %s, %s, %ldx%ld, %zu bytes (the original)\n", m->name,
	       m->mime, m->width, m->height, m->len);
	if (store_variants_list(st, p->media_id, &v, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++)
			printf("    for %-9s %s, %ldx%ld, %zu bytes: %s\n",
			       v[i]->network, v[i]->mime, v[i]->width, v[i]->height,
			       v[i]->len, v[i]->notes);
		if (n == 0)
			printf("    (queued before variants: the original is sent)\n");
		store_variants_free(v, n);
	}
	store_media_free(m);
}

static int cmd_show(struct cli *c)
{
	int json = take_flag(c, "--json");
	int rc = no_unknown_options(c, "show");
	int64_t id;
	if (rc)
		return rc;
	if (c->argc != 2)
		return usage_of("show");
	if (parse_id(c->argv[1], &id) < 0)
		return EX_USAGE;
	struct store *st;
	if ((rc = open_store(c, STORE_READONLY, &st)))
		return rc;
	struct store_post *p;
	struct err err;
	if (store_post_get(st, id, &p, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		store_close(st);
		return EX_NOINPUT;
	}
	if (json) {
		rc = print_json(post_json(p));
		goto out;
	}
	char due[40], iso[40];
	fmt_human(p->due, due, sizeof(due));
	fmt_iso(p->due, iso, sizeof(iso));
	printf("post %lld: %s \"%s\"\n", (long long)p->id, p->kind,
	       p->title ? esc(p->title) : "");
	printf("  due:     %s (%s)%s\n", due, iso, p->from_slot ? ", a slot" : "");
	if (p->expires) {
		fmt_human(p->expires, due, sizeof(due));
		printf("  expires: %s\n", due);
	}
	printf("  from:    %s\n", esc(p->source));
	show_images(st, p);
	for (size_t k = 0; k < p->ndeliveries; k++) {
		const struct store_delivery *d = &p->deliveries[k];
		printf("\n  %s (%s): %s%s, %ld attempt%s\n", d->account, d->network,
		       dl_state_name(d->state),
		       d->state == DL_PENDING && d->phase == PHASE_COMMIT
			       ? " (the last answer was lost: reading the account back)"
			       : "",
		       d->attempts, d->attempts == 1 ? "" : "s");
		if (d->state == DL_PENDING && d->next_attempt != p->due) {
			char next[40];
			fmt_human(d->next_attempt, next, sizeof(next));
			printf("    next attempt: %s\n", next);
		}
		if (d->remote_id)
			printf("    id:        %s\n", esc(d->remote_id));
		if (d->permalink)
			printf("    permalink: %s\n", esc(d->permalink));
		if (d->error)
			printf("    %s: %s\n",
			       d->state == DL_PUBLISHED ? "note" : "error",
			       esc(d->error));
		struct store_event *ev;
		size_t ne;
		if (store_events_list(st, d->id, &ev, &ne, &err) == 0) {
			for (size_t i = 0; i < ne; i++) {
				char at[40];
				fmt_human(ev[i].at, at, sizeof(at));
				printf("    %s  %s\n", at, esc(ev[i].message));
			}
			store_events_free(ev, ne);
		}
	}
out:
	store_post_free(p);
	store_close(st);
	return rc;
}

/* preview's text: LinkedIn's as readers see it, unless --raw. */
static void print_text(const char *network, const char *wire, int raw)
{
	if (raw || strcmp(network, "linkedin") != 0) {
		fputs(wire, stdout);
		return;
	}
	char *v = format_linkedin_visible(wire);
	fputs(v, stdout);
	free(v);
}

/* preview --image FILE: exactly the bytes the account is sent. */
static int write_image(const char *file, const void *data, size_t len)
{
	struct err err;
	if (write_file_atomic(file, data, len, 0644, &err) < 0) {
		fprintf(stderr, "ritual preview: %s\n", err.msg);
		return EX_CANTCREAT;
	}
	fprintf(stderr, "ritual preview: wrote %zu bytes to %s\n", len, file);
	return 0;
}

static int cmd_preview(struct cli *c)
{
	int missing = 0, missing2 = 0;
	const char *acct = take_option(c, "--account", &missing);
	const char *image_out = take_option(c, "--image", &missing2);
	int raw = take_flag(c, "--raw");
	missing |= missing2;
	int rc = no_unknown_options(c, "preview");
	if (rc)
		return rc;
	if (missing || c->argc != 2)
		return usage_of("preview");
	if (!acct) {
		if (c->cfg->naccounts != 1) {
			fprintf(stderr, "ritual preview: say which account with "
				"--account NAME (the text differs per network)\n");
			return EX_USAGE;
		}
		acct = c->cfg->accounts[0].name;
	}
	if (!config_account(c->cfg, acct)) {
		fprintf(stderr, "ritual preview: no account \"%s\" in %s\n", acct,
			c->cfg->path);
		return EX_USAGE;
	}
	const char *what = c->argv[1];
	int64_t id;
	char *end;
	strtoll(what, &end, 10);
	if (*what && !*end && access(what, F_OK) != 0) {
		if (parse_id(what, &id) < 0)
			return EX_USAGE;
		struct store *st;
		struct store_post *p;
		struct err err;
		if ((rc = open_store(c, STORE_READONLY, &st)))
			return rc;
		if (store_post_get(st, id, &p, &err) < 0) {
			fprintf(stderr, "ritual: %s\n", err.msg);
			store_close(st);
			return EX_NOINPUT;
		}
		rc = EX_USAGE;
		for (size_t k = 0; k < p->ndeliveries; k++) {
			const struct store_delivery *d = &p->deliveries[k];
			if (strcmp(d->account, acct) != 0)
				continue;
			rc = 0;
			if (!image_out) {
				print_text(d->network, d->text, raw);
				continue;
			}
			struct store_media *m = NULL;
			if (!p->media_id) {
				fprintf(stderr, "ritual preview: post %lld has no "
					"image\n", (long long)id);
				rc = EX_DATAERR;
			} else if (store_media_for(st, p->media_id, d->network, &m,
						   &err) < 0) {
				fprintf(stderr, "ritual: %s\n", err.msg);
				rc = EX_UNAVAILABLE;
			} else {
				rc = write_image(image_out, m->data, m->len);
			}
			store_media_free(m);
		}
		if (rc)
			fprintf(stderr, "ritual preview: post %lld is not for account "
				"%s\n", (long long)id, acct);
		store_post_free(p);
		store_close(st);
		return rc;
	}
	struct queue_batch *b;
	char *file = xstrdup(what);
	char *files[] = {file, NULL};
	time_t now = wall_now();
	struct err err;
	int prc = queue_read(c->cfg, files, 1, now, &b);
	if (queue_place(c->cfg, &c->slots, NULL, b, now, 0, &err) < 0)
		prc = -1;
	free(file);
	if (prc < 0) {
		struct diag diag = {0};
		queue_problems(b, &diag);
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", esc(diag.msgs[i]));
		diag_free(&diag);
		queue_batch_free(b);
		return EX_DATAERR;
	}
	rc = EX_USAGE;
	for (size_t k = 0; k < b->items[0].ntargets; k++) {
		const struct queue_target *t = &b->items[0].targets[k];
		if (strcmp(t->account->name, acct) != 0)
			continue;
		rc = 0;
		if (!image_out)
			fputs(raw ? t->text.text : t->text.visible, stdout);
		else if (t->variant.data)
			rc = write_image(image_out, t->variant.data, t->variant.len);
		else {
			fprintf(stderr, "ritual preview: %s has no image\n", what);
			rc = EX_DATAERR;
		}
	}
	if (rc)
		fprintf(stderr, "ritual preview: %s is not for account %s (see its "
			"To: line)\n", esc(what), acct);
	queue_batch_free(b);
	return rc;
}

/* ---- owner actions ---- */

/* `ritual retry` means the owner fixed what was wrong: resume the post's
 * paused accounts too. Returns how many were resumed. */
static int resume_accounts_of(struct store *st, int64_t id)
{
	struct store_account *acc = NULL;
	struct store_post *p = NULL;
	size_t na = 0;
	int resumed = 0;
	struct err err;
	if (store_post_get(st, id, &p, &err) < 0 ||
	    store_accounts_list(st, &acc, &na, &err) < 0) {
		store_post_free(p);
		return 0;
	}
	for (size_t k = 0; k < p->ndeliveries; k++) {
		for (size_t i = 0; i < na; i++) {
			if (!acc[i].paused ||
			    strcmp(acc[i].name, p->deliveries[k].account) != 0)
				continue;
			if (store_account_resume(st, acc[i].name, &err) < 0) {
				fprintf(stderr, "ritual: %s\n", err.msg);
				continue;
			}
			acc[i].paused = 0;
			printf("account %s resumed\n", acc[i].name);
			resumed++;
		}
	}
	store_accounts_free(acc, na);
	store_post_free(p);
	return resumed;
}

/* reschedule ID TIME */
static int post_action(struct cli *c, const char *name)
{
	int rc = no_unknown_options(c, name);
	int64_t id;
	if (rc)
		return rc;
	if (c->argc != 3)
		return usage_of(name);
	if (parse_id(c->argv[1], &id) < 0)
		return EX_USAGE;
	time_t now = wall_now(), when = 0;
	if (parse_when(c->argv[2], now, &when, c->cfg->timezone) < 0)
		return EX_DATAERR;
	if (when < now - 60) {
		fprintf(stderr, "ritual: %s is in the past; give a later time "
			"or \"now\"\n", c->argv[2]);
		return EX_DATAERR;
	}
	struct store *st;
	struct err err;
	int changed = 0;
	if ((rc = open_store(c, 0, &st)))
		return rc;
	if (store_post_reschedule(st, id, when, &changed, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		store_close(st);
		return strstr(err.msg, "no post") ? EX_NOINPUT : EX_UNAVAILABLE;
	}
	store_close(st);
	char w[40];
	fmt_human(when, w, sizeof(w));
	printf("post %lld: %d deliver%s now due %s\n", (long long)id, changed,
	       changed == 1 ? "y" : "ies", w);
	if (!changed) {
		fprintf(stderr, "ritual: nothing to %s for post %lld (see `ritual "
			"show %lld`)\n", name, (long long)id, (long long)id);
		return EX_DATAERR;
	}
	return 0;
}

/* "3 5-8 12": the ids, in order, each once. -1 (message printed) for a
 * word that is neither. */
static int parse_ids(char *const *args, int n, int64_t **ids, size_t *count)
{
	*ids = NULL;
	*count = 0;
	for (int i = 0; i < n; i++) {
		const char *a = args[i], *dash = strchr(a, '-');
		int64_t lo, hi;
		if (dash && dash != a) {
			char *first = xstrndup(a, (size_t)(dash - a));
			int bad = parse_id(first, &lo) < 0 || parse_id(dash + 1, &hi) < 0;
			free(first);
			if (bad)
				goto fail;
			if (hi < lo || hi - lo > 10000) {
				fprintf(stderr, "ritual: \"%s\" is not a range of post "
					"ids (write the smaller first, e.g. 5-8)\n", a);
				goto fail;
			}
		} else if (parse_id(a, &lo) < 0) {
			goto fail;
		} else {
			hi = lo;
		}
		for (int64_t id = lo; id <= hi; id++) {
			int dup = 0;
			for (size_t k = 0; k < *count; k++)
				dup |= (*ids)[k] == id;
			if (dup)
				continue;
			*ids = xrealloc(*ids, (*count + 1) * sizeof(**ids));
			(*ids)[(*count)++] = id;
		}
	}
	return 0;
fail:
	free(*ids);
	*ids = NULL;
	*count = 0;
	return -1;
}

/* cancel or retry one post on an open store (cancel with acct: only that
 * account's delivery). Prints what changed; returns 0, or the exit status
 * of its failure (EX_DATAERR when nothing changed). */
static int act_on_post(struct store *st, const char *name, int64_t id,
		       const char *acct, time_t now, int *total)
{
	struct err err;
	int changed = 0, r, resumed = 0;
	int cancel = strcmp(name, "cancel") == 0;
	if (acct)
		r = store_post_cancel_account(st, id, acct, &changed, &err);
	else if (cancel)
		r = store_post_cancel(st, id, &changed, &err);
	else
		r = store_post_retry(st, id, now, &changed, &err);
	if (r < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return strstr(err.msg, "no post") ? EX_NOINPUT : EX_UNAVAILABLE;
	}
	*total += changed;
	if (acct) {
		if (changed)
			printf("post %lld: %s canceled\n", (long long)id, acct);
		return 0;
	}
	if (!cancel)
		resumed = resume_accounts_of(st, id);
	printf("post %lld: %d deliver%s %s\n", (long long)id, changed,
	       changed == 1 ? "y" : "ies", cancel ? "canceled" : "queued again");
	if (!changed && !resumed) {
		fprintf(stderr, "ritual: nothing to %s for post %lld (see `ritual "
			"show %lld`)\n", name, (long long)id, (long long)id);
		return EX_DATAERR;
	}
	return 0;
}

/* cancel/retry IDS...: each id or range in turn on one open database; the
 * exit status is the first failure's. cancel --account NAME [IDS]: only
 * that account's deliveries, of every queued post when no id is given. */
static int multi_action(struct cli *c, const char *name)
{
	int missing = 0;
	const char *acct = strcmp(name, "cancel") == 0
				   ? take_option(c, "--account", &missing) : NULL;
	int rc = no_unknown_options(c, name);
	if (rc)
		return rc;
	if (missing || (c->argc < 2 && !acct))
		return usage_of(name);
	if (acct && !config_account(c->cfg, acct)) {
		fprintf(stderr, "ritual %s: no account \"%s\" in %s\n", name, acct,
			c->cfg->path);
		return EX_USAGE;
	}
	int64_t *ids;
	size_t n;
	if (parse_ids(c->argv + 1, c->argc - 1, &ids, &n) < 0)
		return EX_USAGE;
	struct store *st;
	struct err err;
	if ((rc = open_store(c, 0, &st))) {
		free(ids);
		return rc;
	}
	if (acct && n == 0) {
		free(ids);
		if (store_account_live(st, acct, &ids, &n, &err) < 0) {
			fprintf(stderr, "ritual: %s\n", err.msg);
			store_close(st);
			return EX_UNAVAILABLE;
		}
	}
	int total = 0;
	time_t now = wall_now();
	for (size_t i = 0; i < n; i++) {
		int r = act_on_post(st, name, ids[i], acct, now, &total);
		if (r && !rc)
			rc = r;
	}
	store_close(st);
	free(ids);
	if (acct && !total && !rc) {
		fprintf(stderr, "ritual: nothing to cancel for account %s\n", acct);
		return EX_DATAERR;
	}
	return rc;
}

static int cmd_cancel(struct cli *c)
{
	return multi_action(c, "cancel");
}

static int cmd_reschedule(struct cli *c)
{
	return post_action(c, "reschedule");
}

static int cmd_retry(struct cli *c)
{
	return multi_action(c, "retry");
}

static int cmd_slots(struct cli *c)
{
	int missing = 0, missing2 = 0;
	const char *from = take_option(c, "--from", &missing);
	const char *count_s = take_option(c, "--count", &missing2);
	int json = take_flag(c, "--json");
	int rc = no_unknown_options(c, "slots");
	if (rc)
		return rc;
	if (missing || missing2 || c->argc != 1)
		return usage_of("slots");
	long count = 10;
	if (count_s) {
		char *end;
		count = strtol(count_s, &end, 10);
		if (*end || count < 1 || count > 10000) {
			fprintf(stderr, "ritual slots: --count takes a number from 1 "
				"to 10000\n");
			return EX_USAGE;
		}
	}
	time_t t = wall_now();
	if (from && parse_when(from, t, &t, c->cfg->timezone) < 0)
		return EX_DATAERR;
	if (c->slots.n == 0) {
		fprintf(stderr, "ritual slots: no schedule.slots in %s\n", c->cfg->path);
		return EX_CONFIG;
	}
	json_t *arr = json ? json_array() : NULL;
	for (long i = 0; i < count; i++) {
		time_t next;
		if (sched_slots_next(&c->slots, t, &next) < 0)
			break;
		char iso[40], human[40];
		fmt_iso(next, iso, sizeof(iso));
		fmt_human(next, human, sizeof(human));
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s}", "at", iso,
							     "local", human));
		else
			printf("%s\n", iso);
		t = next + 1;
	}
	return arr ? print_json(arr) : 0;
}

static int check_online(struct cli *c)
{
	struct err err;
	int bad = 0;
	if (http_global_init(&err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return EX_SOFTWARE;
	}
	struct http_options ho = {
		.connect_timeout = c->cfg->http.connect_timeout,
		.timeout = c->cfg->http.timeout,
		.max_response = c->cfg->http.max_response,
		.user_agent = "ritual/" RITUAL_VERSION,
	};
	struct http_client *http;
	if (http_client_new(&ho, &http, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return EX_SOFTWARE;
	}
	struct mediahost *media = NULL;
	printf("%-12s %-9s %-7s %s\n", "ACCOUNT", "STATUS", "EXPIRES", "DETAIL");
	if (c->cfg->media.url) {
		/* The public URL round trip Instagram depends on. */
		int ok = mediahost_new(c->cfg, http, &media, &err) == 0 &&
			 mediahost_check(media, &err) == 0;
		printf("%-12s %-9s %-7s %s\n", "(media)", ok ? "OK" : "PROBLEM", "-",
		       ok ? "images round-trip through the public URL" : err.msg);
		bad |= !ok;
	}
	for (size_t i = 0; i < c->cfg->naccounts; i++) {
		const struct account *a = &c->cfg->accounts[i];
		const struct publisher *pub = publisher_for(a->network);
		struct pub_check res = {0};
		char *token = NULL;
		char days[16] = "?";
		if (read_secret_file(a->token_file, &token, &err) < 0) {
			snprintf(res.detail, sizeof(res.detail), "%s", err.msg);
			res.days_left = -1;
		} else if (!pub || !pub->check) {
			snprintf(res.detail, sizeof(res.detail),
				 "no online check for %s yet", network_name(a->network));
			res.days_left = -1;
		} else {
			struct pub_ctx ctx = {.cfg = c->cfg, .account = a,
					      .token = token, .http = http,
					      .media = media, .now = wall_now()};
			pub->check(&ctx, &res);
		}
		secret_free(token);
		if (res.never_expires)
			snprintf(days, sizeof(days), "never");
		else if (res.days_left >= 0)
			snprintf(days, sizeof(days), "%ldd", res.days_left);
		printf("%-12s %-9s %-7s %s\n", a->name, res.ok ? "OK" : "PROBLEM",
		       days, esc(res.detail));
		if (!res.ok && res.fix[0])
			printf("%-12s %-9s %-7s fix: %s\n", "", "", "", res.fix);
		bad |= !res.ok;
	}
	mediahost_free(media);
	http_client_free(http);
	http_global_cleanup();
	return bad ? EX_UNAVAILABLE : 0;
}

/* `ritual check --notify`: one NOTICE_TEST through every channel, now. */
static int check_notify(struct cli *c)
{
	const struct config *cfg = c->cfg;
	if (!cfg->notify.smtp_url && !cfg->notify.command) {
		fprintf(stderr, "ritual check --notify: no channel is configured; "
			"set notify.email or notify.command in %s\n", cfg->path);
		return EX_CONFIG;
	}
	char host[256] = "this server";
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "this server");
	host[sizeof(host) - 1] = '\0';
	char *msg = xasprintf("A test notice from ritual on %s (`ritual check "
			      "--notify`): mail and the event command work.", host);
	struct notice ev = {
		.kind = NOTICE_TEST, .message = msg,
		.fix = "Nothing: this is only a test",
	};
	char *subject, *body, *json;
	notice_render(&ev, wall_now(), 0, 1, &subject, &body, &json);
	struct notify_outcome mail, cmd;
	struct err err;
	if (http_global_init(&err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		return EX_SOFTWARE;
	}
	int rc = notify_send(cfg, "test", subject, body, json, &mail, &cmd);
	/* listed by `ritual events` too, where this user may write the
	 * database (best effort: the test is what was asked for) */
	struct store *st = NULL;
	if (access(cfg->database, W_OK) == 0 &&
	    store_open(cfg->database, 0, &st, &err) == 0) {
		struct store_notice row = {
			.at = wall_now(), .kind = (char *)"test",
			.message = msg, .fix = (char *)(rc == 0 ? NULL
				: "Fix what `ritual check --notify` says"),
			.state = (char *)"told", .count = 1, .told_at = wall_now(),
		};
		if (store_notice_add(st, &row, NULL, &err) < 0)
			fprintf(stderr, "ritual: not listed in `ritual events`: %s\n",
				err.msg);
		store_close(st);
	}
	if (mail.tried)
		printf("mail to %s via %s: %s%s\n", cfg->notify.mail_to[0],
		       cfg->notify.smtp_url, mail.ok ? "sent" : "FAILED: ",
		       mail.ok ? "" : mail.error);
	if (cmd.tried)
		printf("command %s test: %s%s\n", cfg->notify.command,
		       cmd.ok ? "ran" : "FAILED: ", cmd.ok ? "" : cmd.error);
	http_global_cleanup();
	free(msg);
	free(subject);
	free(body);
	free(json);
	return rc == 0 ? 0 : EX_UNAVAILABLE;
}

static int cmd_check(struct cli *c)
{
	int online = take_flag(c, "--online");
	int json = take_flag(c, "--json");
	int notify = take_flag(c, "--notify");
	int rc = no_unknown_options(c, "check");
	if (rc)
		return rc;
	if (c->argc != 1)
		return usage_of("check");
	if (notify && (json || online)) {
		fprintf(stderr, "ritual check: --notify goes alone\n");
		return EX_USAGE;
	}
	if (notify) {
		printf("configuration OK\n");
		return check_notify(c);
	}
	if (json && online) {
		fprintf(stderr, "ritual check: --json is for the offline check; "
			"--online prints a table\n");
		return EX_USAGE;
	}
	if (json) {
		json_t *acc = json_array();
		for (size_t i = 0; i < c->cfg->naccounts; i++)
			json_array_append_new(acc, json_pack("{s:s, s:s}", "name",
				c->cfg->accounts[i].name, "network",
				network_name(c->cfg->accounts[i].network)));
		return print_json(json_pack("{s:b, s:s, s:s, s:s, s:I, s:o}", "ok", 1,
					    "config", c->cfg->path, "timezone",
					    c->cfg->timezone, "database",
					    c->cfg->database, "slots",
					    (json_int_t)c->cfg->nslots, "accounts",
					    acc));
	}
	printf("configuration OK\n");
	if (!online)
		return 0;
	return check_online(c);
}

/* `ritual events [--since TIME] [--json]`: the notices (issue 10). */
static int cmd_events(struct cli *c)
{
	int json = take_flag(c, "--json");
	int missing = 0;
	const char *since_s = take_option(c, "--since", &missing);
	int rc = no_unknown_options(c, "events");
	if (rc)
		return rc;
	if (missing || c->argc != 1)
		return usage_of("events");
	time_t now = wall_now(), since = now - 7 * 86400;
	if (since_s && parse_when(since_s, now, &since, c->cfg->timezone) < 0)
		return EX_USAGE;
	if (access(c->cfg->database, F_OK) != 0) {
		if (json)
			return print_json(json_array());
		printf("no notices (no database at %s yet)\n", c->cfg->database);
		return 0;
	}
	struct store *st;
	if ((rc = open_store(c, STORE_READONLY | STORE_OLD_SCHEMA_OK, &st)))
		return rc;
	struct store_notice *v = NULL;
	size_t n = 0;
	struct err err;
	int recorded = 0;
	if (store_notices_recorded(st, &recorded, &err) == 0 && !recorded) {
		/* an older schema: no rituald of this version opened it yet */
		store_close(st);
		if (json)
			return print_json(json_array());
		printf("no notices: rituald has not recorded notices in %s yet "
		       "(it starts when this version of rituald opens it)\n",
		       c->cfg->database);
		return 0;
	}
	if (store_notices_list(st, since, &v, &n, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		store_close(st);
		return EX_UNAVAILABLE;
	}
	store_close(st);
	char when[40], last[40];
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++) {
			const struct store_notice *e = &v[i];
			json_t *o = json_object();
			sched_format_iso(e->at, when, sizeof(when));
			sched_format_iso(e->last_at, last, sizeof(last));
			json_object_set_new(o, "id", json_integer(e->id));
			json_object_set_new(o, "at", json_string(when));
			json_object_set_new(o, "last", json_string(last));
			json_object_set_new(o, "event", json_string(e->kind));
			json_object_set_new(o, "state", json_string(e->state));
			json_object_set_new(o, "count", json_integer(e->count));
			json_object_set_new(o, "account", e->account
				? json_string(e->account) : json_null());
			json_object_set_new(o, "network", e->network
				? json_string(e->network) : json_null());
			json_object_set_new(o, "post", e->post_id
				? json_pack("{s:I, s:s?, s:s?}", "id",
					    (json_int_t)e->post_id, "title",
					    e->post_title, "file", e->post_file)
				: json_null());
			json_object_set_new(o, "message", json_string(e->message));
			json_object_set_new(o, "fix", e->fix ? json_string(e->fix)
							      : json_null());
			if (e->resolved_at) {
				sched_format_iso(e->resolved_at, when, sizeof(when));
				json_object_set_new(o, "resolved", json_string(when));
			} else {
				json_object_set_new(o, "resolved", json_null());
			}
			json_array_append_new(a, o);
		}
		store_notices_free(v, n);
		return print_json(a);
	}
	if (n == 0) {
		fmt_human(since, when, sizeof(when));
		printf("no notices since %s\n", when);
	}
	for (size_t i = 0; i < n; i++) {
		const struct store_notice *e = &v[i];
		fmt_human(e->at, when, sizeof(when));
		char *msg = str_escape_controls(e->message, NULL);
		printf("%s  %-14s %-8s", when, e->kind, e->state);
		if (e->account)
			printf(" %s", e->account);
		if (e->post_id)
			printf(" post %lld", (long long)e->post_id);
		if (e->count > 1) {
			fmt_human(e->last_at, last, sizeof(last));
			printf(" (%ld times, last %s)", e->count, last);
		}
		printf("\n    %s\n", msg);
		free(msg);
		if (e->fix && strcmp(e->state, "open") == 0) {
			char *fix = str_escape_controls(e->fix, NULL);
			printf("    fix: %s\n", fix);
			free(fix);
		}
	}
	store_notices_free(v, n);
	return 0;
}

/* `ritual connect NETWORK`: the flow is connect.c's. */
static int cmd_connect(struct cli *c)
{
	struct connect_opts o = {.port = CONNECT_DEFAULT_PORT,
				 .timeout = CONNECT_DEFAULT_TIMEOUT, .in_fd = 0};
	int m[9] = {0};
	const char *login, *port, *timeout;
	o.account = take_option(c, "--account", &m[0]);
	o.page = take_option(c, "--page", &m[1]);
	port = take_option(c, "--port", &m[2]);
	timeout = take_option(c, "--timeout", &m[3]);
	login = take_option(c, "--login", &m[4]);
	o.app_id = take_option(c, "--app-id", &m[5]);
	if (!o.app_id)
		o.app_id = take_option(c, "--client-id", &m[5]);
	o.secret_file = take_option(c, "--app-secret-file", &m[6]);
	if (!o.secret_file)
		o.secret_file = take_option(c, "--client-secret-file", &m[6]);
	o.token_file = take_option(c, "--token-file", &m[7]);
	o.write_config = take_flag(c, "--write-config");
	o.member = take_flag(c, "--member");
	int rc = no_unknown_options(c, "connect");
	if (rc)
		return rc;
	for (int i = 0; i < 9; i++)
		if (m[i])
			return usage_of("connect");
	if (c->argc != 2 || network_from_name(c->argv[1], &o.network) < 0)
		return usage_of("connect");
	if (login && strcmp(login, "instagram") != 0 && strcmp(login, "facebook") != 0) {
		fprintf(stderr, "ritual connect: --login is facebook or instagram\n");
		return EX_USAGE;
	}
	o.login_instagram = login && strcmp(login, "instagram") == 0;
	char *end;
	if (port) {
		long v = strtol(port, &end, 10);
		if (*end || v < 1 || v > 65535) {
			fprintf(stderr, "ritual connect: --port takes 1 to 65535\n");
			return EX_USAGE;
		}
		o.port = (int)v;
	}
	if (timeout) {
		long v = strtol(timeout, &end, 10);
		if ((*end && strcmp(end, "s") != 0) || v < 1 || v > 86400) {
			fprintf(stderr, "ritual connect: --timeout takes seconds, 1 to 86400\n");
			return EX_USAGE;
		}
		o.timeout = v;
	}
	return connect_run(c->cfg, &o);
}

/* ---- the week at a glance (issue 13; week.c) ---- */

/* --from DATE (a date or date and time; default today) and --weeks N. */
static int week_args(struct cli *c, const char *name, struct week_options *o)
{
	int missing = 0, missing2 = 0;
	const char *from = take_option(c, "--from", &missing);
	const char *weeks = take_option(c, "--weeks", &missing2);
	if (missing || missing2)
		return usage_of(name);
	o->from = wall_now();
	o->weeks = 1;
	if (weeks) {
		char *end;
		long n = strtol(weeks, &end, 10);
		if (*end || n < 1 || n > 52) {
			fprintf(stderr, "ritual %s: --weeks takes a number from 1 to "
				"52\n", name);
			return EX_USAGE;
		}
		o->weeks = (int)n;
	}
	if (from && strcmp(from, "today") != 0) {
		struct parsed_time pt;
		struct err err;
		if (when_parse(from, wall_now(), c->cfg->timezone, &pt, &err) < 0) {
			fprintf(stderr, "ritual %s: --from: %s\n", name, err.msg);
			return EX_DATAERR;
		}
		if (pt.has_offset) {
			o->from = pt.instant;
		} else {
			struct wall w = pt.wall;
			w.hour = 12;
			w.min = w.sec = 0;
			if (sched_wall_to_utc(&w, &o->from, NULL, &err) < 0) {
				fprintf(stderr, "ritual %s: --from: %s\n", name, err.msg);
				return EX_DATAERR;
			}
		}
	}
	return 0;
}

static int cmd_week(struct cli *c)
{
	struct week_options o = {0};
	o.json = take_flag(c, "--json");
	int rc = week_args(c, "week", &o);
	if (rc || (rc = no_unknown_options(c, "week")))
		return rc;
	if (c->argc != 1)
		return usage_of("week");
	const char *nc = getenv("NO_COLOR");
	o.color = isatty(STDOUT_FILENO) && !(nc && *nc);
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
	    ws.ws_col > 0)
		o.columns = ws.ws_col;
	else if (getenv("COLUMNS"))
		o.columns = (int)strtol(getenv("COLUMNS"), NULL, 10);
	struct store *st;
	struct err err;
	if ((rc = open_store(c, STORE_READONLY, &st)))
		return rc;
	if (week_print(st, c->cfg, &c->slots, &o, stdout, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		rc = EX_UNAVAILABLE;
	}
	store_close(st);
	return rc;
}

static int cmd_calendar(struct cli *c)
{
	struct week_options o = {0};
	int missing = 0;
	const char *file = take_option(c, "--html", &missing);
	int rc = week_args(c, "calendar", &o);
	if (rc || (rc = no_unknown_options(c, "calendar")))
		return rc;
	if (missing || !file || c->argc != 1)
		return usage_of("calendar");
	struct store *st;
	struct err err;
	if ((rc = open_store(c, STORE_READONLY, &st)))
		return rc;
	char *tmp = xasprintf("%s.tmp", file);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "ritual calendar: cannot write %s: %s\n", tmp,
			strerror(errno));
		free(tmp);
		store_close(st);
		return EX_CANTCREAT;
	}
	if (week_html(st, c->cfg, &c->slots, &o, f, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		rc = EX_UNAVAILABLE;
	}
	if (fclose(f) != 0 && !rc) {
		fprintf(stderr, "ritual calendar: cannot write %s: %s\n", tmp,
			strerror(errno));
		rc = EX_IOERR;
	}
	if (!rc && rename(tmp, file) != 0) {
		fprintf(stderr, "ritual calendar: cannot write %s: %s\n", file,
			strerror(errno));
		rc = EX_CANTCREAT;
	}
	if (rc)
		unlink(tmp);
	else
		printf("wrote %s\n", file);
	free(tmp);
	store_close(st);
	return rc;
}

/* `ritual help`'s rows: name, args (a column of HELP_ARGS_W), description.
 * Longer args go on lines of their own (continuation lines under the
 * args, broken before an option's "[" where one fits) and the description
 * on the lines after, indented by 4 more. Lines stay within HELP_WIDTH. */
#define HELP_ARGS_W 32
#define HELP_WIDTH 78

/* text in lines of at most width bytes (a longer word stays whole), the
 * first after first, the others after indent spaces. */
static void print_wrapped(const char *first, int indent, const char *text,
			  size_t width, int before_bracket)
{
	const char *p = text;
	for (int line = 0; *p; line++) {
		size_t len = strlen(p), cut = len;
		if (len > width) {
			size_t any = 0, bracket = 0;
			for (size_t i = 1; i <= width; i++) {
				if (p[i] != ' ')
					continue;
				any = i;
				if (p[i + 1] == '[')
					bracket = i;
			}
			cut = before_bracket && bracket ? bracket : any;
			if (!cut) {
				cut = width;
				while (p[cut] && p[cut] != ' ')
					cut++;
			}
		}
		if (line == 0)
			fputs(first, stdout);
		else
			printf("%*s", indent, "");
		printf("%.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

static void print_help_row(const struct command *k)
{
	if (strlen(k->args) <= HELP_ARGS_W) {
		printf("  %-11s %-*s  %s\n", k->name, HELP_ARGS_W, k->args, k->help);
		return;
	}
	char first[32];
	snprintf(first, sizeof(first), "  %-11s ", k->name);
	print_wrapped(first, 14, k->args, HELP_WIDTH - 14, 1);
	print_wrapped("                  ", 18, k->help, HELP_WIDTH - 18, 0);
}

static int cmd_help(struct cli *c)
{
	if (c->argc == 2) {
		for (const struct command *k = commands; k->name; k++) {
			if (strcmp(k->name, c->argv[1]) == 0) {
				printf("usage: ritual %s %s\n  %s\n", k->name, k->args,
				       k->help);
				return 0;
			}
		}
		fprintf(stderr, "ritual: no command \"%s\"\n", c->argv[1]);
		return EX_USAGE;
	}
	printf("usage: ritual [-c CONFIG] COMMAND [ARGS]\n\n"
	       "The configuration is -c FILE, else $RITUAL_CONFIG, else "
	       "/etc/ritual/ritual.conf.\n\nCommands:\n");
	for (const struct command *k = commands; k->name; k++)
		print_help_row(k);
	printf("\n`ritual COMMAND --help` describes one command; ritual(1) has "
	       "the details.\n");
	return 0;
}

/* ---- status and backup ---- */

#define STATUS_STALE 300   /* seconds without a heartbeat: not responding */

static int pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

#define STATUS_NEXT 10      /* deliveries shown under "next" */

static int cmd_status(struct cli *c)
{
	int json = take_flag(c, "--json");
	int rc = no_unknown_options(c, "status");
	if (rc)
		return rc;
	if (c->argc != 1)
		return usage_of("status");
	if (access(c->cfg->database, F_OK) != 0) {
		fprintf(stderr, "ritual: no database at %s yet: rituald never ran "
			"and nothing is queued\n", c->cfg->database);
		return EX_UNAVAILABLE;
	}
	struct store *st;
	if ((rc = open_store(c, STORE_READONLY, &st)))
		return rc;
	struct err err;
	struct store_daemon *dm = NULL;
	struct store_account *acc = NULL;
	struct store_delivery *next = NULL, *pv = NULL;
	size_t nacc = 0, nn = 0, npv = 0, ptotal = 0;
	time_t now = wall_now();
	if (store_daemon_get(st, &dm, &err) < 0 ||
	    store_accounts_list(st, &acc, &nacc, &err) < 0 ||
	    store_deliveries_next(st, STATUS_NEXT, &next, &nn, &err) < 0 ||
	    store_problems(st, now, STORE_PROBLEMS_SHOWN, &pv,
			   &npv, &ptotal, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		store_daemon_free(dm);
		store_accounts_free(acc, nacc);
		store_deliveries_free(next, nn);
		store_close(st);
		return EX_UNAVAILABLE;
	}
	const char *dstate = "never ran";
	if (dm && !dm->running)
		dstate = "stopped";
	else if (dm && !pid_alive(dm->pid))
		dstate = "dead";          /* it did not stop cleanly */
	else if (dm && now - dm->beat > STATUS_STALE)
		dstate = "not responding";
	else if (dm)
		dstate = "running";
	int problems = strcmp(dstate, "running") != 0;

	json_t *jd = json_object(), *ja = json_array(), *jn = json_array(),
	       *jp = json_array();
	char t1[40], t2[40];
	json_object_set_new(jd, "state", json_string(dstate));
	if (dm) {
		fmt_iso(dm->beat, t1, sizeof(t1));
		fmt_iso(dm->started, t2, sizeof(t2));
		json_object_set_new(jd, "pid", json_integer(dm->pid));
		json_object_set_new(jd, "version", json_string(dm->version));
		json_object_set_new(jd, "last_loop", json_string(t1));
		json_object_set_new(jd, "last_loop_age", json_integer((json_int_t)(now - dm->beat)));
		json_object_set_new(jd, "started", json_string(t2));
		if (dm->status)
			json_object_set_new(jd, "status", json_string(dm->status));
	}
	for (size_t i = 0; i < c->cfg->naccounts; i++) {
		const struct account *a = &c->cfg->accounts[i];
		const struct store_account *sa = NULL;
		for (size_t k = 0; k < nacc; k++)
			if (strcmp(acc[k].name, a->name) == 0)
				sa = &acc[k];
		const char *state = "ok";
		if (sa && sa->paused)
			state = "paused";
		else if (sa && sa->hold_until > now)
			state = "on hold";
		json_t *o = json_pack("{s:s, s:s, s:s, s:n}", "name", a->name,
				      "network", network_name(a->network),
				      "state", state, "token_days_left");
		long days = token_days_left(a->token_file, now);
		if (days >= 0)
			json_object_set_new(o, "token_days_left", json_integer(days));
		if (sa && sa->reason && strcmp(state, "ok") != 0)
			json_object_set_new(o, "reason", json_string(sa->reason));
		json_array_append_new(ja, o);
		if (sa && sa->paused) {
			problems = 1;
			json_array_append_new(jp, json_pack("{s:s, s:s, s:s?}",
				"kind", "paused", "account", a->name,
				"message", sa->reason));
		}
	}
	for (size_t i = 0; i < nn; i++) {
		const struct store_delivery *d = &next[i];
		struct store_post *p = NULL;
		if (store_post_get(st, d->post_id, &p, &err) < 0)
			p = NULL;
		fmt_iso(d->state == DL_PENDING ? d->next_attempt : d->due, t1,
			sizeof(t1));
		json_array_append_new(jn, json_pack("{s:I, s:s, s:s, s:s, s:s?}",
			"post", (json_int_t)d->post_id, "account", d->account,
			"due", t1, "state", dl_state_name(d->state),
			"title", p ? p->title : NULL));
		store_post_free(p);
	}
	if (ptotal)
		problems = 1;
	for (size_t i = 0; i < npv; i++)
		json_array_append_new(jp, json_pack("{s:s, s:I, s:s, s:s?}",
			"kind", dl_state_name(pv[i].state),
			"post", (json_int_t)pv[i].post_id, "account", pv[i].account,
			"message", pv[i].error));
	/* More problems than are shown: their number (JSON: problems_more). */
	size_t pmore = ptotal > npv ? ptotal - npv : 0;
	if (json) {
		json_t *all = json_pack("{s:o, s:o, s:o, s:o, s:I}", "rituald", jd,
					"accounts", ja, "next", jn, "problems", jp,
					"problems_more", (json_int_t)pmore);
		rc = print_json(all);
	} else {
		if (dm) {
			fmt_human(dm->beat, t1, sizeof(t1));
			printf("rituald: %s (pid %ld, version %s, last loop %s, %lld s ago)\n",
			       dstate, (long)dm->pid, dm->version, t1,
			       (long long)(now - dm->beat));
			if (dm->status && strcmp(dstate, "running") == 0)
				printf("  %s\n", esc(dm->status));
		} else {
			printf("rituald: never ran against %s\n", c->cfg->database);
		}
		printf("\n%-16s %-10s %-9s %s\n", "ACCOUNT", "NETWORK", "STATE",
		       "TOKEN DAYS LEFT");
		size_t i;
		json_t *o;
		json_array_foreach(ja, i, o) {
			const char *reason = json_string_value(json_object_get(o, "reason"));
			char days[24] = "?";
			json_t *dj = json_object_get(o, "token_days_left");
			if (json_is_integer(dj))
				snprintf(days, sizeof(days), "%lld",
					 (long long)json_integer_value(dj));
			printf("%-16s %-10s %-9s %s%s%s\n",
			       json_string_value(json_object_get(o, "name")),
			       json_string_value(json_object_get(o, "network")),
			       json_string_value(json_object_get(o, "state")), days,
			       reason ? "  " : "", reason ? esc(reason) : "");
		}
		printf("\nnext:\n");
		if (json_array_size(jn) == 0)
			printf("  nothing queued\n");
		json_array_foreach(jn, i, o) {
			const char *title = json_string_value(json_object_get(o, "title"));
			printf("  post %lld to %s, %s%s%s\n",
			       (long long)json_integer_value(json_object_get(o, "post")),
			       json_string_value(json_object_get(o, "account")),
			       json_string_value(json_object_get(o, "due")),
			       title ? ": " : "", title ? esc(title) : "");
		}
		printf("\nproblems:\n");
		if (json_array_size(jp) == 0)
			printf("  none\n");
		json_array_foreach(jp, i, o) {
			const char *msg = json_string_value(json_object_get(o, "message"));
			json_t *post = json_object_get(o, "post");
			if (post)
				printf("  post %lld on %s: %s: %s\n",
				       (long long)json_integer_value(post),
				       json_string_value(json_object_get(o, "account")),
				       json_string_value(json_object_get(o, "kind")),
				       msg ? esc(msg) : "");
			else
				printf("  account %s paused: %s\n",
				       json_string_value(json_object_get(o, "account")),
				       msg ? esc(msg) : "");
		}
		if (pmore)
			printf("  and %zu more (`ritual events` and `ritual list "
			       "--all` show them)\n", pmore);
		json_decref(jd);
		json_decref(ja);
		json_decref(jn);
		json_decref(jp);
	}
	store_daemon_free(dm);
	store_accounts_free(acc, nacc);
	store_deliveries_free(next, nn);
	store_deliveries_free(pv, npv);
	store_close(st);
	if (rc)
		return rc;
	return problems ? 1 : 0;
}

static int cmd_backup(struct cli *c)
{
	int rc = no_unknown_options(c, "backup");
	if (rc)
		return rc;
	if (c->argc != 2)
		return usage_of("backup");
	struct store *st;
	if ((rc = open_store(c, STORE_READONLY, &st)))
		return rc;
	struct err err;
	if (store_backup(st, c->argv[1], &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		store_close(st);
		return EX_CANTCREAT;
	}
	store_close(st);
	printf("backed up %s to %s\n", c->cfg->database, c->argv[1]);
	return 0;
}

static const struct command commands[] = {
	{"add", "[--again] FILE... [--dry-run] [--json]",
	 "check post files and queue them, all or nothing", cmd_add, 1},
	{"import", "[--again] DIR [--dry-run] [--json]",
	 "check every *.post in DIR and queue them, all or nothing", cmd_import, 1},
	{"list", "[--all] [--limit N] [--after ID] [--json]",
	 "queued posts with their state per account, a page at a time",
	 cmd_list, 1},
	{"show", "ID [--json]", "one post: times, per-account state, ids, errors, history",
	 cmd_show, 1},
	{"preview", "ID|FILE [--account NAME] [--raw] [--image OUT]",
	 "the text that account's readers will see (--raw: the exact bytes "
	 "sent); --image writes the exact image sent", cmd_preview, 1},
	{"cancel", "[ID|RANGE...] [--account NAME]",
	 "cancel posts' pending deliveries (e.g. 3 5-8; --account: only that "
	 "account's, of every queued post when no id is given)", cmd_cancel, 1},
	{"reschedule", "ID TIME", "move a post to TIME (now, 9am, 17:30, tomorrow "
	 "9am, Mon 09:00, next Mon 09:00, a date and time as the zone writes "
	 "it, 2026-12-03 09:00)",
	 cmd_reschedule, 1},
	{"retry", "ID|RANGE...", "queue failed, missed or unknown posts again now",
	 cmd_retry, 1},
	{"slots", "[--from TIME] [--count N] [--json]", "the next N slot times (default 10)",
	 cmd_slots, 1},
	{"check", "[--online] [--json] | --notify",
	 "check the configuration (and, online, each token; --notify: send a "
	 "test notice through the mail and the command)",
	 cmd_check, 1},
	{"events", "[--since TIME] [--json]",
	 "what the owner was told: failures, pauses, warnings (default: the "
	 "last 7 days, and every open problem)", cmd_events, 1},
	{"status", "[--json]", "rituald alive?, accounts, next posts, open problems",
	 cmd_status, 1},
	{"backup", "FILE", "a consistent copy of the database (safe while rituald runs)",
	 cmd_backup, 1},
	{"connect", "facebook|instagram|linkedin [--account NAME] [--page ID] [--member] "
	 "[--login instagram] [--app-id ID --app-secret-file FILE] "
	 "[--client-id ID --client-secret-file FILE] [--token-file FILE] "
	 "[--port N] [--timeout S] [--write-config]",
	 "get (or renew) an account's token through the platform's consent page",
	 cmd_connect, 1},
	{"week", "[--from DATE] [--weeks N] [--json]",
	 "the week at a glance: days across, slots down", cmd_week, 1},
	{"calendar", "--html FILE [--from DATE] [--weeks N]",
	 "one HTML page with a mock-up of every post per network", cmd_calendar, 1},
	{"help", "[COMMAND]", "this list, or one command's usage", cmd_help, 0},
	{NULL, NULL, NULL, NULL, 0},
};

int cli_main(int argc, char **argv)
{
	struct cli c = {0};
	int i = 1;

	c.config_path = getenv("RITUAL_CONFIG");
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ritual: -c needs a file\n");
				return EX_USAGE;
			}
			c.config_path = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			c.config_path = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "--version") == 0 ||
			   strcmp(argv[i], "-V") == 0) {
			printf("ritual %s\n", RITUAL_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			c.argc = 1;
			return cmd_help(&c);
		} else {
			fprintf(stderr, "ritual: unknown option %s; see `ritual help`\n",
				argv[i]);
			return EX_USAGE;
		}
	}
	if (!c.config_path || !*c.config_path)
		c.config_path = "/etc/ritual/ritual.conf";
	if (i >= argc) {
		c.argc = 1;
		cmd_help(&c);
		return EX_USAGE;
	}
	const struct command *k;
	for (k = commands; k->name; k++)
		if (strcmp(k->name, argv[i]) == 0)
			break;
	if (!k->name) {
		const char *names[RT_ARRAY_LEN(commands)];
		size_t nn = 0;
		for (k = commands; k->name; k++)
			names[nn++] = k->name;
		const char *near = str_closest(argv[i], names, nn);
		if (near)
			fprintf(stderr, "ritual: no command \"%s\"; did you mean "
				"`ritual %s`?\n", argv[i], near);
		else
			fprintf(stderr, "ritual: no command \"%s\"; see `ritual "
				"help`\n", argv[i]);
		return EX_USAGE;
	}
	c.argc = argc - i;
	c.argv = argv + i;
	if (wants_help(&c, k))
		return 0;
	int rc = 0;
	if (k->needs_config && (rc = load_config(&c)))
		goto out;
	rc = k->run(&c);
out:
	sched_slots_free(&c.slots);
	config_free(c.cfg);
	return rc;
}
