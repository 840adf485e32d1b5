"""End-to-end harness: the real ritual and rituald against the fake APIs.

Each test gets an Env: a temporary folder with token files (mode 0600), a
config pointing every account at the fake server on 127.0.0.1, and helpers
to run `ritual`, start/stop `rituald`, and read what the fake server
received. Nothing here talks to anything but loopback.
"""
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# RITUAL_VALGRIND=1 runs every ritual and rituald under valgrind (make valgrind).
VALGRIND = (["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
             "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite"]
            if os.environ.get("RITUAL_VALGRIND") else [])
BUILD = os.path.join(ROOT, os.environ.get("BUILD", "build"))
RITUAL = os.path.join(BUILD, "ritual")
RITUALD = os.path.join(BUILD, "rituald")
FAKE = os.path.join(ROOT, "tests", "fake", "fakeapi.py")
SAMPLE = os.path.join(ROOT, "posts", "sample-week")

PAGE_ID = "102030405060708"
IG_USER = "17841400000000000"
LI_ORG = "urn:li:organization:5515715"
LI_PERSON = "urn:li:person:abc123XYZ"
S3_BUCKET = "ritual-media"
S3_REGION = "us-east-1"
S3_ACCESS_KEY = "AKIDRITUALTEST"
# libfaketime (Debian package faketime), for running rituald with a shifted clock.
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def in_ci():
    """True when the environment variable CI is set to anything but "",
    "false" or "0" (GitHub Actions, GitLab and most others set CI=true)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "false", "0")


def need(ok, what):
    """A test's requirement: returns when ok is true. Otherwise the test
    fails (AssertionError) when in_ci(), where every tool must be
    installed (scripts/deps.sh), and is skipped (unittest.SkipTest) on a
    development machine. what: the missing tool and its Debian package,
    e.g. "groff (Debian package groff)". Call it from a test or setUp."""
    if ok:
        return
    if in_ci():
        raise AssertionError("CI is set but %s is missing: run scripts/deps.sh" % what)
    raise unittest.SkipTest("%s is missing (CI=true makes this a failure)" % what)


def faketime_env(spec, spec_file=None):
    """Environment variables that run a program under libfaketime (only
    the wall clock: FAKETIME_DONT_FAKE_MONOTONIC).

    spec: a FAKETIME string, e.g. "+400s" or "-10m" (relative: the clock
    keeps ticking from the real time shifted by that much) or "@2026-03-02
    09:00:00" (starts there and ticks). None: {} (the real clock).
    spec_file: instead of a fixed spec, a file holding one, written here
    with spec and re-read by libfaketime on every clock call
    (FAKETIME_TIMESTAMP_FILE, FAKETIME_NO_CACHE): rewrite it to move the
    clock of a running program. need()s libfaketime (Debian faketime).
    """
    if spec is None:
        return {}
    need(os.path.exists(FAKETIME_LIB), "libfaketime (Debian package faketime)")
    e = {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
         # ASan wants to be first in the link order; libfaketime is preloaded.
         "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    if spec_file is None:
        e["FAKETIME"] = str(spec)
    else:
        with open(spec_file, "w") as f:
            f.write("%s\n" % spec)
        e.update(FAKETIME_TIMESTAMP_FILE=spec_file, FAKETIME_NO_CACHE="1")
    return e


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Fake:
    """The fake API server as a subprocess."""

    def __init__(self, workdir, config):
        self.workdir = workdir
        cfg_path = os.path.join(workdir, "fake.json")
        with open(cfg_path, "w") as f:
            json.dump(config, f)
        self.port_file = os.path.join(workdir, "fake.port")
        self.log_path = os.path.join(workdir, "fake.log")
        with open(os.path.join(workdir, "fake.err"), "w") as err:   # the child keeps a copy
            self.proc = subprocess.Popen(
                [sys.executable, FAKE, "--config", cfg_path, "--port", "0",
                 "--port-file", self.port_file, "--log", self.log_path],
                stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.time() + 15
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("fake server did not start: " +
                                   open(os.path.join(workdir, "fake.err")).read())
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())
        self.base = "http://127.0.0.1:%d" % self.port

    def call(self, method, path, obj=None):
        data = None if obj is None else json.dumps(obj).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def requests(self, **query):
        q = "&".join("%s=%s" % kv for kv in query.items())
        return self.call("GET", "/_fake/requests" + ("?" + q if q else ""))

    def posts(self, network=None):
        """The posts on the fake that are not deleted; network: only that
        network's ("facebook", "instagram", "linkedin")."""
        return [p for p in self.call("GET", "/_fake/posts") if not p.get("deleted")
                and (network is None or p["network"] == network)]

    def fault(self, match, action, times=1):
        return self.call("POST", "/_fake/faults", {"match": match, "action": action,
                                                   "times": times})

    def tokens(self, **spec):
        return self.call("POST", "/_fake/tokens", spec)

    def clear_faults(self):
        return self.call("DELETE", "/_fake/faults")

    def clock(self, **spec):
        """POST /_fake/clock: {"advance": s} or {"offset": s}; {} reads it."""
        return self.call("POST", "/_fake/clock", spec)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Env:
    """A temporary installation: config, tokens, database, fake server."""

    def __init__(self, networks=("facebook",), extra="", retry=None, fake_extra=None,
                 slots='"0 9 * * MON,WED,FRI", "30 17 * * TUE,THU"', schedule_extra="",
                 media="auto", ig_login="facebook", linkedin_author=LI_ORG):
        """media: the config's media group, where Instagram's images go:
        "dir" (a folder the fake serves at /media/), "s3" (the fake bucket
        "ritual-media", public-read, at /ritual-media/), None (no group), or
        "auto": "dir" when an Instagram account is configured (the config
        requires a media group then), else None. ig_login: the Instagram
        account's login flavour, "facebook" or "instagram".
        linkedin_author: LI_ORG (a page) or LI_PERSON (a member profile, whose
        token may post but not read posts or images)."""
        if media == "auto":
            media = "dir" if "instagram" in networks else None
        self.dir = tempfile.mkdtemp(prefix="ritual-e2e-")
        self.tokens = {
            "facebook": "EAAfb" + secrets.token_hex(16),
            "instagram": "EAAig" + secrets.token_hex(16),
            "linkedin": "AQXli" + secrets.token_hex(16),
        }
        fake_cfg = {
            "facebook": {"pages": {PAGE_ID: {"token": self.tokens["facebook"],
                                             "name": "Wellness Rituals"}}},
            "instagram": {"users": {IG_USER: {"token": self.tokens["instagram"],
                                              "username": "wellnessrituals",
                                              "login": ig_login, "quota_total": 50,
                                              "polls_until_finished": 1}}},
            "linkedin": {"tokens": {self.tokens["linkedin"]: {
                "author": linkedin_author, "member": linkedin_author != LI_ORG,
                "scopes": (["w_organization_social", "r_organization_social"]
                           if linkedin_author == LI_ORG
                           else ["openid", "profile", "w_member_social"]),
                "expires_at": int(time.time()) + 50 * 86400}},
                "polls_until_available": 1},
        }
        if media == "s3":
            self.tokens["s3_secret"] = "SECRET" + secrets.token_hex(16)
            fake_cfg["s3"] = {"buckets": {S3_BUCKET: {
                "access_key": S3_ACCESS_KEY, "secret_key": self.tokens["s3_secret"],
                "region": S3_REGION, "public_read": True}}}
        for k, v in (fake_extra or {}).items():
            if isinstance(v, dict):
                fake_cfg.setdefault(k, {}).update(v)
            else:                       # a top-level value, e.g. "clock_offset": -600
                fake_cfg[k] = v
        self.fake = Fake(self.dir, fake_cfg)
        self.media_dir = None
        if media == "dir":
            self.media_dir = os.path.join(self.dir, "media")
            os.mkdir(self.media_dir)
            self.fake.call("POST", "/_fake/config", {"static": {"/media/": self.media_dir}})
            extra = 'media = { dir = "%s"; url = "%s/media/"; };\n%s' % (
                self.media_dir, self.fake.base, extra)
        elif media == "s3":
            key = os.path.join(self.dir, "s3.key")
            with open(key, "w") as f:
                f.write("%s:%s\n" % (S3_ACCESS_KEY, self.tokens["s3_secret"]))
            os.chmod(key, 0o600)
            extra = ('media = { s3 = { endpoint = "%s"; bucket = "%s"; region = "%s"; '
                     'key_file = "s3.key"; }; url = "%s/%s/"; };\n%s' % (
                         self.fake.base, S3_BUCKET, S3_REGION, self.fake.base, S3_BUCKET,
                         extra))
        elif media is not None:
            raise ValueError("media must be None, 'dir' or 's3'")
        self.daemon = None
        self.daemon_log = os.path.join(self.dir, "rituald.log")
        self.outputs = []
        accounts = []
        for net in networks:
            tok = os.path.join(self.dir, net + ".token")
            with open(tok, "w") as f:
                f.write(self.tokens[net] + "\n")
            os.chmod(tok, 0o600)
            ident = {"facebook": 'page_id = "%s";' % PAGE_ID,
                     "instagram": 'user_id = "%s";' % IG_USER,
                     "linkedin": 'author = "%s";' % linkedin_author}[net]
            if net == "instagram" and ig_login != "facebook":
                ident += ' login = "%s";' % ig_login
            accounts.append('{ name = "%s"; network = "%s"; %s token_file = "%s.token"; '
                            'api = "%s"; }' % (net, net, ident, net, self.api_for(net)))
        retry = retry or ('base_delay = "1s"; max_delay = "2s"; max_attempts = 4; '
                          'reconcile_delay = "1s";')
        self.config = os.path.join(self.dir, "ritual.conf")
        with open(self.config, "w") as f:
            f.write('''timezone = "America/New_York";
database = "queue.db";
business = { name = "Wellness Rituals"; website = "https://www.myrituals.me";
             booking_url = "https://www.myrituals.me/book-online"; phone = "407-535-2331"; };
schedule = { slots = [ %s ]; %s };
retry = { %s };
http = { connect_timeout = "2s"; timeout = "4s"; upload_timeout = "6s"; };
accounts = ( %s );
%s
''' % (slots, schedule_extra if "min_gap" in schedule_extra
       else "min_gap = 0; " + schedule_extra,
       retry, ",\n             ".join(accounts), extra))
        self.db = os.path.join(self.dir, "queue.db")

    def api_for(self, net):
        if net == "linkedin":
            return self.fake.base
        return self.fake.base + "/v25.0"

    # -- ritual --
    def ritual(self, *args, expect=0, env=None, faketime=None):
        e = dict(os.environ)
        e.pop("RITUAL_CONFIG", None)
        e.update(faketime_env(faketime))
        e.update(env or {})
        p = subprocess.run(VALGRIND + [RITUAL, "-c", self.config] + list(args), capture_output=True,
                           text=True, env=e, timeout=60)
        self.outputs.append(p.stdout + p.stderr)
        if expect is not None and p.returncode != expect:
            raise AssertionError("ritual %s exited %d (expected %d)\nstdout:\n%s\nstderr:\n%s"
                                 % (" ".join(args), p.returncode, expect, p.stdout, p.stderr))
        return p

    def ritual_json(self, *args):
        return json.loads(self.ritual(*args).stdout)

    def ritual_popen(self, *args, env=None, **popen):
        """Start `ritual -c CONFIG ARGS` in the background (under VALGRIND
        when set) and return its Popen; the caller waits for it. env: extra
        environment variables. popen: Popen's own arguments; stdout and
        stderr are pipes and text=True unless given."""
        e = dict(os.environ)
        e.pop("RITUAL_CONFIG", None)
        e.update(env or {})
        popen.setdefault("stdout", subprocess.PIPE)
        popen.setdefault("stderr", subprocess.PIPE)
        popen.setdefault("text", True)
        return subprocess.Popen(VALGRIND + [RITUAL, "-c", self.config] + list(args),
                                env=e, **popen)

    def import_sample(self):
        folder = os.path.join(self.dir, "posts")
        shutil.copytree(SAMPLE, folder)
        self.ritual("import", folder)
        return folder

    def due_now(self, ids=None):
        """Reschedule to now the listed posts (ids: those only) that still
        have a pending delivery (list shows the last 7 days' published too)."""
        for p in self.ritual_json("list", "--json"):
            if (ids is None or p["id"] in ids) and any(
                    d["state"] == "pending" for d in p.get("deliveries", [])):
                self.ritual("reschedule", str(p["id"]), "now")

    def write_post(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    # -- rituald --
    def run_once(self, timeout=60, faketime=None):
        """rituald --once; faketime: run it under libfaketime with that
        FAKETIME spec (e.g. "+400s": rituald's clock 400 s ahead)."""
        e = dict(os.environ)
        e.update(faketime_env(faketime))
        with open(self.daemon_log, "a") as log:
            p = subprocess.run(VALGRIND + [RITUALD, "-c", self.config, "--once", "-v"], stdout=log,
                               stderr=log, timeout=timeout, env=e)
        return p.returncode

    def start_daemon(self, *extra, faketime=None, env=None, umask=None):
        """Start rituald in the background (under VALGRIND when set), its
        output appended to daemon_log; faketime as for run_once; env: extra
        environment variables (e.g. faketime_env(..., spec_file=...),
        NOTIFY_SOCKET); umask: the daemon's umask (a unit's UMask=)."""
        e = dict(os.environ)
        e.pop("RITUAL_CONFIG", None)
        e.update(faketime_env(faketime))
        e.update(env or {})
        with open(self.daemon_log, "a") as log:   # the daemon keeps its own copy
            self.daemon = subprocess.Popen(
                VALGRIND + [RITUALD, "-c", self.config] + list(extra), stdout=log,
                stderr=log, env=e,
                preexec_fn=None if umask is None else (lambda: os.umask(umask)))
        # Wait for the start-up line so tests do not race the claim loop.
        self.wait_for(lambda: "started" in self.log(), 10, "rituald start")
        return self.daemon

    def stop_daemon(self, sig=signal.SIGTERM, timeout=15):
        if not self.daemon:
            return None
        if self.daemon.poll() is None:
            self.daemon.send_signal(sig)
            try:
                self.daemon.wait(timeout)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
                raise AssertionError("rituald did not stop within %ds" % timeout)
        rc = self.daemon.returncode
        self.daemon = None
        return rc

    def log(self):
        try:
            with open(self.daemon_log) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    @staticmethod
    def wait_for(pred, timeout, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            v = pred()
            if v:
                return v
            time.sleep(0.1)
        raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))

    def states(self):
        """The state of every delivery of every post (`list --all`), in
        the listing's order."""
        return [d["state"] for p in self.ritual_json("list", "--all", "--json")
                for d in p["deliveries"]]

    def deliveries(self, post_id):
        return {d["account"]: d for d in self.ritual_json("show", str(post_id), "--json")["deliveries"]}

    def leaked_token(self):
        """Where any token appears: logs, outputs, the database and its WAL."""
        hits = []
        blobs = {"rituald log": self.log(), "ritual output": "\n".join(self.outputs)}
        for suffix in ("", "-wal", "-shm"):
            p = self.db + suffix
            if os.path.exists(p):
                with open(p, "rb") as f:
                    blobs["database" + suffix] = f.read().decode("latin-1")
        for name, tok in self.tokens.items():
            for where, blob in blobs.items():
                if tok in blob:
                    hits.append("%s token in %s" % (name, where))
        return hits

    def close(self):
        try:
            if self.daemon and self.daemon.poll() is None:
                self.daemon.kill()
                self.daemon.wait()
        finally:
            self.fake.stop()
            if os.environ.get("KEEP_E2E"):
                print("kept", self.dir, file=sys.stderr)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)


class E2ETest(unittest.TestCase):
    networks = ("facebook",)

    def make_env(self, **kw):
        kw.setdefault("networks", self.networks)
        env = Env(**kw)
        self.addCleanup(env.close)
        # Runs before close (cleanups are LIFO): every test of the suite is
        # also a secrets test.
        self.addCleanup(self.assert_no_leak, env)
        return env

    def assert_no_leak(self, env):
        hits = env.leaked_token()
        report = os.environ.get("RITUAL_LEAK_REPORT")
        if report:
            with open(report, "a") as f:
                f.write("%s %d\n" % (self.id(), len(hits)))
        self.assertEqual(hits, [], "a token leaked")


def can_mount():
    """Root and tmpfs mounts (a folder of our own: other suites probe too)."""
    if os.geteuid() != 0:
        return False
    d = tempfile.mkdtemp(prefix="ritual-mount-probe-")
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", d],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", d])
    os.rmdir(d)
    return ok


class SmallDisk:
    """Mixin for E2ETest: the database folder on a small tmpfs."""

    def small_disk(self, env, size):
        dbdir = os.path.join(env.dir, "db")
        os.makedirs(dbdir)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", dbdir],
                       check=True)
        self.addCleanup(subprocess.run, ["umount", "-l", dbdir])
        with open(env.config) as f:
            text = f.read()
        with open(env.config, "w") as f:
            f.write(text.replace('database = "queue.db";', 'database = "db/queue.db";'))
        env.db = os.path.join(dbdir, "queue.db")
        return dbdir

    def fill(self, dbdir):
        path = os.path.join(dbdir, "filler")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while True:
                os.write(fd, b"x" * 4096)
        except OSError:
            pass
        os.close(fd)
        return path


def add_facebook_pages(env, n):
    """Give env n Facebook Page accounts in all: its own "facebook" account
    (PAGE_ID) plus n - 1 more, "fb02".."fbNN", each with its own page id
    (fb_page(i)), token (in env.tokens, so the leak check covers it) and
    token file, known to the fake. Returns the page ids, PAGE_ID first.
    Call before anything is queued (posts without To: go to every account)."""
    pages = {}
    entries = []
    for i in range(2, n + 1):
        name, page = "fb%02d" % i, fb_page(i)
        tok = "EAAfb%02d" % i + secrets.token_hex(16)
        env.tokens[name] = tok
        pages[page] = {"token": tok, "name": "Wellness Rituals %d" % i}
        path = os.path.join(env.dir, name + ".token")
        with open(path, "w") as f:
            f.write(tok + "\n")
        os.chmod(path, 0o600)
        entries.append('{ name = "%s"; network = "facebook"; page_id = "%s"; '
                       'token_file = "%s.token"; api = "%s"; },\n             '
                       % (name, page, name, env.api_for("facebook")))
    env.fake.call("POST", "/_fake/config", {"facebook": {"pages": pages}})
    with open(env.config) as f:
        text = f.read()
    text = text.replace("accounts = ( ", "accounts = ( " + "".join(entries), 1)
    with open(env.config, "w") as f:
        f.write(text)
    return [PAGE_ID] + list(pages)


def fb_page(i):
    """The page id add_facebook_pages gives account number i (2..99)."""
    return "9900000000000%02d" % i


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime and stime are fields 14, 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
