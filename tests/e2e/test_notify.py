"""Notices (issue 10 section 1): mail through a real SMTP server on loopback
(Debian's python3-aiosmtpd, tests/fake/smtp_sink.py), the event command,
coalescing, retry, `ritual events` and `ritual check --notify`.

The mails are parsed with Python's email package, as a mail client would.
"""
import email
import email.policy
import email.utils
import glob
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import time

from harness import E2ETest, ROOT, SmallDisk, can_mount, need

SINK = os.path.join(ROOT, "tests", "fake", "smtp_sink.py")
PY = "/usr/bin/python3"


def have_aiosmtpd():
    return subprocess.run([PY, "-c", "import aiosmtpd"],
                          capture_output=True).returncode == 0


class Smtp:
    """The sink as a subprocess; folder holds N.eml and N.json."""

    def __init__(self, env, user=None, password=None):
        self.dir = os.path.join(env.dir, "mail")
        os.mkdir(self.dir)
        port_file = os.path.join(env.dir, "smtp.port")
        args = [PY, SINK, "--dir", self.dir, "--port-file", port_file]
        if user:
            pw = os.path.join(env.dir, "sink.password")
            with open(pw, "w") as f:
                f.write(password)
            args += ["--user", user, "--password-file", pw]
        self.err = open(os.path.join(env.dir, "smtp.err"), "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.err)
        env.wait_for(lambda: os.path.exists(port_file) or self.proc.poll() is not None,
                     15, "the SMTP sink")
        with open(port_file) as f:
            self.port = int(f.read())

    def mode(self, m):
        with open(os.path.join(self.dir, "mode"), "w") as f:
            f.write(m)

    def mails(self, dry=False):
        """The mails received, oldest first; the queue-dry warnings (an
        account whose queue ran dry, as a test's account's does once its
        posts are out) left out unless dry."""
        out = []
        for p in sorted(glob.glob(os.path.join(self.dir, "*.eml")),
                        key=lambda p: int(os.path.basename(p).split(".")[0])):
            with open(p, "rb") as f:
                raw = f.read()
            with open(p[:-4] + ".json") as f:
                env = json.load(f)
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            if not dry and "nothing queued" in str(msg["Subject"]):
                continue
            out.append((msg, env, raw))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.err.close()


HOOK = r'''#!/usr/bin/python3
import json, os, sys
data = sys.stdin.read()
folder = os.path.dirname(os.path.abspath(__file__))
n = len([f for f in os.listdir(folder) if f.startswith("hook-")])
with open(os.path.join(folder, "hook-%d.json" % n), "w") as f:
    json.dump({"argv": sys.argv[1:], "stdin": data}, f)
'''


def post(i, title):
    return "Kind: tip\nTitle: %s\nAt: 2031-01-0%d 09:00\n\nBody of post %d.\n" % (
        title, 1 + i % 9, i)


class NotifyBase(E2ETest):
    """The SMTP sink, the hook and their helpers; no tests."""

    def setUp(self):
        need(have_aiosmtpd(), "aiosmtpd (Debian package python3-aiosmtpd)")

    def env_with_mail(self, command=False, auth=True, **kw):
        password = "smtp-pw-" + secrets.token_hex(12)
        # the env is made first (its folder), then the config gets notify
        env = self.make_env(**kw)
        env.tokens["smtp"] = password
        smtp = Smtp(env, user="ritual@studio.example" if auth else None,
                    password=password)
        self.addCleanup(smtp.stop)
        pw = os.path.join(env.dir, "smtp.password")
        with open(pw, "w") as f:
            f.write(password + "\n")
        os.chmod(pw, 0o600)
        hook = ""
        if command:
            path = os.path.join(env.dir, "hook", "on-event")
            os.mkdir(os.path.dirname(path))
            with open(path, "w") as f:
                f.write(HOOK)
            os.chmod(path, 0o755)
            hook = 'command = "%s";' % path
            env.hook_dir = os.path.dirname(path)
        auth_keys = ('user = "ritual@studio.example"; password_file = "smtp.password";'
                     if auth else "")
        with open(env.config, "a") as f:
            # dry_days = 0: these tests count the mails of other notices
            f.write('notify = { dry_days = 0; email = { smtp_url = "smtp://127.0.0.1:%d"; '
                    'from = "ritual@studio.example"; to = [ "owner@studio.example" ]; '
                    '%s }; %s };\n' % (smtp.port, auth_keys, hook))
        return env, smtp

    def start_again(self, env):
        """start_daemon, waiting for this daemon's own start-up line."""
        n = env.log().count(" started: ")
        env.start_daemon()
        env.wait_for(lambda: env.log().count(" started: ") > n, 10, "rituald start")

    def hooks(self, env, dry=False):
        """The hook's runs, oldest first; queue-dry left out unless dry."""
        out = []
        for i in range(100):
            p = os.path.join(env.hook_dir, "hook-%d.json" % i)
            if not os.path.exists(p):
                break
            with open(p) as f:
                h = json.load(f)
            if dry or h["argv"] != ["queue-dry"]:
                out.append(h)
        return out

    def events(self, env, *args):
        """`ritual events ARGS`' JSON without the queue-dry notices."""
        return [e for e in env.ritual_json("events", *args)
                if e["event"] != "queue-dry"]

    def assert_clean(self, env, smtp):
        for msg, envl, raw in smtp.mails(dry=True):
            for name, tok in env.tokens.items():
                self.assertNotIn(tok.encode(), raw, "%s in a mail" % name)
                self.assertNotIn(tok, msg.get_content(), "%s in a mail" % name)

class Notify(NotifyBase):

    def test_failed_post_mail_headers_body_and_hook(self):
        env, smtp = self.env_with_mail(command=True)
        title = "Étirements du matin \u2014 \u00e9t\u00e9 \U0001F9D8 with a title long enough to fold"
        env.ritual("add", env.write_post("a.post", post(1, title)))
        pid = env.ritual_json("list", "--json")[0]["id"]
        env.fake.fault({"network": "facebook"},
                       {"type": "meta_error", "code": 100,
                        "message": "Invalid parameter (the platform's words)"}, times=5)
        env.due_now()
        env.run_once()
        self.assertEqual(env.deliveries(pid)["facebook"]["state"], "failed", env.log())
        mails = smtp.mails()
        self.assertEqual(len(mails), 1, env.log())
        msg, envl, raw = mails[0]
        self.assertEqual(envl["mail_from"], "ritual@studio.example")
        self.assertEqual(envl["rcpt_tos"], ["owner@studio.example"])
        self.assertEqual(envl["login"], "ritual@studio.example")
        self.assertIsNotNone(email.utils.parsedate_to_datetime(msg["Date"]))
        self.assertRegex(msg["Message-ID"], r"^<[^@<>\s]+@studio\.example>$")
        self.assertEqual(msg["From"], "ritual@studio.example")
        self.assertEqual(msg["To"], "owner@studio.example")
        self.assertIn(title, str(msg["Subject"]))
        self.assertIn("=?UTF-8?B?", raw.decode("ascii"))  # really encoded
        for line in raw.split(b"\r\n"):
            self.assertLessEqual(len(line), 78)
        self.assertEqual(msg.get_content_type(), "text/plain")
        self.assertEqual(msg.get_content_charset(), "utf-8")
        body = msg.get_content().replace("\r\n", "\n")
        self.assertIn("Invalid parameter (the platform's words)", body)
        self.assertIn("What to do: Fix what the message says, then run `ritual retry %d`"
                      % pid, body)
        self.assertIn('Post: %d "%s" (%s)\n' % (pid, title, os.path.join(env.dir, "a.post")),
                      body)
        self.assertIn("Account: facebook (facebook)\n", body)
        # the hook: argv[1] is the event name, the notice as JSON on stdin
        hooks = self.hooks(env)
        self.assertEqual(len(hooks), 1)
        self.assertEqual(hooks[0]["argv"], ["failed"])
        j = json.loads(hooks[0]["stdin"])
        self.assertEqual(j["event"], "failed")
        self.assertEqual(j["account"], "facebook")
        self.assertEqual(j["network"], "facebook")
        self.assertEqual(j["post"], {"id": pid, "title": title,
                                     "file": os.path.join(env.dir, "a.post")})
        self.assertIn("Invalid parameter", j["message"])
        self.assertIn("ritual retry", j["fix"])
        self.assertIs(j["resolved"], False)
        self.assertEqual(j["count"], 1)
        self.assertRegex(j["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
        # `ritual events`, text and JSON
        ev = self.events(env, "--json")
        self.assertEqual(len(ev), 1)
        self.assertEqual(ev[0]["event"], "failed")
        self.assertEqual(ev[0]["post"]["id"], pid)
        self.assertEqual(ev[0]["state"], "open")
        text = env.ritual("events").stdout
        self.assertIn("failed", text)
        self.assertIn("post %d" % pid, text)
        self.assertIn("Invalid parameter", text)
        # --since: older notices are left out, open problems always shown
        env.ritual("check", "--notify")      # a test notice: told, not open
        self.assertEqual(len(self.events(env, "--json")), 2)
        later = self.events(env, "--since", "2031-01-01 00:00", "--json")
        self.assertEqual([(e["event"], e["state"]) for e in later], [("failed", "open")])
        self.assert_clean(env, smtp)
        self.assertNotIn(env.tokens["smtp"], env.log())
        for h in hooks:
            self.assertNotIn(env.tokens["facebook"], h["stdin"])

    def test_ten_posts_on_a_paused_account_make_one_mail_and_one_resolved(self):
        env, smtp = self.env_with_mail()
        for i in range(10):
            env.ritual("add", env.write_post("p%d.post" % i, post(i, "Post %d" % i)))
        # the token is revoked: every call is refused with 190
        env.fake.fault({"network": "facebook"},
                       {"type": "meta_error", "code": 190, "subcode": 460,
                        "message": "Error validating access token: the session "
                                   "has been invalidated"}, times=1000)
        env.due_now()
        env.run_once()
        env.run_once()
        mails = smtp.mails()
        self.assertEqual(len(mails), 1, env.log())
        self.assertIn("paused", str(mails[0][0]["Subject"]))
        self.assertIn("Error validating access token",
                      mails[0][0].get_content())
        # the owner renews the token: the account resumes, told once
        env.fake.clear_faults()
        tok = os.path.join(env.dir, "facebook.token")
        time.sleep(1.1)   # a new mtime for the token's stamp
        with open(tok, "w") as f:
            f.write(env.tokens["facebook"] + "\n")
        env.run_once()
        env.run_once()
        mails = smtp.mails()
        self.assertEqual(len(mails), 2, env.log())
        self.assertTrue(str(mails[1][0]["Subject"]).startswith("ritual: resolved: "),
                        mails[1][0]["Subject"])
        self.assertEqual(len(env.fake.posts()), 10)
        ev = self.events(env, "--json")
        self.assertEqual([e["event"] for e in ev], ["paused"])
        self.assertEqual(ev[0]["state"], "resolved")
        self.assert_clean(env, smtp)

    def test_mail_retried_after_the_server_refused(self):
        env, smtp = self.env_with_mail()
        env.ritual("add", env.write_post("a.post", post(1, "Retry me")))
        env.fake.fault({"network": "facebook"},
                       {"type": "meta_error", "code": 100, "message": "Bad"}, times=5)
        smtp.mode("451")
        env.due_now()
        env.run_once()
        self.assertEqual(smtp.mails(), [])
        self.assertIn("notice not sent (attempt 1)", env.log())
        self.assertIn("451", env.log())
        # the post's outcome did not wait for the mail
        self.assertEqual(env.states(), ["failed"])
        smtp.mode("ok")
        env.run_once(faketime="+61s")
        mails = smtp.mails()
        self.assertEqual(len(mails), 1, env.log())
        self.assertIn("Bad", mails[0][0].get_content())
        self.assert_clean(env, smtp)

    def test_retry_after_a_failed_hook_does_not_mail_again(self):
        # the mail goes out, the hook fails: the retry runs only the hook
        env, smtp = self.env_with_mail(command=True)
        with open(os.path.join(env.hook_dir, "on-event"), "w") as f:
            f.write(HOOK + r'''
if sys.argv[1:] == ["failed"] and not os.path.exists(os.path.join(folder, "failed-once")):
    open(os.path.join(folder, "failed-once"), "w").close()
    sys.exit(3)
''')
        env.ritual("add", env.write_post("a.post", post(1, "Once only")))
        env.fake.fault({"network": "facebook"},
                       {"type": "meta_error", "code": 100, "message": "Bad"}, times=5)
        env.due_now()
        env.run_once()
        self.assertIn("notice not sent (attempt 1)", env.log())
        self.assertIn("exit status 3", env.log())
        self.assertEqual(len(smtp.mails()), 1, env.log())
        self.assertEqual(len(self.hooks(env)), 1)
        env.run_once(faketime="+61s")
        self.assertIn("notice sent attempt=2", env.log())
        self.assertEqual(len(smtp.mails()), 1, env.log())   # not mailed twice
        hooks = self.hooks(env)
        self.assertEqual(len(hooks), 2, env.log())
        self.assertEqual([h["argv"] for h in hooks], [["failed"], ["failed"]])
        self.assertEqual(hooks[0]["stdin"], hooks[1]["stdin"])
        # sent: a later run sends nothing more
        env.run_once(faketime="+3700s")
        self.assertEqual(len(smtp.mails()), 1, env.log())
        self.assertEqual(len(self.hooks(env)), 2, env.log())

    def test_retry_after_a_refused_mail_does_not_run_the_hook_again(self):
        # the reverse: the hook ran, the mail was refused; the retry mails
        env, smtp = self.env_with_mail(command=True)
        env.ritual("add", env.write_post("a.post", post(1, "Hook once")))
        env.fake.fault({"network": "facebook"},
                       {"type": "meta_error", "code": 100, "message": "Bad"}, times=5)
        smtp.mode("451")
        env.due_now()
        env.run_once()
        self.assertIn("notice not sent (attempt 1)", env.log())
        self.assertEqual(smtp.mails(), [])
        self.assertEqual(len(self.hooks(env)), 1)
        smtp.mode("ok")
        env.run_once(faketime="+61s")
        self.assertIn("notice sent attempt=2", env.log())
        self.assertEqual(len(smtp.mails()), 1, env.log())
        self.assertEqual(len(self.hooks(env)), 1, env.log())   # not run twice

    def test_missed_post_is_mailed_with_the_retry_to_run(self):
        env, smtp = self.env_with_mail(command=True,
                                       schedule_extra='missed_after = "1h";')
        env.ritual("add", env.write_post("late.post", post(1, "Late tip")))
        pid = env.ritual_json("list", "--json")[0]["id"]
        # the server was off: the post is two hours overdue
        two_hours_ago = int(time.time()) - 7200
        with sqlite3.connect(env.db) as db:
            db.execute("UPDATE posts SET due = ?", (two_hours_ago,))
            db.execute("UPDATE deliveries SET due = ?, next_attempt = ?",
                       (two_hours_ago, two_hours_ago))
        env.run_once()
        self.assertEqual(env.deliveries(pid)["facebook"]["state"], "missed", env.log())
        mails = smtp.mails()
        self.assertEqual(len(mails), 1, env.log())
        msg = mails[0][0]
        self.assertEqual(str(msg["Subject"]),
                         'ritual: a post was missed on facebook: post %d "Late tip"' % pid)
        body = msg.get_content().replace("\r\n", "\n")
        self.assertIn("schedule.missed_after", body)
        self.assertIn("What to do: Run `ritual retry %d` to publish it now" % pid, body)
        self.assertIn('Post: %d "Late tip" (%s)\n' % (pid, os.path.join(env.dir, "late.post")),
                      body)
        self.assertIn("Event: missed\n", body)
        hooks = self.hooks(env)
        self.assertEqual([h["argv"] for h in hooks], [["missed"]])
        self.assertEqual(json.loads(hooks[0]["stdin"])["post"]["id"], pid)
        self.assertEqual([(e["event"], e["post"]["id"]) for e in self.events(env, "--json")],
                         [("missed", pid)])
        self.assertEqual(env.fake.posts(), [])
        self.assert_clean(env, smtp)

    def test_unknown_outcome_is_mailed_for_a_human_to_look(self):
        env, smtp = self.env_with_mail()
        env.ritual("add", env.write_post("a.post", post(1, "Lost answer")))
        pid = env.ritual_json("list", "--json")[0]["id"]
        # the post is made but its answer lost; the page cannot be read back
        env.fake.fault({"network": "facebook", "path_regex": "/feed$|/photos$"},
                       {"type": "drop_after"}, times=1)
        env.fake.fault({"network": "facebook", "method": "GET", "path_regex": "/posts$"},
                       {"type": "error", "status": 500, "body": {}}, times=-1)
        env.due_now()
        env.run_once()
        self.assertEqual(env.deliveries(pid)["facebook"]["state"], "unknown", env.log())
        self.assertEqual(len(env.fake.posts("facebook")), 1)
        mails = smtp.mails()
        self.assertEqual(len(mails), 1, env.log())
        msg = mails[0][0]
        self.assertEqual(str(msg["Subject"]),
                         "ritual: a post's outcome is unknown, please look on facebook: "
                         'post %d "Lost answer"' % pid)
        body = msg.get_content().replace("\r\n", "\n")
        self.assertIn("could not confirm", body)
        self.assertIn("What to do: Check the account", body)
        self.assertIn("ritual retry", body)
        self.assertIn("Event: unknown\n", body)
        self.assertEqual([(e["event"], e["state"]) for e in self.events(env, "--json")],
                         [("unknown", "open")])
        self.assert_clean(env, smtp)

    def test_check_notify_reports_each_channel(self):
        env, smtp = self.env_with_mail(command=True)
        p = env.ritual("check", "--notify")
        self.assertIn("mail to owner@studio.example via smtp://127.0.0.1:%d: sent"
                      % smtp.port, p.stdout)
        self.assertIn("test: ran", p.stdout)
        mails = smtp.mails()
        self.assertEqual(len(mails), 1)
        self.assertIn("test notice", str(mails[0][0]["Subject"]))
        self.assertEqual(self.hooks(env)[0]["argv"], ["test"])
        smtp.mode("554")
        p = env.ritual("check", "--notify", expect=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("FAILED", p.stdout)
        self.assertIn("554", p.stdout)
        self.assertNotIn(env.tokens["smtp"], p.stdout + p.stderr)

    def test_wrong_password_is_reported_and_never_shown(self):
        env, smtp = self.env_with_mail()
        with open(os.path.join(env.dir, "smtp.password"), "w") as f:
            f.write("wrong-password-" + secrets.token_hex(8))
        env.tokens["smtp_wrong"] = open(os.path.join(env.dir, "smtp.password")).read()
        p = env.ritual("check", "--notify", expect=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("535", p.stdout)
        self.assertNotIn(env.tokens["smtp_wrong"], p.stdout + p.stderr)

    def test_config_refuses_plain_smtp_elsewhere_and_a_readable_password(self):
        env = self.make_env()
        pw = os.path.join(env.dir, "smtp.password")
        with open(pw, "w") as f:
            f.write("x" * 20)
        os.chmod(pw, 0o644)
        with open(env.config, "a") as f:
            f.write('notify = { email = { smtp_url = "smtpx://mail.example.com"; '
                    'from = "ritual"; to = [ "a@b.example" ]; user = "u"; '
                    'password_file = "smtp.password"; }; digest_at = "25:00"; '
                    'dry_dayz = 3; };\n')
        p = env.ritual("check", expect=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("is not an SMTP URL", p.stderr)
        self.assertIn("is not a mail address", p.stderr)
        self.assertIn("chmod 600", p.stderr)
        self.assertIn("is not a time of day", p.stderr)
        self.assertIn('did you mean "dry_days"', p.stderr)
        self.assertRegex(p.stderr, r"ritual\.conf:\d+: ")

    def test_restart_after_a_crash_is_mailed_by_the_running_daemon(self):
        env, smtp = self.env_with_mail(command=True)
        env.start_daemon()
        env.stop_daemon(signal.SIGKILL)
        self.start_again(env)
        env.wait_for(lambda: smtp.mails(), 20, "the crash mail")
        msg = smtp.mails()[0][0]
        self.assertIn("rituald needs attention", str(msg["Subject"]))
        self.assertIn("stopped without shutting down", msg.get_content())
        env.wait_for(lambda: self.hooks(env), 20, "the hook")
        self.assertEqual(self.hooks(env)[0]["argv"], ["daemon"])
        j = json.loads(self.hooks(env)[0]["stdin"])
        self.assertIsNone(j["account"])
        self.assertIsNone(j["post"])
        self.assertEqual(env.stop_daemon(), 0)
        # a clean stop is no crash: the next start tells nothing
        self.start_again(env)
        self.assertEqual(env.stop_daemon(), 0)
        self.assertEqual(len(smtp.mails()), 1, env.log())
        ev = self.events(env, "--json")
        self.assertEqual([(e["event"], e["state"]) for e in ev], [("daemon", "told")])

    def test_a_hook_that_hangs_is_killed_without_delaying_posts(self):
        env, smtp = self.env_with_mail(command=True)
        with open(os.path.join(env.hook_dir, "on-event"), "w") as f:
            f.write("#!/bin/sh\nexec sleep 30\n")
        env.ritual("add", env.write_post("a.post", post(1, "Hang")))
        env.ritual("add", env.write_post("b.post", post(2, "Other")))
        env.fake.fault({"network": "facebook", "path_regex": "/feed$|/photos$"},
                       {"type": "meta_error", "code": 100, "message": "Bad"}, times=1)
        env.start_daemon()
        env.due_now()
        # the second post is published while the hook hangs
        env.wait_for(lambda: len(env.fake.posts()) == 1, 20, "the other post")
        env.wait_for(lambda: "still running after 4s" in env.log(), 20, "the kill")
        env.wait_for(lambda: "notice not sent (attempt 1)" in env.log(), 10, "the retry")
        self.assertEqual(env.stop_daemon(), 0)
        self.assertEqual(len(smtp.mails()), 1)   # the mail went out before


class EventsOldSchema(E2ETest):
    """`ritual events` on a database no rituald of this version has opened
    yet: at schema 4, read-only, so neither migrated nor refused."""

    def test_events_on_a_schema_4_database_lists_nothing(self):
        env = self.make_env()
        env.ritual("add", env.write_post("a.post", post(1, "Old")))
        db = sqlite3.connect(env.db)
        # what a ritual before issue 10 left: no notices, outbox or marks
        db.executescript("DROP TABLE notice_outbox; DROP TABLE notices; "
                         "DROP TABLE marks; PRAGMA user_version=4;")
        db.close()
        p = env.ritual("events")
        self.assertIn("rituald has not recorded notices in %s yet" % env.db,
                      p.stdout)
        self.assertEqual(p.stderr, "")
        self.assertEqual(env.ritual_json("events", "--json"), [])
        self.assertEqual(env.ritual_json("events", "--since", "2020-01-01 00:00",
                                         "--json"), [])
        # read only: still at schema 4, nothing created
        db = sqlite3.connect(env.db)
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], 4)
        self.assertEqual(db.execute("SELECT count(*) FROM sqlite_master WHERE "
                                    "name = 'notices'").fetchone()[0], 0)
        db.close()


class NotifyFullDisk(SmallDisk, NotifyBase):
    """The database refuses writes: the notice cannot be recorded, it is
    mailed from memory, and its end is told (and recorded) once writes
    work again."""

    def setUp(self):
        super().setUp()
        need(can_mount(), "root and tmpfs mounts")

    def test_full_disk_is_mailed_and_resolved(self):
        env, smtp = self.env_with_mail()
        dbdir = self.small_disk(env, "2m")
        env.import_sample()
        env.due_now()
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "delay", "seconds": 1}, times=-1)
        env.start_daemon()
        filler = self.fill(dbdir)
        env.wait_for(lambda: smtp.mails(), 60, "the full-disk mail")
        msg = smtp.mails()[0][0]
        self.assertIn("rituald needs attention", str(msg["Subject"]))
        self.assertIn("could not write its database", msg.get_content())
        os.unlink(filler)
        env.wait_for(lambda: len(smtp.mails()) >= 2, 150, "the resolved mail")
        self.assertTrue(str(smtp.mails()[1][0]["Subject"]).startswith("ritual: resolved: "))
        env.wait_for(lambda: set(env.states()) == {"published"}, 150, "all published")
        self.assertEqual(env.stop_daemon(), 0)
        self.assertEqual(len(smtp.mails()), 2, env.log())
        ev = self.events(env, "--json")
        self.assertIn(("daemon", "resolved"), [(e["event"], e["state"]) for e in ev])


if __name__ == "__main__":
    import unittest
    unittest.main()
