/*
 * week.c - the week at a glance: a terminal grid and an HTML page.
 *
 * Owns the layout (days across, times of day down), display-cell widths
 * (libunistring), the HTML mock-ups and their escaping. Reads the queue
 * through store.c only; never writes. Times are the configured zone's.
 */
#include "ritual/week.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <uniwidth.h>

#include "ritual/format.h"

#define MAX_DAYS (52 * 7)

struct entry {
	time_t at;
	int hhmm;                       /* hour * 60 + minute, local */
	const struct store_post *post;  /* NULL: a free slot */
};

struct day {
	struct wall date;
	time_t start, end;
	struct entry *e;
	size_t n;
};

struct week {
	struct day days[7];
	int rows[64];                   /* distinct hhmm, sorted */
	size_t nrows;
};

static const char *const wday_names[] = {"Mon", "Tue", "Wed", "Thu", "Fri",
					 "Sat", "Sun"};
static const char *const mon_names[] = {"Jan", "Feb", "Mar", "Apr", "May",
					"Jun", "Jul", "Aug", "Sep", "Oct",
					"Nov", "Dec"};

/* ---- widths ---- */

size_t week_width(const char *s)
{
	size_t w = 0, n = strlen(s);
	const uint8_t *p = (const uint8_t *)s;
	while (n) {
		ucs4_t uc;
		int k = u8_mbtouc(&uc, p, n);
		int cw = uc_width(uc, "UTF-8");
		w += cw < 0 ? 1 : (size_t)cw;
		p += k;
		n -= (size_t)k;
	}
	return w;
}

/* s cut to at most width cells ("…" marks a cut), then padded with spaces
 * to exactly width cells. */
static void put_cell(struct buf *b, const char *s, size_t width)
{
	size_t total = week_width(s), used = 0, n = strlen(s);
	const uint8_t *p = (const uint8_t *)s;
	size_t room = total > width ? (width ? width - 1 : 0) : width;
	while (n) {
		ucs4_t uc;
		int k = u8_mbtouc(&uc, p, n);
		int cw = uc_width(uc, "UTF-8");
		size_t c = cw < 0 ? 1 : (size_t)cw;
		if (used + c > room)
			break;
		buf_append(b, p, (size_t)k);
		used += c;
		p += k;
		n -= (size_t)k;
	}
	if (total > width && width) {
		buf_puts(b, "…");
		used++;
	}
	for (; used < width; used++)
		buf_putc(b, ' ');
}

/* ---- the days ---- */

/* Local midnight of w's date (the first instant of the day). */
static time_t midnight(const struct wall *w)
{
	struct wall m = *w;
	m.hour = m.min = m.sec = 0;
	time_t t;
	enum wall_kind k;
	struct err err;
	if (sched_wall_to_utc(&m, &t, &k, &err) < 0 || k == WALL_GAP) {
		m.hour = 1;
		if (sched_wall_to_utc(&m, &t, &k, &err) < 0)
			t = 0;
	}
	return t;
}


static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (!x->post != !y->post)
		return x->post ? -1 : 1;
	return x->post && y->post ? (x->post->id < y->post->id ? -1 : 1) : 0;
}

static void add_entry(struct day *d, time_t at, const struct store_post *p)
{
	struct wall w;
	sched_utc_to_wall(at, &w, NULL);
	d->e = xrealloc(d->e, (d->n + 1) * sizeof(*d->e));
	d->e[d->n++] = (struct entry){.at = at, .hhmm = w.hour * 60 + w.min,
				      .post = p};
}

static int post_shown(const struct store_post *p)
{
	return p->ndeliveries > 0;
}

static void week_build(struct week *wk, const struct wall *monday,
		       const struct slots *slots, struct store_post **posts,
		       size_t np)
{
	memset(wk, 0, sizeof(*wk));
	for (int i = 0; i < 7; i++) {
		struct day *d = &wk->days[i];
		d->date = sched_wall_add_days(monday, i);
		d->start = midnight(&d->date);
		struct wall next = sched_wall_add_days(monday, i + 1);
		d->end = midnight(&next);
		for (size_t k = 0; k < np; k++)
			if (post_shown(posts[k]) && posts[k]->due >= d->start &&
			    posts[k]->due < d->end)
				add_entry(d, posts[k]->due, posts[k]);
		time_t t = d->start, s;
		while (slots && slots->n && sched_slots_next(slots, t, &s) == 0 &&
		       s < d->end) {
			int held = 0;
			for (size_t k = 0; k < d->n; k++)
				held |= d->e[k].post && d->e[k].at == s;
			if (!held)
				add_entry(d, s, NULL);
			t = s + 1;
		}
		if (d->n)
			qsort(d->e, d->n, sizeof(*d->e), cmp_entry);
		for (size_t k = 0; k < d->n; k++) {
			size_t r = 0;
			while (r < wk->nrows && wk->rows[r] < d->e[k].hhmm)
				r++;
			if (r < wk->nrows && wk->rows[r] == d->e[k].hhmm)
				continue;
			if (wk->nrows == RT_ARRAY_LEN(wk->rows))
				continue;
			memmove(&wk->rows[r + 1], &wk->rows[r],
				(wk->nrows - r) * sizeof(int));
			wk->rows[r] = d->e[k].hhmm;
			wk->nrows++;
		}
	}
}

static void week_free(struct week *wk)
{
	for (int i = 0; i < 7; i++)
		free(wk->days[i].e);
}

/* "published", or "2 published, 1 failed". */
static char *state_summary(const struct store_post *p, enum dl_state *worst)
{
	size_t count[DL_MISSED + 1] = {0};
	for (size_t i = 0; i < p->ndeliveries; i++)
		count[p->deliveries[i].state]++;
	*worst = DL_PUBLISHED;
	static const enum dl_state order[] = {DL_FAILED, DL_UNKNOWN, DL_MISSED,
					      DL_SENDING, DL_PENDING, DL_PUBLISHED,
					      DL_CANCELED};
	for (size_t i = 0; i < RT_ARRAY_LEN(order); i++)
		if (count[order[i]]) {
			*worst = order[i];
			break;
		}
	struct buf b = {0};
	for (size_t i = 0; i < RT_ARRAY_LEN(order); i++) {
		enum dl_state s = order[i];
		if (!count[s])
			continue;
		if (count[s] == p->ndeliveries)
			buf_puts(&b, dl_state_name(s));
		else
			buf_printf(&b, "%s%zu %s", b.len ? ", " : "", count[s],
				   dl_state_name(s));
	}
	return buf_steal(&b);
}

static char *accounts_of(const struct store_post *p)
{
	struct buf b = {0};
	for (size_t i = 0; i < p->ndeliveries; i++)
		buf_printf(&b, "%s%s", i ? " " : "", p->deliveries[i].account);
	return buf_steal(&b);
}

static const char *state_colour(enum dl_state s)
{
	switch (s) {
	case DL_PUBLISHED: return "\033[32m";
	case DL_FAILED:
	case DL_UNKNOWN:
	case DL_MISSED: return "\033[31m";
	case DL_SENDING: return "\033[33m";
	case DL_CANCELED: return "\033[2m";
	default: return "";
	}
}

/* ---- shared: load ---- */

struct loaded {
	struct store_post **posts;  /* those due within the weeks shown */
	size_t np;
	int more;                   /* more than WEEK_POSTS_SHOWN of them */
	struct store_account *acc;
	size_t na;
	struct store_delivery *probs;  /* the newest open problems */
	size_t nprobs, probs_total;
	struct wall monday;
};

static int load(struct store *st, const struct week_options *o,
		struct loaded *l, struct err *err)
{
	memset(l, 0, sizeof(*l));
	struct wall w;
	sched_utc_to_wall(o->from, &w, NULL);
	l->monday = sched_wall_add_days(&w, -sched_wall_weekday(&w));
	struct wall end = sched_wall_add_days(&l->monday, 7 * o->weeks);
	if (store_posts_due_in(st, midnight(&l->monday), midnight(&end),
			       WEEK_POSTS_SHOWN, &l->posts, &l->np, &l->more,
			       err) < 0)
		return -1;
	if (store_accounts_list(st, &l->acc, &l->na, err) < 0 ||
	    store_problems(st, wall_now(), STORE_PROBLEMS_SHOWN, &l->probs,
			   &l->nprobs, &l->probs_total, err) < 0) {
		store_posts_free(l->posts, l->np);
		store_accounts_free(l->acc, l->na);
		return -1;
	}
	return 0;
}

static void unload(struct loaded *l)
{
	store_posts_free(l->posts, l->np);
	store_accounts_free(l->acc, l->na);
	store_deliveries_free(l->probs, l->nprobs);
}

/* Paused accounts and deliveries that need the owner, one line each. */
static void problems(const struct loaded *l, struct diag *d)
{
	for (size_t i = 0; i < l->na; i++)
		if (l->acc[i].paused)
			diag_add(d, "account %s is paused: %s (fix it, then `ritual "
				 "retry ID` resumes it)", l->acc[i].name,
				 l->acc[i].reason ? l->acc[i].reason : "no reason given");
	for (size_t i = 0; i < l->nprobs; i++) {
		const struct store_delivery *dl = &l->probs[i];
		diag_add(d, "#%lld on %s: %s%s%s (see `ritual show %lld`)",
			 (long long)dl->post_id, dl->account, dl_state_name(dl->state),
			 dl->error ? ": " : "", dl->error ? dl->error : "",
			 (long long)dl->post_id);
	}
	if (l->probs_total > l->nprobs)
		diag_add(d, "and %zu more problems (`ritual status`, `ritual "
			 "events`)", l->probs_total - l->nprobs);
}

/* Where the shown posts end when there were more (NULL: all shown);
 * the caller frees. */
static char *more_line(const struct loaded *l)
{
	if (!l->more || !l->np)
		return NULL;
	const struct store_post *last = l->posts[l->np - 1];
	struct wall w;
	sched_utc_to_wall(last->due, &w, NULL);
	return xasprintf("Only the first %d posts of these weeks are shown, up to "
			 "#%lld on %s %d %s %02d:%02d; `ritual list --all --after "
			 "%lld` lists the rest.", WEEK_POSTS_SHOWN,
			 (long long)last->id, wday_names[sched_wall_weekday(&w)],
			 w.day, mon_names[w.mon - 1], w.hour, w.min,
			 (long long)last->id);
}

/* ---- terminal ---- */

static void print_grid(const struct week *wk, const struct week_options *o,
		       FILE *out)
{
	int cols = o->columns > 0 ? o->columns : 132;
	size_t cw = (size_t)((cols - 6 - 7) / 7);
	if (cw < 10)
		cw = 10;
	if (cw > 28)
		cw = 28;
	struct buf line = {0};
	char tmp[64];
	/* header */
	put_cell(&line, "", 5);
	for (int i = 0; i < 7; i++) {
		const struct wall *d = &wk->days[i].date;
		snprintf(tmp, sizeof(tmp), "%s %d %s", wday_names[i], d->day,
			 mon_names[d->mon - 1]);
		buf_puts(&line, "|");
		put_cell(&line, tmp, cw);
	}
	fprintf(out, "%s|\n", line.data);
	line.len = 0;
	line.data[0] = '\0';
	for (size_t i = 0; i < 5 + 7 * (cw + 1) + 1; i++)
		buf_putc(&line, i == 5 || (i > 5 && (i - 5) % (cw + 1) == 0) ? '+' : '-');
	char *rule = buf_steal(&line);
	fprintf(out, "%s\n", rule);

	for (size_t r = 0; r < wk->nrows; r++) {
		int hhmm = wk->rows[r];
		/* The lines of each day's cell at this time. */
		char **cells[7] = {0};
		enum dl_state *cstate[7] = {0};
		size_t nlines[7] = {0}, height = 1;
		for (int i = 0; i < 7; i++) {
			const struct day *d = &wk->days[i];
			for (size_t k = 0; k < d->n; k++) {
				if (d->e[k].hhmm != hhmm)
					continue;
				const struct store_post *p = d->e[k].post;
				cells[i] = xrealloc(cells[i], (nlines[i] + 3) * sizeof(char *));
				cstate[i] = xrealloc(cstate[i], (nlines[i] + 3) *
						     sizeof(enum dl_state));
				if (!p) {
					cells[i][nlines[i]] = xstrdup("· free");
					cstate[i][nlines[i]++] = DL_CANCELED;
					continue;
				}
				enum dl_state worst;
				char *sum = state_summary(p, &worst);
				cells[i][nlines[i]] = xasprintf("#%lld %s", (long long)p->id,
							       p->title ? p->title : p->kind);
				cstate[i][nlines[i]++] = DL_PENDING;
				cells[i][nlines[i]] = accounts_of(p);
				cstate[i][nlines[i]++] = DL_PENDING;
				cells[i][nlines[i]] = sum;
				cstate[i][nlines[i]++] = worst;
			}
			if (nlines[i] > height)
				height = nlines[i];
		}
		for (size_t ln = 0; ln < height; ln++) {
			struct buf b = {0};
			if (ln == 0)
				snprintf(tmp, sizeof(tmp), "%02d:%02d", hhmm / 60, hhmm % 60);
			else
				tmp[0] = '\0';
			put_cell(&b, tmp, 5);
			for (int i = 0; i < 7; i++) {
				buf_puts(&b, "|");
				const char *s = ln < nlines[i] ? cells[i][ln] : "";
				const char *col = ln < nlines[i] && o->color
							  ? state_colour(cstate[i][ln]) : "";
				buf_puts(&b, col);
				put_cell(&b, s, cw);
				if (*col)
					buf_puts(&b, "\033[0m");
			}
			fprintf(out, "%s|\n", b.data);
			buf_free(&b);
		}
		fprintf(out, "%s\n", rule);
		for (int i = 0; i < 7; i++) {
			for (size_t k = 0; k < nlines[i]; k++)
				free(cells[i][k]);
			free(cells[i]);
			free(cstate[i]);
		}
	}
	if (wk->nrows == 0)
		fprintf(out, "(no slots and no posts this week)\n");
	free(rule);
	buf_free(&line);
}

static json_t *week_json(const struct week *wk)
{
	json_t *days = json_array();
	for (int i = 0; i < 7; i++) {
		const struct day *d = &wk->days[i];
		char date[16], iso[40];
		snprintf(date, sizeof(date), "%04d-%02d-%02d", d->date.year,
			 d->date.mon, d->date.day);
		json_t *entries = json_array();
		for (size_t k = 0; k < d->n; k++) {
			if (sched_format_iso(d->e[k].at, iso, sizeof(iso)) < 0)
				iso[0] = '\0';
			const struct store_post *p = d->e[k].post;
			if (!p) {
				json_array_append_new(entries, json_pack("{s:s, s:b}",
					"at", iso, "free", 1));
				continue;
			}
			enum dl_state worst;
			char *sum = state_summary(p, &worst);
			json_t *acc = json_array();
			for (size_t j = 0; j < p->ndeliveries; j++)
				json_array_append_new(acc, json_pack("{s:s, s:s, s:s, s:s?}",
					"account", p->deliveries[j].account,
					"network", p->deliveries[j].network,
					"state", dl_state_name(p->deliveries[j].state),
					"permalink", p->deliveries[j].permalink));
			json_array_append_new(entries, json_pack(
				"{s:s, s:b, s:I, s:s?, s:s, s:o}", "at", iso, "free", 0,
				"id", (json_int_t)p->id, "title", p->title, "state", sum,
				"accounts", acc));
			free(sum);
		}
		json_array_append_new(days, json_pack("{s:s, s:s, s:o}", "date", date,
						      "day", wday_names[i], "slots",
						      entries));
	}
	return days;
}

int week_print(struct store *st, const struct config *cfg,
	       const struct slots *slots, const struct week_options *o,
	       FILE *out, struct err *err)
{
	struct loaded l;
	if (load(st, o, &l, err) < 0)
		return -1;
	struct diag pr = {0};
	problems(&l, &pr);
	json_t *weeks = o->json ? json_array() : NULL;
	if (!o->json) {
		for (size_t i = 0; i < pr.n; i++)
			fprintf(out, "%s! %s%s\n", o->color ? "\033[1;31m" : "",
				pr.msgs[i], o->color ? "\033[0m" : "");
		if (pr.n)
			fputc('\n', out);
	}
	for (int w = 0; w < o->weeks; w++) {
		struct wall mon = sched_wall_add_days(&l.monday, 7 * w);
		struct week wk;
		week_build(&wk, &mon, slots, l.posts, l.np);
		if (o->json) {
			char date[16];
			snprintf(date, sizeof(date), "%04d-%02d-%02d", mon.year, mon.mon,
				 mon.day);
			json_array_append_new(weeks, json_pack("{s:s, s:o}", "week_of",
							       date, "days",
							       week_json(&wk)));
		} else {
			fprintf(out, "%sWeek of %s %d %s %d (%s)\n", w ? "\n" : "",
				wday_names[0], mon.day, mon_names[mon.mon - 1], mon.year,
				cfg->timezone);
			print_grid(&wk, o, out);
		}
		week_free(&wk);
	}
	char *more = o->json ? NULL : more_line(&l);
	if (more)
		fprintf(out, "\n%s\n", more);
	free(more);
	if (o->json) {
		json_t *paused = json_array(), *probs = json_array();
		for (size_t i = 0; i < l.na; i++)
			if (l.acc[i].paused)
				json_array_append_new(paused, json_pack("{s:s, s:s?}",
					"account", l.acc[i].name, "reason",
					l.acc[i].reason));
		for (size_t i = 0; i < pr.n; i++)
			json_array_append_new(probs, json_string(pr.msgs[i]));
		json_t *top = json_pack("{s:s, s:o, s:o, s:o, s:b}", "timezone",
					cfg->timezone, "paused", paused, "problems",
					probs, "weeks", weeks, "posts_more", l.more);
		json_dumpf(top, out, JSON_INDENT(2));
		fputc('\n', out);
		json_decref(top);
	}
	diag_free(&pr);
	unload(&l);
	return 0;
}

/* ---- HTML ---- */

static void html_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* The post text as readers see it, "#word" marked as a hashtag. */
static void html_post_text(FILE *out, const char *s)
{
	for (size_t i = 0; s[i];) {
		int starts = s[i] == '#' && (i == 0 || s[i - 1] == ' ' ||
					     s[i - 1] == '\n') &&
			     s[i + 1] && s[i + 1] != ' ' && s[i + 1] != '\n';
		if (!starts) {
			char one[2] = {s[i], 0};
			html_text(out, one);
			i++;
			continue;
		}
		size_t j = i + 1;
		while (s[j] && s[j] != ' ' && s[j] != '\n' && s[j] != '#' &&
		       !strchr(".,;:!?()[]{}<>\"'", s[j]))
			j++;
		char *tag = xstrndup(s + i, j - i);
		fputs("<span class=\"tag\">", out);
		html_text(out, tag);
		fputs("</span>", out);
		free(tag);
		i = j;
	}
}

static const char css[] =
	"body{font-family:system-ui,sans-serif;margin:1rem;background:#f4f1ec;"
	"color:#222}h1{font-size:1.4rem}h2{font-size:1.2rem;margin-top:2rem}"
	".problems{background:#fde8e8;border:1px solid #e0a0a0;padding:.5rem 1rem}"
	".days{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));"
	"gap:1rem}.day{background:#fff;border-radius:8px;padding:.5rem 1rem}"
	".free{color:#888;border:1px dashed #bbb;border-radius:6px;padding:.3rem;"
	"margin:.5rem 0}.post h4{margin:.5rem 0}.mock{border:1px solid #ddd;"
	"border-radius:8px;margin:.5rem 0;overflow:hidden}.mock header{font-weight:"
	"600;padding:.3rem .5rem;background:#eef}.net-instagram header{background:"
	"#fde}.net-linkedin header{background:#e6f0fa}.mock img{display:block;"
	"max-width:100%;height:auto}.text{white-space:pre-wrap;padding:.3rem .5rem;"
	"margin:0}.tag{color:#1d5fbf}.state{font-size:.9rem;padding:.3rem .5rem;"
	"color:#555}.s-published{color:#17733a}.s-failed,.s-unknown,.s-missed{"
	"color:#b3261e}";

static void html_mock(FILE *out, struct store *st, const struct store_post *p,
		      const struct store_delivery *d)
{
	fprintf(out, "<div class=\"mock net-");
	html_text(out, d->network);
	fprintf(out, "\" data-account=\"");
	html_text(out, d->account);
	fprintf(out, "\" data-state=\"%s\"><header>", dl_state_name(d->state));
	html_text(out, d->account);
	fprintf(out, " (");
	html_text(out, d->network);
	fprintf(out, ")</header>\n");
	struct store_media *m = NULL;
	struct err err;
	if (p->media_id && store_media_for(st, p->media_id, d->network, &m, &err) == 0) {
		fprintf(out, "<img alt=\"");
		html_text(out, p->alt ? p->alt : "");
		fprintf(out, "\" width=\"%ld\" height=\"%ld\" data-width=\"%ld\" "
			"data-height=\"%ld\" src=\"data:", m->width, m->height,
			m->width, m->height);
		html_text(out, m->mime);
		fprintf(out, ";base64,");
		char *b64 = base64_encode(m->data, m->len, 0);
		fputs(b64, out);
		free(b64);
		fprintf(out, "\">\n");
	}
	store_media_free(m);
	char *visible = strcmp(d->network, "linkedin") == 0
				? format_linkedin_visible(d->text) : xstrdup(d->text);
	fprintf(out, "<p class=\"text\">");
	html_post_text(out, visible);
	fprintf(out, "</p>\n");
	free(visible);
	fprintf(out, "<div class=\"state s-%s\">%s", dl_state_name(d->state),
		dl_state_name(d->state));
	if (d->permalink) {
		fprintf(out, " &middot; <a href=\"");
		html_text(out, d->permalink);
		fprintf(out, "\">");
		html_text(out, d->permalink);
		fprintf(out, "</a>");
	}
	if (d->error && d->state != DL_PUBLISHED) {
		fprintf(out, " &middot; ");
		html_text(out, d->error);
	}
	fprintf(out, "</div></div>\n");
}

int week_html(struct store *st, const struct config *cfg,
	      const struct slots *slots, const struct week_options *o,
	      FILE *out, struct err *err)
{
	struct loaded l;
	if (load(st, o, &l, err) < 0)
		return -1;
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		"<title>");
	html_text(out, cfg->business.name ? cfg->business.name : "ritual");
	fprintf(out, " - the week</title><style>%s</style></head><body>\n", css);
	fprintf(out, "<h1>");
	html_text(out, cfg->business.name ? cfg->business.name : "ritual");
	fprintf(out, ": what will be posted</h1>\n");
	struct diag pr = {0};
	problems(&l, &pr);
	if (pr.n) {
		fprintf(out, "<div class=\"problems\"><strong>Needs you</strong><ul>\n");
		for (size_t i = 0; i < pr.n; i++) {
			fprintf(out, "<li>");
			html_text(out, pr.msgs[i]);
			fprintf(out, "</li>\n");
		}
		fprintf(out, "</ul></div>\n");
	}
	for (int w = 0; w < o->weeks; w++) {
		struct wall mon = sched_wall_add_days(&l.monday, 7 * w);
		struct week wk;
		week_build(&wk, &mon, slots, l.posts, l.np);
		fprintf(out, "<section class=\"week\"><h2>Week of Monday %d %s %d "
			"(", mon.day, mon_names[mon.mon - 1], mon.year);
		html_text(out, cfg->timezone);
		fprintf(out, ")</h2><div class=\"days\">\n");
		for (int i = 0; i < 7; i++) {
			const struct day *d = &wk.days[i];
			fprintf(out, "<div class=\"day\"><h3>%s %d %s</h3>\n",
				wday_names[i], d->date.day, mon_names[d->date.mon - 1]);
			if (!d->n)
				fprintf(out, "<p class=\"none\">nothing planned</p>\n");
			for (size_t k = 0; k < d->n; k++) {
				const struct store_post *p = d->e[k].post;
				int hh = d->e[k].hhmm / 60, mm = d->e[k].hhmm % 60;
				if (!p) {
					fprintf(out, "<div class=\"free\">%02d:%02d free "
						"slot</div>\n", hh, mm);
					continue;
				}
				fprintf(out, "<article class=\"post\" id=\"post-%lld\" "
					"data-id=\"%lld\"><h4>%02d:%02d &middot; #%lld ",
					(long long)p->id, (long long)p->id, hh, mm,
					(long long)p->id);
				html_text(out, p->title ? p->title : p->kind);
				fprintf(out, "</h4>\n");
				for (size_t j = 0; j < p->ndeliveries; j++)
					html_mock(out, st, p, &p->deliveries[j]);
				fprintf(out, "</article>\n");
			}
			fprintf(out, "</div>\n");
		}
		fprintf(out, "</div></section>\n");
		week_free(&wk);
	}
	char *more = more_line(&l);
	if (more) {
		fprintf(out, "<p class=\"more\">");
		html_text(out, more);
		fprintf(out, "</p>\n");
	}
	free(more);
	fprintf(out, "</body></html>\n");
	diag_free(&pr);
	unload(&l);
	return 0;
}
