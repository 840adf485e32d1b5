"""Many deliveries in flight at once from one rituald (libcurl multi).

Several Facebook Pages (add_facebook_pages), each with posts due now, and
the fake delaying every feed POST so that requests stay open long enough
to overlap. Everything is measured from the fake's own record of each
request: `time` (arrived) and `answered` (done). Two requests overlapped
when one arrived before the other was answered.

What must hold (config keys http.max_in_flight, http.max_per_host):
  - requests of different accounts overlap (the capability);
  - requests of one account never overlap (one delivery per account in
    flight), and schedule.min_gap still spaces one account's posts;
  - at most http.max_in_flight deliveries / http.max_per_host connections
    to one host at once;
  - every commit call on a fresh connection of its own;
  - SIGTERM with many requests open: they finish and are recorded, rituald
    exits 0, the rest stays pending; a second run publishes it; nothing is
    published twice and nothing is lost.
No speed criterion: the waits are generous timeouts only.
"""
import collections
import re
import signal
import sqlite3
import time

from harness import E2ETest, add_facebook_pages, cpu_seconds

FEED = "/feed$"
PAGE_IN_PATH = re.compile(r"^/v[0-9.]+/([0-9]+)/feed$")


def queue_text_posts(env, n):
    """n text posts (Facebook /feed) for every account, all due now;
    returns their texts."""
    texts = []
    for i in range(n):
        text = "In flight post %d of the batch." % (i + 1)
        path = env.write_post("p%02d.post" % i,
                              "Kind: tip\nAt: 2031-01-01 09:%02d\n\n%s\n" % (i * 10, text))
        env.ritual("add", path)
        texts.append(text)
    env.due_now()
    return texts


def feed_calls(env):
    return env.fake.requests(network="facebook", method="POST", path_regex=FEED)


def max_overlap(recs):
    """The most requests open at one instant: arrival +1, answer -1, and at
    equal instants the answer first (touching is no overlap). A record not
    answered yet counts as open until now."""
    now = time.time()
    events = []
    for r in recs:
        events.append((r["time"], 1))
        events.append((r["answered"] if r["answered"] is not None else now, -1))
    events.sort()
    cur = best = 0
    for _, step in events:
        cur += step
        best = max(best, cur)
    return best


def by_page(recs):
    out = collections.defaultdict(list)
    for r in recs:
        out[PAGE_IN_PATH.match(r["path"]).group(1)].append(r)
    for v in out.values():
        v.sort(key=lambda r: r["time"])
    return out


class InFlightHelpers(E2ETest):

    def many_pages_env(self, pages, posts, delay, http_extra="", schedule_extra="",
                       timeout=None):
        """pages Pages, posts text posts each due now, every feed POST held
        delay s; http_extra: more keys of the http group; timeout: its
        http.timeout instead of the harness's 4 s."""
        env = self.make_env(schedule_extra=schedule_extra)
        with open(env.config) as f:
            text = f.read()
        old = 'timeout = "4s"; upload_timeout = "6s"; };'
        self.assertIn(old, text)
        new = 'timeout = "%s"; upload_timeout = "6s"; %s };' % (timeout or "4s", http_extra)
        with open(env.config, "w") as f:
            f.write(text.replace(old, new, 1))
        ids = add_facebook_pages(env, pages)
        env.fake.fault({"network": "facebook", "method": "POST", "path_regex": FEED},
                       {"type": "delay", "seconds": delay}, times=-1)
        texts = queue_text_posts(env, posts) if posts else []
        return env, ids, texts

    def assert_each_once(self, env, ids, texts):
        """Every (page, text) published exactly once on the fake, and sent
        exactly once (no resend), and every delivery published."""
        # The text as sent is the post's body plus the business's booking line.
        got = collections.Counter((p["account"], p["raw_text"].split("\n")[0])
                                  for p in env.fake.posts("facebook"))
        want = collections.Counter((page, t) for page in ids for t in texts)
        self.assertEqual(got, want, env.log()[-3000:])
        sent = collections.Counter((PAGE_IN_PATH.match(r["path"]).group(1),
                                    r["form"]["message"].split("\n")[0])
                                   for r in feed_calls(env))
        self.assertEqual(sent, want, "a post sent twice or not at all")
        self.assertEqual(set(env.states()), {"published"}, env.log()[-3000:])

    def assert_accounts_never_overlap(self, recs):
        for page, calls in by_page(recs).items():
            for a, b in zip(calls, calls[1:]):
                self.assertIsNotNone(a["answered"], a)
                self.assertGreaterEqual(b["time"], a["answered"],
                                        "two requests of page %s in flight at once" % page)

    def assert_commit_connections_own(self, env):
        """Each commit call on a connection of its own (no request before or
        after it on that connection), also with many in flight."""
        reqs = env.fake.requests()
        conns = collections.Counter(r["connection"] for r in reqs)
        shared = [r["path"] for r in reqs if r["method"] == "POST" and r["path"].endswith("/feed")
                  and conns[r["connection"]] != 1]
        self.assertEqual(shared, [], "a commit call shared its connection")

    def publish_all(self, env, n, timeout=180):
        """Run rituald until n posts are out. While its requests wait on
        the fake it must sleep in poll(), not spin: its CPU time over the
        run stays well under the wall time (a loop that polls with a zero
        timeout, e.g. on a due delivery it has no room for, burns all of
        it)."""
        t0 = time.time()
        env.start_daemon()
        cpu0 = cpu_seconds(env.daemon.pid)
        env.wait_for(lambda: len(env.fake.posts("facebook")) >= n, timeout, "%d posts" % n)
        # The last answers are recorded before rituald stops.
        env.wait_for(lambda: all(r["answered"] is not None for r in feed_calls(env)), 10,
                     "every request answered")
        cpu, wall = cpu_seconds(env.daemon.pid) - cpu0, time.time() - t0
        print("\nrituald: %.2f s of CPU in %.1f s" % (cpu, wall))
        self.assertLess(cpu, wall / 2, "rituald busy while its requests were in flight")
        self.assertEqual(env.stop_daemon(), 0, env.log()[-3000:])


class ManyInFlight(InFlightHelpers):

    def test_different_accounts_overlap_one_account_never(self):
        env, ids, texts = self.many_pages_env(pages=12, posts=3, delay=1)
        self.publish_all(env, 12 * 3)
        recs = feed_calls(env)
        peak = max_overlap(recs)
        print("\nmany in flight: 12 pages x 3 posts, delay 1 s: at most %d requests open at once"
              % peak)
        # (i) the capability: several accounts' requests open at once
        self.assertGreater(peak, 1, "deliveries of different accounts never overlapped")
        # (ii) one account: never two at once
        self.assert_accounts_never_overlap(recs)
        # (iii) each post once per page, sent once
        self.assert_each_once(env, ids, texts)
        self.assert_commit_connections_own(env)

    def assert_capped(self, key, cap, pages):
        """http.KEY = cap: never more than cap requests open at once, yet
        more than one; every post once."""
        env, ids, texts = self.many_pages_env(pages=pages, posts=2, delay=1,
                                              http_extra="%s = %d;" % (key, cap))
        self.publish_all(env, pages * 2)
        recs = feed_calls(env)
        peak = max_overlap(recs)
        print("\n%s = %d: at most %d requests open at once" % (key, cap, peak))
        self.assertLessEqual(peak, cap, "more than http.%s at once" % key)
        self.assertGreater(peak, 1, "%s = %d ran one at a time" % (key, cap))
        self.assert_accounts_never_overlap(recs)
        self.assert_each_once(env, ids, texts)
        self.assert_commit_connections_own(env)

    def test_max_in_flight_caps_concurrency(self):
        self.assert_capped("max_in_flight", 3, pages=8)

    def test_max_per_host_caps_connections(self):
        # Every account's api is the one fake host, 127.0.0.1. Four pages:
        # a request queued behind max_per_host may count against
        # http.timeout (4 s here; two waves of 1 s stay well inside it).
        self.assert_capped("max_per_host", 2, pages=4)

    def test_min_gap_spaces_one_account_while_others_go(self):
        env, ids, texts = self.many_pages_env(pages=3, posts=2, delay=1,
                                              schedule_extra='min_gap = "3s";')
        self.publish_all(env, 3 * 2)
        recs = feed_calls(env)
        pages = by_page(recs)
        self.assertEqual(sorted(pages), sorted(ids))
        for page, (a, b) in pages.items():
            # published_at is a whole second taken after the answer, and the
            # claim waits until now >= published_at + 3 s: more than 2 s of
            # wall time between the first answer and the second request.
            self.assertGreaterEqual(b["time"] - a["answered"], 2.0,
                                    "page %s: posts %.2f s apart, min_gap is 3 s"
                                    % (page, b["time"] - a["answered"]))
            # Meanwhile another account's post went: a request of another
            # page was open inside (a.time, b.time).
            others = [r for r in recs if r not in (a, b) and r["path"] != a["path"]
                      and r["time"] < b["time"] and r["answered"] > a["time"]]
            self.assertTrue(others, "page %s: nothing else went during its min_gap" % page)
        self.assert_each_once(env, ids, texts)


class NoticedWhileBusy(InFlightHelpers):

    def test_a_post_added_while_others_are_in_flight_goes_at_once(self):
        """`ritual` changes the queue while three Pages' requests are held
        open: the fourth Page's new post goes before any of them is
        answered, not when one of them ends (rituald's own writes to the
        database are no reason to look again; another connection's are)."""
        env, ids, _ = self.many_pages_env(pages=4, posts=0, delay=4)
        names = ["facebook", "fb02", "fb03", "fb04"]
        for i, name in enumerate(names[:3]):
            env.ritual("add", env.write_post("busy%d.post" % i,
                       "Kind: tip\nAt: 2031-01-01 09:%02d\nTo: %s\n\nHeld post %d.\n"
                       % (i * 10, name, i)))
        env.due_now()
        env.start_daemon()
        env.wait_for(lambda: sum(r["answered"] is None for r in feed_calls(env)) == 3, 30,
                     "three requests held open")
        env.ritual("add", env.write_post(
            "late.post", "Kind: tip\nAt: 2031-01-02 09:00\nTo: fb04\n\nAdded meanwhile.\n"))
        env.due_now()   # the held three are `sending`, not moved
        env.wait_for(lambda: len(feed_calls(env)) == 4, 30, "the added post's request")
        recs = feed_calls(env)
        late = [r for r in recs if "/%s/feed" % ids[3] in r["path"]]
        held = [r for r in recs if r not in late]
        self.assertEqual(len(late), 1, recs)
        first_answer = min(r["answered"] or time.time() for r in held)
        self.assertLess(late[0]["time"], first_answer,
                        "the added post waited for a request in flight to end")
        env.wait_for(lambda: len(env.fake.posts("facebook")) == 4, 30, "4 posts")
        self.assertEqual(env.stop_daemon(), 0, env.log()[-3000:])


class SigtermInFlight(InFlightHelpers):

    def test_sigterm_cuts_requests_held_past_the_grace_and_reads_them_back(self):
        """Four Pages' commit calls held 12 s (http.timeout 40 s) at
        SIGTERM: rituald cuts them after its 8 s grace and exits 0; the
        four deliveries wait for a read-back, and the next run finds the
        posts the fake made meanwhile: each published once, none resent."""
        env, ids, texts = self.many_pages_env(pages=4, posts=1, delay=12, timeout="40s")
        env.start_daemon()
        env.wait_for(lambda: sum(r["answered"] is None for r in feed_calls(env)) == 4, 30,
                     "four requests held open")
        t0 = time.time()
        env.daemon.send_signal(signal.SIGTERM)
        try:
            rc = env.daemon.wait(30)
        except Exception:
            env.daemon.kill()
            env.daemon.wait()
            raise AssertionError("rituald did not exit within 30 s of SIGTERM")
        env.daemon = None
        print("\nSIGTERM with 4 requests held 12 s: exit after %.1f s" % (time.time() - t0))
        self.assertEqual(rc, 0, env.log()[-3000:])
        self.assertEqual(len(feed_calls(env)), 4)
        with sqlite3.connect(env.db) as db:
            rows = db.execute("SELECT state, phase FROM deliveries").fetchall()
        self.assertEqual(rows, [("pending", "commit")] * 4, env.log()[-3000:])
        # The fake goes on with the held calls and makes the posts.
        env.wait_for(lambda: len(env.fake.posts("facebook")) == 4, 30, "the fake's 4 posts")
        self.assertEqual(env.run_once(timeout=120), 0, env.log()[-3000:])
        self.assertEqual(len(feed_calls(env)), 4, "a held commit call was sent again")
        self.assert_each_once(env, ids, texts)

    def test_sigterm_with_many_in_flight_loses_and_duplicates_nothing(self):
        env, ids, texts = self.many_pages_env(pages=12, posts=2, delay=2)
        env.start_daemon()
        env.wait_for(lambda: sum(r["answered"] is None for r in feed_calls(env)) >= 2, 60,
                     "two requests in flight at once")
        open_at_term = sum(r["answered"] is None for r in feed_calls(env))
        env.daemon.send_signal(signal.SIGTERM)
        try:
            rc = env.daemon.wait(20)
        except Exception:
            env.daemon.kill()
            env.daemon.wait()
            raise AssertionError("rituald did not exit within 20 s of SIGTERM")
        env.daemon = None
        print("\nSIGTERM with %d requests open" % open_at_term)
        self.assertEqual(rc, 0, env.log()[-3000:])
        # The requests in flight finished and were answered, and their
        # outcomes recorded: published on the fake == published in the
        # queue; everything else still pending (resumable), nothing unknown.
        recs = feed_calls(env)
        self.assertTrue(all(r["status"] == 200 for r in recs),
                        [(r["path"], r["status"]) for r in recs if r["status"] != 200])
        states = collections.Counter(env.states())
        self.assertLessEqual(set(states), {"published", "pending"}, env.log()[-3000:])
        self.assertEqual(states["published"], len(env.fake.posts("facebook")), env.log()[-3000:])
        self.assertGreater(states["pending"], 0, "SIGTERM came too late to leave work pending")
        # The second run finishes the rest, sending nothing twice.
        self.assertEqual(env.run_once(timeout=180), 0, env.log()[-3000:])
        self.assert_each_once(env, ids, texts)


if __name__ == "__main__":
    import unittest
    unittest.main()
