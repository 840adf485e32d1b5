"""The one rule for answers to the commit call (issue 8, item 1).

Once the commit mark is on disk, only an answer that proves the platform
refused the post may lead to a re-send or a failure; every other answer
means "may have gone out", and the account is read back first. A delivery
awaiting that read-back keeps its commit mark on every path, and the
owner's cancel/reschedule refuse it with the reason.
"""
import os
import re
import sqlite3
import time

from harness import E2ETest

TEXT_POST = "Kind: tip\nAt: 2031-01-01 09:00\n\nA text post for the commit rule, %s.\n"


class ProcessedErrorsTest(E2ETest):
    """Graph (and the others) sometimes create the post and still answer an
    error (koala#699, php-graph-sdk#1141): exactly one post, and the
    delivery records that post's id."""

    def one_post(self, networks, match, action, text_post=False, extra_posts=0):
        env = self.make_env(networks=networks)
        if text_post:
            path = env.write_post("t.post", TEXT_POST % "once")
            env.ritual("add", path)
        else:
            env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault(match, action, times=1)
        env.run_once()
        time.sleep(2.5)   # past any retry's backoff (retry.max_delay = 2s)
        env.run_once()
        net = networks[0]
        d = env.deliveries(first)[net]
        ours = env.fake.posts(net)
        self.assertEqual(len(ours), 1, "duplicate posts on %s\n%s" % (net, env.log()))
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(d["remote_id"], ours[0]["id"], env.log())
        # one commit call: the account was read back, not posted to again
        self.assertEqual(len(env.fake.requests(**match)), 1, env.log())
        return env

    # The Facebook photo post answered 500 code 1 / code 2 once made:
    # test_incidents.py's koala699 and php-graph-sdk1141 tests.

    def test_facebook_text_500_after_the_post_was_made(self):
        self.one_post(("facebook",), {"network": "facebook", "path_regex": "/feed$"},
                      {"type": "meta_error", "code": 1, "status": 500, "process": True},
                      text_post=True)

    def test_facebook_proxy_page_after_the_post_was_made(self):
        self.one_post(("facebook",), {"network": "facebook", "path_regex": "/photos$"},
                      {"type": "html", "status": 502, "process": True})

    def test_instagram_media_publish_500_after_the_media_was_made(self):
        self.one_post(("instagram",),
                      {"network": "instagram", "path_regex": "/media_publish$"},
                      {"type": "meta_error", "code": 2, "status": 500, "process": True})

    def test_linkedin_500_after_the_post_was_made(self):
        self.one_post(("linkedin",),
                      {"network": "linkedin", "method": "POST", "path_regex": "/rest/posts$"},
                      {"type": "linkedin_error", "status": 500, "process": True})

    def test_a_proven_refusal_is_still_failed_at_once(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "meta_error", "code": 100, "message": "Invalid parameter"},
                       times=1)
        env.run_once()
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["state"], "failed", env.log())
        self.assertEqual(env.fake.posts(), [])
        self.assertNotIn("reading facebook back", env.log())


class CommitMarkKeptTest(E2ETest):
    """A delivery awaiting its read-back keeps the commit mark."""
    networks = ("facebook", "linkedin")

    @staticmethod
    def wait_readback_due(env, post_id):
        """Sleep until the delivery's next read-back is due (rituald puts
        it a full reconcile_delay after the last, plus the second a
        whole-second clock may lose), and a little more."""
        with sqlite3.connect(env.db) as db:
            (at,) = db.execute("SELECT next_attempt FROM deliveries WHERE post_id = ? "
                               "AND account = 'facebook'", (post_id,)).fetchone()
        time.sleep(max(0.0, at - time.time()) + 0.2)

    @staticmethod
    def phase(env, post_id):
        with sqlite3.connect(env.db) as db:
            return db.execute("SELECT state, phase FROM deliveries WHERE post_id = ? AND "
                              "account = 'facebook'", (post_id,)).fetchone()

    def awaiting_readback(self):
        env = self.make_env(retry='base_delay = "1s"; max_delay = "2s"; max_attempts = 4; '
                                  'reconcile_delay = "3s";')
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        # The photo post is made but its answer is lost, and the first
        # read-back of the page fails: the delivery waits to read again.
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "drop_after"}, times=1)
        env.fake.fault({"network": "facebook", "method": "GET", "path_regex": "/posts$"},
                       {"type": "meta_error", "code": 2, "status": 500}, times=1)
        env.start_daemon("-v")
        env.wait_for(lambda: self.phase(env, first) == ("pending", "commit"),
                     20, "the delivery to await its read-back")
        env.stop_daemon()
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["state"], "pending", env.log())
        self.assertEqual(len(env.fake.posts("facebook")), 1)
        return env, first

    def test_cancel_and_reschedule_refuse_a_delivery_awaiting_its_readback(self):
        env, first = self.awaiting_readback()
        p = env.ritual("cancel", str(first), expect=None)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("may have gone out", p.stderr)
        p = env.ritual("reschedule", str(first), "2031-02-01 09:00", expect=None)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("may have gone out", p.stderr)
        self.assertEqual(env.deliveries(first)["facebook"]["state"], "pending")
        # and the read-back then settles it on the post that is out
        self.wait_readback_due(env, first)
        env.run_once()
        d = env.deliveries(first)["facebook"]
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(len(env.fake.posts("facebook")), 1)

    def test_account_missing_while_awaiting_readback_keeps_the_commit_mark(self):
        env, first = self.awaiting_readback()
        with open(env.config) as f:
            conf = f.read()
        without = re.sub(r'\{ name = "facebook";[^}]*\},?\s*', "", conf, count=1)
        self.assertNotEqual(without, conf)
        with open(env.config, "w") as f:
            f.write(without)
        self.wait_readback_due(env, first)   # the read-back is due again
        env.run_once()
        self.assertIn("account facebook is not in", env.log())
        # The account comes back (the owner restores the config) and an
        # hour passes.
        with open(env.config, "w") as f:
            f.write(conf)
        with sqlite3.connect(env.db) as db:
            db.execute("UPDATE deliveries SET next_attempt = 0 WHERE post_id = ? AND "
                       "account = 'facebook'", (first,))
        env.run_once()
        d = env.deliveries(first)["facebook"]
        fb = env.fake.posts("facebook")
        self.assertEqual(len(fb), 1, "re-posted without a read-back\n" + env.log())
        self.assertEqual(d["state"], "published", env.log())
        self.assertEqual(d["remote_id"], fb[0]["id"])

    def test_unreadable_token_while_awaiting_readback_keeps_the_commit_mark(self):
        env, first = self.awaiting_readback()
        tok = os.path.join(env.dir, "facebook.token")
        os.chmod(tok, 0o644)   # refused: readable by others
        self.wait_readback_due(env, first)
        env.run_once()
        os.chmod(tok, 0o600)
        with sqlite3.connect(env.db) as db:
            db.execute("UPDATE accounts SET paused = 0")
            db.execute("UPDATE deliveries SET next_attempt = 0 WHERE post_id = ? AND "
                       "account = 'facebook'", (first,))
        env.run_once()
        d = env.deliveries(first)["facebook"]
        fb = env.fake.posts("facebook")
        self.assertEqual(len(fb), 1, env.log())
        self.assertEqual(d["state"], "published", env.log())
