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
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ritual/config.h"
#include "ritual/http.h"
#include "ritual/mediahost.h"
#include "ritual/publisher.h"
#include "ritual/queue.h"
#include "ritual/schedule.h"
#include "ritual/store.h"

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

/* ---- helpers ---- */

static int load_config(struct cli *c)
{
	struct diag diag = {0};
	struct err err;
	if (config_load(c->config_path, &c->cfg, &diag) < 0) {
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

/* A time given on the command line: "now", local "YYYY-MM-DD HH:MM", or
 * ISO 8601 with an offset. Refuses a DST gap. */
static int parse_when(const char *s, time_t now, time_t *out, const char *tz)
{
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	struct parsed_time pt;
	struct err err;
	if (sched_parse_time(s, 0, &pt, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
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

/* ---- queueing ---- */

static void print_queued(const struct queue_batch *b, const int64_t *ids)
{
	printf("queued %zu post%s:\n", b->n, b->n == 1 ? "" : "s");
	for (size_t i = 0; i < b->n; i++) {
		const struct queue_item *it = &b->items[i];
		char when[40];
		fmt_human(it->due, when, sizeof(when));
		printf("  #%-4lld %s  %-5s %s%s%s  ->", (long long)ids[i], when,
		       kind_name(it->pf->kind), it->pf->title ? "\"" : "",
		       it->pf->title ? it->pf->title : path_basename(it->pf->path),
		       it->pf->title ? "\"" : "");
		for (size_t k = 0; k < it->ntargets; k++)
			printf(" %s", it->targets[k].account->name);
		printf("%s\n", it->from_slot ? "  (slot)" : "");
	}
}

static void print_problems(const struct queue_batch *b)
{
	struct diag d = {0};
	queue_problems(b, &d);
	for (size_t i = 0; i < d.n; i++)
		fprintf(stderr, "%s\n", d.msgs[i]);
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
 * choosing and inserting, so two imports at once never share a slot.
 */
static int queue_files(struct cli *c, char *const *files, size_t n, int again)
{
	struct store *st = NULL;
	struct queue_batch *b = NULL;
	struct err err;
	time_t now = time(NULL);
	int rc = 0;

	if (queue_read(c->cfg, files, n, now, &b) < 0) {
		/* still place what can be, to report every problem at once */
		if (access(c->cfg->database, F_OK) == 0 &&
		    store_open(c->cfg->database, 0, &st, &err) < 0)
			st = NULL;
		if (queue_place(c->cfg, &c->slots, st, b, now, again, &err) == -2)
			fprintf(stderr, "ritual: %s\n", err.msg);
		print_problems(b);
		store_close(st);
		queue_batch_free(b);
		return EX_DATAERR;
	}
	if ((rc = open_store(c, STORE_CREATE, &st))) {
		queue_batch_free(b);
		return rc;
	}
	int64_t *ids = xcalloc(b->n ? b->n : 1, sizeof(*ids));
	int prc;
	if (store_begin(st, &err) < 0) {
		fprintf(stderr, "ritual: nothing queued: %s\n", err.msg);
		rc = EX_UNAVAILABLE;
	} else if ((prc = queue_place(c->cfg, &c->slots, st, b, now, again,
				      &err)) < 0) {
		store_rollback(st);
		if (prc == -2) {
			fprintf(stderr, "ritual: nothing queued: %s\n", err.msg);
			rc = EX_UNAVAILABLE;
		} else {
			print_problems(b);
			rc = EX_DATAERR;
		}
	} else if (queue_insert(st, b, now, ids, &err) < 0 ||
		   store_commit(st, &err) < 0) {
		store_rollback(st);
		fprintf(stderr, "ritual: nothing queued: %s\n", err.msg);
		rc = EX_CANTCREAT;
	} else {
		for (size_t i = 0; i < b->warnings.n; i++)
			fprintf(stderr, "%s\n", b->warnings.msgs[i]);
		print_queued(b, ids);
	}
	free(ids);
	queue_batch_free(b);
	store_close(st);
	return rc;
}

static int cmd_add(struct cli *c)
{
	int again = take_flag(c, "--again");
	int rc = no_unknown_options(c, "add");
	if (rc)
		return rc;
	if (c->argc < 2)
		return usage_of("add");
	return queue_files(c, c->argv + 1, (size_t)c->argc - 1, again);
}

static int cmd_import(struct cli *c)
{
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
	rc = queue_files(c, files, n, again);
	strv_free(files);
	return rc;
}

/* ---- reading ---- */

static json_t *delivery_json(const struct store_delivery *d)
{
	char next[40];
	fmt_iso(d->next_attempt, next, sizeof(next));
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s?, s:s?, s:s?}",
			      "account", d->account, "network", d->network,
			      "state", d->state, "attempts", (json_int_t)d->attempts,
			      "remote_id", d->remote_id, "permalink", d->permalink,
			      "error", d->error);
	if (strcmp(d->state, "pending") == 0)
		json_object_set_new(o, "next_attempt", json_string(next));
	if (d->published_at) {
		char pub[40];
		fmt_iso(d->published_at, pub, sizeof(pub));
		json_object_set_new(o, "published_at", json_string(pub));
	}
	return o;
}

static json_t *post_json(const struct store_post *p)
{
	char due[40];
	fmt_iso(p->due, due, sizeof(due));
	json_t *o = json_pack("{s:I, s:s, s:s?, s:s, s:s?}", "id", (json_int_t)p->id,
			      "kind", p->kind, "title", p->title, "due", due,
			      "source", p->source);
	if (p->expires) {
		char ex[40];
		fmt_iso(p->expires, ex, sizeof(ex));
		json_object_set_new(o, "expires", json_string(ex));
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < p->ndeliveries; i++)
		json_array_append_new(arr, delivery_json(&p->deliveries[i]));
	json_object_set_new(o, "deliveries", arr);
	return o;
}

static int print_json(json_t *v)
{
	int rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII * 0);
	fputc('\n', stdout);
	json_decref(v);
	return rc < 0 ? EX_IOERR : 0;
}

/* Paused accounts and deliveries needing the owner, shown loudly. */
static void print_alerts(struct store *st, struct store_post **v, size_t n)
{
	struct store_account *acc = NULL;
	size_t na = 0;
	struct err err;
	time_t now = time(NULL);
	if (store_accounts_list(st, &acc, &na, &err) == 0) {
		for (size_t i = 0; i < na; i++) {
			if (acc[i].paused)
				printf("!! account %s is PAUSED: %s\n\n", acc[i].name,
				       acc[i].reason ? acc[i].reason : "");
			else if (acc[i].hold_until > now) {
				char w[40];
				fmt_human(acc[i].hold_until, w, sizeof(w));
				printf("!  account %s waits until %s: %s\n\n", acc[i].name,
				       w, acc[i].reason ? acc[i].reason : "");
			}
		}
		store_accounts_free(acc, na);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < v[i]->ndeliveries; k++)
			if (strcmp(v[i]->deliveries[k].state, "unknown") == 0)
				printf("!! post %lld on %s: OUTCOME UNKNOWN: %s\n\n",
				       (long long)v[i]->id, v[i]->deliveries[k].account,
				       v[i]->deliveries[k].error ? v[i]->deliveries[k].error : "");
}

static int cmd_list(struct cli *c)
{
	int all = take_flag(c, "--all");
	int json = take_flag(c, "--json");
	int rc = no_unknown_options(c, "list");
	if (rc)
		return rc;
	if (c->argc != 1)
		return usage_of("list");
	struct store *st;
	if (access(c->cfg->database, F_OK) != 0) {
		if (json)
			return print_json(json_array());
		printf("nothing queued yet (no database at %s); queue posts with "
		       "`ritual import DIR`\n", c->cfg->database);
		return 0;
	}
	if ((rc = open_store(c, STORE_CREATE, &st)))
		return rc;
	struct store_post **v;
	size_t n;
	struct err err;
	if (store_posts_list(st, all, &v, &n, &err) < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		store_close(st);
		return EX_UNAVAILABLE;
	}
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, post_json(v[i]));
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
			       v[i]->kind, title);
			for (size_t k = 0; k < v[i]->ndeliveries; k++)
				printf(" %s:%s", v[i]->deliveries[k].account,
				       v[i]->deliveries[k].state);
			printf("\n");
		}
	}
	store_posts_free(v, n);
	store_close(st);
	return rc;
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
	if ((rc = open_store(c, 0, &st)))
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
	       p->title ? p->title : "");
	printf("  due:     %s (%s)%s\n", due, iso, p->from_slot ? ", a slot" : "");
	if (p->expires) {
		fmt_human(p->expires, due, sizeof(due));
		printf("  expires: %s\n", due);
	}
	printf("  from:    %s\n", p->source);
	for (size_t k = 0; k < p->ndeliveries; k++) {
		const struct store_delivery *d = &p->deliveries[k];
		printf("\n  %s (%s): %s, %ld attempt%s\n", d->account, d->network,
		       d->state, d->attempts, d->attempts == 1 ? "" : "s");
		if (strcmp(d->state, "pending") == 0 && d->next_attempt != p->due) {
			char next[40];
			fmt_human(d->next_attempt, next, sizeof(next));
			printf("    next attempt: %s\n", next);
		}
		if (d->remote_id)
			printf("    id:        %s\n", d->remote_id);
		if (d->permalink)
			printf("    permalink: %s\n", d->permalink);
		if (d->error)
			printf("    %s: %s\n",
			       strcmp(d->state, "published") == 0 ? "note" : "error",
			       d->error);
		struct store_event *ev;
		size_t ne;
		if (store_events_list(st, d->id, &ev, &ne, &err) == 0) {
			for (size_t i = 0; i < ne; i++) {
				char at[40];
				fmt_human(ev[i].at, at, sizeof(at));
				printf("    %s  %s\n", at, ev[i].message);
			}
			store_events_free(ev, ne);
		}
	}
out:
	store_post_free(p);
	store_close(st);
	return rc;
}

static int cmd_preview(struct cli *c)
{
	int missing = 0;
	const char *acct = take_option(c, "--account", &missing);
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
			if (strcmp(p->deliveries[k].account, acct) == 0) {
				fputs(p->deliveries[k].text, stdout);
				rc = 0;
			}
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
	time_t now = time(NULL);
	struct err err;
	int prc = queue_read(c->cfg, files, 1, now, &b);
	if (queue_place(c->cfg, &c->slots, NULL, b, now, 0, &err) < 0)
		prc = -1;
	free(file);
	if (prc < 0) {
		struct diag diag = {0};
		queue_problems(b, &diag);
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.msgs[i]);
		diag_free(&diag);
		queue_batch_free(b);
		return EX_DATAERR;
	}
	rc = EX_USAGE;
	for (size_t k = 0; k < b->items[0].ntargets; k++) {
		if (strcmp(b->items[0].targets[k].account->name, acct) == 0) {
			fputs(b->items[0].targets[k].text.text, stdout);
			rc = 0;
		}
	}
	if (rc)
		fprintf(stderr, "ritual preview: %s is not for account %s (see its "
			"To: line)\n", what, acct);
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

static int post_action(struct cli *c, const char *name)
{
	int rc = no_unknown_options(c, name);
	int64_t id;
	int is_resched = strcmp(name, "reschedule") == 0;
	if (rc)
		return rc;
	if (c->argc != (is_resched ? 3 : 2))
		return usage_of(name);
	if (parse_id(c->argv[1], &id) < 0)
		return EX_USAGE;
	time_t now = time(NULL), when = 0;
	if (is_resched) {
		if (parse_when(c->argv[2], now, &when, c->cfg->timezone) < 0)
			return EX_DATAERR;
		if (when < now - 60) {
			fprintf(stderr, "ritual: %s is in the past; give a later time "
				"or \"now\"\n", c->argv[2]);
			return EX_DATAERR;
		}
	}
	struct store *st;
	struct err err;
	int changed = 0, r;
	if ((rc = open_store(c, 0, &st)))
		return rc;
	if (strcmp(name, "cancel") == 0)
		r = store_post_cancel(st, id, &changed, &err);
	else if (is_resched)
		r = store_post_reschedule(st, id, when, &changed, &err);
	else
		r = store_post_retry(st, id, now, &changed, &err);
	if (r < 0) {
		fprintf(stderr, "ritual: %s\n", err.msg);
		store_close(st);
		return strstr(err.msg, "no post") ? EX_NOINPUT : EX_UNAVAILABLE;
	}
	int resumed = 0;
	if (strcmp(name, "retry") == 0)
		resumed = resume_accounts_of(st, id);
	store_close(st);
	if (is_resched) {
		char w[40];
		fmt_human(when, w, sizeof(w));
		printf("post %lld: %d deliver%s now due %s\n", (long long)id, changed,
		       changed == 1 ? "y" : "ies", w);
	} else {
		printf("post %lld: %d deliver%s %s\n", (long long)id, changed,
		       changed == 1 ? "y" : "ies",
		       strcmp(name, "cancel") == 0 ? "canceled" : "queued again");
	}
	if (!changed && !resumed) {
		fprintf(stderr, "ritual: nothing to %s for post %lld (see `ritual "
			"show %lld`)\n", name, (long long)id, (long long)id);
		return EX_DATAERR;
	}
	return 0;
}

static int cmd_cancel(struct cli *c)
{
	return post_action(c, "cancel");
}

static int cmd_reschedule(struct cli *c)
{
	return post_action(c, "reschedule");
}

static int cmd_retry(struct cli *c)
{
	return post_action(c, "retry");
}

static int cmd_slots(struct cli *c)
{
	int missing = 0, missing2 = 0;
	const char *from = take_option(c, "--from", &missing);
	const char *count_s = take_option(c, "--count", &missing2);
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
	time_t t = time(NULL);
	if (from && parse_when(from, t, &t, c->cfg->timezone) < 0)
		return EX_DATAERR;
	if (c->slots.n == 0) {
		fprintf(stderr, "ritual slots: no schedule.slots in %s\n", c->cfg->path);
		return EX_CONFIG;
	}
	for (long i = 0; i < count; i++) {
		time_t next;
		if (sched_slots_next(&c->slots, t, &next) < 0)
			break;
		char iso[40];
		fmt_iso(next, iso, sizeof(iso));
		printf("%s\n", iso);
		t = next + 1;
	}
	return 0;
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
					      .media = media, .now = time(NULL)};
			pub->check(&ctx, &res);
		}
		secret_free(token);
		if (res.never_expires)
			snprintf(days, sizeof(days), "never");
		else if (res.days_left >= 0)
			snprintf(days, sizeof(days), "%ldd", res.days_left);
		printf("%-12s %-9s %-7s %s\n", a->name, res.ok ? "OK" : "PROBLEM",
		       days, res.detail);
		if (!res.ok && res.fix[0])
			printf("%-12s %-9s %-7s fix: %s\n", "", "", "", res.fix);
		bad |= !res.ok;
	}
	mediahost_free(media);
	http_client_free(http);
	http_global_cleanup();
	return bad ? EX_UNAVAILABLE : 0;
}

static int cmd_check(struct cli *c)
{
	int online = take_flag(c, "--online");
	int rc = no_unknown_options(c, "check");
	if (rc)
		return rc;
	if (c->argc != 1)
		return usage_of("check");
	printf("configuration OK\n");
	if (!online)
		return 0;
	return check_online(c);
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
		printf("  %-11s %-32s %s\n", k->name, k->args, k->help);
	printf("\n`ritual COMMAND --help` describes one command; ritual(1) has "
	       "the details.\n");
	return 0;
}

static const struct command commands[] = {
	{"add", "[--again] FILE...", "check post files and queue them, all or nothing",
	 cmd_add, 1},
	{"import", "[--again] DIR",
	 "check every *.post in DIR and queue them, all or nothing", cmd_import, 1},
	{"list", "[--all] [--json]", "queued posts with their state per account",
	 cmd_list, 1},
	{"show", "ID [--json]", "one post: times, per-account state, ids, errors, history",
	 cmd_show, 1},
	{"preview", "ID|FILE [--account NAME]",
	 "print exactly the text that will be sent to that account", cmd_preview, 1},
	{"cancel", "ID", "cancel a post's pending deliveries", cmd_cancel, 1},
	{"reschedule", "ID TIME", "move a post to TIME (\"YYYY-MM-DD HH:MM\" or now)",
	 cmd_reschedule, 1},
	{"retry", "ID", "queue a failed, missed or unknown post again now",
	 cmd_retry, 1},
	{"slots", "[--from TIME] [--count N]", "the next N slot times (default 10)",
	 cmd_slots, 1},
	{"check", "[--online]", "check the configuration (and, online, each token)",
	 cmd_check, 1},
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
		fprintf(stderr, "ritual: no command \"%s\"; see `ritual help`\n",
			argv[i]);
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
