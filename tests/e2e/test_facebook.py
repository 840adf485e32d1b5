"""Issue 2: the week queued and published to a Facebook Page, for real."""
import hashlib
import hmac
import os
import secrets
import time
import unittest

from harness import E2ETest, PAGE_ID, sha256_file


class FacebookWeek(E2ETest):

    def test_week_published_exactly_once_with_previewed_text_and_image(self):
        env = self.make_env()
        folder = env.import_sample()
        posts = env.ritual_json("list", "--json")
        self.assertEqual(len(posts), 7)
        previews = {p["id"]: env.ritual("preview", str(p["id"]), "--account", "facebook").stdout
                    for p in posts}
        # Each post took its own slot: no two share a due time.
        self.assertEqual(len({p["due"] for p in posts}), 7)
        env.due_now()
        self.assertEqual(env.run_once(), 0, env.log())

        published = [p for p in env.fake.posts() if p["network"] == "facebook"]
        self.assertEqual(len(published), 7, published)
        self.assertEqual(sorted(p["raw_text"] for p in published), sorted(previews.values()))
        photo_calls = env.fake.requests(network="facebook", path_regex="/photos$")
        self.assertEqual(len(photo_calls), 7)
        images = {sha256_file(os.path.join(folder, f)) for f in os.listdir(folder)
                  if f.endswith(".jpg")}
        self.assertEqual({c["files"]["source"]["sha256"] for c in photo_calls}, images)
        for c in photo_calls:
            self.assertEqual(c["headers"]["authorization"], "Bearer " + env.tokens["facebook"])
            self.assertNotIn("access_token", c["query"])
        by_id = {p["id"]: p for p in published}
        for p in env.ritual_json("list", "--all", "--json"):
            d = p["deliveries"][0]
            self.assertEqual(d["state"], "published")
            self.assertIn(d["remote_id"], by_id)
            self.assertTrue(d["remote_id"].startswith(PAGE_ID + "_"))
            self.assertEqual(d["permalink"], "https://www.facebook.com/" + d["remote_id"])
            self.assertEqual(by_id[d["remote_id"]]["raw_text"], previews[p["id"]])
        # A second run publishes nothing more.
        self.assertEqual(env.run_once(), 0)
        self.assertEqual(len(env.fake.requests(network="facebook", path_regex="/photos$")), 7)
        self.assertEqual(env.leaked_token(), [])

    def test_text_post_with_link_goes_to_feed(self):
        env = self.make_env()
        path = env.write_post("note.post", "Kind: note\nLink: https://www.myrituals.me/book-online\n"
                              "At: 2030-01-02 10:00\n\nOpen late on Thursdays (till 8pm)!\n")
        env.ritual("add", path)
        env.due_now()
        self.assertEqual(env.run_once(), 0, env.log())
        calls = env.fake.requests(network="facebook", path_regex="/feed$")
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0]["form"]["message"], "Open late on Thursdays (till 8pm)!")
        self.assertEqual(calls[0]["form"]["link"], "https://www.myrituals.me/book-online")

    def test_daemon_sleeps_then_wakes_when_a_post_is_queued(self):
        env = self.make_env()
        env.start_daemon()
        time.sleep(1)
        path = env.write_post("soon.post", "Kind: tip\nTitle: Drink water\nAt: 2031-05-05 10:00\n\n"
                              "Hydrated muscles relax more easily.\n")
        env.ritual("add", path)
        env.due_now()
        env.wait_for(lambda: env.fake.posts(), 10, "the post to reach the fake page")
        self.assertEqual(env.stop_daemon(), 0)
        self.assertEqual(len(env.fake.posts()), 1)
        self.assertIn("stopping on signal", env.log())

    def test_transient_fault_retried_then_published_once(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "meta_error", "code": 2, "message": "Service temporarily unavailable",
                        "is_transient": True}, times=1)
        env.start_daemon()
        env.wait_for(lambda: env.deliveries(first)["facebook"]["state"] == "published", 20,
                     "the retry to publish")
        env.stop_daemon()
        self.assertEqual(len(env.fake.posts()), 1)
        self.assertEqual(len(env.fake.requests(network="facebook", path_regex="/photos$")), 2)
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["attempts"], 2)

    def test_expired_token_pauses_account_without_retry_storm_then_resumes(self):
        env = self.make_env()
        env.import_sample()
        env.due_now()
        env.fake.tokens(network="facebook", id=PAGE_ID, expired=True)
        env.start_daemon()
        env.wait_for(lambda: "PAUSED" in env.ritual("list").stdout, 15, "the account to pause")
        time.sleep(2)
        calls = env.fake.requests(network="facebook", path_regex="/photos$")
        self.assertEqual(len(calls), 1, "one refused call, then silence")
        listing = env.ritual("list").stdout
        self.assertIn("facebook.token", listing)
        self.assertIn("190", listing)
        self.assertIn("expired", listing.lower())
        # The owner fixes it: a new token on the page and in the file.
        new = env.tokens["facebook"] + "new"
        env.fake.tokens(network="facebook", id=PAGE_ID, token=new, expired=False)
        env.tokens["facebook_new"] = new
        tok = os.path.join(env.dir, "facebook.token")
        with open(tok + ".tmp", "w") as f:
            f.write(new + "\n")
        os.chmod(tok + ".tmp", 0o600)
        os.rename(tok + ".tmp", tok)
        env.wait_for(lambda: len(env.fake.posts()) == 7, 40, "all 7 posts after the fix")
        env.stop_daemon()
        self.assertNotIn("PAUSED", env.ritual("list", "--all").stdout)
        self.assertEqual(env.leaked_token(), [])

    def test_permanent_error_fails_with_platform_message(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "meta_error", "code": 100, "subcode": 2069019,
                        "message": "(#100) Invalid file"}, times=1)
        env.run_once()
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["state"], "failed")
        self.assertIn("Invalid file", d["error"])
        self.assertEqual(env.fake.posts(), [])

    def test_rate_limit_waits_as_told(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "throttle", "minutes": 30}, times=1)
        env.run_once()
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["state"], "pending")
        self.assertEqual(d["attempts"], 0, "a rate limit is not a failed attempt")
        self.assertIn("80001", d["error"])
        wait = time.mktime(time.strptime(d["next_attempt"][:19], "%Y-%m-%dT%H:%M:%S"))
        self.assertGreater(wait - time.mktime(time.localtime()), 20 * 60 - 3600 * 24)
        self.assertIn("waits until", env.ritual("list").stdout)

    def test_duplicate_refusal_is_failed_not_retried(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "meta_error", "code": 506,
                        "message": "(#506) Duplicate status message"}, times=1)
        env.run_once()
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["state"], "failed")
        self.assertIn("506", d["error"])
        self.assertEqual(len(env.fake.requests(network="facebook", path_regex="/photos$")), 1)

    def test_lost_answer_is_reconciled_not_reposted(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "drop_after"}, times=1)
        env.run_once()
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(len(env.fake.posts()), 1)
        self.assertEqual(len(env.fake.requests(network="facebook", path_regex="/photos$")), 1)
        self.assertEqual(d["remote_id"], env.fake.posts()[0]["id"])

    def test_100_33_on_the_read_back_is_read_again_not_a_pause(self):
        # rituald(8): 100/33 pauses "on a write"; on the read-back after a
        # lost answer it is a failed read, and the page is read again.
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "drop_after"}, times=1)
        env.fake.fault({"network": "facebook", "method": "GET", "path_regex": "/posts$"},
                       {"type": "meta_error", "code": 100, "subcode": 33,
                        "error_type": "GraphMethodException",
                        "message": "Unsupported get request. Object with ID '%s' does not "
                                   "exist, cannot be loaded due to missing permissions, or "
                                   "does not support this operation" % PAGE_ID}, times=2)
        env.run_once()
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertNotIn("PAUSED", env.ritual("list", "--all").stdout)
        self.assertEqual(len(env.fake.posts()), 1)
        self.assertEqual(len(env.fake.requests(network="facebook", path_regex="/photos$")), 1)
        self.assertEqual(len(env.fake.requests(network="facebook", path_regex="/posts$")), 3)

    def test_app_rate_codes_and_slow_answer(self):
        for code in (4, 17, 32):
            env = self.make_env()
            env.import_sample()
            first = env.ritual_json("list", "--json")[0]["id"]
            env.due_now([first])
            env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                           {"type": "meta_error", "code": code, "message": "(#%d) limit" % code},
                           times=1)
            env.run_once()
            d = env.deliveries(first)["facebook"]
            self.assertEqual((code, d["state"], d["attempts"]), (code, "pending", 0))
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "delay", "seconds": 1.5}, times=1)
        env.run_once()
        self.assertEqual(env.deliveries(first)["facebook"]["state"], "published")

    def test_policy_block_368_waits_hours(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "meta_error", "code": 368, "subcode": 1390008,
                        "message": "It looks like you were misusing this feature by going too fast."},
                       times=1)
        env.run_once()
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["state"], "pending")
        self.assertIn("368", d["error"])
        self.assertEqual(env.fake.posts(), [])

    def test_malformed_and_dropped_connection_before_processing(self):
        # "drop": the request never reached Facebook's logic: reconciled as
        # absent (twice), then published once.
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"}, {"type": "drop"}, times=1)
        env.run_once(timeout=90)
        self.assertEqual(env.deliveries(first)["facebook"]["state"], "published", env.log())
        self.assertEqual(len(env.fake.posts()), 1)
        # Malformed JSON on the commit call: the post exists; found by read-back.
        env2 = self.make_env()
        env2.import_sample()
        first = env2.ritual_json("list", "--json")[0]["id"]
        env2.due_now([first])
        env2.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                        {"type": "malformed"}, times=1)
        env2.run_once(timeout=90)
        self.assertEqual(env2.deliveries(first)["facebook"]["state"], "published", env2.log())
        self.assertEqual(len(env2.fake.posts()), 1)


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


class FacebookIssue8(E2ETest):
    """Issue 8 item 5: errors that belong to the account; appsecret_proof;
    tokens quoted back by Graph."""

    def two_due(self, env):
        env.import_sample()
        ids = [p["id"] for p in env.ritual_json("list", "--json")][:2]
        env.due_now(ids)
        return ids

    def test_100_33_on_a_write_pauses_and_keeps_the_queue(self):
        env = self.make_env()
        ids = self.two_due(env)
        env.fake.fault({"network": "facebook", "method": "POST"},
                       {"type": "meta_error", "code": 100, "subcode": 33,
                        "error_type": "GraphMethodException",
                        "message": "Unsupported post request. Object with ID '%s' does not "
                                   "exist, cannot be loaded due to missing permissions, or "
                                   "does not support this operation" % PAGE_ID}, times=-1)
        env.run_once()
        self.assertIn("PAUSED", env.ritual("list").stdout)
        for i in ids:
            self.assertEqual(env.deliveries(i)["facebook"]["state"], "pending")
        err = env.deliveries(ids[0])["facebook"]["error"]
        self.assertIn("page_id", err)
        self.assertIn("permissions", err)
        self.assertEqual(len(env.fake.requests(network="facebook", method="POST")), 1)

    def test_appsecret_proof_sent_and_verified_on_every_call(self):
        app_secret = secrets.token_hex(16)
        env = self.make_env(fake_extra={"facebook": {
            "app_secret": app_secret, "require_appsecret_proof": True}})
        env.tokens["app_secret"] = app_secret
        secret_file(env, "app.secret", app_secret)
        account_keys(env, "facebook", 'app_secret_file = "app.secret";')
        ids = self.two_due(env)
        self.assertEqual(env.run_once(), 0, env.log())
        for i in ids:
            self.assertEqual(env.deliveries(i)["facebook"]["state"], "published", env.log())
        p = env.ritual("check", "--online")
        self.assertIn("OK", [l for l in p.stdout.splitlines() if l.startswith("facebook")][0])
        want = hmac.new(app_secret.encode(), env.tokens["facebook"].encode(),
                        hashlib.sha256).hexdigest()
        calls = env.fake.requests(network="facebook")
        self.assertGreaterEqual(len(calls), 3)
        for r in calls:
            self.assertEqual(r["query"].get("appsecret_proof"), want, r["path"])
            self.assertLess(r["status"], 400)

    def test_missing_appsecret_proof_pauses_with_the_fix(self):
        env = self.make_env(fake_extra={"facebook": {
            "app_secret": secrets.token_hex(16), "require_appsecret_proof": True}})
        ids = self.two_due(env)
        env.run_once()
        self.assertIn("PAUSED", env.ritual("list").stdout)
        for i in ids:
            self.assertEqual(env.deliveries(i)["facebook"]["state"], "pending")
        err = env.deliveries(ids[0])["facebook"]["error"]
        self.assertIn("require an appsecret_proof", err)
        self.assertIn("app_secret_file", err)
        self.assertEqual(len(env.fake.requests(network="facebook", method="POST")), 1)

    def test_wrong_app_secret_pauses_then_resumes_when_the_file_is_fixed(self):
        # The app does not require a proof, but Graph checks any it is sent.
        app_secret = secrets.token_hex(16)
        wrong = secrets.token_hex(16)
        env = self.make_env(fake_extra={"facebook": {"app_secret": app_secret}})
        env.tokens["app_secret"] = app_secret
        env.tokens["wrong_app_secret"] = wrong
        secret_file(env, "app.secret", wrong)
        account_keys(env, "facebook", 'app_secret_file = "app.secret";')
        ids = self.two_due(env)
        env.run_once()
        self.assertIn("PAUSED", env.ritual("list").stdout)
        for i in ids:
            self.assertEqual(env.deliveries(i)["facebook"]["state"], "pending")
        err = env.deliveries(ids[0])["facebook"]["error"]
        self.assertIn("Invalid appsecret_proof", err)
        self.assertIn("app_secret_file", err)
        self.assertIn("until app_secret_file changes", err)
        self.assertEqual(len(env.fake.requests(network="facebook", method="POST")), 1)
        # Writing the right secret resumes the account, as its message says.
        path = os.path.join(env.dir, "app.secret")
        secret_file(env, "app.secret.tmp", app_secret)
        os.rename(path + ".tmp", path)
        env.run_once(timeout=120)
        for i in ids:
            self.assertEqual(env.deliveries(i)["facebook"]["state"], "published", env.log())
        self.assertNotIn("PAUSED", env.ritual("list", "--all").stdout)
        self.assertEqual(env.leaked_token(), [])

    def test_token_quoted_in_an_error_is_scrubbed_everywhere(self):
        env = self.make_env()
        ids = self.two_due(env)
        env.fake.fault({"network": "facebook", "method": "POST"},
                       {"type": "meta_error", "code": 190,
                        "message": "Malformed access token {token}"}, times=-1)
        env.run_once()
        err = env.deliveries(ids[0])["facebook"]["error"]
        self.assertIn("Malformed access token [secret]", err)
        env.ritual("show", str(ids[0]))
        env.ritual("list", "--all")
        self.assertEqual(env.leaked_token(), [])


class Transport(E2ETest):

    def test_commit_calls_use_a_fresh_connection_each(self):
        env = self.make_env()
        env.import_sample()
        env.due_now()
        self.assertEqual(env.run_once(), 0)
        reqs = env.fake.requests()
        commits = [r for r in reqs if r["path"].endswith("/photos")]
        self.assertEqual(len(commits), 7)
        for c in commits:
            same = [r for r in reqs if r["connection"] == c["connection"]]
            self.assertEqual(same, [c], "a commit call shared its connection")

    def test_http_refused_for_a_public_host(self):
        env = self.make_env()
        with open(env.config) as f:
            text = f.read()
        with open(env.config, "w") as f:
            f.write(text.replace(env.fake.base, "http://graph.example.com"))
        p = env.ritual("check", expect=78)
        self.assertIn("https://", p.stderr)


class BadInput(E2ETest):

    def test_batch_with_a_bad_file_queues_nothing(self):
        env = self.make_env()
        good = env.write_post("a-good.post", "Kind: tip\nTitle: Fine\n\nA good post.\n")
        bad = env.write_post("b-bad.post", "Kind: tip\nTittle: Oops\n\nBody.\n")
        p = env.ritual("add", good, bad, expect=65)
        self.assertIn("b-bad.post:2", p.stderr)
        self.assertIn("Title", p.stderr)
        self.assertIn("nothing queued", p.stderr)
        self.assertIn("nothing", env.ritual("list").stdout + "nothing")
        self.assertEqual(env.ritual_json("list", "--all", "--json"), [])

    def test_each_refusal_names_file_line_and_fix(self):
        env = self.make_env()
        cases = {
            "past.post": ("Kind: tip\nAt: 2020-01-01 09:00\n\nOld.\n", ":2:", "past"),
            "gap.post": ("Kind: tip\nAt: 2031-03-09 02:30\n\nGap.\n", ":2:", "does not exist"),
            "nokind.post": ("Title: x\n\nBody.\n", ":1:", "Kind"),
            "nobody.post": ("Kind: tip\nTitle: x\n", "nobody.post", "body"),
            "account.post": ("Kind: tip\nTo: myspace\n\nBody.\n", ":2:", "myspace"),
            "image.post": ("Kind: tip\nImage: missing.jpg\n\nBody.\n", ":2:", "missing.jpg"),
            "notimage.post": ("Kind: tip\nImage: notimage.post\n\nBody.\n", ":2:", "image"),
            "date.post": ("Kind: promo\nExpires: 2031-02-30\n\nBody.\n", ":2:", "2031-02-30"),
            "expires.post": ("Kind: promo\nAt: 2031-06-10 09:00\nExpires: 2031-06-01\n\nBody.\n",
                             ":3:", "Expires"),
        }
        for name, (text, where, what) in cases.items():
            path = env.write_post(name, text)
            p = env.ritual("add", path, expect=65)
            self.assertIn(name + where if where.startswith(":") else where, p.stderr, name)
            self.assertIn(what.lower(), p.stderr.lower(), name)
        self.assertEqual(env.ritual_json("list", "--all", "--json"), [])


class OwnerTool(E2ETest):

    def test_check_slots_cancel_reschedule_retry(self):
        env = self.make_env()
        self.assertEqual(env.ritual("check").stdout.strip(), "configuration OK")
        env.import_sample()
        ids = [p["id"] for p in env.ritual_json("list", "--json")]
        env.ritual("cancel", str(ids[0]))
        self.assertEqual(env.deliveries(ids[0])["facebook"]["state"], "canceled")
        env.ritual("reschedule", str(ids[1]), "2031-01-01 10:00")
        self.assertEqual(env.ritual_json("show", str(ids[1]), "--json")["due"],
                         "2031-01-01T10:00:00-05:00")
        env.ritual("retry", str(ids[2]), expect=65)  # nothing failed: nothing to retry
        env.ritual("show", "999", expect=66)
        env.ritual("frobnicate", expect=64)
        self.assertIn("usage: ritual add", env.ritual("add", "--help").stdout)

    def test_slots_exact_instants_across_dst(self):
        env = self.make_env()
        out = env.ritual("slots", "--from", "2026-03-06 12:00", "--count", "4").stdout.split()
        # Friday noon EST; DST starts Sunday 2026-03-08: the offset changes.
        self.assertEqual(out, ["2026-03-09T09:00:00-04:00", "2026-03-10T17:30:00-04:00",
                               "2026-03-11T09:00:00-04:00", "2026-03-12T17:30:00-04:00"])

    def test_bad_config_refused_with_line(self):
        env = self.make_env()
        with open(env.config, "a") as f:
            f.write('\ntimezon = "Europe/Paris";\n')
        p = env.ritual("check", expect=78)
        self.assertIn("ritual.conf:", p.stderr)
        self.assertIn("timezone", p.stderr)

    def test_world_readable_token_refused(self):
        env = self.make_env()
        os.chmod(os.path.join(env.dir, "facebook.token"), 0o644)
        p = env.ritual("check", expect=78)
        self.assertIn("chmod 600", p.stderr)


if __name__ == "__main__":
    unittest.main()
