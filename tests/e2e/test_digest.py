"""What rituald tells ahead (issue 10, parts 2 and 3), at its times under
libfaketime: the digest at notify.digest_at, the pre-flight at
notify.preflight_at (a revoked token found, nothing when all is well), and
a token's expiry warned once at token_warn_days (not again after a
restart), then 3 days before.

These tests read what rituald raises from the notifier's log lines
("notice digest raised: ... event=digest") and `ritual events`; rituald
runs with -v so the digest's text shows as "digest| ..." lines. The last
test has the digest mailed through a real SMTP server.
"""
import datetime
import os
import re
import time
import unittest
from zoneinfo import ZoneInfo

from harness import E2ETest, IG_USER

ZONE = ZoneInfo("America/New_York")   # the harness config's time zone


def tomorrow_local():
    """Tomorrow in the config's zone: a day the posts can be queued for
    (it is in the future) whatever day the tests run."""
    return datetime.datetime.now(ZONE).date() + datetime.timedelta(days=1)


def fake_at(day, hh, mm, ss=0, plus_days=0):
    """A FAKETIME spec for that local wall time, as UTC (TZ=UTC below)."""
    local = datetime.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=ZONE)
    local += datetime.timedelta(days=plus_days)
    u = local.astimezone(datetime.timezone.utc)
    return "@" + u.strftime("%Y-%m-%d %H:%M:%S"), local.timestamp()


class DigestTest(E2ETest):

    def start(self, env, spec):
        env.start_daemon("-v", faketime=spec, env={"TZ": "UTC"})

    def turns(self, env):
        """Lines that rituald logs after each turn's tell_turn."""
        return len(re.findall(r"nothing queued; sleeping|next delivery due",
                              env.log()))

    def restart(self, env, spec):
        env.stop_daemon()
        before = self.turns(env)
        self.start(env, spec)
        env.wait_for(lambda: self.turns(env) > before, 20, "a turn of the loop")

    def queue(self, env, day):
        t = day.strftime("%Y-%m-%d")
        n = day + datetime.timedelta(days=1)
        env.ritual("add", env.write_post("a.post", "Kind: tip\nTitle: Morning stretch\n"
                                         "At: %s 09:00\n\nStretch before work.\n" % t))
        env.ritual("add", env.write_post("b.post", "Kind: tip\nTitle: Tea time\n"
                                         "At: %s 10:00\n\nA cup of rooibos.\n" % n.strftime("%Y-%m-%d")))

    def test_digest_at_its_minute_once(self):
        env = self.make_env(extra='notify = { digest_at = "07:30"; };')
        day = tomorrow_local()
        self.queue(env, day)
        spec, _ = fake_at(day, 7, 29, 50)
        self.start(env, spec)
        line = env.wait_for(lambda: re.search(r"^(\S+ \S+) rituald\[info\] notice digest "
                                              r"raised: .* event=digest count=1$", env.log(),
                                              re.M),
                            30, "the digest")
        self.assertTrue(line.group(1).startswith(day.strftime("%Y-%m-%d") + " 07:30:"),
                        line.group(0))
        log = env.log()
        self.assertIn("digest| Today, %s:" % day.strftime("%a %Y-%m-%d"), log)
        self.assertIn('digest|   09:00 post 1 "Morning stretch" on facebook (account '
                      'facebook)', log)
        self.assertIn("digest|       | Stretch before work.", log)
        self.assertIn('digest|   10:00 post 2 "Tea time" on facebook', log)
        self.assertIn("digest|   facebook (facebook): last post queued for", log)
        # A restart the same morning does not send it twice.
        spec2, _ = fake_at(day, 7, 35)
        self.restart(env, spec2)
        self.assertEqual(env.log().count("event=digest"), 1)
        env.stop_daemon()

    def test_preflight_finds_a_revoked_token(self):
        env = self.make_env(extra='notify = { preflight_at = "18:00"; };')
        day = tomorrow_local()
        self.queue(env, day)   # one post 15 h after the check, one 40 h after
        env.fake.tokens(network="facebook", id="102030405060708", revoked=True)
        spec, _ = fake_at(day - datetime.timedelta(days=1), 17, 59, 50)
        self.start(env, spec)
        env.wait_for(lambda: "event=preflight" in env.log(), 30, "the pre-flight")
        log = env.log()
        self.assertRegex(log, r"\d 18:00:\d\d rituald\[warning\] notice preflight raised")
        self.assertIn('pre-flight| 1. post 1 "Morning stretch" on facebook (account '
                      'facebook), due', log)
        self.assertRegex(log, r"pre-flight\|    problem: .*(190|invalidated)")
        self.assertIn("pre-flight|    fix: get a new Page access token", log)
        env.stop_daemon()

    def test_preflight_finds_an_image_over_todays_limit(self):
        # Queued when the limit allowed it; the limits group lowered since.
        env = self.make_env(extra='notify = { preflight_at = "18:00"; };')
        day = tomorrow_local()
        src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "posts", "sample-week", "01-why-legs-tighten.jpg")
        with open(src, "rb") as a, open(os.path.join(env.dir, "photo.jpg"), "wb") as b:
            b.write(a.read())
        env.ritual("add", env.write_post("p.post", "Kind: tip\nTitle: Photo day\nImage: photo.jpg\n"
                                         "Alt: a photo\nAt: %s 09:00\n\nA photo.\n"
                                         % day.strftime("%Y-%m-%d")))
        with open(env.config, "a") as f:
            f.write("limits = { facebook_image_bytes = 10000; };\n")
        spec, _ = fake_at(day - datetime.timedelta(days=1), 17, 59, 50)
        self.start(env, spec)
        env.wait_for(lambda: "event=preflight" in env.log(), 30, "the pre-flight")
        log = env.log()
        self.assertIn('pre-flight| 1. post 1 "Photo day" on facebook', log)
        self.assertIn("pre-flight|    problem: facebook accepts images up to", log)
        self.assertIn("pre-flight|    fix: replace the image", log)
        env.stop_daemon()

    def test_preflight_finds_posts_beyond_the_instagram_quota(self):
        env = self.make_env(networks=("instagram",), media="dir",
                            extra='notify = { preflight_at = "18:00"; dry_days = 0; };')
        env.fake.call("POST", "/_fake/config", {"instagram": {"users": {
            IG_USER: {"quota_total": 2}}}})
        day = tomorrow_local()
        src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "posts", "sample-week", "01-why-legs-tighten.jpg")
        with open(src, "rb") as a, open(os.path.join(env.dir, "photo.jpg"), "wb") as b:
            b.write(a.read())
        for i, hh in enumerate(("08:00", "09:00", "10:00")):
            env.ritual("add", env.write_post("p%d.post" % i, "Kind: tip\nTitle: Photo %d\n"
                                             "Image: photo.jpg\nAlt: a photo\nAt: %s %s\n\n"
                                             "Photo number %d.\n" % (i, day.strftime("%Y-%m-%d"),
                                                                     hh, i)))
        spec, _ = fake_at(day - datetime.timedelta(days=1), 17, 59, 50)
        self.start(env, spec)
        env.wait_for(lambda: "event=preflight" in env.log(), 30, "the pre-flight")
        log = env.log()
        self.assertIn('pre-flight| 1. post 3 "Photo 2" on instagram', log)
        self.assertIn("quota allows 2 more posts, and this is post 3 due within 24 hours", log)
        self.assertNotIn('post 2 "Photo 1" on instagram', log.split("pre-flight| 1.")[1])
        env.stop_daemon()

    def test_preflight_silent_when_all_is_well(self):
        env = self.make_env(extra='notify = { preflight_at = "18:00"; };')
        day = tomorrow_local()
        self.queue(env, day)
        spec, _ = fake_at(day - datetime.timedelta(days=1), 17, 59, 50)
        self.start(env, spec)
        env.wait_for(lambda: "pre-flight: " in env.log(), 30, "the pre-flight")
        log = env.log()
        self.assertIn("pre-flight: 1 deliveries in the next 36 hours, no problem", log)
        self.assertNotIn("event=preflight", log)
        env.stop_daemon()

    def test_token_warned_once_then_three_days_before(self):
        env = self.make_env(networks=("linkedin",))
        day = tomorrow_local()
        spec, t0 = fake_at(day, 8, 0)
        exp = int(t0) + 10 * 86400 + 3600
        with open(os.path.join(env.dir, "linkedin.token.expires"), "w") as f:
            f.write("%d\n" % exp)
        self.start(env, spec)
        env.wait_for(lambda: "event=token-expiring" in env.log(), 20, "the warning")
        self.assertIn("the linkedin token of account 'linkedin' expires in 10 days", env.log())
        told = [e for e in env.ritual_json("events", "--json")
                if e["event"] == "token-expiring"]
        self.assertEqual(len(told), 1, told)
        self.assertEqual(told[0]["account"], "linkedin")
        self.assertIn("`ritual connect linkedin --account linkedin`", told[0]["fix"])
        # A restart an hour later: not told again.
        spec, _ = fake_at(day, 9, 0)
        self.restart(env, spec)
        self.assertEqual(env.log().count("event=token-expiring"), 1)
        # Three days before its end: told again, once.
        spec, _ = fake_at(day, 9, 30, plus_days=7)
        self.restart(env, spec)
        self.assertEqual(env.log().count("event=token-expiring"), 2)
        self.assertIn("expires in 2 days (", env.log())   # 2 d 23.5 h left
        env.stop_daemon()


class TokenLifeTest(E2ETest):
    """rituald's maintain() records a token's expiry where none is known."""

    def expiry(self, env, net):
        with open(os.path.join(env.dir, net + ".token.expires")) as f:
            return int(f.read())

    def test_facebook_expiry_from_debug_token(self):
        env = self.make_env(networks=("facebook",))
        env.run_once()
        left = self.expiry(env, "facebook") - time.time()
        # The fake's Page token: expires_at 0, data access for 90 days.
        self.assertGreater(left, 89 * 86400)
        self.assertLessEqual(left, 90 * 86400)
        self.assertRegex(env.log(), r"token expiry recorded: data access ends in (89|90) days")
        req = env.fake.requests(path="/v25.0/debug_token")
        self.assertEqual(len(req), 1, req)
        env.run_once()    # known now: not asked again
        self.assertEqual(len(env.fake.requests(path="/v25.0/debug_token")), 1)

    def test_revoked_facebook_token_is_reported_not_recorded(self):
        env = self.make_env(networks=("facebook",))
        env.fake.tokens(network="facebook", id="102030405060708", revoked=True)
        env.run_once()
        self.assertIn("while reading the token's expiry (debug_token). The token of account "
                      "'facebook' is expired, revoked", env.log())
        self.assertFalse(os.path.exists(os.path.join(env.dir, "facebook.token.expires")))

    def test_linkedin_expiry_from_the_token_file(self):
        env = self.make_env(networks=("linkedin",))
        tok = os.path.join(env.dir, "linkedin.token")
        env.run_once()
        self.assertEqual(self.expiry(env, "linkedin"),
                         int(os.path.getmtime(tok)) + 60 * 86400)
        self.assertIn("write time plus LinkedIn's 60 days", env.log())

    def test_linkedin_expiry_from_introspection(self):
        env = self.make_env(networks=("linkedin",),
                            fake_extra={"linkedin": {"client_id": "cid",
                                                     "client_secret": "csecret-x1"}})
        sec = os.path.join(env.dir, "li.secret")
        with open(sec, "w") as f:
            f.write("csecret-x1\n")
        os.chmod(sec, 0o600)
        with open(env.config) as f:
            text = f.read()
        text = text.replace('network = "linkedin";', 'network = "linkedin"; client_id = '
                            '"cid"; client_secret_file = "li.secret";')
        text += 'api = { linkedin_oauth = "%s"; };\n' % env.fake.base
        with open(env.config, "w") as f:
            f.write(text)
        env.run_once()
        want = env.fake.call("GET", "/_fake/tokens")["linkedin"]
        self.assertIn("LinkedIn's token introspection", env.log())
        left = self.expiry(env, "linkedin") - time.time()
        self.assertGreater(left, 49 * 86400, want)   # the fake's 50 days
        self.assertLessEqual(left, 50 * 86400)


if __name__ == "__main__":
    unittest.main()


class MailedTest(E2ETest):
    """The two parts together: what tell.c raises reaches the owner's
    mailbox through the notifier (a real SMTP server on loopback)."""
    start = DigestTest.start
    queue = DigestTest.queue

    def test_digest_is_mailed_at_its_minute(self):
        from test_notify import NotifyBase
        NotifyBase.setUp(self)
        env, smtp = NotifyBase.env_with_mail(self)
        with open(env.config) as f:
            text = f.read()
        with open(env.config, "w") as f:
            f.write(text.replace("notify = { ", 'notify = { digest_at = "07:30"; ', 1))
        day = tomorrow_local()
        self.queue(env, day)
        spec, _ = fake_at(day, 7, 29, 50)
        self.start(env, spec)
        def digest():
            return [m for m in smtp.mails() if "digest" in m[0]["Subject"].lower()]
        env.wait_for(digest, 40, "the digest's mail")
        msg, envelope, raw = digest()[0]
        self.assertEqual(msg["To"], "owner@studio.example")
        body = msg.get_content()
        self.assertIn("Today, %s:" % day.strftime("%a %Y-%m-%d"), body)
        self.assertIn('09:00 post 1 "Morning stretch" on facebook', body)
        self.assertIn("Stretch before work.", body)
        for secret in env.tokens.values():
            self.assertNotIn(secret.encode(), raw)
        env.stop_daemon()
