/*
 * tell.c - token warnings, the queue running dry, the daily digest and the
 * pre-flight (tell.h). The decisions and texts first (pure), then
 * tell_turn, rituald's side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ritual/format.h"
#include "ritual/log.h"
#include "ritual/media.h"
#include "ritual/mediahost.h"
#include "ritual/publisher.h"
#include "ritual/schedule.h"
#include "ritual/tell.h"
#include "ritual/util.h"

#define DAY 86400LL
#define PREFLIGHT_AHEAD (36 * 3600)
#define NEEDS_DAYS 7            /* failed/unknown/missed shown this long */

/* ---- token expiry ---- */

enum tell_token_level tell_token_step(long long secs_left, long warn_days,
				      enum tell_token_level told)
{
	if (warn_days <= 0)
		return TELL_TOKEN_NONE;
	long long ahead = warn_days * DAY;
	long long three = (warn_days < 3 ? warn_days : 3) * DAY;
	long long one = DAY;
	enum tell_token_level lvl = secs_left <= 0 ? TELL_TOKEN_EXPIRED
		: secs_left <= one ? TELL_TOKEN_1DAY
		: secs_left <= three ? TELL_TOKEN_3DAYS
		: secs_left <= ahead ? TELL_TOKEN_AHEAD : TELL_TOKEN_NONE;
	return lvl > told ? lvl : TELL_TOKEN_NONE;
}

/* "in 3 days", "in 5 hours", "in less than an hour". */
static void left_text(long long secs, char *buf, size_t len)
{
	if (secs >= DAY)
		snprintf(buf, len, "in %lld day%s", secs / DAY,
			 secs / DAY == 1 ? "" : "s");
	else if (secs >= 3600)
		snprintf(buf, len, "in %lld hour%s", secs / 3600,
			 secs / 3600 == 1 ? "" : "s");
	else
		snprintf(buf, len, "in less than an hour");
}

void tell_token_text(const struct account *a, long long secs_left,
		     time_t expires, char *msg, size_t msg_len, char *fix,
		     size_t fix_len)
{
	const char *net = network_name(a->network);
	char when[64] = "", left[48];
	if (sched_format_human(expires, when, sizeof(when)) < 0)
		snprintf(when, sizeof(when), "?");
	if (secs_left <= 0) {
		snprintf(msg, msg_len, "the %s token of account '%s' expired on %s; "
			 "nothing is published to it until it is renewed",
			 net, a->name, when);
	} else {
		left_text(secs_left, left, sizeof(left));
		snprintf(msg, msg_len, "the %s token of account '%s' expires %s "
			 "(%s)", net, a->name, left, when);
	}
	const char *extra = "";
	if (a->network == NET_INSTAGRAM && a->login == IG_LOGIN_INSTAGRAM)
		extra = " --login instagram";
	else if (a->network == NET_LINKEDIN && a->author &&
		 strncmp(a->author, "urn:li:person:", 14) == 0)
		extra = " --member";
	snprintf(fix, fix_len, "renew it: run `ritual connect %s --account %s%s` "
		 "on a machine with a browser, log in as an admin of the %s, "
		 "and allow what it asks; it writes %s and its expiry, and "
		 "rituald uses the new token at once (check with `ritual check "
		 "--online`)", net, a->name, extra,
		 a->network == NET_LINKEDIN && *extra ? "member's profile"
						     : "page", a->token_file);
}

int tell_queue_dry(time_t horizon, time_t now, long dry_days)
{
	if (dry_days <= 0)
		return 0;
	return horizon == 0 || (long long)horizon < (long long)now + dry_days * DAY;
}

/* ---- when ---- */

static int parse_hhmm(const char *s, int *h, int *m)
{
	if (!s || strlen(s) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*h = (s[0] - '0') * 10 + (s[1] - '0');
	*m = (s[3] - '0') * 10 + (s[4] - '0');
	return *h < 24 && *m < 60 ? 0 : -1;
}

/* hh:mm on the day n days after w's date. */
static int day_at(const struct wall *w, int n, int h, int m, time_t *out)
{
	struct wall d = sched_wall_add_days(w, n);
	d.hour = h;
	d.min = m;
	d.sec = 0;
	return sched_wall_to_utc(&d, out, NULL, NULL);
}

int tell_next_at(const char *hhmm, time_t now, time_t last, time_t *at)
{
	int h, m;
	if (parse_hhmm(hhmm, &h, &m) < 0)
		return -1;
	struct wall w;
	sched_utc_to_wall(now, &w, NULL);
	for (int n = -1; n <= 1; n++) {
		time_t t;
		if (day_at(&w, n, h, m, &t) < 0)
			return -1;
		if (n == 1 || (last < t && (long long)now <= (long long)t + TELL_LATE_MAX)) {
			*at = t;
			return 0;
		}
	}
	return -1;
}

/* ---- texts ---- */

static const char *const day_names[] = {"Mon", "Tue", "Wed", "Thu", "Fri",
					"Sat", "Sun"};

/* "Wed 2026-12-02" of t. */
static void date_text(time_t t, char *buf, size_t len)
{
	struct wall w;
	sched_utc_to_wall(t, &w, NULL);
	snprintf(buf, len, "%s %04d-%02d-%02d", day_names[sched_wall_weekday(&w)],
		 w.year, w.mon, w.day);
}

/* "09:00" of t. */
static void hm_text(time_t t, char *buf, size_t len)
{
	struct wall w;
	sched_utc_to_wall(t, &w, NULL);
	snprintf(buf, len, "%02d:%02d", w.hour, w.min);
}

/* Midnight starting the local day n days from t's. */
static time_t day_start(time_t t, int n)
{
	struct wall w;
	time_t out = t;
	sched_utc_to_wall(t, &w, NULL);
	day_at(&w, n, 0, 0, &out);
	return out;
}

static void post_name(FILE *f, int64_t id, const char *title)
{
	if (title && *title)
		fprintf(f, "post %lld \"%s\"", (long long)id, title);
	else
		fprintf(f, "post %lld", (long long)id);
}

/* Each line of text, indented, as readers of network see it. */
static void text_block(FILE *f, const char *network, const char *text)
{
	char *vis = NULL;
	enum network n;
	if (network_from_name(network, &n) == 0 && n == NET_LINKEDIN)
		vis = format_linkedin_visible(text ? text : "");
	const char *p = vis ? vis : text ? text : "";
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		fprintf(f, "      | %.*s\n", (int)len, p);
		p += len + (e ? 1 : 0);
	}
	free(vis);
}

static int item_cmp(const void *x, const void *y)
{
	const struct tell_item *a = *(const struct tell_item *const *)x;
	const struct tell_item *b = *(const struct tell_item *const *)y;
	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	if (a->post_id != b->post_id)
		return a->post_id < b->post_id ? -1 : 1;
	return strcmp(a->account ? a->account : "", b->account ? b->account : "");
}

static int needs_owner(enum dl_state s)
{
	return s == DL_FAILED || s == DL_UNKNOWN || s == DL_MISSED;
}

/* Yesterday's outcome of one delivery. */
static void result_line(FILE *f, const struct tell_item *it)
{
	char hm[8];
	fprintf(f, "  ");
	post_name(f, it->post_id, it->title);
	fprintf(f, " on %s (account %s): ", it->network, it->account);
	if (it->state == DL_PUBLISHED) {
		hm_text(it->published_at ? it->published_at : it->due, hm, sizeof(hm));
		fprintf(f, "published at %s", hm);
		if (it->permalink && *it->permalink)
			fprintf(f, ", %s", it->permalink);
	} else {
		fprintf(f, "%s", dl_state_name(it->state));
		if (it->error && *it->error && it->state != DL_CANCELED)
			fprintf(f, ": %s", it->error);
	}
	fputc('\n', f);
}

/* A day's posts with their text and image. */
static void day_section(FILE *f, const char *label, time_t from, time_t to,
			const struct tell_item *const *v, size_t n)
{
	char date[32], hm[8];
	size_t shown = 0;
	date_text(from, date, sizeof(date));
	fprintf(f, "%s, %s:\n", label, date);
	for (size_t i = 0; i < n; i++) {
		const struct tell_item *it = v[i];
		if (it->due < from || it->due >= to || it->state == DL_CANCELED)
			continue;
		hm_text(it->due, hm, sizeof(hm));
		fprintf(f, "  %s ", hm);
		post_name(f, it->post_id, it->title);
		fprintf(f, " on %s (account %s)", it->network, it->account);
		if (it->image && *it->image)
			fprintf(f, ", image %s", it->image);
		if (it->state != DL_PENDING)
			fprintf(f, " [%s]", dl_state_name(it->state));
		if (it->state == DL_PUBLISHED && it->permalink && *it->permalink)
			fprintf(f, " %s", it->permalink);
		fputc('\n', f);
		text_block(f, it->network, it->text);
		shown++;
	}
	if (!shown)
		fprintf(f, "  nothing queued\n");
	fputc('\n', f);
}

char *tell_digest_compose(const struct tell_digest *d)
{
	char *buf = NULL, date[32], when[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return xstrdup("");
	time_t ystart = day_start(d->now, -1), today = day_start(d->now, 0);
	time_t tomorrow = day_start(d->now, 1), after = day_start(d->now, 2);

	const struct tell_item **v = xcalloc(d->nitems ? d->nitems : 1, sizeof(*v));
	for (size_t i = 0; i < d->nitems; i++)
		v[i] = &d->items[i];
	qsort(v, d->nitems, sizeof(*v), item_cmp);

	date_text(d->now, date, sizeof(date));
	fprintf(f, "ritual's digest for %s%s%s%s\n\n", date,
		d->business ? " (" : "", d->business ? d->business : "",
		d->business ? ")" : "");

	date_text(ystart, date, sizeof(date));
	fprintf(f, "Yesterday, %s:\n", date);
	size_t shown = 0;
	for (size_t i = 0; i < d->nitems; i++) {
		if (v[i]->due < ystart || v[i]->due >= today)
			continue;
		result_line(f, v[i]);
		shown++;
	}
	if (!shown)
		fprintf(f, "  nothing was due\n");
	fputc('\n', f);

	day_section(f, "Today", today, tomorrow, v, d->nitems);
	day_section(f, "Tomorrow", tomorrow, after, v, d->nitems);

	fprintf(f, "Needs you:\n");
	shown = 0;
	for (size_t i = 0; i < d->naccounts; i++) {
		const struct tell_account *a = &d->accounts[i];
		if (!a->paused)
			continue;
		fprintf(f, "  account %s (%s) is paused: %s\n", a->name, a->network,
			a->reason && *a->reason ? a->reason : "no reason recorded");
		shown++;
	}
	for (size_t i = 0; i < d->nitems; i++) {
		const struct tell_item *it = v[i];
		if (!needs_owner(it->state) ||
		    (long long)it->due < (long long)d->now - NEEDS_DAYS * DAY)
			continue;
		sched_format_human(it->due, when, sizeof(when));
		fprintf(f, "  ");
		post_name(f, it->post_id, it->title);
		fprintf(f, " on %s (account %s), due %s: %s", it->network,
			it->account, when, dl_state_name(it->state));
		if (it->error && *it->error)
			fprintf(f, ": %s", it->error);
		fprintf(f, "; see `ritual show %lld`\n", (long long)it->post_id);
		shown++;
	}
	if (!shown)
		fprintf(f, "  nothing\n");
	fputc('\n', f);

	fprintf(f, "Queue horizon:\n");
	for (size_t i = 0; i < d->naccounts; i++) {
		const struct tell_account *a = &d->accounts[i];
		fprintf(f, "  %s (%s): ", a->name, a->network);
		if (a->horizon) {
			sched_format_human(a->horizon, when, sizeof(when));
			fprintf(f, "last post queued for %s", when);
		} else {
			fprintf(f, "nothing queued");
		}
		if (a->token_days >= 0)
			fprintf(f, "; token: %ld day%s left", a->token_days,
				a->token_days == 1 ? "" : "s");
		fputc('\n', f);
	}
	if (!d->naccounts)
		fprintf(f, "  no accounts\n");
	free(v);
	fclose(f);
	return buf;
}

char *tell_preflight_compose(const struct tell_problem *p, size_t n,
			     time_t now)
{
	if (n == 0)
		return NULL;
	char *buf = NULL, when[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return xstrdup("");
	sched_format_human(now, when, sizeof(when));
	fprintf(f, "ritual's pre-flight at %s found %zu problem%s with the posts "
		"of the next 36 hours:\n", when, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		fputc('\n', f);
		fprintf(f, "%zu. ", i + 1);
		if (p[i].post_id) {
			sched_format_human(p[i].due, when, sizeof(when));
			post_name(f, p[i].post_id, p[i].title);
			fprintf(f, " on %s (account %s), due %s\n", p[i].network,
				p[i].account, when);
		} else {
			fprintf(f, "account %s (%s)\n", p[i].account, p[i].network);
		}
		fprintf(f, "   problem: %s\n", p[i].problem);
		fprintf(f, "   fix: %s\n", p[i].fix && *p[i].fix ? p[i].fix
						     : "see the problem");
	}
	fclose(f);
	return buf;
}

/* ---- rituald's side ---- */

/* The event names of the kinds raised here (notify.h's notice_kind_name,
 * without depending on the notifier's object). */
static void raise_notice(struct tell_env *e, const struct notice *ev,
			 time_t now)
{
	struct err err = {{0}};
	/* The notifier logs the notice; a digest's or pre-flight's text
	 * follows as debug lines (rituald -v). */
	if (ev->body) {
		const char *what = ev->kind == NOTICE_DIGEST ? "digest" : "pre-flight";
		for (const char *p = ev->body; *p;) {
			const char *nl = strchr(p, '\n');
			int n = nl ? (int)(nl - p) : (int)strlen(p);
			log_debug("%s| %.*s", what, n, p);
			p += n + (nl ? 1 : 0);
		}
	}
	if (e->raise && e->raise(e->ud, ev, now, &err) < 0)
		log_error("recording the %s notice: %s", notice_kind_name(ev->kind),
			  err.msg);
}

static void resolve_notice(struct tell_env *e, enum notice_kind kind,
			   const char *account, time_t now)
{
	struct err err = {{0}};
	if (e->resolve && e->resolve(e->ud, kind, account, now, &err) < 0)
		log_error("resolving the %s notice: %s", notice_kind_name(kind),
			  err.msg);
}

/* One account's token: warn at its levels, resolve once it is renewed. */
static void token_account(struct tell_env *e, const struct account *a,
			  time_t now)
{
	struct err err = {{0}};
	char *mark = xasprintf("token:%s", a->name);
	time_t told_exp, exp;
	long told;
	int found;
	if (store_mark_get(e->st, mark, &told_exp, &told, &found, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	if (!token_expiry_read(a->token_file, &exp))
		goto out;   /* unknown: nothing to say, nor to resolve */
	long long left = (long long)exp - (long long)now;
	enum tell_token_level lvl = found && told_exp == exp
					    ? (enum tell_token_level)told
					    : TELL_TOKEN_NONE;
	if (found && told > 0 && left > e->cfg->notify.token_warn_days * DAY) {
		/* A renewed token, far from its end again. */
		resolve_notice(e, NOTICE_TOKEN_EXPIRING, a->name, now);
		if (store_mark_delete(e->st, mark, &err) < 0)
			log_error("%s", err.msg);
		goto out;
	}
	enum tell_token_level step = tell_token_step(left,
					e->cfg->notify.token_warn_days, lvl);
	if (step == TELL_TOKEN_NONE)
		goto out;
	char msg[512], fix[768];
	tell_token_text(a, left, exp, msg, sizeof(msg), fix, sizeof(fix));
	struct notice ev = {.kind = NOTICE_TOKEN_EXPIRING, .account = a->name,
			    .network = network_name(a->network),
			    .message = msg, .fix = fix};
	raise_notice(e, &ev, now);
	if (store_mark_set(e->st, mark, exp, (long)step, &err) < 0)
		log_error("%s", err.msg);
out:
	free(mark);
}

/* Each account's horizon (store_account_horizon), in the order of
 * cfg->accounts; NULL (err set) when the store refused; caller frees. */
static time_t *horizons(struct tell_env *e, struct err *err)
{
	time_t *h = xcalloc(e->cfg->naccounts ? e->cfg->naccounts : 1, sizeof(*h));
	for (size_t j = 0; j < e->cfg->naccounts; j++)
		if (store_account_horizon(e->st, e->cfg->accounts[j].name, &h[j],
					  err) < 0) {
			free(h);
			return NULL;
		}
	return h;
}

static void queue_check(struct tell_env *e, time_t now)
{
	struct err err = {{0}};
	/* One indexed read per account, not the whole queue (issue 11). */
	time_t *h = horizons(e, &err);
	if (!h) {
		log_error("%s", err.msg);
		return;
	}
	for (size_t j = 0; j < e->cfg->naccounts; j++) {
		const struct account *a = &e->cfg->accounts[j];
		char *mark = xasprintf("dry:%s", a->name);
		time_t at;
		long v;
		int found;
		if (store_mark_get(e->st, mark, &at, &v, &found, &err) < 0) {
			log_error("%s", err.msg);
		} else if (tell_queue_dry(h[j], now, e->cfg->notify.dry_days)) {
			if (!found) {
				char msg[256], when[64] = "";
				if (h[j]) {
					sched_format_human(h[j], when, sizeof(when));
					snprintf(msg, sizeof(msg), "account '%s' has "
						 "nothing queued after %s (less than "
						 "%ld days ahead)", a->name, when,
						 e->cfg->notify.dry_days);
				} else {
					snprintf(msg, sizeof(msg), "account '%s' has "
						 "nothing queued", a->name);
				}
				struct notice ev = {
					.kind = NOTICE_QUEUE_DRY, .account = a->name,
					.network = network_name(a->network),
					.message = msg,
					.fix = "write the next posts and queue them "
					       "with `ritual add FILE...` (or `ritual "
					       "import FOLDER`)"};
				raise_notice(e, &ev, now);
				if (store_mark_set(e->st, mark, now, 1, &err) < 0)
					log_error("%s", err.msg);
			}
		} else if (found) {
			resolve_notice(e, NOTICE_QUEUE_DRY, a->name, now);
			if (store_mark_delete(e->st, mark, &err) < 0)
				log_error("%s", err.msg);
		}
		free(mark);
	}
	free(h);
}

static void digest(struct tell_env *e, time_t now)
{
	struct err err = {{0}};
	struct store_post **posts = NULL;
	size_t np = 0, ni = 0, nacc = 0;
	struct store_account *acc = NULL;
	/* The days the digest covers, and only they, are read. */
	time_t from = day_start(now, -1) - NEEDS_DAYS * DAY, to = day_start(now, 2);
	if (store_posts_delivering(e->st, 0, from, to, &posts, &np, &err) < 0 ||
	    store_accounts_list(e->st, &acc, &nacc, &err) < 0) {
		log_error("digest: %s", err.msg);
		store_posts_free(posts, np);
		return;
	}
	size_t cap = 0;
	for (size_t i = 0; i < np; i++)
		cap += posts[i]->ndeliveries;
	struct tell_item *items = xcalloc(cap ? cap : 1, sizeof(*items));
	char **names = xcalloc(np ? np : 1, sizeof(*names));
	for (size_t i = 0; i < np; i++) {
		const struct store_post *p = posts[i];
		int used = 0;
		for (size_t k = 0; k < p->ndeliveries; k++) {
			const struct store_delivery *dl = &p->deliveries[k];
			if (dl->due < from || dl->due >= to)
				continue;
			if (!used && p->media_id &&
			    store_media_name(e->st, p->media_id, &names[i], &err) < 0)
				log_error("digest: %s", err.msg);
			used = 1;
			items[ni++] = (struct tell_item){
				.post_id = p->id, .title = p->title,
				.account = dl->account, .network = dl->network,
				.state = dl->state, .due = dl->due,
				.published_at = dl->published_at, .text = dl->text,
				.image = names[i], .permalink = dl->permalink,
				.error = dl->error};
		}
	}
	time_t *h = horizons(e, &err);
	if (!h) {
		log_error("digest: %s", err.msg);
		h = xcalloc(e->cfg->naccounts ? e->cfg->naccounts : 1, sizeof(*h));
	}
	struct tell_account *ta = xcalloc(e->cfg->naccounts ? e->cfg->naccounts : 1,
					  sizeof(*ta));
	for (size_t j = 0; j < e->cfg->naccounts; j++) {
		const struct account *a = &e->cfg->accounts[j];
		ta[j] = (struct tell_account){.name = a->name,
			.network = network_name(a->network), .horizon = h[j],
			.token_days = token_days_left(a->token_file, now)};
		for (size_t k = 0; k < nacc; k++)
			if (strcmp(acc[k].name, a->name) == 0 && acc[k].paused) {
				ta[j].paused = 1;
				ta[j].reason = acc[k].reason;
			}
	}
	struct tell_digest d = {.now = now, .business = e->cfg->business.name,
				.items = items, .nitems = ni, .accounts = ta,
				.naccounts = e->cfg->naccounts};
	char *body = tell_digest_compose(&d);
	struct notice ev = {.kind = NOTICE_DIGEST, .message = "the daily digest",
			    .body = body};
	raise_notice(e, &ev, now);
	free(body);
	free(ta);
	free(h);
	for (size_t i = 0; i < np; i++)
		free(names[i]);
	free(names);
	free(items);
	store_accounts_free(acc, nacc);
	store_posts_free(posts, np);
}

/* What the pre-flight found, grown as it goes. */
struct problems {
	struct tell_problem *v;
	char **texts;             /* owned copies of problem and fix */
	size_t n, ntexts;
};

static void problem_add(struct problems *ps, const struct store_post *p,
			const struct store_delivery *dl, const char *account,
			const char *network, const char *problem, const char *fix)
{
	ps->v = xrealloc(ps->v, (ps->n + 1) * sizeof(*ps->v));
	ps->texts = xrealloc(ps->texts, (ps->ntexts + 2) * sizeof(*ps->texts));
	char *pr = xstrdup(problem), *fx = xstrdup(fix ? fix : "");
	ps->texts[ps->ntexts++] = pr;
	ps->texts[ps->ntexts++] = fx;
	ps->v[ps->n++] = (struct tell_problem){
		.post_id = p ? p->id : 0, .title = p ? p->title : NULL,
		.account = account, .network = network, .due = dl ? dl->due : 0,
		.problem = pr, .fix = fx};
}

/* An account's online check, run once per pre-flight. */
struct acheck {
	int done, ok;
	struct pub_check res;
	long due24;           /* its deliveries due within the quota's 24 hours */
};

static void account_check(struct tell_env *e, const struct account *a,
			  struct acheck *c, time_t now)
{
	if (c->done)
		return;
	c->done = 1;
	c->ok = 1;
	const struct publisher *pub = publisher_for(a->network);
	char *token = NULL;
	struct err err = {{0}};
	if (!pub || !pub->check)
		return;
	if (read_secret_file(a->token_file, &token, &err) < 0) {
		c->ok = 0;
		snprintf(c->res.detail, sizeof(c->res.detail), "%s", err.msg);
		snprintf(c->res.fix, sizeof(c->res.fix), "write the account's token "
			 "to %s (mode 0600), e.g. with `ritual connect %s --account "
			 "%s`", a->token_file, network_name(a->network), a->name);
		return;
	}
	struct pub_ctx ctx = {.cfg = e->cfg, .account = a, .token = token,
			      .http = e->http, .media = e->media, .now = now};
	pub->check(&ctx, &c->res);
	secret_free(token);
	c->ok = c->res.ok;
}

/* The image this delivery sends (its network's variant, else the
 * original) against today's limits: the limits group may have changed,
 * or the image been queued by an older ritual. */
static void image_problem(struct tell_env *e, const struct store_post *p,
			  const struct store_delivery *dl, const struct account *a,
			  struct problems *ps)
{
	struct err err = {{0}};
	struct store_media *m = NULL;
	struct media_info info;
	struct media_rules rules;
	if (store_media_for(e->st, p->media_id, dl->network, &m, &err) < 0 || !m) {
		problem_add(ps, p, dl, a->name, dl->network,
			    err.msg[0] ? err.msg : "its image is not in the database",
			    "queue the post again with its image (`ritual cancel`, "
			    "then `ritual add`)");
	} else if (media_probe(m->data, m->len, &info, &err) < 0) {
		problem_add(ps, p, dl, a->name, dl->network, err.msg,
			    "queue the post again with a JPEG or PNG image");
	} else {
		media_rules_for(e->cfg, a->network, &rules);
		if (media_check(&info, &rules, &err) < 0)
			problem_add(ps, p, dl, a->name, dl->network, err.msg,
				    "replace the image in the post's folder and queue "
				    "the post again (`ritual cancel`, then `ritual add`), "
				    "or change the limits group");
	}
	store_media_free(m);
}

static void preflight(struct tell_env *e, time_t now)
{
	struct err err = {{0}};
	struct store_post **posts = NULL;
	struct store_account *acc = NULL;
	size_t np = 0, nacc = 0;
	struct problems ps = {0};
	/* What is pending and due within the look ahead (or overdue). */
	if (store_posts_delivering(e->st, 1, 0,
				   (time_t)((long long)now + PREFLIGHT_AHEAD + 1),
				   &posts, &np, &err) < 0 ||
	    store_accounts_list(e->st, &acc, &nacc, &err) < 0) {
		log_error("pre-flight: %s", err.msg);
		store_posts_free(posts, np);
		return;
	}
	struct acheck *checks = xcalloc(e->cfg->naccounts ? e->cfg->naccounts : 1,
					sizeof(*checks));
	size_t due = 0;
	for (size_t i = 0; i < np; i++) {
		const struct store_post *p = posts[i];
		for (size_t k = 0; k < p->ndeliveries; k++) {
			const struct store_delivery *dl = &p->deliveries[k];
			if (dl->state != DL_PENDING ||
			    (long long)dl->due > (long long)now + PREFLIGHT_AHEAD)
				continue;
			size_t j;
			for (j = 0; j < e->cfg->naccounts; j++)
				if (strcmp(e->cfg->accounts[j].name, dl->account) == 0)
					break;
			if (j == e->cfg->naccounts) {
				problem_add(&ps, p, dl, dl->account, dl->network,
					    "its account is no longer in the "
					    "configuration", "add the account back, "
					    "or cancel the post with `ritual cancel`");
				continue;
			}
			due++;
			const struct account *a = &e->cfg->accounts[j];
			for (size_t q = 0; q < nacc; q++)
				if (acc[q].paused && strcmp(acc[q].name, a->name) == 0) {
					char *m = xasprintf("the account is paused: %s",
							    acc[q].reason ? acc[q].reason : "?");
					problem_add(&ps, p, dl, a->name, dl->network, m,
						    "fix what the reason says; rituald "
						    "resumes the account when its token "
						    "file changes (see `ritual status`)");
					free(m);
				}
			account_check(e, a, &checks[j], now);
			if (!checks[j].ok)
				problem_add(&ps, p, dl, a->name, dl->network,
					    checks[j].res.detail, checks[j].res.fix);
			/* Instagram's 24-hour quota: the first post it would
			 * not take is named (the daemon would hold it). */
			if (checks[j].ok && checks[j].res.quota_left >= 0 &&
			    (long long)dl->due <= (long long)now + 86400 &&
			    ++checks[j].due24 == checks[j].res.quota_left + 1) {
				char *m = xasprintf("Instagram's 24-hour publishing quota "
						    "allows %ld more post%s, and this is "
						    "post %ld due within 24 hours",
						    checks[j].res.quota_left,
						    checks[j].res.quota_left == 1 ? "" : "s",
						    checks[j].due24);
				problem_add(&ps, p, dl, a->name, dl->network, m,
					    "move some posts to the day after "
					    "(`ritual reschedule ID TIME`); rituald "
					    "otherwise holds them until the quota allows");
				free(m);
			}
			time_t exp;
			if (token_expiry_read(a->token_file, &exp) && exp <= dl->due) {
				char msg[512], fix[768];
				tell_token_text(a, (long long)exp - (long long)now, exp,
						msg, sizeof(msg), fix, sizeof(fix));
				char *m = xasprintf("%s, before this post is due", msg);
				problem_add(&ps, p, dl, a->name, dl->network, m, fix);
				free(m);
			}
			if (p->media_id)
				image_problem(e, p, dl, a, &ps);
			struct format_output fo;
			format_output_from_wire(a->network, dl->text, &fo);
			if (format_check_limits(e->cfg, a->network, &fo, &err) < 0)
				problem_add(&ps, p, dl, a->name, dl->network, err.msg,
					    "edit the post file and queue it again "
					    "(`ritual cancel`, then `ritual add`), or "
					    "change the limits group");
			format_output_free(&fo);
		}
	}
	char *body = tell_preflight_compose(ps.v, ps.n, now);
	if (body) {
		struct notice ev = {.kind = NOTICE_PREFLIGHT,
				    .message = "the pre-flight found problems",
				    .body = body};
		raise_notice(e, &ev, now);
	} else {
		log_info("pre-flight: %zu deliveries in the next 36 hours, no "
			 "problem", due);
	}
	free(body);
	for (size_t i = 0; i < ps.ntexts; i++)
		free(ps.texts[i]);
	free(ps.texts);
	free(ps.v);
	free(checks);
	store_accounts_free(acc, nacc);
	store_posts_free(posts, np);
}

/* A daily event: run it when due (idx 0 digest, 1 pre-flight), then ask
 * for a turn at its next time. */
static void daily(struct tell_env *e, int idx, const char *mark,
		  const char *hhmm, time_t now, time_t *wake)
{
	struct err err = {{0}};
	time_t last = 0, at;
	long v;
	int found;
	if (!hhmm || !*hhmm)
		return;
	if (store_mark_get(e->st, mark, &last, &v, &found, &err) < 0)
		log_error("%s", err.msg);
	if (e->sent[idx] > last)
		last = e->sent[idx];
	if (tell_next_at(hhmm, now, last, &at) < 0)
		return;
	if (at <= now) {
		if (idx == 1 && !e->quiet) {
			/* A post is due: the pre-flight's requests wait. */
			if (!*wake || now + 30 < *wake)
				*wake = now + 30;
			return;
		}
		if (idx == 0)
			digest(e, now);
		else
			preflight(e, now);
		e->sent[idx] = now;
		if (store_mark_set(e->st, mark, now, 0, &err) < 0)
			log_error("%s", err.msg);
		if (tell_next_at(hhmm, now, now, &at) < 0)
			return;
	}
	if (!*wake || at < *wake)
		*wake = at;
}

void tell_turn(struct tell_env *e, time_t now, time_t *wake)
{
	*wake = 0;
	if (!e->checked_at || now < e->checked_at ||
	    now - e->checked_at >= TELL_CHECK_EVERY) {
		e->checked_at = now;
		for (size_t i = 0; i < e->cfg->naccounts; i++)
			token_account(e, &e->cfg->accounts[i], now);
		queue_check(e, now);
	}
	daily(e, 0, TELL_MARK_DIGEST, e->cfg->notify.digest_at, now, wake);
	daily(e, 1, TELL_MARK_PREFLIGHT, e->cfg->notify.preflight_at, now, wake);
}
