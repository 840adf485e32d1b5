"""Issue 11: a queue that stays usable at scale. rituald stops on SIGTERM
even while a big queue keeps it in a query, and `ritual list` is bounded
by default and pages (--all, --limit, --after; the JSON stays an array).
The big databases are filled with SQL directly (far quicker than `ritual
import`); no timing is asserted beyond "rituald stopped" (timings are in
`BENCH_ONLY=wake make bench`)."""
import json
import os
import signal
import sqlite3
import time

from harness import E2ETest

BODY = "A queued post of ordinary length, number %d, about a morning ritual."


def fill(env, n, t0, step=60, state="pending", accounts=("facebook",), first=1):
    """n posts with one delivery each (state), due t0, t0 + step, ...;
    ids from first on."""
    c = sqlite3.connect(env.db)
    c.execute("BEGIN")
    c.executemany("INSERT INTO posts(id, kind, title, body, source, due, created)"
                  " VALUES (?, 'tip', ?, ?, ?, ?, ?)",
                  ((i, "Post %d" % i, BODY % i, "/q/%d.post" % i, t0 + step * (i - first), t0)
                   for i in range(first, first + n)))
    c.executemany("INSERT INTO deliveries(id, post_id, account, network, text, content_hash,"
                  " state, due, next_attempt, published_at) VALUES (?, ?, ?, 'facebook', ?, ?,"
                  " ?, ?, ?, ?)",
                  ((i, i, accounts[i % len(accounts)], BODY % i, "%064x" % i, state,
                    t0 + step * (i - first), t0 + step * (i - first),
                    t0 + step * (i - first) if state == "published" else None)
                   for i in range(first, first + n)))
    c.execute("COMMIT")
    c.close()


def new_db(env):
    """The schema, made by ritual itself, with nothing queued."""
    p = env.write_post("seed.post", "Kind: tip\nTitle: Seed\nAt: 2031-01-06 09:00\n\nSeed.\n")
    env.ritual("add", p)
    c = sqlite3.connect(env.db)
    c.execute("DELETE FROM deliveries")
    c.execute("DELETE FROM posts")
    c.commit()
    c.close()


class StopUnderLoad(E2ETest):
    def test_sigterm_stops_rituald_in_a_big_queue(self):
        """40,000 pending deliveries: the old next-wake query took minutes
        over them and SIGTERM waited for it (issue 11). Now the query is an
        index lookup and a long one is interrupted by the stop flag."""
        env = self.make_env()
        new_db(env)
        fill(env, 40000, int(time.time()) + 86400)
        env.start_daemon()
        time.sleep(1)     # past the start-up line: in the first wake
        rc = env.stop_daemon(signal.SIGTERM, timeout=15)
        self.assertEqual(rc, 0, env.log()[-2000:])
        self.assertIn("stopping on signal", env.log())


class ListPages(E2ETest):
    def setUp(self):
        super().setUp()
        self.env = self.make_env()
        new_db(self.env)
        now = int(time.time())
        # 3,000 published long ago (ids 1..3000), 5 published yesterday
        # (3001..3005), 2,500 pending from tomorrow on (3006..5505).
        fill(self.env, 3000, now - 400 * 86400, step=3600, state="published")
        fill(self.env, 5, now - 86400, state="published", first=3001)
        fill(self.env, 2500, now + 86400, first=3006)

    def test_default_list_is_bounded(self):
        """The default list shows what is pending and the last 7 days, and
        at most a page of it (the old list printed everything)."""
        v = self.env.ritual_json("list", "--json")
        self.assertIsInstance(v, list)
        ids = [p["id"] for p in v]
        self.assertTrue(ids, "nothing listed")
        self.assertLessEqual(len(ids), 1000, "the default list is not bounded")
        self.assertTrue(all(i > 3000 for i in ids), "old posts in the default list")
        self.assertEqual(ids[:5], [3001, 3002, 3003, 3004, 3005])
        p = self.env.ritual("list", "--json")
        self.assertIn("--after %d" % ids[-1], p.stderr)
        text = self.env.ritual("list")
        self.assertLessEqual(len(text.stdout.splitlines()), 1003)
        self.assertIn("--after %d" % ids[-1], text.stdout + text.stderr)

    def test_all_pages_with_limit_and_after(self):
        """--all --limit N --after ID walks every post once, in list order,
        JSON arrays with today's field names."""
        seen = []
        after = None
        pages = 0
        while True:
            args = ["list", "--all", "--json", "--limit", "700"]
            if after is not None:
                args += ["--after", str(after)]
            v = self.env.ritual_json(*args)
            self.assertIsInstance(v, list)
            if not v:
                break
            self.assertLessEqual(len(v), 700)
            for k in ("id", "due", "deliveries"):
                self.assertIn(k, v[0])
            seen += [p["id"] for p in v]
            after = v[-1]["id"]
            pages += 1
            self.assertLess(pages, 20, "paging does not end")
        self.assertEqual(seen, list(range(1, 5506)))
        self.assertEqual(pages, 8)
        last = self.env.ritual_json("list", "--all", "--json", "--limit", "3", "--after", "5502")
        self.assertEqual([p["id"] for p in last], [5503, 5504, 5505])

    def test_bad_paging_arguments(self):
        for args in (["--limit", "0"], ["--limit", "x"], ["--after", "-3"], ["--limit"]):
            p = self.env.ritual("list", *args, expect=None)
            self.assertEqual(p.returncode, 64, (args, p.stdout, p.stderr))
        p = self.env.ritual("list", "--after", "999999", expect=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("999999", p.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main()


class WeekBounded(E2ETest):
    def test_week_and_calendar_show_a_bounded_page(self):
        """An agency's week of 1,200 posts (one a minute): `week` and
        `calendar` show the first 1,000, say where they end and how to list
        the rest, and the JSON says posts_more (the old code printed all of
        them: output and time grew with the week)."""
        env = self.make_env()
        new_db(env)
        t0 = (int(time.time()) // 86400 + 8) * 86400
        fill(env, 1200, t0)
        day = time.strftime("%Y-%m-%d", time.gmtime(t0))
        w = env.ritual_json("week", "--from", day, "--weeks", "2", "--json")
        ids = [e["id"] for wk in w["weeks"] for d in wk["days"] for e in d["slots"]
               if not e["free"]]
        self.assertIs(w.get("posts_more"), True)
        self.assertEqual(len(ids), 1000)
        self.assertEqual(sorted(ids), list(range(1, 1001)))
        plain = env.ritual("week", "--from", day, "--weeks", "2").stdout
        self.assertIn("Only the first 1000 posts of these weeks are shown, up to #1000", plain)
        self.assertIn("`ritual list --all --after 1000` lists the rest", plain)
        rest = env.ritual_json("list", "--all", "--after", "1000", "--limit", "10", "--json")
        self.assertEqual([p["id"] for p in rest], list(range(1001, 1011)))
        html = os.path.join(env.dir, "week.html")
        env.ritual("calendar", "--html", html, "--from", day, "--weeks", "2")
        with open(html) as f:
            page = f.read()
        self.assertEqual(page.count('<article class="post"'), 1000)
        self.assertIn('<p class="more">Only the first 1000 posts', page)
        # A studio's weeks are whole: no line, posts_more false.
        w = env.ritual_json("week", "--from", "2031-01-06", "--json")
        self.assertIs(w.get("posts_more"), False)
