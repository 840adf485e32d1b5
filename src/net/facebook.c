/*
 * facebook.c - the Facebook Page publisher (docs/api-notes.md §Facebook).
 *
 * A photo post is one multipart POST /{page-id}/photos (source, message);
 * a text or link post is POST /{page-id}/feed (message, link). Either is
 * the commit call. The token goes in the Authorization header. We keep the
 * feed post id ("post_id" for photos) and derive the permalink from it.
 * Reconciliation lists the page's posts since the first attempt (on
 * Graph's clock) and matches the exact text, and for a photo post that the
 * post has a picture. Never does SQL or scheduling.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "meta.h"
#include "ritual/publisher.h"

static void set_ids(struct pub_result *res, const char *post_id,
		    const char *permalink)
{
	snprintf(res->remote_id, sizeof(res->remote_id), "%s", post_id);
	if (permalink && *permalink)
		snprintf(res->permalink, sizeof(res->permalink), "%s", permalink);
	else
		snprintf(res->permalink, sizeof(res->permalink),
			 "https://www.facebook.com/%s", post_id);
}

static int fb_publish(struct pub_ctx *ctx, const struct pub_job *job,
		      struct pub_result *res)
{
	const char *page = ctx->account->page_id;
	struct http_request req = {.method = "POST", .bearer = ctx->token,
				   .commit = 1};
	struct http_part fields[3];
	size_t n = 0;
	char *url;
	const char *what;

	if (job->image) {
		url = meta_url(ctx, "%s/photos", page);
		fields[n++] = (struct http_part){.name = "message", .value = job->text};
		fields[n++] = (struct http_part){
			.name = "source", .value = (const char *)job->image,
			.value_len = job->image_len,
			.filename = job->image_name ? job->image_name : "image",
			.content_type = job->image_mime};
		req.parts = fields;
		req.nparts = n;
		req.timeout = ctx->cfg->http.upload_timeout;
		what = "publishing the photo post";
	} else {
		url = meta_url(ctx, "%s/feed", page);
		fields[n++] = (struct http_part){.name = "message", .value = job->text};
		if (job->link)
			fields[n++] = (struct http_part){.name = "link",
							 .value = job->link};
		req.form = fields;
		req.nform = n;
		what = "publishing the post";
	}
	req.url = url;

	struct err err = {{0}};
	if (ctx->committing(ctx, &err) < 0) {
		free(url);
		pub_result_set(res, PUB_TRANSIENT, "not sent: %s", err.msg);
		return -1;
	}
	struct http_response resp;
	int rc = meta_perform(ctx, &req, &resp);
	free(url);
	json_t *root;
	if (meta_response(ctx, rc, &resp, 1, "Facebook", what, res, &root)) {
		const char *post_id = meta_str(root, "post_id");
		if (!post_id)
			post_id = meta_str(root, "id");
		if (post_id && *post_id) {
			res->cls = PUB_OK;
			res->message[0] = '\0';
			set_ids(res, post_id, NULL);
		} else {
			pub_result_set(res, PUB_UNKNOWN,
				       "Facebook answered without a post id while %s; "
				       "ritual checks the page before any retry", what);
		}
		json_decref(root);
	}
	http_response_free(&resp);
	return 0;
}

static int fb_reconcile(struct pub_ctx *ctx, const struct pub_job *job,
			struct pub_result *res)
{
	time_t since = pub_window_start(ctx, job, job->claimed_at);
	char *url = meta_url(ctx, "%s/posts?fields=id,message,created_time,"
			     "permalink_url,full_picture&since=%lld&limit=100",
			     ctx->account->page_id, (long long)since);
	struct http_request req = {.method = "GET", .url = url,
				   .bearer = ctx->token};
	struct http_response resp;
	int rc = meta_perform(ctx, &req, &resp);
	free(url);
	json_t *root;
	if (!meta_response(ctx, rc, &resp, 0, "Facebook",
			   "reading the page's recent posts", res, &root)) {
		/* A failed read says nothing about the post: never "absent".
		 * Auth and rate limits keep their class (pause, wait); anything
		 * else is read again later, and after enough failed reads the
		 * daemon hands the delivery to the owner as unknown. A 100/33
		 * here is such a failed read too, not a pause (rituald(8):
		 * "100/33 on a write"): reads of a page can be refused while
		 * its writes work (postiz-app#1562), and a page really gone
		 * pauses the account at its next write. */
		struct meta_error e;
		if (rc >= 0 && meta_parse_error(resp.body, resp.body_len, &e) &&
		    e.code == 100 && e.subcode == 33 && res->cls == PUB_CONFIG)
			pub_result_set(res, PUB_WAIT, "Facebook error 100/33: %s "
				       "while reading the page's recent posts; "
				       "ritual reads them again", e.message);
		if (res->cls != PUB_AUTH && res->cls != PUB_RATE &&
		    res->cls != PUB_OWNER && res->cls != PUB_CONFIG)
			res->cls = PUB_WAIT;
		http_response_free(&resp);
		return 0;
	}
	json_t *data = json_object_get(root, "data");
	size_t i;
	json_t *post;
	int found = 0;
	json_array_foreach(data, i, post) {
		const char *msg = meta_str(post, "message");
		const char *id = meta_str(post, "id");
		/* A photo post shows its picture; a post of the same text
		 * without one is not our photo post. */
		int picture_ok = !job->image || meta_str(post, "full_picture");
		if (msg && id && picture_ok && meta_text_equal(msg, job->text)) {
			set_ids(res, id, meta_str(post, "permalink_url"));
			res->cls = PUB_OK;
			res->message[0] = '\0';
			found = 1;
			break;
		}
	}
	if (!found) {
		if (json_is_array(data))
			pub_result_set(res, PUB_TRANSIENT,
				       "the post is not on the Facebook page");
		else
			pub_result_set(res, PUB_WAIT,
				       "Facebook's list of posts was unreadable");
	}
	json_decref(root);
	http_response_free(&resp);
	return 0;
}

static int fb_check_run(struct pub_ctx *ctx, struct pub_check *out)
{
	struct pub_result res = {0};
	char *url = meta_url(ctx, "me?fields=id,name");
	struct http_request req = {.method = "GET", .url = url,
				   .bearer = ctx->token};
	struct http_response resp;
	int rc = meta_perform(ctx, &req, &resp);
	free(url);
	json_t *root;
	memset(out, 0, sizeof(*out));
	out->days_left = -1;
	out->quota_left = -1;
	if (!meta_response(ctx, rc, &resp, 0, "Facebook", "checking the token",
			   &res, &root)) {
		snprintf(out->detail, sizeof(out->detail), "%s", res.message);
		snprintf(out->fix, sizeof(out->fix), "%s",
			 res.cls == PUB_AUTH ? "get a new Page access token and "
					       "write it to the token file"
					     : "check the network and the api URL");
		http_response_free(&resp);
		return 0;
	}
	const char *id = meta_str(root, "id");
	const char *name = meta_str(root, "name");
	if (id && strcmp(id, ctx->account->page_id) == 0) {
		out->ok = 1;
		snprintf(out->detail, sizeof(out->detail),
			 "token valid for page \"%s\" (%s)", name ? name : "?", id);
		meta_check_expiry(ctx, "Facebook", out);
	} else {
		snprintf(out->detail, sizeof(out->detail),
			 "the token belongs to %s (%s), not to page %s",
			 name ? name : "?", id ? id : "?", ctx->account->page_id);
		snprintf(out->fix, sizeof(out->fix),
			 "use the Page access token of page %s (from /me/accounts)",
			 ctx->account->page_id);
	}
	json_decref(root);
	http_response_free(&resp);
	return 0;
}

/* Every answer of the check may quote the platform: scrubbed here. */
static int fb_check(struct pub_ctx *ctx, struct pub_check *out)
{
	int rc = fb_check_run(ctx, out);
	pub_check_done(out);
	return rc;
}

/* Housekeeping: the Page token's expiry, as debug_token tells it. */
static int fb_maintain(struct pub_ctx *ctx, struct pub_result *res)
{
	return meta_record_expiry(ctx, "Facebook", res);
}

const struct publisher facebook_publisher = {
	.network = "facebook",
	.publish = fb_publish,
	.reconcile = fb_reconcile,
	.check = fb_check,
	.maintain = fb_maintain,
};
