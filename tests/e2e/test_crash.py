"""Issue 4, crash safety: rituald killed with SIGKILL at named points and at
random instants; after a restart every post is published exactly once.

Named points use the RITUAL_TEST_CRASH_AT seam (see crash_point() in
util.h): the daemon kills itself with SIGKILL exactly there. The "request
left, response held" point uses the fake server's hold fault and an
external kill -9.
"""
import os
import random
import signal
import subprocess
import time

from harness import E2ETest, RITUAL, RITUALD, add_facebook_pages

COMMIT_PATHS = {"facebook": "/photos$", "instagram": "/media_publish$",
                "linkedin": "/rest/posts$"}


class CrashHelpers(E2ETest):

    def crash_run(self, env, point, timeout=30):
        """Run rituald --once with a crash point; it must die by SIGKILL."""
        e = dict(os.environ, RITUAL_TEST_CRASH_AT=point)
        with open(env.daemon_log, "a") as log:
            p = subprocess.run([RITUALD, "-c", env.config, "--once", "-v"], env=e,
                               stdout=log, stderr=log, timeout=timeout)
        return p.returncode

    def assert_once_each(self, env, n, net="facebook"):
        posts = env.fake.posts(net)
        texts = [p["raw_text"] for p in posts]
        self.assertEqual(len(texts), len(set(texts)), "a post was published twice")
        self.assertEqual(len(posts), n, env.log())
        self.assertLessEqual(set(env.states()) - {"canceled"}, {"published"}, env.log())

    def one_post_env(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        for p in env.ritual_json("list", "--json")[1:]:
            env.ritual("cancel", str(p["id"]))
        env.due_now([first])
        return env


class CrashPoints(CrashHelpers):

    def test_named_points(self):
        for point in ("claimed", "committing", "response"):
            with self.subTest(point=point):
                env = self.one_post_env()
                self.assertEqual(self.crash_run(env, point), -signal.SIGKILL, env.log())
                self.assertEqual(env.run_once(timeout=60), 0)
                self.assert_once_each(env, 1)
                calls = env.fake.requests(network="facebook", path_regex="/photos$")
                # Killed before the request: one call; after it: still one.
                self.assertEqual(len(calls), 1, (point, env.log()))

    def test_killed_while_the_response_is_held(self):
        env = self.one_post_env()
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"}, {"type": "hold"})
        env.start_daemon()
        env.wait_for(lambda: env.fake.call("GET", "/_fake/held")["held"] >= 1
                     if isinstance(env.fake.call("GET", "/_fake/held"), dict)
                     else env.fake.call("GET", "/_fake/held") >= 1, 15, "a held response")
        env.daemon.kill()
        env.daemon.wait()
        env.daemon = None
        env.fake.call("POST", "/_fake/release", {"action": "drop"})
        self.assertEqual(env.run_once(timeout=60), 0)
        self.assert_once_each(env, 1)
        self.assertIn("was being published when rituald stopped", env.log())
        self.assertEqual(len(env.fake.requests(network="facebook", path_regex="/photos$")), 1)

    def test_killed_during_a_migration(self):
        env = self.make_env()
        path = env.write_post("a.post", "Kind: tip\nAt: 2031-01-01 09:00\n\nMigrated.\n")
        e = dict(os.environ, RITUAL_TEST_CRASH_AT="migration")
        p = subprocess.run([RITUAL, "-c", env.config, "add", path], env=e,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, -signal.SIGKILL)
        # The schema change was one transaction: nothing half-made; the
        # next command migrates and queues normally.
        env.ritual("add", path)
        env.due_now()
        self.assertEqual(env.run_once(), 0)
        self.assert_once_each(env, 1)


class LinkedInCrashPoints(CrashHelpers):
    """Killed after the upload was initialised, after the PUT and before the
    post, and around the commit call: one post on the page, and no upload
    URL written twice."""
    networks = ("linkedin",)

    def test_named_points(self):
        for point in ("saved:image_urn", "saved:upload_url", "saved:upload_at",
                      "committing", "response"):
            with self.subTest(point=point):
                env = self.one_post_env()
                self.assertEqual(self.crash_run(env, point), -signal.SIGKILL, env.log())
                self.assertEqual(env.run_once(timeout=60), 0)
                self.assert_once_each(env, 1, net="linkedin")
                puts = [r for r in env.fake.requests(network="linkedin")
                        if r["method"] == "PUT"]
                urls = [r["path"] + str(r["query"]) for r in puts]
                self.assertEqual(len(urls), len(set(urls)), "an upload URL written twice")


class RandomKills(E2ETest):
    """SIGKILL at random instants while the week is published with faults."""
    networks = ("facebook",)
    kills_wanted = int(os.environ.get("RITUAL_CRASH_KILLS", "40"))

    # Each claim of a delivery not yet at its commit call counts as an
    # attempt, a claim cut short by SIGKILL too (a post that kills rituald
    # must not be retried forever). With the fake's three transient faults
    # and dozens of kills, a slow run (sanitizers, a loaded machine) lands
    # enough kills in one delivery's prepare phase to use up the usual 4
    # attempts, and that post then ends `failed`, correctly, but not
    # published. The attempt limit is not what this test is about.
    RETRY = ('base_delay = "1s"; max_delay = "2s"; max_attempts = 100; '
             'reconcile_delay = "1s";')

    def test_random_kills_lose_nothing_and_duplicate_nothing(self):
        env = self.make_env(retry=self.RETRY)
        env.import_sample()
        env.due_now()
        rng = random.Random(int(os.environ.get("RITUAL_CRASH_SEED", "4")))
        for net in self.networks:
            env.fake.fault({"network": net}, {"type": "meta_error", "code": 2,
                                              "message": "Service temporarily unavailable",
                                              "is_transient": True}
                           if net != "linkedin" else
                           {"type": "error", "status": 503, "body": {"status": 503,
                                                                     "message": "unavailable"}},
                           times=3)
            env.fake.fault({"network": net, "path_regex": COMMIT_PATHS[net]},
                           {"type": "drop_after"}, times=2)
        kills = 0
        deadline = time.time() + 240
        total = 7 * len(self.networks)
        while time.time() < deadline:
            d = subprocess.Popen([RITUALD, "-c", env.config],
                                 stdout=open(env.daemon_log, "a"), stderr=subprocess.STDOUT)
            time.sleep(rng.uniform(0.02, 0.4))
            if d.poll() is None:
                d.kill()
                kills += 1
            d.wait()
            done = env.states().count("published")
            if kills >= self.kills_wanted and done == total:
                break
        # Let it finish undisturbed.
        env.run_once(timeout=120)
        states = env.states()
        print("\nrandom kills: %d, deliveries %d, published %d, unknown %d"
              % (kills, len(states), states.count("published"), states.count("unknown")))
        for net in self.networks:
            self.assert_once_each_net(env, net)
        self.assertEqual(states.count("published"), total, states)
        self.assertGreaterEqual(kills, self.kills_wanted)

    def assert_once_each_net(self, env, net):
        posts = env.fake.posts(net)
        texts = [p["raw_text"] for p in posts]
        self.assertEqual(len(texts), len(set(texts)), "duplicate on " + net)
        self.assertEqual(len(posts), 7, (net, env.log()[-3000:]))


class RandomKillsThreeNetworks(RandomKills):
    """The same over the week to Facebook, Instagram and LinkedIn."""
    networks = ("facebook", "instagram", "linkedin")
    kills_wanted = int(os.environ.get("RITUAL_CRASH_KILLS", "200"))


class RandomKillsManyInFlight(E2ETest):
    """SIGKILL at random instants while several Pages' deliveries are in
    flight at once (rituald publishes many at a time): the week to 6
    Facebook Pages, each commit call held open 0.3 s by the fake, with
    transient errors and lost answers. After a final undisturbed run every
    page has each post exactly once. A kill counts as landing "while many
    are in flight" when at least two commit calls that this daemon sent
    were still open at the fake as it died; at least one kill must."""
    networks = ("facebook",)
    pages = 6
    kills_wanted = int(os.environ.get("RITUAL_CRASH_KILLS_MANY", "40"))

    # max_attempts 100: kills use up attempts (see RandomKills.RETRY).
    # reconcile_delay 1 s, as elsewhere: instants are whole seconds, and
    # "check again in 1s" once came a few ms later, so that a commit call
    # left by a killed rituald, still inside the fake's 0.3 s delay, read
    # back absent twice and went out again (a duplicate with seeds 2 and 4
    # on 20fc4db). The second look now comes at least the full pause later.
    RETRY = ('base_delay = "1s"; max_delay = "2s"; max_attempts = 100; '
             'reconcile_delay = "1s";')

    def test_random_kills_with_many_in_flight(self):
        env = self.make_env(retry=self.RETRY)
        ids = add_facebook_pages(env, self.pages)
        env.import_sample()
        env.due_now()
        photos = {"network": "facebook", "method": "POST", "path_regex": "/photos$"}
        env.fake.fault(photos, {"type": "meta_error", "code": 2,
                                "message": "Service temporarily unavailable",
                                "is_transient": True}, times=4)
        env.fake.fault(photos, {"type": "drop_after"}, times=4)
        env.fake.fault(photos, {"type": "delay", "seconds": 0.3}, times=-1)
        rng = random.Random(int(os.environ.get("RITUAL_CRASH_SEED", "4")))
        total = 7 * self.pages
        kills, open_at_kill = 0, []
        deadline = time.time() + 80
        while time.time() < deadline:
            started = time.time()
            with open(env.daemon_log, "a") as log:
                d = subprocess.Popen([RITUALD, "-c", env.config], stdout=log,
                                     stderr=subprocess.STDOUT)
            time.sleep(rng.uniform(0.05, 1.0))
            if d.poll() is None:
                d.kill()
                kills += 1
                # This life's commit calls still open at the fake (the fake
                # keeps serving a dead client's delayed request; calls of
                # earlier lives arrived before `started`).
                open_at_kill.append(sum(
                    1 for r in env.fake.requests(network="facebook", method="POST",
                                                 path_regex="/photos$")
                    if r["answered"] is None and r["time"] >= started))
            d.wait()
            if kills >= self.kills_wanted and env.states().count("published") == total:
                break
        self.assertEqual(env.run_once(timeout=120), 0, env.log()[-3000:])
        states = env.states()
        print("\nrandom kills, %d pages: %d kills, %d with >= 2 calls open (most %d), "
              "deliveries %d, published %d" % (self.pages, kills,
                                               sum(n >= 2 for n in open_at_kill),
                                               max(open_at_kill, default=0), len(states),
                                               states.count("published")))
        for page in ids:
            texts = [p["raw_text"] for p in env.fake.posts("facebook") if p["account"] == page]
            self.assertEqual(len(texts), len(set(texts)), "duplicate on page " + page)
            self.assertEqual(len(texts), 7, (page, env.log()[-3000:]))
        self.assertEqual(set(states), {"published"}, env.log()[-3000:])
        self.assertGreaterEqual(kills, self.kills_wanted)
        self.assertGreaterEqual(max(open_at_kill, default=0), 2,
                                "no kill landed while several deliveries were in flight")


if __name__ == "__main__":
    import unittest
    unittest.main()
