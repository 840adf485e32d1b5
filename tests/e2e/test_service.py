"""rituald as a service: make install, the unit, sd_notify, status, the
ritual group, read-only databases, backups, image pruning, heartbeat_url,
journal priorities."""
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest

from harness import BUILD, E2ETest, ROOT, RITUAL, RITUALD, need

OTHER_UID = 54321      # a user that is neither root nor in any group below
GROUP_GID = 54322      # "the ritual group" of these tests
HAVE_SETPRIV = shutil.which("setpriv") is not None and os.geteuid() == 0


def as_user(uid, gid, groups=()):
    """argv prefix: run as uid/gid with exactly these extra groups."""
    pre = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid]
    pre += ["--groups=%s" % ",".join(str(g) for g in groups)] if groups else ["--clear-groups"]
    return pre


def make_install(destdir, prefix="/usr", sysconfdir="/etc"):
    p = subprocess.run(["make", "-s", "-C", ROOT, "install", "BUILD=" + os.path.relpath(BUILD, ROOT),
                        "DESTDIR=" + destdir, "PREFIX=" + prefix, "SYSCONFDIR=" + sysconfdir],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise AssertionError("make install failed:\n" + p.stdout + p.stderr)


class Install(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ritual-install-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def test_install_destdir_then_the_programs_run_and_uninstall_removes_them(self):
        dest = os.path.join(self.tmp, "root")
        make_install(dest, prefix="/opt/rt")
        for path in ("opt/rt/bin/ritual", "opt/rt/sbin/rituald",
                     "opt/rt/share/man/man1/ritual.1", "opt/rt/share/man/man5/ritual.conf.5",
                     "opt/rt/share/man/man8/rituald.8", "opt/rt/lib/systemd/system/rituald.service",
                     "opt/rt/lib/sysusers.d/ritual.conf", "opt/rt/lib/tmpfiles.d/ritual.conf",
                     "opt/rt/share/doc/ritual/ritual.conf.example"):
            self.assertTrue(os.path.isfile(os.path.join(dest, path)), path)
        for prog, name in (("opt/rt/bin/ritual", "ritual"), ("opt/rt/sbin/rituald", "rituald")):
            p = subprocess.run([os.path.join(dest, prog), "--version"], capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(p.stdout.startswith(name + " "), p.stdout)
        unit = open(os.path.join(dest, "opt/rt/lib/systemd/system/rituald.service")).read()
        self.assertIn("ExecStart=/opt/rt/sbin/rituald -c /etc/ritual/ritual.conf", unit)
        self.assertIn("ExecReload=/opt/rt/sbin/rituald --check -c /etc/ritual/ritual.conf", unit)
        self.assertNotRegex(unit, r"@[A-Z]+@")
        self.assertIn("Type=notify", unit)
        # No core file from the service either (issue 9 item 6: a core
        # image held the tokens), whatever the system's default.
        self.assertRegex(unit, r"(?m)^LimitCORE=0$")
        p = subprocess.run(["make", "-s", "-C", ROOT, "uninstall", "DESTDIR=" + dest,
                            "PREFIX=/opt/rt"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        left = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs]
        self.assertEqual(left, [])

    def test_installed_unit_verifies_and_its_exposure_is_at_most_1_1(self):
        need(shutil.which("systemd-analyze"), "systemd-analyze (Debian package systemd)")
        # Installed under a prefix that exists here, so that verify finds
        # ExecStart's program and the man pages of Documentation=.
        prefix = os.path.join(self.tmp, "usr")
        make_install("", prefix=prefix, sysconfdir=os.path.join(self.tmp, "etc"))
        unit = os.path.join(prefix, "lib/systemd/system/rituald.service")
        env = dict(os.environ, MANPATH=os.path.join(prefix, "share/man"))
        p = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True,
                           text=True, env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("rituald.service", p.stdout + p.stderr, p.stdout + p.stderr)
        p = subprocess.run(["systemd-analyze", "security", "--offline=true", unit],
                           capture_output=True, text=True, env=env, timeout=120)
        m = re.search(r"Overall exposure level for rituald.service: ([0-9.]+)", p.stdout)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        self.assertLessEqual(float(m.group(1)), 1.1, p.stdout)

    def test_hardening_flags_are_on_and_given_flags_are_honoured(self):
        # The default build's flags, not those of the `make` running the
        # suite (SANITIZE= builds leave fortify out on purpose).
        menv = {k: v for k, v in os.environ.items()
                if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SANITIZE", "BUILD")}
        p = subprocess.run(["make", "-n", "-C", ROOT, "BUILD=build-flagcheck",
                            "CPPFLAGS=-DRITUAL_FLAG_CPP", "CFLAGS=-O1 -DRITUAL_FLAG_C",
                            "LDFLAGS=-Wl,--as-needed"], capture_output=True, text=True,
                           timeout=60, env=menv)
        self.assertEqual(p.returncode, 0, p.stderr)
        cc = [l for l in p.stdout.splitlines() if " -c src/store.c " in l][0]
        for flag in ("-D_FORTIFY_SOURCE=2", "-fstack-protector-strong", "-fPIE",
                     "-DRITUAL_FLAG_CPP", "-O1 -DRITUAL_FLAG_C"):
            self.assertIn(flag, cc)
        ld = [l for l in p.stdout.splitlines() if "-o build-flagcheck/rituald " in l][0]
        for flag in ("-pie", "-Wl,-z,relro", "-Wl,-z,now", "-Wl,--as-needed"):
            self.assertIn(flag, ld)
        # A _FORTIFY_SOURCE of the caller's (dpkg-buildflags) replaces ours.
        p = subprocess.run(["make", "-n", "-C", ROOT, "BUILD=build-flagcheck",
                            "CPPFLAGS=-D_FORTIFY_SOURCE=3"], capture_output=True, text=True,
                           timeout=60, env=menv)
        cc = [l for l in p.stdout.splitlines() if " -c src/store.c " in l][0]
        self.assertNotIn("-D_FORTIFY_SOURCE=2", cc)
        self.assertIn("-D_FORTIFY_SOURCE=3", cc)


class Notify(E2ETest):
    """sd_notify messages on a socket the test owns (NOTIFY_SOCKET)."""

    def start_notified(self, env, watchdog_usec=None):
        path = os.path.join(env.dir, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(0.2)
        self.addCleanup(sock.close)
        e = {"NOTIFY_SOCKET": path}
        if watchdog_usec:
            e["WATCHDOG_USEC"] = str(watchdog_usec)
        self.msgs = []

        def read():
            try:
                while True:
                    self.msgs.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
            return self.msgs
        # After read is made: start_daemon waits for the start-up line,
        # and the messages queue on the socket meanwhile.
        env.start_daemon(env=e)
        return read

    def wait_msg(self, read, pred, what, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(pred(m) for m in read()):
                return
        raise AssertionError("timed out after %ss waiting for %s; got %r"
                             % (timeout, what, self.msgs))

    def test_ready_status_watchdog_reload_and_stopping(self):
        env = self.make_env()
        path = env.write_post("a.post", "Kind: tip\nAt: 2031-01-05 09:00\n\nLater.\n")
        env.ritual("add", path)
        read = self.start_notified(env, watchdog_usec=1000000)
        self.wait_msg(read, lambda m: "READY=1" in m.split("\n"), "READY=1")
        ready = [m for m in self.msgs if "READY=1" in m.split("\n")][0]
        self.assertIn("MAINPID=%d" % env.daemon.pid, ready)
        self.wait_msg(read, lambda m: m.startswith("STATUS=next: post 1 to facebook"),
                      "STATUS=next: post 1 to facebook")
        # WATCHDOG_USEC=1s: a ping at least every 0.5 s while it sleeps.
        self.wait_msg(read, lambda m: self.msgs.count("WATCHDOG=1") >= 3, "three WATCHDOG=1")
        # A refused reload: RELOADING=1, then READY=1 with the reason.
        good = open(env.config).read()
        with open(env.config, "w") as f:
            f.write(good + "\nbogus_key = 1;\n")
        p = subprocess.run([RITUALD, "--check", "-c", env.config], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 78, "ExecReload's check fails: systemctl reload fails")
        del self.msgs[:]
        env.daemon.send_signal(signal.SIGHUP)
        self.wait_msg(read, lambda m: m.startswith("READY=1") and "reload refused" in m,
                      "READY=1 with the refusal")
        kinds = [m.split("\n")[0] for m in self.msgs]
        self.assertLess(kinds.index("RELOADING=1"), [i for i, m in enumerate(self.msgs)
                                                      if "reload refused" in m][0])
        refused = [m for m in self.msgs if "reload refused" in m][0]
        self.assertIn("bogus_key", refused)
        self.assertIn("ERRNO=22", refused)
        with open(env.config, "w") as f:
            f.write(good)
        del self.msgs[:]
        env.daemon.send_signal(signal.SIGHUP)
        self.wait_msg(read, lambda m: m.startswith("READY=1") and "reloaded" in m,
                      "READY=1 after the reload")
        self.assertTrue(any(m.startswith("RELOADING=1") for m in self.msgs), self.msgs)
        env.daemon.send_signal(signal.SIGTERM)
        self.wait_msg(read, lambda m: m.startswith("STOPPING=1"), "STOPPING=1")
        self.assertEqual(env.stop_daemon(), 0)

    def test_without_watchdog_no_watchdog_pings(self):
        env = self.make_env()
        read = self.start_notified(env)
        self.wait_msg(read, lambda m: "READY=1" in m.split("\n"), "READY=1")
        env.daemon.send_signal(signal.SIGTERM)
        self.wait_msg(read, lambda m: m.startswith("STOPPING=1"), "STOPPING=1")
        self.assertEqual(env.stop_daemon(), 0)
        self.assertNotIn("WATCHDOG=1", self.msgs)


class Status(E2ETest):

    def test_status_shows_rituald_accounts_next_posts_and_problems(self):
        env = self.make_env()
        with open(env.config, "a") as f:
            f.write('notify = { heartbeat_url = "%s/ping/check-1"; };\n' % env.fake.base)
        path = env.write_post("a.post", "Kind: tip\nAt: 2031-01-05 09:00\n\nLater.\n")
        env.ritual("add", path)
        p = env.ritual("status", expect=1)
        self.assertIn("rituald: never ran", p.stdout)
        env.start_daemon()
        st = env.wait_for(lambda: (lambda j: j if j["rituald"]["state"] == "running" else None)(
            json.loads(env.ritual("status", "--json", expect=None).stdout)), 10, "running")
        self.assertEqual(st["rituald"]["pid"], env.daemon.pid)
        self.assertEqual(st["rituald"]["version"], "0.1.0")
        self.assertEqual([a["name"] for a in st["accounts"]], ["facebook"])
        # rituald asked debug_token at start: the fake's Page token has
        # data access for 90 days (and no expires_at).
        st = env.wait_for(lambda: (lambda j: j if j["accounts"][0]["token_days_left"] is not None
                                   else None)(json.loads(env.ritual("status", "--json",
                                                                    expect=None).stdout)),
                          10, "the expiry recorded")
        self.assertIn(st["accounts"][0]["token_days_left"], (89, 90))
        self.assertEqual(st["next"][0]["post"], 1)
        self.assertEqual(st["problems"], [])
        text = env.ritual("status").stdout
        self.assertRegex(text, r"rituald: running \(pid %d, version 0.1.0" % env.daemon.pid)
        self.assertIn("post 1 to facebook", text)
        self.assertRegex(text, r"facebook +facebook +ok +(89|90)\b")
        # Once an expiry date is known (ritual connect or a refresh wrote
        # TOKEN_FILE.expires), status counts the whole days left.
        expires = os.path.join(env.dir, "facebook.token.expires")
        with open(expires, "w") as f:
            f.write("%d\n" % (time.time() + 10 * 86400 + 3600))
        os.chmod(expires, 0o600)
        st = json.loads(env.ritual("status", "--json", expect=None).stdout)
        self.assertEqual(st["accounts"][0]["token_days_left"], 10)
        self.assertRegex(env.ritual("status").stdout, r"facebook +facebook +ok +10\b")
        # The heartbeat URL: fetched once the loop is healthy.
        env.wait_for(lambda: env.fake.requests(path_regex="^/ping/check-1$"), 10,
                     "the heartbeat request")
        # A failed post is an open problem.
        env.fake.fault({"network": "facebook"}, {"type": "error", "status": 400,
                                                 "body": {"error": {"message": "Invalid parameter",
                                                                    "type": "OAuthException",
                                                                    "code": 100}}}, times=5)
        env.due_now()
        env.wait_for(lambda: json.loads(env.ritual("status", "--json", expect=None).stdout)
                     ["problems"], 20, "a problem")
        st = json.loads(env.ritual("status", "--json", expect=1).stdout)
        self.assertEqual(st["problems"][0]["kind"], "failed")
        self.assertEqual(st["problems"][0]["post"], 1)
        self.assertEqual(env.stop_daemon(), 0)
        st = json.loads(env.ritual("status", "--json", expect=1).stdout)
        self.assertEqual(st["rituald"]["state"], "stopped")


@unittest.skipUnless(HAVE_SETPRIV, "needs root and setpriv to act as another user")
class Sharing(E2ETest):
    """The owner without sudo: read-only access, and the ritual group."""

    def open_up(self, env):
        os.chmod(env.dir, 0o755)
        os.chmod(env.config, 0o644)

    def test_list_show_status_on_a_database_the_user_cannot_write(self):
        env = self.make_env()
        path = env.write_post("a.post", "Kind: tip\nAt: 2031-01-05 09:00\n\nRead me.\n")
        env.ritual("add", path)
        self.open_up(env)
        os.chmod(env.db, 0o644)
        self.assertFalse(os.path.exists(env.db + "-shm"))
        for with_daemon in (False, True):
            if with_daemon:
                env.start_daemon()
                env.wait_for(lambda: os.path.exists(env.db + "-shm"), 10, "the -shm file")
                os.chmod(env.db + "-shm", 0o644)
            for args in (["list", "--json"], ["show", "1", "--json"], ["status", "--json"]):
                p = subprocess.run(as_user(OTHER_UID, OTHER_UID) + [RITUAL, "-c", env.config]
                                   + args, capture_output=True, text=True, timeout=30)
                self.assertIn(p.returncode, (0, 1) if args[0] == "status" else (0,),
                              "%s (rituald running: %s): %s" % (args, with_daemon, p.stderr))
                json.loads(p.stdout)
                self.assertNotIn("readonly", p.stderr)
        env.stop_daemon()
        p = subprocess.run(as_user(OTHER_UID, OTHER_UID) + [RITUAL, "-c", env.config, "list"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("a.post", p.stdout)

    def test_a_group_member_adds_to_the_services_database(self):
        env = self.make_env()
        self.open_up(env)
        state = os.path.join(env.dir, "state")
        os.mkdir(state)
        os.chown(state, 0, GROUP_GID)
        os.chmod(state, 0o2770)
        cfg = open(env.config).read().replace('database = "queue.db";',
                                              'database = "state/queue.db";')
        with open(env.config, "w") as f:
            f.write(cfg)
        env.db = os.path.join(state, "queue.db")
        # rituald as the service: UMask=0007 from the unit.
        env.start_daemon(umask=0o007)
        st = os.stat(env.db)
        self.assertEqual(oct(st.st_mode & 0o777), oct(0o660))
        self.assertEqual(st.st_gid, GROUP_GID)
        path = env.write_post("g.post", "Kind: tip\nAt: 2031-01-05 09:00\n\nFrom the owner.\n")
        os.chmod(path, 0o644)
        p = subprocess.run(["sh", "-c", 'umask 007; exec "$@"', "sh"]
                           + as_user(OTHER_UID, OTHER_UID, [GROUP_GID])
                           + [RITUAL, "-c", env.config, "add", path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(env.db + suffix):
                self.assertEqual(oct(os.stat(env.db + suffix).st_mode & 0o777), oct(0o660),
                                 suffix)
        self.assertEqual(len(env.ritual_json("list", "--json")), 1)
        self.assertEqual(env.stop_daemon(), 0)


class Backup(E2ETest):

    def test_backup_while_rituald_publishes_is_consistent(self):
        env = self.make_env()
        env.import_sample()
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "delay", "seconds": 0.3}, times=7)
        env.start_daemon()
        env.due_now()
        copies = []
        for i in range(6):
            dest = os.path.join(env.dir, "backup-%d.db" % i)
            p = env.ritual("backup", dest)
            self.assertIn("backed up", p.stdout)
            copies.append(dest)
        env.wait_for(lambda: len(env.fake.posts()) == 7, 30, "seven posts")
        self.assertEqual(env.stop_daemon(), 0)
        for dest in copies:
            db = sqlite3.connect(dest)
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "delete")
            self.assertEqual(db.execute("SELECT count(*) FROM posts").fetchone()[0], 7)
            db.close()
            self.assertFalse(os.path.exists(dest + "-wal"))
        # Never overwrites.
        p = env.ritual("backup", copies[0], expect=73)
        self.assertIn("already exists", p.stderr)
        # A restored copy is a working database.
        final = os.path.join(env.dir, "final.db")
        env.ritual("backup", final)
        os.rename(final, env.db)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(env.db + suffix):
                os.unlink(env.db + suffix)
        self.assertEqual(len(env.ritual_json("list", "--all", "--json")), 7)


class KeepDays(E2ETest):

    def test_images_of_old_published_posts_are_dropped_others_kept(self):
        # media = { keep_days = ...; } alone: no image host needed.
        env = self.make_env(extra="media = { keep_days = 2; };")
        env.import_sample()
        ids = [p["id"] for p in env.ritual_json("list", "--json")]
        env.due_now(ids[:2])
        self.assertEqual(env.run_once(), 0)
        db = sqlite3.connect(env.db)
        self.addCleanup(db.close)

        def sizes():
            return dict(db.execute("SELECT p.id, length(m.data) FROM posts p "
                                   "JOIN media m ON m.id = p.media_id").fetchall())
        self.assertTrue(all(v > 0 for v in sizes().values()))
        # Post 1 was published three days ago, post 2 one day ago.
        db.execute("UPDATE deliveries SET published_at = published_at - 3 * 86400 "
                   "WHERE post_id = ?", (ids[0],))
        db.execute("UPDATE deliveries SET published_at = published_at - 1 * 86400 "
                   "WHERE post_id = ?", (ids[1],))
        db.commit()
        self.assertEqual(env.run_once(), 0)
        s = sizes()
        self.assertEqual(s[ids[0]], 0, env.log())
        self.assertGreater(s[ids[1]], 0)
        for i in ids[2:]:
            self.assertGreater(s[i], 0, "pending posts keep their images")
        self.assertRegex(env.log(), r"dropped the images of 1 post .*images=1 keep_days=2")
        # The post is still shown.
        self.assertEqual(env.ritual_json("show", str(ids[0]), "--json")["id"], ids[0])


class Logs(E2ETest):

    def test_journal_priorities_only_when_stderr_is_the_journal(self):
        env = self.make_env()
        with open(env.daemon_log, "w") as log:
            st = os.fstat(log.fileno())
            e = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
            subprocess.run([RITUALD, "-c", env.config, "--once"], stdout=log, stderr=log,
                           env=e, timeout=30)
        lines = env.log().splitlines()
        self.assertTrue(lines and all(re.match(r"<[3-7]>", l) for l in lines), lines)
        self.assertTrue(any(l.startswith("<6>rituald 0.1.0 started") for l in lines), lines)
        with open(env.daemon_log, "w") as log:
            e = dict(os.environ, JOURNAL_STREAM="1:1")   # a stream that is not stderr
            subprocess.run([RITUALD, "-c", env.config, "--once"], stdout=log, stderr=log,
                           env=e, timeout=30)
        self.assertFalse(any(l.startswith("<") for l in env.log().splitlines()), env.log())

    def test_next_delivery_is_logged_once_per_change(self):
        env = self.make_env()
        a = env.write_post("a.post", "Kind: tip\nAt: 2031-01-05 09:00\n\nFirst.\n")
        env.ritual("add", a)
        env.start_daemon()
        env.wait_for(lambda: "next delivery due" in env.log(), 10, "the next line")
        # Another post later than the first: the next wake does not change.
        b = env.write_post("b.post", "Kind: tip\nAt: 2031-01-07 09:00\n\nSecond.\n")
        env.ritual("add", b)
        c = env.write_post("c.post", "Kind: tip\nAt: 2031-01-08 09:00\n\nThird.\n")
        env.ritual("add", c)
        # An earlier one changes it: logged once more.
        d = env.write_post("d.post", "Kind: tip\nAt: 2031-01-03 09:00\n\nEarlier.\n")
        env.ritual("add", d)
        env.wait_for(lambda: env.log().count("next delivery due") >= 2, 10, "the new next")
        self.assertEqual(env.stop_daemon(), 0)
        nexts = re.findall(r"next delivery due (\S+ \S+ \S+)", env.log())
        self.assertEqual(len(nexts), 2, env.log())
        self.assertNotEqual(nexts[0], nexts[1])
        self.assertRegex(env.log(), r"next delivery due .* next=\d+")


class Credentials(E2ETest):

    def test_token_from_the_credentials_directory(self):
        env = self.make_env()
        creds = os.path.join(env.dir, "creds")
        os.mkdir(creds, 0o700)
        os.rename(os.path.join(env.dir, "facebook.token"), os.path.join(creds, "fb"))
        cfg = open(env.config).read().replace('token_file = "facebook.token"',
                                              'token_file = "credential:fb"')
        with open(env.config, "w") as f:
            f.write(cfg)
        # Outside the unit the configuration still loads (the owner's ritual).
        path = env.write_post("a.post", "Kind: tip\nAt: 2031-01-05 09:00\n\nCred.\n")
        env.ritual("add", path)
        env.due_now()
        with open(env.daemon_log, "a") as log:
            p = subprocess.run([RITUALD, "-c", env.config, "--once"], stdout=log, stderr=log,
                               env=dict(os.environ, CREDENTIALS_DIRECTORY=creds), timeout=60)
        self.assertEqual(p.returncode, 0, env.log())
        self.assertEqual(len(env.fake.posts()), 1, env.log())
        p = env.ritual("check", expect=None)
        bad = cfg.replace("credential:fb", "credential:../fb")
        with open(env.config, "w") as f:
            f.write(bad)
        p = env.ritual("list", expect=78)
        self.assertIn("not a credential name", p.stderr)


if __name__ == "__main__":
    unittest.main()
