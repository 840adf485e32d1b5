"""Issue 9, item 4: rituald under trouble.

- a full disk: a back-off with a floor, and a log that says a repeated
  problem once a minute, not thousands of times a second;
- the database deleted or replaced under a running rituald: it stops and
  exits 66 (EX_NOINPUT) so that systemd restarts it on the new file;
- a wall clock that jumps forward while rituald runs (libfaketime, only the
  wall clock): the posts due in the jump are published, not missed; a
  rituald started after the due time (the machine was off) still marks them
  missed.

The disk tests need root and tmpfs mounts; the clock tests need Debian's
faketime package. Each is skipped otherwise, and fails under CI
(harness.need).
"""
import datetime
import os
import signal
import sqlite3
import time
import unittest
import zoneinfo

from harness import E2ETest, SmallDisk, can_mount, cpu_seconds, faketime_env, need

EX_NOINPUT = 66
TZ = zoneinfo.ZoneInfo("America/New_York")


class FullDisk(SmallDisk, E2ETest):

    def setUp(self):
        need(can_mount(), "root and tmpfs mounts")

    def test_full_disk_for_30s_is_quiet_cheap_and_loses_nothing(self):
        env = self.make_env()
        dbdir = self.small_disk(env, "2m")
        env.import_sample()
        env.due_now()
        # Each publish takes a second, so that the disk fills mid-way.
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "delay", "seconds": 1}, times=-1)
        proc = env.start_daemon()
        filler = self.fill(dbdir)
        env.wait_for(lambda: "disk is full" in env.log(), 30, "the full disk")
        # A publish in flight when the disk filled (its call takes a
        # second) ends with lines of its own: published, not recorded,
        # the notice. They are not the repeats this counts (under ASan
        # they came after the first full-disk line: 5 lines).
        time.sleep(5)
        lines0 = env.log().count("\n")
        cpu0 = cpu_seconds(proc.pid)
        time.sleep(30)
        self.assertIsNone(proc.poll(), env.log())
        lines = env.log().count("\n") - lines0
        cpu = cpu_seconds(proc.pid) - cpu0
        print("\nfull disk, 30 s: %d log lines, %.2f s CPU" % (lines, cpu))
        # The README promises one line a minute for a lasting problem
        # (measured: 1 line, 0.01 s CPU); 3 lines and 1 s leave room for a
        # slow machine, not for a loop that retries at once.
        self.assertLessEqual(lines, 3, env.log()[-3000:])
        self.assertLess(cpu, 1.0)
        os.unlink(filler)
        # The back-off is at most a minute, so all goes out within ~2.
        env.wait_for(lambda: len(env.fake.posts()) >= 7, 150, "all posts after space is back")
        env.wait_for(lambda: set(env.states()) == {"published"}, 30, "all recorded")
        self.assertEqual(env.stop_daemon(), 0)
        posts = env.fake.posts()
        self.assertEqual(len(posts), 7, env.log())
        self.assertEqual(len({p["raw_text"] for p in posts}), 7)
        self.assertIn("cleared after", env.log())


class DatabaseGone(E2ETest):

    def wait_exit(self, env, timeout=15):
        env.wait_for(lambda: env.daemon.poll() is not None, timeout, "rituald to exit")
        rc = env.daemon.returncode
        env.daemon = None
        return rc

    def test_database_deleted_exits_with_66_and_says_why(self):
        env = self.make_env()
        env.import_sample()
        env.start_daemon()
        env.wait_for(lambda: "next delivery due" in env.log(), 10, "rituald idle")
        os.unlink(env.db)
        rc = self.wait_exit(env)
        self.assertEqual(rc, EX_NOINPUT, env.log())
        self.assertIn("database %s was deleted while rituald ran; exiting" % env.db,
                      env.log())

    def test_database_replaced_by_a_copy_exits_then_publishes_each_post_once(self):
        env = self.make_env()
        env.import_sample()
        first = [p["id"] for p in env.ritual_json("list", "--json")][:2]
        env.due_now(first)
        env.start_daemon()
        env.wait_for(lambda: len(env.fake.posts()) >= 2, 30, "the first two posts")
        env.wait_for(lambda: env.states().count("published") == 2, 10, "recorded")
        # A copy (as a restore from a backup would make), moved over the file.
        copy = env.db + ".new"
        src, dst = sqlite3.connect(env.db), sqlite3.connect(copy)
        src.backup(dst)
        src.close()
        dst.close()
        os.rename(copy, env.db)
        rc = self.wait_exit(env)
        self.assertEqual(rc, EX_NOINPUT, env.log())
        self.assertIn("database %s was replaced while rituald ran; exiting" % env.db,
                      env.log())
        # The owner queues the rest now: in the new file. A restart
        # publishes them, and nothing twice.
        env.due_now()
        env.start_daemon()
        env.wait_for(lambda: len(env.fake.posts()) >= 7, 60, "the other posts")
        env.wait_for(lambda: set(env.states()) == {"published"}, 30, "all recorded")
        self.assertEqual(env.stop_daemon(), 0)
        posts = env.fake.posts()
        self.assertEqual(len(posts), 7, env.log())
        self.assertEqual(len({p["raw_text"] for p in posts}), 7)


class ClockJump(E2ETest):
    """Posts due at +3 h, +20 h and +40 h (missed_after is 6 h), then the
    wall clock goes +2 days."""

    OFFSETS = (3, 20, 40)

    def setup_posts(self, env):
        env.import_sample()
        ids = [p["id"] for p in env.ritual_json("list", "--json")][:len(self.OFFSETS)]
        now = datetime.datetime.now(TZ)
        for pid, hours in zip(ids, self.OFFSETS):
            when = (now + datetime.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")
            env.ritual("reschedule", str(pid), when)
        return ids

    def faketime_env(self, env, offset):
        """(the spec file, the environment): rituald's wall clock at
        offset, moved by rewriting the file."""
        spec = os.path.join(env.dir, "faketime.spec")
        return spec, faketime_env(offset, spec_file=spec)

    def test_forward_jump_while_running_publishes_the_posts_due_in_it(self):
        env = self.make_env()
        spec, fenv = self.faketime_env(env, "+0")     # need()s libfaketime first
        ids = self.setup_posts(env)
        proc = env.start_daemon(env=fenv)
        env.wait_for(lambda: "next delivery due" in env.log(), 10, "rituald idle")
        with open(spec, "w") as f:
            f.write("+2d\n")
        # Wake it now rather than at its next minute tick.
        proc.send_signal(signal.SIGUSR1)
        env.wait_for(lambda: len(env.fake.posts()) >= len(ids), 30, "the jumped posts")
        for pid in ids:
            env.wait_for(lambda: env.deliveries(pid)["facebook"]["state"] != "sending",
                         10, "post %d recorded" % pid)
            self.assertEqual(env.deliveries(pid)["facebook"]["state"], "published",
                             env.log())
        self.assertNotIn("missed", env.states())
        self.assertIn("the clock jumped forward by 2 days 0 h while rituald ran; "
                      "publishing the", env.log())
        self.assertEqual(env.stop_daemon(), 0)

    def test_started_after_the_due_time_still_marks_them_missed(self):
        env = self.make_env()
        spec, fenv = self.faketime_env(env, "+2d")     # need()s libfaketime first
        ids = self.setup_posts(env)
        env.start_daemon(env=fenv)
        for pid in ids:
            env.wait_for(lambda: env.deliveries(pid)["facebook"]["state"] == "missed",
                         30, "post %d missed" % pid)
        self.assertEqual(env.fake.posts(), [])
        self.assertNotIn("clock jumped", env.log())
        self.assertEqual(env.stop_daemon(), 0)


if __name__ == "__main__":
    unittest.main()
