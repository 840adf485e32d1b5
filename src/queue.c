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

void queue_media_rules(const struct config *cfg, enum network net,
		       struct media_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->network = network_name(net);
	switch (net) {
	case NET_FACEBOOK:
		r->types = MEDIA_BIT(MEDIA_JPEG) | MEDIA_BIT(MEDIA_PNG);
		r->max_bytes = (size_t)cfg->limits.facebook_image_bytes;
		break;
	case NET_INSTAGRAM:
		r->types = MEDIA_BIT(MEDIA_JPEG);
		r->max_bytes = (size_t)cfg->limits.instagram_image_bytes;
		r->min_ratio = 4.0 / 5.0;
		r->max_ratio = 1.91;
		break;
	case NET_LINKEDIN:
		r->types = MEDIA_BIT(MEDIA_JPEG) | MEDIA_BIT(MEDIA_PNG) |
			   MEDIA_BIT(MEDIA_GIF);
		r->max_pixels = cfg->limits.linkedin_image_pixels;
		r->max_frames = 250;
		break;
	default:
		break;
	}
}

static void item_free(struct queue_item *it)
{
	postfile_free(it->pf);
	free(it->image);
	for (size_t i = 0; i < it->ntargets; i++) {
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

/* Whether t is free for every account of it (store and earlier items). */
static int slot_free(struct store *st, const struct queue_batch *b,
		     const struct queue_item *it, time_t t, struct diag *diag)
{
	for (size_t k = 0; k < it->ntargets; k++) {
		const char *acct = it->targets[k].account->name;
		if (st) {
			int taken = 0;
			struct err err;
			if (store_slot_taken(st, acct, t, &taken, &err) < 0) {
				diag_add(diag, "%s", err.msg);
				return -1;
			}
			if (taken)
				return 0;
		}
		for (size_t i = 0; i < b->n; i++) {
			const struct queue_item *o = &b->items[i];
			if (o == it || o->due != t)
				continue;
			for (size_t j = 0; j < o->ntargets; j++)
				if (o->targets[j].account == it->targets[k].account)
					return 0;
		}
	}
	return 1;
}

static int assign_slot(const struct config *cfg, const struct slots *slots,
		       struct store *st, const struct queue_batch *b,
		       struct queue_item *it, time_t now, struct diag *diag)
{
	if (!slots || slots->n == 0) {
		diag_add(diag,
			 "%s: no At: line and no slots in %s; add \"At: "
			 "YYYY-MM-DD HH:MM\" or set schedule.slots in the config",
			 it->pf->path, cfg->path);
		return -1;
	}
	time_t t = now;
	for (int guard = 0; guard < 100000; guard++) {
		time_t next;
		if (sched_slots_next(slots, t, &next) < 0)
			break;
		int f = slot_free(st, b, it, next, diag);
		if (f < 0)
			return -1;
		if (f) {
			it->due = next;
			it->from_slot = 1;
			return 0;
		}
		t = next + 1;
	}
	diag_add(diag, "%s: no free slot found in schedule.slots; add slots or "
		 "give the post an At: time", it->pf->path);
	return -1;
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

static int check_image(const struct config *cfg, struct queue_item *it,
		       struct image **img, struct diag *diag)
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
		return -1;
	}
	memset(&it->info, 0, sizeof(it->info));
	it->info.type = media_type_from_mime(it->src.mime);
	it->info.width = it->src.width;
	it->info.height = it->src.height;
	it->info.size = it->image_len;
	it->info.frames = it->src.frames;
	image_size(*img, &it->upright_width, &it->upright_height);
	(void)cfg;
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

static int prepare_item(const struct config *cfg, struct queue_item *it,
			time_t now, struct diag *diag)
{
	struct post_file *pf = it->pf;
	int bad = 0;

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
	if (pf->image && check_image(cfg, it, &img, diag) < 0)
		bad = 1;

	if (pf->has_at) {
		if (resolve_time(cfg, pf, &pf->at, pf->at_line, "At", 0, &it->due,
				 diag) < 0) {
			bad = 1;
		} else if (it->due < now) {
			char b[40];
			fmt_time(it->due, b, sizeof(b));
			diag_add(diag, "%s:%d: At %s is in the past; give a later "
				 "time, or remove the At: line to use the next "
				 "free slot", pf->path, pf->at_line, b);
			bad = 1;
		}
	}
	if (pf->has_expires &&
	    resolve_time(cfg, pf, &pf->expires, pf->expires_line, "Expires", 1,
			 &it->expires, diag) < 0)
		bad = 1;
	if (pf->has_expires && !bad && it->expires <= now) {
		diag_add(diag, "%s:%d: Expires is in the past; the post could never "
			 "be published: change or remove the Expires: line",
			 pf->path, pf->expires_line);
		bad = 1;
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
		if (format_render(cfg, net, &in, &t->text, &err) < 0 ||
		    format_check_limits(cfg, net, &t->text, &err) < 0) {
			diag_add(diag, "%s: %s (account %s): %s", pf->path,
				 network_name(net), t->account->name, err.msg);
			bad = 1;
		}
		if (!pf->image && net == NET_INSTAGRAM) {
			diag_add(diag, "%s: instagram (account %s): Instagram posts "
				 "need an image; add an Image: line, or leave the "
				 "account out with a To: line", pf->path,
				 t->account->name);
			bad = 1;
		}
		if (img) {
			struct media_rules rules;
			queue_media_rules(cfg, net, &rules);
			struct image_params ip = {
				.rules = &rules,
				.fit = pf->has_fit ? (enum image_fit)pf->fit
						   : (enum image_fit)cfg->media.fit,
				.background = {255, 255, 255},
			};
			if (cfg->media.background)
				image_parse_colour(cfg->media.background, ip.background);
			if (image_render(img, &ip, &t->variant, &err) < 0) {
				diag_add(diag, "%s:%d: Image %s: %s (account %s)",
					 pf->path, pf->image_line,
					 path_basename(pf->image), err.msg,
					 t->account->name);
				bad = 1;
			}
		}
	}
	image_close(img);
	return bad ? -1 : 0;
}

int queue_prepare(const struct config *cfg, const struct slots *slots,
		  struct store *st, char *const *files, size_t n, time_t now,
		  struct queue_batch **out, struct diag *diag)
{
	struct queue_batch *b = xcalloc(1, sizeof(*b));
	int bad = 0;
	*out = NULL;
	b->items = xcalloc(n ? n : 1, sizeof(*b->items));
	for (size_t i = 0; i < n; i++) {
		struct queue_item *it = &b->items[b->n];
		if (postfile_parse(files[i], &it->pf, diag) < 0) {
			bad = 1;
			continue;
		}
		b->n++;
		if (prepare_item(cfg, it, now, diag) < 0)
			bad = 1;
		else
			body_warnings(cfg, it->pf, it, &b->warnings);
	}
	/* Slots last, in file order, once every explicit time is known. */
	for (size_t i = 0; i < b->n && !bad; i++) {
		struct queue_item *it = &b->items[i];
		if (!it->pf->has_at &&
		    assign_slot(cfg, slots, st, b, it, now, diag) < 0)
			bad = 1;
	}
	for (size_t i = 0; i < b->n && !bad; i++) {
		struct queue_item *it = &b->items[i];
		if (it->expires && it->expires <= it->due) {
			char d[40], e[40];
			fmt_time(it->due, d, sizeof(d));
			fmt_time(it->expires, e, sizeof(e));
			diag_add(diag, "%s:%d: Expires (%s) is not after the post's "
				 "time (%s); move Expires: later or give an earlier "
				 "At:", it->pf->path, it->pf->expires_line, e, d);
			bad = 1;
		}
	}
	if (bad) {
		queue_batch_free(b);
		return -1;
	}
	*out = b;
	return 0;
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

int queue_commit(struct store *st, const struct queue_batch *b, time_t now,
		 int64_t *ids, struct err *err)
{
	if (store_begin(st, err) < 0)
		return -1;
	for (size_t i = 0; i < b->n; i++) {
		const struct queue_item *it = &b->items[i];
		const struct post_file *pf = it->pf;
		int64_t media_id = 0, post_id;
		if (it->image &&
		    store_media_put(st, it->src.mime, it->src.width,
				    it->src.height, path_basename(pf->image),
				    it->image, it->image_len, &media_id, err) < 0)
			goto fail;
		for (size_t k = 0; media_id && k < it->ntargets; k++) {
			const struct image_variant *v = &it->targets[k].variant;
			if (v->data &&
			    store_variant_put(st, media_id,
					      network_name(it->targets[k].account->network),
					      v->mime, v->width, v->height, v->notes,
					      v->data, v->len, err) < 0)
				goto fail;
		}
		char *tags = join_tags(pf);
		char *source = path_absolute(pf->path);
		char *kind = xstrdup(kind_name(pf->kind));
		struct store_post p = {
			.kind = kind, .title = pf->title,
			.body = pf->body, .link = pf->link, .alt = pf->alt,
			.tags = tags, .source = source, .media_id = media_id,
			.due = it->due, .expires = it->expires,
			.from_slot = it->from_slot, .created = now,
		};
		int rc = store_post_insert(st, &p, &post_id, err);
		free(tags);
		free(source);
		free(kind);
		if (rc < 0)
			goto fail;
		for (size_t k = 0; k < it->ntargets; k++) {
			const struct queue_target *t = &it->targets[k];
			if (store_delivery_insert(st, post_id, t->account->name,
						  network_name(t->account->network),
						  t->text.text, it->due, NULL, err) < 0)
				goto fail;
		}
		if (ids)
			ids[i] = post_id;
	}
	return store_commit(st, err);
fail:
	store_rollback(st);
	return -1;
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
