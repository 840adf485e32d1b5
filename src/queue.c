/*
 * queue.c - turning post files into queued deliveries.
 *
 * Owns the checks that need the configuration and the clock (accounts,
 * images, times, per-network text and image rules) and slot assignment.
 * Syntax belongs to postfile, text to format, image bytes to media, SQL to
 * store; this file only combines them.
 */
#include "ritual/queue.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IMAGE_BYTES (64u * 1024 * 1024)
#define PATH_MAX_MSG 4200

static void item_free(struct queue_item *it)
{
	free(it->path);
	postfile_free(it->pf);
	diag_free(&it->diag);
	free(it->image);
	for (size_t i = 0; i < it->ntargets; i++) {
		if (it->targets[i].rendered)
			format_output_free(&it->targets[i].text);
		image_variant_free(&it->targets[i].variant);
	}
	free(it->targets);
}

void queue_batch_free(struct queue_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		item_free(&b->items[i]);
	free(b->items);
	diag_free(&b->warnings);
	free(b);
}

static void fmt_time(time_t t, char *buf, size_t len)
{
	if (sched_format_human(t, buf, len) < 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* A parsed At:/Expires: as an instant; reports gaps. date_end: a bare
 * date means the end of that day (Expires). */
static int resolve_time(const struct config *cfg, const struct post_file *pf,
			const struct parsed_time *pt, int line, const char *hdr,
			int date_end, time_t *out, struct diag *diag)
{
	if (pt->has_offset) {
		*out = pt->instant;
		return 0;
	}
	struct wall w = pt->wall;
	if (date_end && !pt->has_time) {
		/* Through the end of that day: the next day's midnight. */
		struct wall next = w;
		time_t noon;
		next.hour = 12;
		next.min = next.sec = 0;
		struct err err;
		if (sched_wall_to_utc(&next, &noon, NULL, &err) < 0) {
			diag_add(diag, "%s:%d: %s: %s", pf->path, line, hdr, err.msg);
			return -1;
		}
		struct wall tomorrow;
		sched_utc_to_wall(noon + 86400, &tomorrow, NULL);
		tomorrow.hour = tomorrow.min = tomorrow.sec = 0;
		w = tomorrow;
	}
	enum wall_kind kind;
	struct err err;
	if (sched_wall_to_utc(&w, out, &kind, &err) < 0) {
		diag_add(diag, "%s:%d: %s: %s", pf->path, line, hdr, err.msg);
		return -1;
	}
	if (kind == WALL_GAP && !(date_end && !pt->has_time)) {
		time_t before, after;
		char b1[40] = "?", b2[40] = "?";
		if (sched_gap_bounds(&pt->wall, &before, &after) == 0) {
			fmt_time(before, b1, sizeof(b1));
			fmt_time(after, b2, sizeof(b2));
		}
		diag_add(diag,
			 "%s:%d: %s %04d-%02d-%02d %02d:%02d does not exist in %s "
			 "(the clocks jump forward that night); use %s or %s",
			 pf->path, line, hdr, pt->wall.year, pt->wall.mon,
			 pt->wall.day, pt->wall.hour, pt->wall.min, cfg->timezone,
			 b1, b2);
		return -1;
	}
	return 0;
}

/* "Image: IMG_0042.jpg" not found: the closest name in its folder. */
static void image_suggest(const struct post_file *pf, struct diag *diag)
{
	char *dir = xstrdup(pf->image);
	char *slash = strrchr(dir, '/');
	const char *base = path_basename(pf->image);
	if (slash)
		*slash = '\0';
	char **names = NULL;
	size_t n = 0;
	if (slash && list_dir_names(dir, &names, &n) == 0) {
		const char *best = str_closest(base, (const char *const *)names, n);
		if (best)
			diag_add(diag, "%s:%d: Image: did you mean \"%s\"?", pf->path,
				 pf->image_line, best);
	}
	strv_free(names);
	free(dir);
}

/* Read and decode the image (whole: a cut file is refused here); *img is
 * the decoded image the variants are rendered from (image_close). */
static int check_image(struct queue_item *it, struct image **img,
		       struct diag *diag)
{
	struct post_file *pf = it->pf;
	struct err err;
	if (read_file(pf->image, &it->image, &it->image_len, MAX_IMAGE_BYTES,
		      &err) < 0) {
		diag_add(diag, "%s:%d: Image: %s; check the file name (it is "
			 "relative to the post file)", pf->path, pf->image_line,
			 err.msg);
		image_suggest(pf, diag);
		return -1;
	}
	if (image_open(it->image, it->image_len, img, &it->src, &err) < 0) {
		diag_add(diag, "%s:%d: Image %s: %s", pf->path, pf->image_line,
			 pf->image, err.msg);
		free(it->image);
		it->image = NULL;
		return -1;
	}
	memset(&it->info, 0, sizeof(it->info));
	it->info.type = media_type_from_mime(it->src.mime);
	it->info.width = it->src.width;
	it->info.height = it->src.height;
	it->info.size = it->image_len;
	it->info.frames = it->src.frames;
	image_size(*img, &it->upright_width, &it->upright_height);
	return 0;
}

/* What is queued anyway but the owner may want to change. */
static void body_warnings(const struct config *cfg, const struct post_file *pf,
			  const struct queue_item *it, struct diag *w)
{
	if (it->image && it->upright_width < IMAGE_MIN_WIDTH)
		diag_add(w, "%s:%d: warning: %s is only %ld pixels wide and will "
			 "look blurred; use a photo at least %ld pixels wide "
			 "(1080 is best)", pf->path, pf->image_line,
			 path_basename(pf->image), it->upright_width,
			 IMAGE_MIN_WIDTH);
	if (it->image && !pf->alt)
		diag_add(w, "%s:%d: warning: no Alt: line; add one describing the "
			 "photo for people who cannot see it", pf->path,
			 pf->image_line);
	const char *b = pf->body;
	for (const char *p = b; p && *p; p++) {
		if (*p == '#' && (p == b || p[-1] == ' ' || p[-1] == '\n') &&
		    p[1] && p[1] != ' ' && p[1] != '#' && p[1] != '\n') {
			diag_add(w, "%s:%d: warning: a hashtag typed in the body; "
				 "put it on the Tags: line so each network gets "
				 "the tags it allows", pf->path, pf->body_line);
			break;
		}
	}
	if (b && (strstr(b, "http://") || strstr(b, "https://") ||
		  strstr(b, "www.")))
		diag_add(w, "%s:%d: warning: a link typed in the body; put it on "
			 "the Link: line (Instagram does not make body links "
			 "clickable)", pf->path, pf->body_line);
	if (b && cfg->business.phone && *cfg->business.phone &&
	    strstr(b, cfg->business.phone))
		diag_add(w, "%s:%d: warning: the phone number typed in the body; "
			 "the post formats add it as {phone}", pf->path,
			 pf->body_line);
}

static void variant_copy(struct image_variant *to,
			 const struct image_variant *from)
{
	*to = *from;
	to->data = xmalloc(from->len ? from->len : 1);
	memcpy(to->data, from->data, from->len);
	to->notes = from->notes ? xstrdup(from->notes) : NULL;
}

/* Expires must be after the post's time: checked once that is known (At:
 * in prepare_item, a slot in queue_place). An Expires already past has
 * its own message. -1 when it is not. */
static int check_expires_after_due(struct queue_item *it, time_t now,
				   struct diag *diag)
{
	if (!it->pf || !it->has_due || !it->expires || it->expires <= now ||
	    it->expires > it->due)
		return 0;
	char d[40], e[40];
	fmt_time(it->due, d, sizeof(d));
	fmt_time(it->expires, e, sizeof(e));
	diag_add(diag, "%s:%d: Expires (%s) is not after the post's time "
		 "(%s%s); move Expires: later or give an earlier At:",
		 it->path, it->pf->expires_line, e, d,
		 it->from_slot ? ", the next free slot" : "");
	return -1;
}

/* Every check that needs the config and the clock but no database. */
static int prepare_item(const struct config *cfg, struct queue_item *it,
			time_t now, struct diag *diag)
{
	struct post_file *pf = it->pf;
	int bad = 0, image_bad = 0;

	/* Targets: To: names, default every account. */
	size_t nt = pf->to ? pf->nto : cfg->naccounts;
	it->targets = xcalloc(nt ? nt : 1, sizeof(*it->targets));
	for (size_t i = 0; i < nt; i++) {
		const struct account *a = pf->to ? config_account(cfg, pf->to[i])
						 : &cfg->accounts[i];
		if (!a) {
			struct buf names = {0};
			for (size_t k = 0; k < cfg->naccounts; k++)
				buf_printf(&names, "%s%s", k ? ", " : "",
					   cfg->accounts[k].name);
			diag_add(diag, "%s:%d: To: unknown account \"%s\"; the "
				 "accounts in %s are: %s", pf->path, pf->to_line,
				 pf->to[i], cfg->path, names.data ? names.data : "");
			buf_free(&names);
			bad = 1;
			continue;
		}
		int dup = 0;
		for (size_t k = 0; k < it->ntargets; k++)
			dup |= it->targets[k].account == a;
		if (!dup)
			it->targets[it->ntargets++].account = a;
	}

	struct image *img = NULL;
	if (pf->image && check_image(it, &img, diag) < 0)
		bad = image_bad = 1;

	if (pf->has_at) {
		if (resolve_time(cfg, pf, &pf->at, pf->at_line, "At", 0, &it->due,
				 diag) < 0) {
			bad = 1;
		} else {
			it->has_due = 1;
			if (it->due < now) {
				char b[40];
				fmt_time(it->due, b, sizeof(b));
				diag_add(diag, "%s:%d: At %s is in the past; give a "
					 "later time, or remove the At: line to use "
					 "the next free slot", pf->path, pf->at_line, b);
				bad = 1;
			}
		}
	}
	if (pf->has_expires) {
		if (resolve_time(cfg, pf, &pf->expires, pf->expires_line,
				 "Expires", 1, &it->expires, diag) < 0) {
			it->expires = 0;
			bad = 1;
		} else if (it->expires <= now) {
			diag_add(diag, "%s:%d: Expires is in the past; the post could "
				 "never be published: change or remove the Expires: "
				 "line", pf->path, pf->expires_line);
			bad = 1;
		}
	}

	struct format_input in = {
		.kind = pf->kind, .title = pf->title, .body = pf->body,
		.link = pf->link, .tags = pf->tags, .ntags = pf->ntags,
		.has_expires = pf->has_expires,
	};
	if (pf->has_expires)
		in.expires = pf->expires.wall;
	for (size_t k = 0; k < it->ntargets; k++) {
		struct queue_target *t = &it->targets[k];
		enum network net = t->account->network;
		struct err err;
		if (format_render(cfg, net, &in, &t->text, &err) < 0) {
			diag_add(diag, "%s: %s (account %s): %s", pf->path,
				 network_name(net), t->account->name, err.msg);
			bad = 1;
		} else {
			t->rendered = 1;
			store_content_hash(t->text.text, it->image, it->image_len,
					   t->hash);
			if (format_check_limits(cfg, net, &t->text, &err) < 0) {
				diag_add(diag, "%s: %s (account %s): %s", pf->path,
					 network_name(net), t->account->name,
					 err.msg);
				bad = 1;
			}
		}
		if (!pf->image && net == NET_INSTAGRAM) {
			diag_add(diag, "%s: instagram (account %s): Instagram posts "
				 "need an image; add an Image: line, or leave the "
				 "account out with a To: line", pf->path,
				 t->account->name);
			bad = 1;
		}
		/* one variant per network: an earlier account of the same
		 * network already has it (or already failed) */
		const struct queue_target *same = NULL;
		for (size_t j = 0; j < k && !same; j++)
			if (it->targets[j].account->network == net)
				same = &it->targets[j];
		if (img && !image_bad && same) {
			if (same->variant.data)
				variant_copy(&t->variant, &same->variant);
		} else if (img && !image_bad) {
			struct media_rules rules;
			media_rules_for(cfg, net, &rules);
			struct image_params ip = {
				.rules = &rules,
				.fit = pf->has_fit ? (enum image_fit)pf->fit
						   : (enum image_fit)cfg->media.fit,
			};
			memcpy(ip.background, cfg->media.background_rgb,
			       sizeof(ip.background));
			if (image_render(img, &ip, &t->variant, &err) < 0) {
				diag_add(diag, "%s:%d: Image %s: %s (account %s)",
					 pf->path, pf->image_line,
					 path_basename(pf->image), err.msg,
					 t->account->name);
				bad = 1;
			}
		}
	}
	if (check_expires_after_due(it, now, diag) < 0)
		bad = 1;
	image_close(img);
	return bad ? -1 : 0;
}

int queue_read(const struct config *cfg, char *const *files, size_t n,
	       time_t now, struct queue_batch **out)
{
	struct queue_batch *b = xcalloc(1, sizeof(*b));
	b->items = xcalloc(n ? n : 1, sizeof(*b->items));
	for (size_t i = 0; i < n; i++) {
		struct queue_item *it = &b->items[b->n++];
		it->path = xstrdup(files[i]);
		int bad = 0;
		if (postfile_parse_partial(files[i], &it->pf, &it->diag) < 0)
			bad = 1;
		else
			it->parsed = 1;
		/* a file with a syntax problem is checked as far as it parsed */
		if (it->pf && prepare_item(cfg, it, now, &it->diag) < 0)
			bad = 1;
		else if (it->pf && !bad)
			body_warnings(cfg, it->pf, it, &b->warnings);
		if (bad || it->diag.n)
			b->nbad++;
	}
	*out = b;
	return b->nbad ? -1 : 0;
}

/* ---- placing: slots, duplicates, warnings ---- */

/* An open-addressing set of (account index, instant). */
struct taken_set {
	struct taken_key { int64_t t; long acct; int used; } *v;
	size_t cap, n;
};

static size_t taken_hash(long acct, int64_t t, size_t cap)
{
	uint64_t h = (uint64_t)t * 0x9E3779B97F4A7C15ull ^
		     ((uint64_t)acct + 1) * 0xC2B2AE3D27D4EB4Full;
	h ^= h >> 29;
	return (size_t)(h & (cap - 1));
}

static int taken_has(const struct taken_set *s, long acct, int64_t t)
{
	if (!s->cap)
		return 0;
	for (size_t i = taken_hash(acct, t, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (!s->v[i].used)
			return 0;
		if (s->v[i].t == t && s->v[i].acct == acct)
			return 1;
	}
}

static void taken_add(struct taken_set *s, long acct, int64_t t)
{
	if ((s->n + 1) * 2 > s->cap) {
		struct taken_set g = {.cap = s->cap ? s->cap * 2 : 256};
		g.v = xcalloc(g.cap, sizeof(*g.v));
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i].used)
				taken_add(&g, s->v[i].acct, s->v[i].t);
		free(s->v);
		*s = g;
	}
	size_t i = taken_hash(acct, t, s->cap);
	while (s->v[i].used) {
		if (s->v[i].t == t && s->v[i].acct == acct)
			return;
		i = (i + 1) & (s->cap - 1);
	}
	s->v[i].used = 1;
	s->v[i].t = t;
	s->v[i].acct = acct;
	s->n++;
}

/* Who holds an instant of an account: a post in the database or an item. */
struct holder {
	time_t t;
	int64_t post_id;        /* > 0: in the database */
	size_t item;            /* else: this batch item */
};

struct placer {
	const struct config *cfg;
	const struct slots *slots;
	struct queue_batch *b;
	struct taken_set taken;
	struct holder **held;   /* per account index */
	size_t *nheld, *capheld;
	time_t *seq;            /* the slot instants from now, generated lazily */
	size_t nseq, capseq;
	int seq_end;            /* the generator has no more */
	size_t *first_free;     /* per account: seq[i] taken for every i below */
	time_t now;
};

static void hold(struct placer *p, long a, time_t t, int64_t post_id,
		 size_t item)
{
	taken_add(&p->taken, a, (int64_t)t);
	if (p->nheld[a] == p->capheld[a]) {
		p->capheld[a] = p->capheld[a] ? p->capheld[a] * 2 : 16;
		p->held[a] = xrealloc(p->held[a], p->capheld[a] * sizeof(**p->held));
	}
	p->held[a][p->nheld[a]++] = (struct holder){t, post_id, item};
}

/* seq[i], generating up to it; -1 past the end of the slots. */
static int seq_at(struct placer *p, size_t i, time_t *out)
{
	while (p->nseq <= i && !p->seq_end) {
		time_t from = p->nseq ? p->seq[p->nseq - 1] + 1 : p->now;
		time_t next;
		if (sched_slots_next(p->slots, from, &next) < 0) {
			p->seq_end = 1;
			break;
		}
		if (p->nseq == p->capseq) {
			p->capseq = p->capseq ? p->capseq * 2 : 256;
			p->seq = xrealloc(p->seq, p->capseq * sizeof(*p->seq));
		}
		p->seq[p->nseq++] = next;
	}
	if (i >= p->nseq)
		return -1;
	*out = p->seq[i];
	return 0;
}

#define SLOT_SEARCH_MAX 100000

static long acct_index(const struct config *cfg, const struct account *a)
{
	return (long)(a - cfg->accounts);
}

static int assign_slot(struct placer *p, size_t idx)
{
	struct queue_item *it = &p->b->items[idx];
	const struct config *cfg = p->cfg;
	if (!p->slots || p->slots->n == 0) {
		diag_add(&it->diag,
			 "%s: no At: line and no slots in %s; add \"At: "
			 "YYYY-MM-DD HH:MM\" or set schedule.slots in the config",
			 it->path, cfg->path);
		return -1;
	}
	/* every slot before start is taken for one of the item's accounts */
	size_t start = 0;
	for (size_t k = 0; k < it->ntargets; k++) {
		size_t f = p->first_free[acct_index(cfg, it->targets[k].account)];
		if (f > start)
			start = f;
	}
	for (size_t j = start; j - start < SLOT_SEARCH_MAX; j++) {
		time_t t;
		if (seq_at(p, j, &t) < 0)
			break;
		int free_all = 1;
		for (size_t k = 0; k < it->ntargets && free_all; k++)
			free_all = !taken_has(&p->taken,
					      acct_index(cfg, it->targets[k].account), t);
		if (!free_all)
			continue;
		it->due = t;
		it->has_due = 1;
		it->from_slot = 1;
		for (size_t k = 0; k < it->ntargets; k++) {
			long a = acct_index(cfg, it->targets[k].account);
			hold(p, a, t, 0, idx);
			time_t u;
			/* ends: the taken instants are finite */
			while (seq_at(p, p->first_free[a], &u) == 0 &&
			       taken_has(&p->taken, a, u))
				p->first_free[a]++;
		}
		return 0;
	}
	diag_add(&it->diag, "%s: no free slot found in schedule.slots; add "
		 "slots or give the post an At: time", it->path);
	return -1;
}

static int cmp_holder(const void *x, const void *y)
{
	const struct holder *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	/* the database's first, then the batch in file order */
	if ((a->post_id > 0) != (b->post_id > 0))
		return a->post_id > 0 ? -1 : 1;
	if (a->post_id != b->post_id)
		return a->post_id < b->post_id ? -1 : 1;
	return a->item < b->item ? -1 : a->item > b->item;
}

/* Two posts of one account in the same minute: say when min_gap really
 * sends the second. */
static void warn_same_minute(struct placer *p)
{
	const struct config *cfg = p->cfg;
	for (size_t a = 0; a < cfg->naccounts; a++) {
		struct holder *h = p->held[a];
		size_t n = p->nheld[a];
		if (n < 2)
			continue;
		qsort(h, n, sizeof(*h), cmp_holder);
		time_t eff = h[0].t;    /* when the previous one really goes */
		for (size_t i = 1; i < n; i++) {
			time_t e = h[i].t;
			if (eff + cfg->min_gap > e)
				e = eff + cfg->min_gap;
			if (h[i].post_id == 0 && h[i].t / 60 == h[i - 1].t / 60) {
				const struct queue_item *it = &p->b->items[h[i].item];
				char other[PATH_MAX_MSG], when[40], real[40];
				if (h[i - 1].post_id > 0)
					snprintf(other, sizeof(other), "post #%lld",
						 (long long)h[i - 1].post_id);
				else
					snprintf(other, sizeof(other), "%s",
						 p->b->items[h[i - 1].item].path);
				fmt_time(h[i - 1].t, when, sizeof(when));
				fmt_time(e, real, sizeof(real));
				if (cfg->min_gap > 0)
					diag_add(&p->b->warnings,
						 "%s: warning: account %s already has "
						 "%s in the same minute (%s); "
						 "schedule.min_gap (%lds) sends this one "
						 "at %s at the earliest", it->path,
						 cfg->accounts[a].name, other, when,
						 cfg->min_gap, real);
				else
					diag_add(&p->b->warnings,
						 "%s: warning: account %s already has "
						 "%s in the same minute (%s); "
						 "schedule.min_gap is 0: both go out "
						 "at once", it->path,
						 cfg->accounts[a].name, other, when);
			}
			eff = e;
		}
	}
}

static void fmt_window(long secs, char *buf, size_t len)
{
	if (secs % 86400 == 0)
		snprintf(buf, len, "%ldd", secs / 86400);
	else if (secs % 3600 == 0)
		snprintf(buf, len, "%ldh", secs / 3600);
	else if (secs % 60 == 0)
		snprintf(buf, len, "%ldm", secs / 60);
	else
		snprintf(buf, len, "%lds", secs);
}

struct dup_key {
	long acct;
	const char *hash;
	size_t item;
};

static int cmp_dup_key(const void *x, const void *y)
{
	const struct dup_key *a = x, *b = y;
	if (a->acct != b->acct)
		return a->acct < b->acct ? -1 : 1;
	int c = strcmp(a->hash, b->hash);
	if (c)
		return c;
	return a->item < b->item ? -1 : a->item > b->item;
}

static time_t item_when(const struct queue_item *it, time_t now)
{
	return it->has_due ? it->due : now;
}

static int check_duplicates(struct placer *p, struct store *st,
			    struct err *err)
{
	const struct config *cfg = p->cfg;
	struct queue_batch *b = p->b;
	long window = cfg->duplicate_window;
	char win[32];
	fmt_window(window, win, sizeof(win));
	int bad = 0;

	/* within the batch: the later file is refused */
	size_t nk = 0;
	for (size_t i = 0; i < b->n; i++)
		nk += b->items[i].ntargets;
	struct dup_key *keys = xcalloc(nk ? nk : 1, sizeof(*keys));
	nk = 0;
	for (size_t i = 0; i < b->n; i++)
		for (size_t k = 0; k < b->items[i].ntargets; k++)
			if (b->items[i].targets[k].rendered)
				keys[nk++] = (struct dup_key){
					acct_index(cfg, b->items[i].targets[k].account),
					b->items[i].targets[k].hash, i};
	qsort(keys, nk, sizeof(*keys), cmp_dup_key);
	for (size_t i = 0; i < nk; i++) {
		for (size_t j = i; j-- > 0;) {
			if (keys[j].acct != keys[i].acct ||
			    strcmp(keys[j].hash, keys[i].hash) != 0)
				break;
			struct queue_item *a = &b->items[keys[j].item];
			struct queue_item *it = &b->items[keys[i].item];
			time_t ta = item_when(a, p->now), ti = item_when(it, p->now);
			if ((ta > ti ? ta - ti : ti - ta) >= window)
				continue;
			diag_add(&it->diag, "%s: the same text and image as %s, "
				 "for account %s in this same batch; remove one of "
				 "the two, or run the command again with --again to "
				 "queue both", it->path, a->path,
				 cfg->accounts[keys[i].acct].name);
			bad = 1;
			break;
		}
	}
	free(keys);

	/* against the database: queued or published within the window */
	for (size_t i = 0; st && i < b->n; i++) {
		struct queue_item *it = &b->items[i];
		for (size_t k = 0; k < it->ntargets; k++) {
			const struct queue_target *t = &it->targets[k];
			if (!t->rendered)
				continue;
			struct store_dup d;
			int found = 0;
			if (store_duplicate_find(st, t->account->name, t->hash,
						 item_when(it, p->now), window, &d,
						 &found, err) < 0)
				return -2;
			if (!found)
				continue;
			char when[40];
			fmt_time(d.when, when, sizeof(when));
			diag_add(&it->diag, "%s: the same text and image already "
				 "went to account %s as post #%lld (from %s, %s), "
				 "less than schedule.duplicate_window (%s) apart; "
				 "leave the file out, change it, or run the command "
				 "again with --again to queue it anyway", it->path,
				 t->account->name, (long long)d.post_id,
				 d.source ? d.source : "?", when, win);
			free(d.source);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* Seconds around an explicit time whose queued posts are read (above). */
#define TAKEN_MARGIN 86400

int queue_place(const struct config *cfg, const struct slots *slots,
		struct store *st, struct queue_batch *b, time_t now, int again,
		struct err *err)
{
	struct placer p = {.cfg = cfg, .slots = slots, .b = b, .now = now};
	size_t na = cfg->naccounts ? cfg->naccounts : 1;
	p.held = xcalloc(na, sizeof(*p.held));
	p.nheld = xcalloc(na, sizeof(*p.nheld));
	p.capheld = xcalloc(na, sizeof(*p.capheld));
	p.first_free = xcalloc(na, sizeof(*p.first_free));
	int rc = 0;

	/* the occupancy of the batch's accounts, read once */
	char *used = xcalloc(na, 1);
	for (size_t i = 0; i < b->n; i++)
		for (size_t k = 0; k < b->items[i].ntargets; k++)
			used[acct_index(cfg, b->items[i].targets[k].account)] = 1;
	/* A batch with explicit times only (`ritual add` of a post with At:)
	 * needs the neighbours of those times (same-minute warnings), not the
	 * whole future of each account; a slot search needs it all. */
	time_t lo = now, hi = 0;
	int slots_needed = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct queue_item *it = &b->items[i];
		if (!it->pf || !it->pf->has_at || !it->has_due) {
			if (it->parsed) {
				slots_needed = 1;
				break;
			}
			continue;
		}
		if (hi == 0 || it->due - TAKEN_MARGIN < lo)
			lo = it->due - TAKEN_MARGIN;
		if (it->due + TAKEN_MARGIN > hi)
			hi = it->due + TAKEN_MARGIN;
	}
	if (slots_needed || hi == 0) {
		lo = now;
		hi = 0;
	} else if (lo < now) {
		lo = now;
	}
	for (size_t a = 0; st && a < cfg->naccounts; a++) {
		if (!used[a])
			continue;
		struct store_taken *v;
		size_t n;
		if (store_taken_between(st, cfg->accounts[a].name, lo, hi, &v, &n,
					err) < 0) {
			rc = -2;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			hold(&p, (long)a, v[i].due, v[i].post_id, 0);
		free(v);
	}
	/* explicit times first: a slot never lands on one */
	for (size_t i = 0; i < b->n; i++) {
		struct queue_item *it = &b->items[i];
		if (it->pf && it->pf->has_at && it->has_due)
			for (size_t k = 0; k < it->ntargets; k++)
				hold(&p, acct_index(cfg, it->targets[k].account),
				     it->due, 0, i);
	}
	/* then slots, in file order, in one walk of the slot generator */
	for (size_t i = 0; i < b->n; i++) {
		struct queue_item *it = &b->items[i];
		if (!it->parsed || it->pf->has_at)
			continue;
		if (assign_slot(&p, i) == 0)
			check_expires_after_due(it, now, &it->diag);
	}
	if (!again && cfg->duplicate_window > 0 &&
	    check_duplicates(&p, st, err) == -2) {
		rc = -2;
		goto out;
	}
	warn_same_minute(&p);
	b->nbad = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->items[i].diag.n || !b->items[i].pf)
			b->nbad++;
	rc = b->nbad ? -1 : 0;
out:
	for (size_t a = 0; a < na; a++)
		free(p.held[a]);
	free(p.held);
	free(p.nheld);
	free(p.capheld);
	free(p.first_free);
	free(p.seq);
	free(p.taken.v);
	free(used);
	return rc;
}

void queue_problems(const struct queue_batch *b, struct diag *out)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct diag *d = &b->items[i].diag;
		for (size_t k = 0; k < d->n; k++) {
			int seen = 0;
			for (size_t j = 0; j < k && !seen; j++)
				seen = strcmp(d->msgs[j], d->msgs[k]) == 0;
			if (!seen)
				diag_add(out, "%s", d->msgs[k]);
		}
	}
}

static char *join_tags(const struct post_file *pf)
{
	if (!pf->tags || !pf->ntags)
		return NULL;
	struct buf b = {0};
	for (size_t i = 0; i < pf->ntags; i++)
		buf_printf(&b, "%s%s", i ? " " : "", pf->tags[i]);
	return buf_steal(&b);
}

int queue_insert(struct store *st, const struct queue_batch *b, time_t now,
		 int64_t *ids, struct err *err)
{
	pause_point("queue-insert");
	for (size_t i = 0; i < b->n; i++) {
		const struct queue_item *it = &b->items[i];
		const struct post_file *pf = it->pf;
		int64_t media_id = 0, post_id;
		if (it->image &&
		    store_media_put(st, it->src.mime, it->src.width,
				    it->src.height, path_basename(pf->image),
				    it->image, it->image_len, &media_id, err) < 0)
			return -1;
		for (size_t k = 0; media_id && k < it->ntargets; k++) {
			const struct image_variant *v = &it->targets[k].variant;
			int seen = 0;   /* this network's variant is saved already */
			for (size_t j = 0; j < k; j++)
				seen |= it->targets[j].account->network ==
					it->targets[k].account->network;
			if (v->data && !seen &&
			    store_variant_put(st, media_id,
					      network_name(it->targets[k].account->network),
					      v->mime, v->width, v->height, v->notes,
					      v->data, v->len, err) < 0)
				return -1;
		}
		char *tags = join_tags(pf);
		char *source = path_absolute(pf->path);
		char *kind = xstrdup(kind_name(pf->kind));
		struct store_post sp = {
			.kind = kind, .title = pf->title,
			.body = pf->body, .link = pf->link, .alt = pf->alt,
			.tags = tags, .source = source, .media_id = media_id,
			.due = it->due, .expires = it->expires,
			.from_slot = it->from_slot, .created = now,
		};
		int rc = store_post_insert(st, &sp, &post_id, err);
		free(tags);
		free(source);
		free(kind);
		if (rc < 0)
			return -1;
		for (size_t k = 0; k < it->ntargets; k++) {
			const struct queue_target *t = &it->targets[k];
			if (store_delivery_insert(st, post_id, t->account->name,
						  network_name(t->account->network),
						  t->text.text, t->hash, it->due, NULL,
						  err) < 0)
				return -1;
		}
		if (ids)
			ids[i] = post_id;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int queue_list_dir(const char *dir, char ***files, size_t *n, struct err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return err_set(err, "cannot open folder %s: %s", dir, strerror(errno));
	char **v = xcalloc(1, sizeof(*v));
	size_t count = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".post") != 0)
			continue;
		v = xrealloc(v, (count + 2) * sizeof(*v));
		v[count++] = path_resolve(dir, de->d_name);
		v[count] = NULL;
	}
	closedir(d);
	qsort(v, count, sizeof(*v), cmp_str);
	*files = v;
	*n = count;
	if (count == 0) {
		strv_free(v);
		*files = NULL;
		return err_set(err, "no *.post files in %s", dir);
	}
	return 0;
}
