"""Instagram: the week published through containers, image hosting, faults.

Each test runs the real ritual and rituald against the fake Graph API. The
fake fetches image_url like Meta's crawler and records the sha256 of the
bytes it got on the container and the post, so "the image Meta fetched is
the owner's image" is checked byte for byte.
"""
import hashlib
import hmac
import os
import secrets
import signal
import stat
import subprocess
import time
import unittest

from harness import E2ETest, IG_USER, PAGE_ID, RITUALD, sha256_file

MEDIA_PUBLISH = "/media_publish$"
CREATE = r"/%s/media$" % IG_USER


def ig_user(env, **cfg):
    """Change the fake Instagram user's settings while it runs."""
    env.fake.call("POST", "/_fake/config", {"instagram": {"users": {IG_USER: cfg}}})


def containers(env):
    return env.fake.call("GET", "/_fake/containers")


def ig_posts(env):
    return [p for p in env.fake.posts() if p["network"] == "instagram"]


def publish_calls(env):
    return env.fake.requests(network="instagram", method="POST", path_regex=MEDIA_PUBLISH)


def create_calls(env):
    return env.fake.requests(network="instagram", method="POST", path_regex=CREATE)


def account_keys(env, net, keys):
    """Add keys (libconfig text) to the account of network net."""
    with open(env.config) as f:
        text = f.read()
    old = 'token_file = "%s.token";' % net
    assert old in text
    with open(env.config, "w") as f:
        f.write(text.replace(old, old + " " + keys, 1))


def secret_file(env, name, value):
    path = os.path.join(env.dir, name)
    with open(path, "w") as f:
        f.write(value + "\n")
    os.chmod(path, 0o600)
    return path


def container_reads(env):
    cids = [c["id"] for c in containers(env)]
    return [r for r in env.fake.requests(network="instagram", method="GET")
            if any(r["path"].endswith("/" + c) for c in cids)]


def one_due(env):
    """Import the sample week, make its first post due now; its id."""
    env.import_sample()
    first = env.ritual_json("list", "--json")[0]["id"]
    env.due_now([first])
    return first


class InstagramWeek(E2ETest):
    networks = ("instagram",)

    def check_week(self, env, folder):
        posts = env.ritual_json("list", "--all", "--json")
        self.assertEqual(len(posts), 7)
        previews = {p["id"]: env.ritual("preview", str(p["id"]), "--account", "instagram").stdout
                    for p in posts}
        published = ig_posts(env)
        self.assertEqual(len(published), 7, env.log())
        self.assertEqual(sorted(p["raw_text"] for p in published), sorted(previews.values()))
        images = {sha256_file(os.path.join(folder, f)) for f in os.listdir(folder)
                  if f.endswith(".jpg")}
        self.assertEqual(len(images), 7)
        self.assertEqual({p["image_sha256"] for p in published}, images)
        # Exactly once each: one media_publish per post, each a success.
        calls = publish_calls(env)
        self.assertEqual([c["status"] for c in calls], [200] * 7)
        by_id = {p["id"]: p for p in published}
        for p in posts:
            d = p["deliveries"][0]
            self.assertEqual(d["state"], "published", d)
            self.assertIn(d["remote_id"], by_id)
            post = by_id[d["remote_id"]]
            self.assertEqual(post["raw_text"], previews[p["id"]])
            self.assertEqual(d["permalink"], post["permalink"])
            self.assertTrue(d["permalink"].startswith("https://www.instagram.com/p/"))
        # Every container was read until FINISHED before it was published
        # (the fake needs one IN_PROGRESS read), and none left unpublished.
        cs = containers(env)
        self.assertEqual(len(cs), 7)
        for c in cs:
            self.assertEqual(c["status_code"], "PUBLISHED")
            self.assertGreaterEqual(c["polls"], 1)
            reads = env.fake.requests(network="instagram", method="GET",
                                      path_regex="/%s$" % c["id"])
            self.assertGreaterEqual(len(reads), 2)
        # The token only ever in the Authorization header.
        for r in env.fake.requests(network="instagram"):
            self.assertEqual(r["headers"].get("authorization"),
                             "Bearer " + env.tokens["instagram"], r["path"])
            self.assertNotIn("access_token", r["query"])
            self.assertNotIn("access_token", r["form"] or {})
        return published

    def test_week_published_once_with_hosted_images(self):
        env = self.make_env(media="dir")
        folder = env.import_sample()
        env.due_now()
        self.assertEqual(env.run_once(timeout=120), 0, env.log())
        self.check_week(env, folder)
        # Captions went in the body, never in the URL; alt text too.
        for c in create_calls(env):
            self.assertIn("caption", c["form"])
            self.assertNotIn("caption", c["query"])
            self.assertTrue(c["form"]["image_url"].startswith(env.fake.base + "/media/"))
            self.assertTrue(c["form"].get("alt_text"))
        # A second run publishes nothing more.
        self.assertEqual(env.run_once(), 0)
        self.assertEqual(len(publish_calls(env)), 7)
        self.assertEqual(env.leaked_token(), [])
        # The hosted copies are deleted once published (retention 0).
        self.assertEqual(os.listdir(env.media_dir), [],
                         "the daemon removes hosted images after delivery")

    def test_week_published_through_s3(self):
        env = self.make_env(media="s3")
        folder = env.import_sample()
        env.due_now()
        self.assertEqual(env.run_once(timeout=120), 0, env.log())
        self.check_week(env, folder)
        puts = env.fake.requests(network="s3", method="PUT")
        self.assertEqual(len(puts), 7)
        for c in create_calls(env):
            self.assertTrue(c["form"]["image_url"].startswith(env.fake.base + "/ritual-media/"))
        self.assertEqual(env.leaked_token(), [])
        self.assertEqual(env.fake.call("GET", "/_fake/s3"), [],
                         "the daemon removes hosted images after delivery")

    def test_check_online(self):
        env = self.make_env(media="dir")
        p = env.ritual("check", "--online")
        line = [l for l in p.stdout.splitlines() if l.startswith("instagram")][0]
        self.assertIn("OK", line)
        # The Page's token: its expiry as debug_token says (data access
        # for 90 days in the fake), never assumed to be "never".
        self.assertRegex(line, r" (89|90)d ")
        self.assertIn("data access ends in", line)
        self.assertIn("@wellnessrituals", line)
        self.assertIn("quota: 0 of 50 used", line)
        self.assertEqual(os.listdir(env.media_dir), [])


class InstagramFaults(E2ETest):
    networks = ("instagram",)

    def test_quota_used_up_waits_without_counting_an_attempt(self):
        env = self.make_env(media="dir")
        env.import_sample()
        ids = [p["id"] for p in env.ritual_json("list", "--json")]
        ig_user(env, quota_total=2, polls_until_finished=0)
        env.due_now(ids[:2])
        self.assertEqual(env.run_once(), 0, env.log())
        self.assertEqual(len(ig_posts(env)), 2)
        env.due_now(ids[2:3])
        env.run_once()
        d = env.deliveries(ids[2])["instagram"]
        self.assertEqual(d["state"], "pending")
        self.assertEqual(d["attempts"], 0, "a used-up quota is not a failed attempt")
        self.assertIn("limit of 2 posts in 24 hours is used up (2 published)", d["error"])
        self.assertEqual(len(containers(env)), 2, "no container made over the quota")
        self.assertEqual(len(ig_posts(env)), 2)
        # The quota refusal on media_publish itself (9/2207042) also waits.
        env2 = self.make_env(media="dir")
        first = one_due(env2)
        ig_user(env2, polls_until_finished=0)
        env2.fake.fault({"network": "instagram", "path_regex": MEDIA_PUBLISH},
                        {"type": "meta_error", "code": 9, "subcode": 2207042}, times=1)
        env2.run_once()
        d = env2.deliveries(first)["instagram"]
        self.assertEqual((d["state"], d["attempts"]), ("pending", 0))
        self.assertIn("2207042", d["error"])
        self.assertIn("24 hours", d["error"])

    def test_container_error_2207052_fails_with_the_fetch_message(self):
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=1000)
        env.start_daemon()
        cid = env.wait_for(lambda: containers(env) and containers(env)[0]["id"], 20,
                           "the container")
        env.fake.call("POST", "/_fake/containers",
                      {"id": cid, "status": "ERROR",
                       "status_text": "Error: 2207052 Media could not be fetched from URI"})
        env.wait_for(lambda: env.deliveries(first)["instagram"]["state"] == "failed", 40,
                     "the delivery to fail")
        env.stop_daemon()
        d = env.deliveries(first)["instagram"]
        self.assertIn("Meta could not fetch the image from " + env.fake.base + "/media/",
                      d["error"])
        self.assertIn("media.url", d["error"])
        self.assertEqual(publish_calls(env), [])
        self.assertEqual(ig_posts(env), [])
        # The same refusal when the container is created (9004/2207052).
        env2 = self.make_env(media="dir")
        first = one_due(env2)
        # Every time: after the retries with new containers (issue 8 item 4).
        env2.fake.fault({"network": "instagram", "method": "POST", "path_regex": CREATE},
                        {"type": "meta_error", "code": 9004, "subcode": 2207052,
                         "message": "Media could not be fetched from this URI"}, times=-1)
        env2.start_daemon()
        env2.wait_for(lambda: env2.deliveries(first)["instagram"]["state"] == "failed", 60,
                      "the delivery to fail")
        env2.stop_daemon()
        d = env2.deliveries(first)["instagram"]
        self.assertIn("Meta could not fetch the image from " + env2.fake.base + "/media/",
                      d["error"])
        self.assertIn("media.url", d["error"])
        self.assertIn("failed the same way with 3 new containers", d["error"])
        self.assertEqual(len(create_calls(env2)), 4, "one container and three retries")
        self.assertEqual(publish_calls(env2), [])

    def test_expired_container_replaced_then_published_once(self):
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=1000)
        env.start_daemon()
        cid = env.wait_for(lambda: containers(env) and containers(env)[0]["id"], 20,
                           "the container")
        env.fake.call("POST", "/_fake/containers", {"id": cid, "status": "EXPIRED"})
        ig_user(env, polls_until_finished=0)
        env.wait_for(lambda: env.deliveries(first)["instagram"]["state"] == "published", 60,
                     "the post to go out")
        env.stop_daemon()
        cs = containers(env)
        self.assertEqual(len(cs), 2)
        posts = ig_posts(env)
        self.assertEqual(len(posts), 1)
        self.assertNotEqual(posts[0]["container_id"], cid)
        self.assertEqual(len(publish_calls(env)), 1)
        self.assertEqual(env.deliveries(first)["instagram"]["remote_id"], posts[0]["id"])

    def test_not_ready_on_publish_keeps_polling(self):
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=0)
        env.fake.fault({"network": "instagram", "path_regex": MEDIA_PUBLISH},
                       {"type": "meta_error", "code": 9007, "subcode": 2207027,
                        "message": "Media ID is not available"}, times=1)
        self.assertEqual(env.run_once(timeout=90), 0, env.log())
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(d["attempts"], 1)
        calls = publish_calls(env)
        self.assertEqual([c["status"] for c in calls], [400, 200])
        cid = containers(env)[0]["id"]
        reads = env.fake.requests(network="instagram", method="GET", path_regex="/%s$" % cid)
        self.assertTrue(any(calls[0]["seq"] < r["seq"] < calls[1]["seq"] for r in reads),
                        "the container is read again between the two publish calls")
        self.assertEqual(len(ig_posts(env)), 1)

    def test_lost_publish_answer_reconciled_from_the_container(self):
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=0)
        env.fake.fault({"network": "instagram", "path_regex": MEDIA_PUBLISH},
                       {"type": "drop_after"}, times=1)
        env.run_once()
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "published", env.log())
        posts = ig_posts(env)
        self.assertEqual(len(posts), 1)
        self.assertEqual(len(publish_calls(env)), 1)
        self.assertEqual(d["remote_id"], posts[0]["id"])
        self.assertEqual(d["permalink"], posts[0]["permalink"])

    def test_spam_restriction_pauses_the_account(self):
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=0)
        env.fake.fault({"network": "instagram", "path_regex": MEDIA_PUBLISH},
                       {"type": "meta_error", "code": 4, "subcode": 2207051,
                        "is_transient": False,
                        "message": "Application request limit reached",
                        "error_user_msg": "We restrict certain activity to protect our "
                                          "community."}, times=1)
        env.run_once()
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "pending")
        self.assertIn("spam", d["error"])
        self.assertIn("PAUSED", env.ritual("list").stdout)
        self.assertEqual(ig_posts(env), [])
        self.assertEqual(len(publish_calls(env)), 1)

    def test_spam_restriction_after_the_post_went_out_is_published(self):
        # LESSONS #4: the error arrived, but the post is live: the container
        # says PUBLISHED, so it is recorded as published, not failed.
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=0)
        env.fake.fault({"network": "instagram", "path_regex": MEDIA_PUBLISH},
                       {"type": "meta_error", "code": 4, "subcode": 2207051,
                        "process": True}, times=1)
        env.run_once()
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "published", env.log())
        posts = ig_posts(env)
        self.assertEqual(len(posts), 1)
        self.assertEqual(d["remote_id"], posts[0]["id"])
        self.assertNotIn("PAUSED", env.ritual("list", "--all").stdout)

    def test_expired_token_pauses_the_account(self):
        env = self.make_env(media="dir")
        env.import_sample()
        env.due_now()
        env.fake.tokens(network="instagram", id=IG_USER, expired=True)
        env.start_daemon()
        env.wait_for(lambda: "PAUSED" in env.ritual("list").stdout, 20, "the account to pause")
        time.sleep(2)
        env.stop_daemon()
        self.assertEqual(len(create_calls(env)), 1, "one refused call, then silence")
        listing = env.ritual("list").stdout
        self.assertIn("instagram.token", listing)
        self.assertIn("190", listing)
        self.assertEqual(ig_posts(env), [])
        self.assertEqual(env.leaked_token(), [])

    def test_transient_error_retried_with_a_new_container(self):
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=0)
        env.fake.fault({"network": "instagram", "method": "POST", "path_regex": CREATE},
                       {"type": "meta_error", "code": -1, "subcode": 2207001,
                        "message": "An unexpected error has occurred. Please retry your "
                                   "request later."}, times=1)
        env.start_daemon()
        env.wait_for(lambda: env.deliveries(first)["instagram"]["state"] == "published", 40,
                     "the retry to publish")
        env.stop_daemon()
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["attempts"], 2)
        self.assertEqual(len(create_calls(env)), 2)
        self.assertEqual(len(ig_posts(env)), 1)
        # An ERROR container with a transient code: a new container.
        env2 = self.make_env(media="dir")
        first = one_due(env2)
        ig_user(env2, polls_until_finished=1000)
        env2.start_daemon()
        cid = env2.wait_for(lambda: containers(env2) and containers(env2)[0]["id"], 20,
                            "the container")
        env2.fake.call("POST", "/_fake/containers",
                       {"id": cid, "status": "ERROR", "status_text": "Error: 2207001"})
        ig_user(env2, polls_until_finished=0)
        env2.wait_for(lambda: env2.deliveries(first)["instagram"]["state"] == "published", 60,
                      "the retry to publish")
        env2.stop_daemon()
        self.assertEqual(len(containers(env2)), 2)
        self.assertEqual(len(ig_posts(env2)), 1)


class InstagramIssue8(E2ETest):
    """Issue 8 items 4 and 5 on Instagram."""
    networks = ("instagram",)

    def test_unreadable_container_published_anyway_exactly_once(self):
        # postiz-app#1562: every read of the container answers 100/33 while
        # writes work. ritual used to wait, drop the container after 5
        # minutes and make a new one, never calling media_publish.
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=0, unreadable_reads=-1)
        self.assertEqual(env.run_once(timeout=120), 0, env.log())
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "published", env.log())
        posts = ig_posts(env)
        self.assertEqual(len(posts), 1)
        self.assertEqual(d["remote_id"], posts[0]["id"])
        self.assertEqual([c["status"] for c in publish_calls(env)], [200])
        self.assertEqual(len(create_calls(env)), 1)
        reads = container_reads(env)
        self.assertGreaterEqual(len(reads), 3)
        self.assertTrue(all(r["status"] == 400 for r in reads), reads)
        self.assertNotIn("PAUSED", env.ritual("list", "--all").stdout)

    def test_read_token_reads_what_the_page_token_cannot(self):
        reader = "EAAus" + secrets.token_hex(16)
        env = self.make_env(media="dir", fake_extra={"facebook": {"users": {
            reader: {"id": "10158000000000001", "name": "Owner", "pages": [PAGE_ID]}}}})
        env.tokens["ig_reader"] = reader
        secret_file(env, "reader.token", reader)
        account_keys(env, "instagram", 'read_token_file = "reader.token";')
        first = one_due(env)
        ig_user(env, polls_until_finished=1, unreadable_reads=-1)
        self.assertEqual(env.run_once(timeout=90), 0, env.log())
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertTrue(d["permalink"].startswith("https://www.instagram.com/p/"), d)
        reads = container_reads(env)
        self.assertGreaterEqual(len(reads), 2)
        for r in reads:
            self.assertEqual(r["headers"]["authorization"], "Bearer " + reader)
            self.assertEqual(r["status"], 200)
        for c in create_calls(env) + publish_calls(env):
            self.assertEqual(c["headers"]["authorization"], "Bearer " + env.tokens["instagram"])
        self.assertEqual(len(ig_posts(env)), 1)

    def test_container_recreation_is_bounded(self):
        env = self.make_env(media="dir", retry='base_delay = "1s"; max_delay = "1s"; '
                            'max_attempts = 20; reconcile_delay = "1s";')
        first = one_due(env)
        ig_user(env, polls_until_finished=0)
        env.fake.fault({"network": "instagram", "method": "POST", "path_regex": CREATE},
                       {"type": "meta_error", "code": 2, "subcode": 2207001,
                        "is_transient": True}, times=-1)
        env.start_daemon()
        env.wait_for(lambda: env.deliveries(first)["instagram"]["state"] == "failed", 90,
                     "the delivery to fail")
        env.stop_daemon()
        d = env.deliveries(first)["instagram"]
        self.assertIn("5 media containers", d["error"])
        self.assertEqual(len(create_calls(env)), 5)
        self.assertEqual(publish_calls(env), [])

    def test_9004_after_fetch_back_retried_with_a_new_container(self):
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=0)
        env.fake.fault({"network": "instagram", "method": "POST", "path_regex": CREATE},
                       {"type": "meta_error", "code": 9004, "subcode": 2207052,
                        "message": "Media could not be fetched from this URI"}, times=2)
        env.start_daemon()
        env.wait_for(lambda: env.deliveries(first)["instagram"]["state"] == "published", 60,
                     "the post to go out")
        env.stop_daemon()
        self.assertEqual([c["status"] for c in create_calls(env)], [400, 400, 200])
        self.assertEqual(len(ig_posts(env)), 1)
        self.assertEqual(len(publish_calls(env)), 1)

    def test_100_33_on_a_write_pauses_the_account(self):
        env = self.make_env(media="dir")
        env.import_sample()
        ids = [p["id"] for p in env.ritual_json("list", "--json")][:2]
        env.due_now(ids)
        env.fake.fault({"network": "instagram", "method": "POST", "path_regex": CREATE},
                       {"type": "meta_error", "code": 100, "subcode": 33,
                        "error_type": "GraphMethodException",
                        "message": "Unsupported post request. Object with ID '%s' does not "
                                   "exist, cannot be loaded due to missing permissions, or "
                                   "does not support this operation" % IG_USER}, times=-1)
        env.run_once()
        self.assertIn("PAUSED", env.ritual("list").stdout)
        for i in ids:
            d = env.deliveries(i)["instagram"]
            self.assertEqual(d["state"], "pending", d)
        d = env.deliveries(ids[0])["instagram"]
        self.assertIn("user_id", d["error"])
        self.assertEqual(len(create_calls(env)), 1, "the second post is not tried")

    def test_appsecret_proof_on_every_call(self):
        app_secret = secrets.token_hex(16)
        env = self.make_env(media="dir", fake_extra={"facebook": {
            "app_secret": app_secret, "require_appsecret_proof": True}})
        env.tokens["app_secret"] = app_secret
        secret_file(env, "app.secret", app_secret)
        account_keys(env, "instagram", 'app_secret_file = "app.secret";')
        first = one_due(env)
        ig_user(env, polls_until_finished=1)
        self.assertEqual(env.run_once(timeout=90), 0, env.log())
        self.assertEqual(env.deliveries(first)["instagram"]["state"], "published", env.log())
        want = hmac.new(app_secret.encode(), env.tokens["instagram"].encode(),
                        hashlib.sha256).hexdigest()
        calls = env.fake.requests(network="instagram")
        self.assertGreaterEqual(len(calls), 4)
        for r in calls:
            self.assertEqual(r["query"].get("appsecret_proof"), want, r["path"])
            self.assertLess(r["status"], 400, r["path"])
        self.assertEqual(len(ig_posts(env)), 1)


class InstagramCrash(E2ETest):
    """rituald killed at each step of the container dance, then restarted:
    the post goes out exactly once and the hosted image is cleaned up."""
    networks = ("instagram",)

    def crash_run(self, env, point):
        e = dict(os.environ, RITUAL_TEST_CRASH_AT=point)
        with open(env.daemon_log, "a") as log:
            p = subprocess.run([RITUALD, "-c", env.config, "--once", "-v"], env=e,
                               stdout=log, stderr=log, timeout=60)
        return p.returncode

    def test_killed_at_each_step(self):
        points = ("saved:hosted_name", "saved:image_url", "saved:container_id",
                  "saved:commit_container", "committing", "response")
        for point in points:
            with self.subTest(point=point):
                env = self.make_env(media="dir")
                first = one_due(env)
                ig_user(env, polls_until_finished=0)
                self.assertEqual(self.crash_run(env, point), -signal.SIGKILL, env.log())
                self.assertEqual(env.run_once(), 0, env.log())
                d = env.deliveries(first)["instagram"]
                self.assertEqual(d["state"], "published", (point, env.log()))
                posts = ig_posts(env)
                self.assertEqual(len(posts), 1, point)
                self.assertEqual(d["remote_id"], posts[0]["id"])
                self.assertEqual(len(publish_calls(env)), 1, (point, env.log()))
                self.assertEqual(os.listdir(env.media_dir), [], point)

    def test_killed_while_the_publish_answer_is_held(self):
        env = self.make_env(media="dir")
        first = one_due(env)
        ig_user(env, polls_until_finished=0)
        env.fake.fault({"network": "instagram", "path_regex": MEDIA_PUBLISH}, {"type": "hold"})
        env.start_daemon()
        env.wait_for(lambda: env.fake.call("GET", "/_fake/held")["held"] >= 1, 20,
                     "a held answer")
        env.daemon.kill()
        env.daemon.wait()
        env.daemon = None
        env.fake.call("POST", "/_fake/release", {"action": "drop"})
        self.assertEqual(env.run_once(), 0, env.log())
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "published", env.log())
        posts = ig_posts(env)
        self.assertEqual(len(posts), 1)
        self.assertEqual(d["remote_id"], posts[0]["id"])
        self.assertEqual(len(publish_calls(env)), 1)


class InstagramLogin(E2ETest):
    """The Instagram Login flavour: graph.instagram.com, a 60-day token."""
    networks = ("instagram",)

    def test_publishes_and_refreshes_an_old_token(self):
        env = self.make_env(media="dir", ig_login="instagram")
        tok = os.path.join(env.dir, "instagram.token")
        old = time.time() - 8 * 86400
        os.utime(tok, (old, old))
        first = one_due(env)
        ig_user(env, polls_until_finished=0)
        p = env.ritual("check", "--online")
        self.assertIn("52d", p.stdout)
        self.assertEqual(env.run_once(), 0, env.log())
        # The token was refreshed (the daemon runs maintain at start) ...
        info = env.fake.call("GET", "/_fake/tokens")["instagram"][IG_USER]
        self.assertEqual(info["refresh_count"], 1, env.log())
        with open(tok) as f:
            new = f.read().strip()
        env.tokens["instagram_new"] = new
        self.assertEqual(new, info["token"])
        self.assertNotEqual(new, env.tokens["instagram"])
        self.assertEqual(stat.S_IMODE(os.stat(tok).st_mode), 0o600)
        self.assertGreater(os.stat(tok).st_mtime, time.time() - 600)
        refresh = env.fake.requests(path_regex="refresh_access_token")
        self.assertEqual(len(refresh), 1)
        self.assertEqual(refresh[0]["path"], "/refresh_access_token")
        self.assertEqual(refresh[0]["query"]["grant_type"], "ig_refresh_token")
        # ... and the post went out through graph.instagram.com's paths.
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(len(ig_posts(env)), 1)
        self.assertEqual(env.leaked_token(), [])
        # The refresh answer's expires_in (5183944 s, 59 d 23 h 59 m) is
        # written beside the token, and the check counts whole days from it.
        with open(tok + ".expires") as f:
            expires = int(f.read())
        self.assertAlmostEqual(expires, time.time() + 5183944, delta=600)
        self.assertEqual(stat.S_IMODE(os.stat(tok + ".expires").st_mode), 0o600)
        p = env.ritual("check", "--online")
        self.assertRegex(p.stdout, r"instagram +OK +59d")
        # A fresh token is left alone.
        env.run_once()
        info = env.fake.call("GET", "/_fake/tokens")["instagram"][IG_USER]
        self.assertEqual(info["refresh_count"], 1)


if __name__ == "__main__":
    unittest.main()
