"""Issue 11: a queue that stays usable at scale. rituald stops on SIGTERM
even while a big queue keeps it in a query, and `ritual list` is bounded
by default and pages (--all, --limit, --after; the JSON stays an array).
The big databases are filled with SQL directly (far quicker than `ritual
import`); no timing is asserted beyond "rituald stopped" (timings are in
`BENCH_ONLY=wake make bench`)."""
import json
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


if __name__ == "__main__":
    import unittest
    unittest.main()
