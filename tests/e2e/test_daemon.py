"""rituald's life: signals, reload, one instance, missed posts, wake-ups."""
import signal
import subprocess
import time

from harness import E2ETest, RITUALD


class Daemon(E2ETest):

    def test_sigterm_lets_the_request_in_flight_finish(self):
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "delay", "seconds": 2}, times=1)
        env.start_daemon()
        env.due_now([first])
        env.wait_for(lambda: env.fake.requests(network="facebook", path_regex="/photos$") or
                     "publishing" in env.log(), 10, "the request to start")
        time.sleep(0.3)
        self.assertEqual(env.stop_daemon(signal.SIGTERM), 0)
        self.assertEqual(env.deliveries(first)["facebook"]["state"], "published", env.log())
        self.assertEqual(len(env.fake.posts()), 1)

    def test_sighup_reloads_and_keeps_old_config_when_new_is_bad(self):
        env = self.make_env()
        env.start_daemon()
        good = open(env.config).read()
        with open(env.config, "w") as f:
            f.write(good + "\nbogus_key = 1;\n")
        env.daemon.send_signal(signal.SIGHUP)
        env.wait_for(lambda: "reload refused" in env.log(), 10, "the refused reload")
        self.assertIn("bogus_key", env.log())
        self.assertIsNone(env.daemon.poll(), "still running on the old configuration")
        with open(env.config, "w") as f:
            f.write(good)
        env.daemon.send_signal(signal.SIGHUP)
        env.wait_for(lambda: "configuration reloaded" in env.log(), 10, "the reload")
        # Still publishes after the reload.
        path = env.write_post("x.post", "Kind: tip\nAt: 2031-01-01 09:00\n\nAfter reload.\n")
        env.ritual("add", path)
        env.due_now()
        env.wait_for(lambda: env.fake.posts(), 10, "a post after the reload")
        self.assertEqual(env.stop_daemon(), 0)

    def test_second_daemon_on_the_same_database_refuses(self):
        env = self.make_env()
        env.start_daemon()
        p = subprocess.run([RITUALD, "-c", env.config], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(p.returncode, 75)  # EX_TEMPFAIL
        self.assertIn("already running", p.stderr)
        # The owner's tool works while the daemon runs.
        env.import_sample()
        self.assertEqual(len(env.ritual_json("list", "--json")), 7)
        env.stop_daemon()

    def test_late_delivery_is_missed_not_published(self):
        env = self.make_env(schedule_extra='missed_after = "1h";')
        path = env.write_post("late.post", "Kind: tip\nAt: 2031-01-01 09:00\n\nLate.\n")
        env.ritual("add", path)
        pid = env.ritual_json("list", "--json")[0]["id"]
        # The server was off: make the post two hours overdue.
        import sqlite3
        db = sqlite3.connect(env.db)
        two_hours_ago = int(time.time()) - 7200
        db.execute("UPDATE posts SET due = ?", (two_hours_ago,))
        db.execute("UPDATE deliveries SET due = ?, next_attempt = ?", (two_hours_ago, two_hours_ago))
        db.commit()
        db.close()
        env.run_once()
        d = env.deliveries(pid)["facebook"]
        self.assertEqual(d["state"], "missed")
        self.assertIn("schedule.missed_after", d["error"])
        # Nothing sent but maintain()'s question about the token's expiry.
        self.assertEqual([r["path"] for r in env.fake.requests(network="facebook")],
                         ["/v25.0/debug_token"])
        # The owner decides to publish it anyway.
        env.ritual("retry", str(pid))
        env.run_once()
        self.assertEqual(env.deliveries(pid)["facebook"]["state"], "published")

    def test_min_gap_spaces_a_backlog(self):
        env = self.make_env(schedule_extra='min_gap = "3s";')
        env.import_sample()
        env.due_now()
        env.start_daemon()
        env.wait_for(lambda: len(env.fake.posts()) >= 3, 20, "three posts")
        env.stop_daemon()
        times = sorted(r["time"] for r in env.fake.requests(network="facebook",
                                                           path_regex="/photos$"))
        gaps = [b - a for a, b in zip(times, times[1:])]
        # Instants are whole seconds: a 3 s gap is at least 2 s of wall time.
        self.assertTrue(all(g >= 2.0 for g in gaps), gaps)

    def test_bad_config_exits_78_naming_the_line(self):
        env = self.make_env()
        with open(env.config, "a") as f:
            f.write('\nschedule2 = 1;\n')
        p = subprocess.run([RITUALD, "-c", env.config], capture_output=True, text=True,
                           timeout=20)
        self.assertEqual(p.returncode, 78)
        self.assertIn("ritual.conf:", p.stderr)
        p = subprocess.run([RITUALD, "-n", "-c", env.config], capture_output=True, text=True)
        self.assertEqual(p.returncode, 78)


if __name__ == "__main__":
    import unittest
    unittest.main()
