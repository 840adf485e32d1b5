"""LinkedIn: the week published to a page (and a member profile) for real,
and each class of API-NOTES §7 for LinkedIn handled as the owner needs."""
import datetime
import json
import os
import re
import time
import unittest
import urllib.request

from harness import E2ETest, LI_ORG, LI_PERSON, sha256_file

POSTS = "/rest/posts$"
COMMIT = {"network": "linkedin", "method": "POST", "path_regex": POSTS}


def displayed(wire):
    """What a reader sees of a little-text commentary (API-NOTES §3.4)."""
    wire = re.sub(r"\{hashtag\|\\#\|(\w+)\}", r"#\1", wire)
    return re.sub(r"\\(.)", r"\1", wire, flags=re.S)


def when(iso):
    return datetime.datetime.fromisoformat(iso).timestamp()


class LinkedInWeek(E2ETest):
    networks = ("linkedin",)

    def li_posts(self, env):
        return [p for p in env.fake.posts() if p["network"] == "linkedin"]

    def first_due(self, env):
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        return first

    def test_week_published_exactly_once_with_escaped_text_and_image(self):
        env = self.make_env()
        folder = env.import_sample()
        posts = env.ritual_json("list", "--json")
        self.assertEqual(len(posts), 7)
        previews = {p["id"]: env.ritual("preview", str(p["id"]), "--account", "linkedin", "--raw").stdout
                    for p in posts}
        # Hashtags go out as little-text templates (reserved characters in
        # plain text: test_text_post_with_reserved_characters_is_not_cut).
        self.assertTrue(all("{hashtag|\\#|" in t for t in previews.values()
                            if "#" in displayed(t)), previews)
        env.due_now()
        self.assertEqual(env.run_once(), 0, env.log())

        published = self.li_posts(env)
        self.assertEqual(len(published), 7, published)
        for p in published:
            self.assertFalse(p["truncated"], p["raw_text"])
            self.assertEqual(p["text"], displayed(p["raw_text"]))
            self.assertEqual(p["account"], LI_ORG)
        self.assertEqual(sorted(p["raw_text"] for p in published), sorted(previews.values()))
        images = {sha256_file(os.path.join(folder, f)) for f in os.listdir(folder)
                  if f.endswith(".jpg")}
        self.assertEqual({p["image_sha256"] for p in published}, images)
        for p in published:
            self.assertEqual(p["image"]["uploads"], 1, "one PUT per image, never chunked")
            self.assertFalse(p["image"]["overwritten"])
            self.assertTrue(p["alt_text"])

        by_id = {p["id"]: p for p in published}
        for p in env.ritual_json("list", "--all", "--json"):
            d = p["deliveries"][0]
            self.assertEqual(d["state"], "published", d)
            self.assertRegex(d["remote_id"], r"^urn:li:share:\d+$")
            self.assertIn(d["remote_id"], by_id)
            self.assertEqual(d["permalink"],
                             "https://www.linkedin.com/feed/update/%s/" % d["remote_id"])
            self.assertEqual(by_id[d["remote_id"]]["raw_text"], previews[p["id"]])

        reqs = env.fake.requests(network="linkedin")
        self.assertEqual(len([r for r in reqs if r["method"] == "POST"
                              and r["path"] == "/rest/posts"]), 7)
        self.assertEqual(len([r for r in reqs if r["method"] == "PUT"]), 7)
        for r in reqs:
            h = r["headers"]
            self.assertEqual(h.get("authorization"), "Bearer " + env.tokens["linkedin"])
            self.assertNotIn(env.tokens["linkedin"], r["path"] + r["query_string"])
            if r["path"].startswith("/rest/"):
                self.assertEqual(h.get("linkedin-version"), "202601")
                self.assertEqual(h.get("x-restli-protocol-version"), "2.0.0")
            if r["method"] == "PUT":
                self.assertEqual(h.get("content-type"), "application/octet-stream")
            if r["method"] == "POST" and r["path"] == "/rest/posts":
                b = r["json"]
                self.assertEqual(b["author"], LI_ORG)
                self.assertEqual(b["visibility"], "PUBLIC")
                self.assertEqual(b["lifecycleState"], "PUBLISHED")
                self.assertEqual(b["distribution"], {"feedDistribution": "MAIN_FEED",
                                                     "targetEntities": [],
                                                     "thirdPartyDistributionChannels": []})
                self.assertIs(b["isReshareDisabledByAuthor"], False)
                self.assertRegex(b["content"]["media"]["id"], r"^urn:li:image:")
                self.assertNotIn("article", b["content"])
            if r["method"] == "POST" and r["path"] == "/rest/images":
                self.assertEqual(r["json"], {"initializeUploadRequest": {"owner": LI_ORG}})
        # A second run publishes nothing more.
        self.assertEqual(env.run_once(), 0)
        self.assertEqual(len(env.fake.requests(network="linkedin", method="POST",
                                               path_regex=POSTS)), 7)
        self.assertEqual(env.leaked_token(), [])

    def test_text_post_with_reserved_characters_is_not_cut(self):
        env = self.make_env()
        body = ("Open late on Thursdays (till 8pm)! Ask for *Anna* [walk-ins welcome] "
                "or write to hello@myrituals.me <3 ~ a_b | {c} \\ #selfcare")
        path = env.write_post("late.post", "Kind: promo\nTitle: Late nights\n"
                              "Link: https://www.myrituals.me/late-nights\n"
                              "At: 2030-01-02 10:00\n\n" + body + "\n")
        env.ritual("add", path)
        wire = env.ritual("preview", "1", "--account", "linkedin", "--raw").stdout
        env.due_now()
        self.assertEqual(env.run_once(), 0, env.log())
        calls = env.fake.requests(network="linkedin", method="POST", path_regex=POSTS)
        self.assertEqual(len(calls), 1)
        self.assertNotIn("content", calls[0]["json"])
        self.assertEqual(calls[0]["json"]["commentary"], wire)
        self.assertEqual(env.fake.requests(network="linkedin", path_regex="^/rest/images"), [])
        post = self.li_posts(env)[0]
        self.assertFalse(post["truncated"])
        self.assertIn(body, post["text"])
        self.assertEqual(post["text"], displayed(wire))
        self.assertIn("https://www.myrituals.me/late-nights", post["text"])

    def test_server_error_retried_then_published_once(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault(COMMIT, {"type": "linkedin_error", "status": 500}, times=1)
        env.start_daemon()
        env.wait_for(lambda: env.deliveries(first)["linkedin"]["state"] == "published", 30,
                     "the retry to publish")
        env.stop_daemon()
        self.assertEqual(len(self.li_posts(env)), 1)
        self.assertEqual(len(env.fake.requests(network="linkedin", method="POST",
                                               path_regex=POSTS)), 2)
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["attempts"], 2)
        # The image was uploaded once: the retry reused it.
        self.assertEqual(len(env.fake.requests(network="linkedin", method="PUT")), 1)

    def test_daily_throttle_waits_until_midnight_utc(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault(COMMIT, {"type": "linkedin_error", "status": 429}, times=1)
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "pending")
        self.assertEqual(d["attempts"], 0, "a rate limit is not a failed attempt")
        self.assertIn("throttle", d["error"])
        self.assertIn("DAY limit", d["error"])
        midnight = (int(time.time()) // 86400 + 1) * 86400
        self.assertEqual(when(d["next_attempt"]), midnight)
        self.assertIn("waits until", env.ritual("list").stdout)
        self.assertEqual(self.li_posts(env), [])

    def test_short_throttle_waits_a_quarter_hour(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault(COMMIT, {"type": "linkedin_error", "status": 429,
                                "message": "Too many requests"}, times=1)
        start = time.time()
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual((d["state"], d["attempts"]), ("pending", 0))
        self.assertAlmostEqual(when(d["next_attempt"]) - start, 15 * 60, delta=30)

    def test_expired_token_pauses_account_then_resumes_with_a_new_one(self):
        env = self.make_env()
        env.import_sample()
        env.due_now()
        env.fake.tokens(network="linkedin", id=env.tokens["linkedin"], expired=True)
        env.run_once()
        listing = env.ritual("list").stdout
        self.assertIn("PAUSED", listing)
        self.assertIn("linkedin.token", listing)
        self.assertIn("EXPIRED_ACCESS_TOKEN", listing)
        self.assertIn("60 days", listing)
        self.assertEqual(len(env.fake.requests(network="linkedin")), 1,
                         "one refused call, then silence")
        # The owner writes a new token: the account resumes by itself.
        new = env.tokens["linkedin"] + "new"
        env.fake.tokens(network="linkedin", id=env.tokens["linkedin"], token=new, expired=False)
        env.tokens["linkedin_new"] = new
        tok = os.path.join(env.dir, "linkedin.token")
        with open(tok + ".tmp", "w") as f:
            f.write(new + "\n")
        os.chmod(tok + ".tmp", 0o600)
        os.rename(tok + ".tmp", tok)
        env.run_once(timeout=120)
        self.assertEqual(len(self.li_posts(env)), 7, env.log())
        self.assertNotIn("PAUSED", env.ritual("list", "--all").stdout)
        self.assertEqual(env.leaked_token(), [])

    def test_revoked_token_is_tried_once_more_then_pauses(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.tokens(network="linkedin", id=env.tokens["linkedin"], revoked=True)
        env.run_once()
        listing = env.ritual("list").stdout
        self.assertIn("PAUSED", listing)
        self.assertIn("REVOKED_ACCESS_TOKEN", listing)
        self.assertIn("linkedin.token", listing)
        calls = env.fake.requests(network="linkedin")
        self.assertEqual(len(calls), 2, "one more try, then silence")
        self.assertGreaterEqual(calls[1]["time"] - calls[0]["time"], 9)
        self.assertEqual(env.deliveries(first)["linkedin"]["attempts"], 0)

    def test_access_denied_pauses_and_names_the_scope(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.call("POST", "/_fake/config", {"linkedin": {"tokens": {
            env.tokens["linkedin"]: {"scopes": ["r_organization_social"]}}}})
        env.run_once()
        listing = env.ritual("list").stdout
        self.assertIn("PAUSED", listing)
        self.assertIn("ACCESS_DENIED", listing)
        self.assertIn("w_organization_social", listing)
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "pending")
        self.assertEqual(self.li_posts(env), [])

    def test_retired_version_pauses_with_the_fix(self):
        env = self.make_env(fake_extra={"linkedin": {"sunset_versions": ["202601"]}})
        first = self.first_due(env)
        env.run_once()
        listing = env.ritual("list").stdout
        self.assertIn("PAUSED", listing)
        self.assertIn("LinkedIn API version retired: set api.linkedin_version", listing)
        self.assertIn('"202601"', listing)
        self.assertEqual(env.deliveries(first)["linkedin"]["state"], "pending")
        p = env.ritual("check", "--online", expect=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("LinkedIn API version retired", p.stdout)
        # With a live version everything goes out.
        with open(env.config, "a") as f:
            f.write('api = { linkedin_version = "202607"; };\n')
        os.utime(os.path.join(env.dir, "linkedin.token"))
        env.run_once()
        self.assertEqual(env.deliveries(first)["linkedin"]["state"], "published", env.log())
        self.assertEqual(len(self.li_posts(env)), 1)

    def owner_posts_by_hand(self, env, post_id):
        """The owner posts post_id's exact text on the page themselves;
        returns that post's URN."""
        wire = env.ritual("preview", str(post_id), "--account", "linkedin", "--raw").stdout
        body = json.dumps({"author": LI_ORG, "commentary": wire, "visibility": "PUBLIC",
                           "distribution": {"feedDistribution": "MAIN_FEED"},
                           "lifecycleState": "PUBLISHED"}).encode()
        req = urllib.request.Request(env.fake.base + "/rest/posts", data=body, method="POST",
                                     headers={"Authorization": "Bearer " + env.tokens["linkedin"],
                                              "LinkedIn-Version": "202601",
                                              "X-Restli-Protocol-Version": "2.0.0",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.headers["x-restli-id"]

    def test_duplicate_of_a_post_we_did_not_publish_fails_with_linkedins_text(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        # The owner posted the same text by hand a minute ago.
        theirs = self.owner_posts_by_hand(env, first)
        env.due_now([first])
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "failed", env.log())
        self.assertIn("DUPLICATE_POST", d["error"])
        self.assertIn("Content is a duplicate of " + theirs, d["error"])
        self.assertNotEqual(d.get("remote_id"), theirs, "not ours: never recorded as published")
        self.assertEqual(len(self.li_posts(env)), 1)

    def test_text_too_long_fails_with_linkedins_text(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault(COMMIT, {"type": "linkedin_error", "status": 400,
                                "code": "FIELD_LENGTH_TOO_LONG",
                                "message": "Text is too long: 3012 characters (max 3000)"})
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "failed")
        self.assertIn("FIELD_LENGTH_TOO_LONG", d["error"])
        self.assertIn("Text is too long: 3012 characters (max 3000)", d["error"])
        self.assertEqual(self.li_posts(env), [])

    def test_lost_answer_is_reconciled_by_reading_the_page(self):
        env = self.make_env(fake_extra={"linkedin": {"strict_finder_order": True}})
        first = self.first_due(env)
        env.fake.fault(COMMIT, {"type": "drop_after"}, times=1)
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(len(self.li_posts(env)), 1)
        self.assertEqual(len(env.fake.requests(network="linkedin", method="POST",
                                               path_regex=POSTS)), 1)
        self.assertEqual(d["remote_id"], self.li_posts(env)[0]["id"])
        finder = env.fake.requests(network="linkedin", method="GET", path_regex=POSTS)
        self.assertEqual(len(finder), 1)
        self.assertTrue(finder[0]["query_string"].startswith(
            "author=urn%3Ali%3Aorganization%3A5515715&q=author"), finder[0]["query_string"])

    def test_lost_answer_never_settles_on_an_older_post_with_the_same_text(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        # The owner posted the same text by hand yesterday (LinkedIn's clock
        # set a day back for that post): the page's list holds it, with a
        # createdAt before the read-back window.
        env.fake.call("POST", "/_fake/clock", {"offset": -86400})
        theirs = self.owner_posts_by_hand(env, first)
        env.fake.call("POST", "/_fake/clock", {"offset": 0})
        env.due_now([first])
        # Our post never reaches LinkedIn, and the answer is lost.
        env.fake.fault(COMMIT, {"type": "drop"}, times=1)
        env.run_once()
        # Read back: absent (yesterday's post is before the window), so it
        # is sent again; LinkedIn refuses that as a duplicate of yesterday's,
        # which is the owner's post, not a late answer to ours.
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "failed", env.log())
        self.assertNotEqual(d.get("remote_id"), theirs, "yesterday's post is not ours")
        self.assertIn("DUPLICATE_POST", d["error"])
        self.assertIn("Content is a duplicate of " + theirs, d["error"])
        finder = env.fake.requests(network="linkedin", method="GET", path_regex=POSTS)
        self.assertGreaterEqual(len(finder), 3, "the page was read before each decision")
        self.assertEqual([p["id"] for p in self.li_posts(env)], [theirs])

    def test_lost_answer_without_read_scope_is_settled_by_the_probe(self):
        env = self.make_env()
        env.fake.call("POST", "/_fake/config", {"linkedin": {"tokens": {
            env.tokens["linkedin"]: {"scopes": ["w_organization_social"]}}}})
        first = self.first_due(env)
        env.fake.fault(COMMIT, {"type": "drop_after"}, times=1)
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(len(self.li_posts(env)), 1)
        self.assertEqual(d["remote_id"], self.li_posts(env)[0]["id"])
        self.assertNotIn("PAUSED", env.ritual("list", "--all").stdout)

    def test_answer_without_post_id_is_reconciled(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault(COMMIT, {"type": "empty", "status": 201}, times=1)
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(d["remote_id"], self.li_posts(env)[0]["id"])
        self.assertEqual(len(self.li_posts(env)), 1)

    def test_gateway_error_on_commit_checked_then_published_once(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault(COMMIT, {"type": "linkedin_error", "status": 504}, times=1)
        env.run_once(timeout=90)
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(len(self.li_posts(env)), 1)
        self.assertGreaterEqual(len(env.fake.requests(network="linkedin", method="GET",
                                                      path_regex=POSTS)), 2)

    def test_expired_upload_url_uploads_a_new_image(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault({"network": "linkedin", "method": "PUT"},
                       {"type": "linkedin_error", "status": 400, "code": "UPLOAD_URL_EXPIRED",
                        "message": "Upload URL has expired"}, times=1)
        env.start_daemon()
        env.wait_for(lambda: env.deliveries(first)["linkedin"]["state"] == "published", 30,
                     "the second upload to publish")
        env.stop_daemon()
        self.assertEqual(len(env.fake.requests(network="linkedin", method="POST",
                                               path_regex="^/rest/images$")), 2)
        post = self.li_posts(env)[0]
        self.assertEqual(post["image"]["uploads"], 1)

    def test_lost_upload_answer_never_writes_the_same_url_twice(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault({"network": "linkedin", "method": "PUT"}, {"type": "drop_after"}, times=1)
        env.start_daemon()
        env.wait_for(lambda: env.deliveries(first)["linkedin"]["state"] == "published", 30,
                     "the new upload to publish")
        env.stop_daemon()
        puts = env.fake.requests(network="linkedin", method="PUT")
        self.assertEqual(len(puts), 2)
        self.assertNotEqual(puts[0]["path"], puts[1]["path"], "a new image, a new URL")
        post = self.li_posts(env)[0]
        self.assertEqual(post["image"]["uploads"], 1)
        self.assertEqual(post["image"]["urn"].split(":")[-1], puts[1]["path"].split("/")[-1])

    def test_image_processing_failed_fails_the_post(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault({"network": "linkedin", "method": "GET", "path_regex": "^/rest/images/"},
                       {"type": "error", "status": 200,
                        "body": {"id": "urn:li:image:X", "owner": LI_ORG,
                                 "status": "PROCESSING_FAILED"}}, times=1)
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "failed")
        self.assertIn("re-save it as a plain JPEG", d["error"])
        self.assertIn("PROCESSING_FAILED", d["error"])
        self.assertEqual(env.fake.requests(network="linkedin", method="POST",
                                           path_regex=POSTS), [])

    def test_check_online(self):
        env = self.make_env()
        p = env.ritual("check", "--online")
        line = [l for l in p.stdout.splitlines() if l.startswith("linkedin")][0]
        self.assertIn("OK", line)
        self.assertIn(LI_ORG, line)
        self.assertIn("60 days", line)
        env.fake.tokens(network="linkedin", id=env.tokens["linkedin"], revoked=True)
        p = env.ritual("check", "--online", expect=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("PROBLEM", p.stdout)
        self.assertIn("REVOKED_ACCESS_TOKEN", p.stdout)
        self.assertIn("linkedin.token", p.stdout)
        self.assertEqual(env.leaked_token(), [])


    def test_token_quoted_in_an_error_is_scrubbed_everywhere(self):
        env = self.make_env()
        first = self.first_due(env)
        env.fake.fault({"network": "linkedin", "method": "POST"},
                       {"type": "linkedin_error", "status": 400,
                        "code": "INVALID_VALUE_FOR_FIELD",
                        "message": "Malformed access token {token}"}, times=-1)
        env.run_once()
        err = env.deliveries(first)["linkedin"]["error"]
        self.assertIn("Malformed access token [secret]", err)
        env.ritual("show", str(first))
        env.ritual("list", "--all")
        # ritual check --online prints LinkedIn's words too.
        env.fake.fault({"network": "linkedin", "method": "GET"},
                       {"type": "linkedin_error", "status": 401,
                        "message": "Invalid access token {token}"}, times=-1)
        p = env.ritual("check", "--online", expect=None)
        self.assertIn("Invalid access token [secret]", p.stdout)
        self.assertEqual(env.leaked_token(), [])

class LinkedInMember(E2ETest):
    networks = ("linkedin",)

    def make_member(self):
        return self.make_env(linkedin_author=LI_PERSON)

    def test_member_image_post_without_reading_the_image(self):
        env = self.make_member()
        folder = env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        self.assertEqual(env.run_once(), 0, env.log())
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "published", env.log())
        posts = env.fake.posts()
        self.assertEqual(len(posts), 1)
        self.assertEqual(posts[0]["account"], LI_PERSON)
        self.assertFalse(posts[0]["truncated"])
        self.assertIn(posts[0]["image_sha256"],
                      {sha256_file(os.path.join(folder, f)) for f in os.listdir(folder)
                       if f.endswith(".jpg")})
        # A member may not read images: no GET /rest/images.
        self.assertEqual(env.fake.requests(network="linkedin", method="GET"), [])

    def test_member_lost_answer_is_settled_by_the_duplicate_probe(self):
        env = self.make_member()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault(COMMIT, {"type": "drop_after"}, times=1)
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "published", env.log())
        posts = env.fake.posts()
        self.assertEqual(len(posts), 1, "no duplicate on LinkedIn")
        self.assertEqual(d["remote_id"], posts[0]["id"])
        commits = env.fake.requests(network="linkedin", method="POST", path_regex=POSTS)
        self.assertEqual(len(commits), 2)
        self.assertEqual(commits[1]["status"], 422)
        self.assertEqual(commits[0]["json"], commits[1]["json"], "the identical post")

    def test_member_probe_publishes_when_the_first_never_arrived(self):
        env = self.make_member()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        # The connection is cut before LinkedIn acts: nothing went out.
        env.fake.fault(COMMIT, {"type": "reset_mid", "process": False}, times=1)
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(len(env.fake.posts()), 1)
        self.assertEqual(d["remote_id"], env.fake.posts()[0]["id"])

    def test_member_duplicate_of_owners_post_is_not_claimed(self):
        env = self.make_member()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault(COMMIT, {"type": "linkedin_error", "status": 422, "code": "DUPLICATE_POST",
                                "message": "com.linkedin.content.common.exception."
                                           "BadRequestResponseException: Content is a "
                                           "duplicate of urn:li:share:6999999999999999999"},
                       times=1)
        env.run_once()
        d = env.deliveries(first)["linkedin"]
        self.assertEqual(d["state"], "failed", env.log())
        self.assertIn("urn:li:share:6999999999999999999", d["error"])
        self.assertEqual(len(env.fake.requests(network="linkedin", method="POST",
                                               path_regex=POSTS)), 1, "no probe")

    def test_member_check_online(self):
        env = self.make_member()
        p = env.ritual("check", "--online")
        line = [l for l in p.stdout.splitlines() if l.startswith("linkedin")][0]
        self.assertIn("OK", line)
        self.assertIn("abc123XYZ", line)


if __name__ == "__main__":
    unittest.main()
