"""make bench: ritual side by side with its peers, one table, one run.

The peers, written as their users would (bench/peers/):
  - APScheduler 3 (Debian's python3-apscheduler): a BlockingScheduler with a
    SQLAlchemy job store on SQLite and the default thread pool, one 'date'
    job per post doing POST /v25.0/PAGE_ID/feed with Python's urllib;
  - cron + curl (Debian's cron): the real `cron -f` daemon with one crontab
    line per post running curl. cron runs as root in a private mount
    namespace (unshare -m) where /etc/crontab, /etc/cron.d, /run and
    /var/spool/cron/crontabs are bind-mounted temporary files, so it sees
    only the bench's crontab and touches nothing of the machine's.
All three talk to ONE instance of tests/fake/fast_graph.py (asyncio, many
connections at once, a set answer delay), whose own capacity is measured in
the same run with wrk (or, without wrk, a Python thread pool).

Every figure is measured in this run and printed with its ratio to the best
peer. Numbers are printed, never asserted: a measurement, not a test.

Environment:
  BENCH_QUICK=1        short windows (idle 10 s, 5 posts, agency "20 5", 100,000 queued)
  BENCH_IDLE=60        idle window, seconds (context switches; then strace -c)
  BENCH_POSTS=20       posts 2 s apart for due -> request (ritual, APScheduler)
  BENCH_CRON_POSTS=2   cron posts, one per minute boundary
  BENCH_AGENCY="1000 10" accounts and posts per account, all due at once
  BENCH_AGENCY_DELAY=0.2  the fake's answer delay for the agency and capacity figures
  BENCH_BG_PAGES=16    other Pages in flight during ritual's extra punctuality rows
                       (a small queue, and a million queued); 0: none
  BENCH_INFLIGHT=N     rituald's http.max_in_flight and max_per_host (default: its
                       own, 64; in the agency phase 256, as an agency sets it)
  BENCH_MILLION=1000000   posts queued for the queue operations
  BENCH_SKIP="cron million"  phases to skip (idle punct startup agency million cron aps)
  BENCH_ONLY=wake|import|memory|commands  the queue's figures, every command at a million, or rituald's idle
                       memory alone (bench/scale.py)
"""
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BUILD = os.environ.get("BUILD", "build")
BUILD = BUILD if os.path.isabs(BUILD) else os.path.join(ROOT, BUILD)
RITUAL = os.path.join(BUILD, "ritual")
RITUALD = os.path.join(BUILD, "rituald")
FAST = os.path.join(ROOT, "tests", "fake", "fast_graph.py")
APS = os.path.join(ROOT, "bench", "peers", "aps_poster.py")
PY = "/usr/bin/python3"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale import unit_environment  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"
IDLE = int(os.environ.get("BENCH_IDLE", "10" if QUICK else "60"))
POSTS = int(os.environ.get("BENCH_POSTS", "5" if QUICK else "20"))
CRON_POSTS = int(os.environ.get("BENCH_CRON_POSTS", "1" if QUICK else "2"))
AG_ACC, AG_PER = [int(x) for x in os.environ.get("BENCH_AGENCY",
                                                   "20 5" if QUICK else "1000 10").split()]
AG_DELAY = float(os.environ.get("BENCH_AGENCY_DELAY", "0.2"))
# rituald's http.max_in_flight (empty: its default, 64; the agency phase 256)
INFLIGHT = os.environ.get("BENCH_INFLIGHT", "")
AG_INFLIGHT = int(INFLIGHT or "256")
MILLION = int(os.environ.get("BENCH_MILLION", "100000" if QUICK else "1000000"))
SKIP = os.environ.get("BENCH_SKIP", "").split()
PAGE0 = 102030405060000


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def iso(t):
    lt = time.localtime(t)
    off = lt.tm_gmtoff
    return time.strftime("%Y-%m-%dT%H:%M:%S", lt) + "%+03d:%02d" % (off // 3600,
                                                                  abs(off) % 3600 // 60)


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


# ---- the fast fake ----------------------------------------------------------

class FastFake:
    def __init__(self, workdir):
        pf = os.path.join(workdir, "fast.port")
        self.proc = subprocess.Popen([PY, FAST, "--port", "0", "--port-file", pf],
                                     stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(pf):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("fast_graph did not start")
            time.sleep(0.05)
        self.base = "http://127.0.0.1:%d" % int(open(pf).read())
        self.graph = self.base + "/v25.0"

    def _call(self, method, path, obj=None):
        data = None if obj is None else json.dumps(obj).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def requests(self):
        return self._call("GET", "/_fast/requests")

    def clear(self):
        self._call("DELETE", "/_fast/requests")

    def delay(self, s, pages=None):
        """The answer delay; pages: {page id: seconds} answered after their own."""
        self._call("POST", "/_fast/config", {"delay": s, "page_delays": pages or {}})

    def wait(self, n, timeout, settle=None, match=None):
        """Wait until n text posts arrived (with match in their message, if
        given), or timeout, or (settle) no new one for settle seconds. Returns
        the records."""
        deadline = time.time() + timeout
        last_n, last_t = -1, time.time()
        while True:
            recs = [r for r in self.requests()
                    if r["page"] and (match is None or match in r["message"])]
            if len(recs) >= n or time.time() > deadline:
                return recs
            if len(recs) != last_n:
                last_n, last_t = len(recs), time.time()
            elif settle and recs and time.time() - last_t > settle:
                return recs
            time.sleep(0.5)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


# ---- /proc ------------------------------------------------------------------

def mem(pid):
    """USS (private clean + dirty), PSS and private dirty in MB, from
    smaps_rollup. USS counts a library's code as private while no other
    process maps it; private dirty (heap, data, relocations) is the
    process's own whatever else runs."""
    v = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                v[k] = int(rest.split()[0])
    return ((v["Private_Clean"] + v["Private_Dirty"]) / 1024, v["Pss"] / 1024,
            v["Private_Dirty"] / 1024)


def switches(pid):
    """Context switches of every thread of pid."""
    n = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
        except FileNotFoundError:
            pass
    return n


def strace_start(pid, out):
    return subprocess.Popen(["strace", "-c", "-f", "-q", "-o", out, "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def strace_total(proc, out):
    proc.send_signal(signal.SIGINT)
    proc.wait(20)
    total = 0
    with open(out) as f:
        for line in f:
            p = line.split()
            if p and p[-1] == "total":
                total = int(p[3]) if len(p) >= 6 else int(p[2])
    return total


# ---- the three peers --------------------------------------------------------

class Ritual:
    name = "ritual"

    def __init__(self, workdir, fake, accounts=1, inflight=INFLIGHT):
        self.dir = tempfile.mkdtemp(prefix="ritual-", dir=workdir)
        self.fake = fake
        self.proc = None
        accs = []
        for i in range(accounts):
            tok = os.path.join(self.dir, "a%d.token" % i)
            with open(tok, "w") as f:
                f.write("EAAbench%d\n" % i)
            os.chmod(tok, 0o600)
            accs.append('{ name = "a%d"; network = "facebook"; page_id = "%d"; '
                        'token_file = "a%d.token"; api = "%s"; }' % (i, PAGE0 + i, i, fake.graph))
        self.config = os.path.join(self.dir, "ritual.conf")
        with open(self.config, "w") as f:
            f.write('timezone = "America/New_York";\ndatabase = "queue.db";\n'
                    'business = { name = "Bench Studio"; website = "https://example.com"; };\n'
                    'schedule = { slots = [ "0 9 * * MON,WED,FRI" ]; min_gap = 0; };\n'
                    '%s'
                    'accounts = ( %s );\n'
                    % ("http = { max_in_flight = %d; max_per_host = %d; };\n"
                       % (int(inflight), int(inflight)) if inflight else "",
                       ",\n  ".join(accs)))
        self.db = os.path.join(self.dir, "queue.db")

    def cli(self, *args, check=True, stdout=subprocess.PIPE):
        p = subprocess.run([RITUAL, "-c", self.config] + list(args), stdout=stdout,
                           stderr=subprocess.PIPE, text=stdout == subprocess.PIPE)
        if check and p.returncode != 0:
            raise RuntimeError("ritual %s: %s" % (" ".join(args), p.stderr[-400:]))
        return p

    def post_file(self, name, text, at, to=None):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("Kind: tip\nTitle: %s\nAt: %s\n%s\n%s\n"
                    % (name, iso(at), "To: %s\n" % to if to else "", text))
        return path

    def schedule(self, posts):
        """posts: [(message, at)] on account a0, one `ritual add` each."""
        for i, (msg, at) in enumerate(posts):
            self.cli("add", self.post_file("p%d.post" % i, msg, at, to="a0"))

    def start(self):
        self.proc = subprocess.Popen([RITUALD, "-c", self.config], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "rituald.log"), "a"),
                                     env=dict(os.environ, **unit_environment()))
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Aps:
    name = "APScheduler"

    def __init__(self, workdir, fake):
        self.dir = tempfile.mkdtemp(prefix="aps-", dir=workdir)
        self.fake = fake
        self.proc = None
        self.posts = []
        self.n = 0

    def schedule(self, posts, page=None):
        """posts: [(message, at)] or [(message, at, page)]."""
        self.posts = [{"id": "post-%d" % i, "page": str(p[2] if len(p) > 2 else PAGE0),
                       "token": "EAAbench", "message": p[0], "at": p[1]}
                      for i, p in enumerate(posts)]

    def start(self):
        self.n += 1
        pf = os.path.join(self.dir, "posts%d.json" % self.n)
        with open(pf, "w") as f:
            json.dump(self.posts, f)
        self.proc = subprocess.Popen([PY, APS, "--db", os.path.join(self.dir, "jobs%d.sqlite"
                                                                     % self.n),
                                      "--graph", self.fake.graph, pf],
                                     stdout=subprocess.PIPE, text=True,
                                     stderr=open(os.path.join(self.dir, "aps.log"), "a"))
        self.proc.stdout.readline()     # "ready"
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Cron:
    name = "cron + curl"

    def __init__(self, workdir, fake):
        self.dir = tempfile.mkdtemp(prefix="cron-", dir=workdir)
        self.fake = fake
        self.proc = None
        for d in ("spool", "cron.d", "run"):
            os.mkdir(os.path.join(self.dir, d))
        open(os.path.join(self.dir, "crontab.etc"), "w").close()
        self.lines = ["0 9 6 1 * true"]    # something far away, so cron has a table

    def schedule(self, posts):
        """posts: [(message, at)], at on a minute boundary (UTC)."""
        self.lines = []
        for msg, at in posts:
            tm = time.gmtime(at)
            self.lines.append("%d %d %d %d * curl -s -o /dev/null --data-urlencode 'message=%s' "
                              "-d access_token=EAAbench %s/%d/feed"
                              % (tm.tm_min, tm.tm_hour, tm.tm_mday, tm.tm_mon, msg,
                                 self.fake.graph, PAGE0))

    def start(self):
        tab = os.path.join(self.dir, "spool", "root")
        with open(tab, "w") as f:
            f.write("SHELL=/bin/sh\nCRON_TZ=UTC\n" + "\n".join(self.lines) + "\n")
        os.chmod(tab, 0o600)
        d = self.dir
        script = ("mount --bind %s/spool /var/spool/cron/crontabs && "
                  "mount --bind %s/cron.d /etc/cron.d && "
                  "mount --bind %s/crontab.etc /etc/crontab && "
                  "mount --bind %s/run /run && exec cron -f -L 0" % (d, d, d, d))
        env = dict(os.environ, TZ="UTC")
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private",
                                      "sh", "-c", script], env=env,
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(d, "cron.log"), "a"))
        deadline = time.time() + 5
        while time.time() < deadline:      # until the sh has exec'd cron
            try:
                if open("/proc/%d/comm" % self.proc.pid).read().strip() == "cron":
                    break
            except FileNotFoundError:
                break
            time.sleep(0.05)
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


# ---- phases -----------------------------------------------------------------

def phase_idle(peers, res):
    """All peers idle at once (their wake-ups are their own), a far post queued."""
    far = time.time() + 30 * 86400
    pids = {}
    for p in peers:
        p.schedule([("Later.", far)]) if not isinstance(p, Cron) else None
        pids[p.name] = p.start()
    time.sleep(3)
    s0 = {n: switches(pid) for n, pid in pids.items()}
    log("idle: %d s, context switches" % IDLE)
    time.sleep(IDLE)
    for n, pid in pids.items():
        res[n]["ctx"] = switches(pid) - s0[n]
        res[n]["uss"], res[n]["pss"], res[n]["dirty"] = mem(pid)
    if shutil.which("strace"):
        log("idle: %d s, strace -c -f" % IDLE)
        tr = {n: strace_start(pid, os.path.join(peers[0].dir, "..", "strace-%d" % pid))
              for n, pid in pids.items()}
        time.sleep(IDLE)
        for n, pid in pids.items():
            res[n]["sys"] = strace_total(tr[n], os.path.join(peers[0].dir, "..",
                                                              "strace-%d" % pid))
    for p in peers:
        p.stop()


# background load for ritual's punctuality: BG_PAGES other Pages, each with a
# chain of posts due when the measured ones start, which the fake answers in
# BG_DELAY s, so that many deliveries are in flight the whole time.
BG_PAGES = int(os.environ.get("BENCH_BG_PAGES", "16"))
BG_DELAY = 1.5


def background(rit, fake, at, seconds):
    """Queue the background chains on rit's accounts a1..a<BG_PAGES> (rituald
    not running yet), all due at at, long enough to last seconds."""
    per = int(seconds / BG_DELAY) + 2
    folder = os.path.join(rit.dir, "bg-%d" % at)
    os.mkdir(folder)
    for a in range(1, BG_PAGES + 1):
        for k in range(per):
            with open(os.path.join(folder, "b%03d-%03d.post" % (a, k)), "w") as f:
                f.write("Kind: tip\nTitle: B%d %d\nAt: %s\nTo: a%d\n\nBackground %d of a%d.\n"
                        % (a, k, iso(at + k), a, k, a))
    rit.cli("import", folder)
    fake.delay(0, {str(PAGE0 + a): BG_DELAY for a in range(1, BG_PAGES + 1)})


def punctual(fake, peer, n, spacing, first, tag, bg=False):
    """Due instant -> request at the fake for n posts spacing s apart, in ms;
    with bg (ritual only), the background chains in flight meanwhile. Returns
    (latencies, requests in flight at each arrival, the measured one included)."""
    fake.clear()
    posts = [("Bench %s post %d." % (tag, i), first + i * spacing) for i in range(n)]
    if isinstance(peer, Ritual):
        if bg:
            background(peer, fake, first - 2, n * spacing + 4)
        peer.start()
        peer.schedule(posts)
    else:
        peer.schedule(posts)
        peer.start()
    recs = fake.wait(n, first + n * spacing + 20 - time.time(), match="Bench %s" % tag)
    peer.stop()
    if bg:
        fake.delay(0)
    lat, infl = [], []
    for r in recs:
        for msg, at in posts:
            if msg in r["message"]:
                lat.append((r["t"] - at) * 1000)
                infl.append(r.get("inflight", 1))
                break
    return lat, infl


def phase_punct(fake, rit, aps, cron, res):
    if cron and "cron" not in SKIP:
        # cron: one post per minute boundary, while nothing else runs
        first = (int(time.time()) // 60 + 1) * 60
        if first - time.time() < 5:
            first += 60
        log("cron: %d posts at minute boundaries, first in %.0f s" % (CRON_POSTS,
                                                                       first - time.time()))
        res[cron.name]["lat"] = punctual(fake, cron, CRON_POSTS, 60, first, "cron")[0]
    for p in (rit, aps):
        if p is None:
            continue
        log("%s: %d posts 2 s apart" % (p.name, POSTS))
        first = int(time.time()) + 4
        res[p.name]["lat"] = punctual(fake, p, POSTS, 2, first, p.name)[0]
    if BG_PAGES:
        log("ritual: %d posts 2 s apart, %d other Pages in flight" % (POSTS, BG_PAGES))
        first = int(time.time()) + 6
        res["ritual"]["lat_bg"] = punctual(fake, rit, POSTS, 2, first, "ritual-bg", bg=True)


def phase_startup(fake, rit, aps, res):
    """Launch -> the request of a post already due at launch."""
    for p in (rit, aps):
        if p is None:
            continue
        vals = []
        for k in range(3):
            fake.clear()
            msg = "Bench start-up %s %d." % (p.name, k)
            at = int(time.time()) + 2
            p.schedule([(msg, at)])
            while time.time() < at + 0.2:
                time.sleep(0.05)
            t0 = time.time()
            if isinstance(p, Aps):
                p.proc = subprocess.Popen([PY, APS, "--db", os.path.join(p.dir, "s%d.sqlite" % k),
                                           "--graph", fake.graph, _dump(p)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            else:
                p.start()
            recs = fake.wait(1, 20)
            p.stop()
            if recs:
                vals.append((recs[0]["t"] - t0) * 1000)
        res[p.name]["start"] = statistics.median(vals) if vals else None
    # cron + curl: what each post costs at run time, curl's own launch -> request
    vals = []
    for k in range(3):
        fake.clear()
        t0 = time.time()
        subprocess.run(["curl", "-s", "-o", "/dev/null", "--data-urlencode",
                        "message=start-up %d" % k, "-d", "access_token=EAAbench",
                        "%s/%d/feed" % (fake.graph, PAGE0)])
        recs = fake.wait(1, 5)
        if recs:
            vals.append((recs[0]["t"] - t0) * 1000)
    res["cron + curl"]["start"] = statistics.median(vals) if vals else None


def _dump(aps):
    pf = os.path.join(aps.dir, "start.json")
    with open(pf, "w") as f:
        json.dump(aps.posts, f)
    return pf


def load_capacity(fake, conns=256, seconds=10):
    """The fake's own capacity at the agency delay, with wrk or a thread pool."""
    fake.clear()
    url = "%s/%d/feed" % (fake.graph, PAGE0)
    if shutil.which("wrk"):
        lua = os.path.join(tempfile.gettempdir(), "bench-wrk-%d.lua" % os.getpid())
        with open(lua, "w") as f:
            f.write('wrk.method = "POST"\nwrk.body = "message=load&access_token=EAAbench"\n'
                    'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n')
        p = subprocess.run(["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds, "-s", lua, url],
                           capture_output=True, text=True)
        os.unlink(lua)
        for line in p.stdout.splitlines():
            if line.startswith("Requests/sec:"):
                return float(line.split()[1]), "wrk -t2 -c%d" % conns
        return None, "wrk failed"
    done = [0]
    stop = time.time() + seconds

    def worker():
        while time.time() < stop:
            urllib.request.urlopen(url, data=b"message=load&access_token=EAAbench").read()
            done[0] += 1
    ts = [threading.Thread(target=worker) for _ in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return done[0] / seconds, "%d Python threads" % conns


def phase_agency(fake, workdir, res):
    n = AG_ACC * AG_PER
    fake.delay(AG_DELAY)
    cap, how = load_capacity(fake)
    res["fake"] = (cap, how)
    # ritual: AG_ACC accounts, AG_PER posts each, all due at one instant
    rit = Ritual(workdir, fake, accounts=AG_ACC, inflight=AG_INFLIGHT)
    folder = os.path.join(rit.dir, "week")
    os.mkdir(folder)
    at = int(time.time()) + 15 + n // 100
    for a in range(AG_ACC):
        for k in range(AG_PER):
            with open(os.path.join(folder, "a%04d-%02d.post" % (a, k)), "w") as f:
                f.write("Kind: tip\nTitle: A%d %d\nAt: %s\nTo: a%d\n\nAgency post %d of a%d.\n"
                        % (a, k, iso(at + k * 60), a, k, a))
    # every account's k-th post is due at at + k min: that is how a studio
    # queues its week; the bench then moves them all to one instant (below).
    rit.cli("import", folder)
    with sqlite3.connect(rit.db) as db:
        db.execute("UPDATE deliveries SET due = ?, next_attempt = ?", (at, at))
        db.execute("UPDATE posts SET due = ?", (at,))
    fake.clear()
    rit.start()
    timeout = max(120, n / 2 + 60)
    log("agency: ritual, %d accounts x %d posts due at once, fake at %.0f ms (timeout %.0f s)"
        % (AG_ACC, AG_PER, AG_DELAY * 1000, timeout))
    recs = fake.wait(n, at + timeout - time.time(), settle=30)
    rit.stop()
    res["ritual"]["agency"] = agency_figure(recs, at, n)
    # APScheduler
    if "aps" not in SKIP:
        aps = Aps(workdir, fake)
        at = int(time.time()) + 20 + n // 50
        aps.schedule([("Agency post %d of a%d." % (k, a), at, PAGE0 + a)
                      for a in range(AG_ACC) for k in range(AG_PER)])
        fake.clear()
        aps.start()
        log("agency: APScheduler")
        recs = fake.wait(n, at + timeout - time.time(), settle=15)
        aps.stop()
        res["APScheduler"]["agency"] = agency_figure(recs, at, n)
    fake.delay(0)


def agency_figure(recs, at, n):
    if not recs:
        return {"n": n, "got": 0}
    last = max(r["t"] for r in recs)
    return {"n": n, "got": len(recs), "span": last - at, "rate": len(recs) / max(last - at, 1e-3),
            "inflight": max(r["inflight"] for r in recs)}


def phase_million(fake, workdir, res):
    rit = Ritual(workdir, fake, accounts=1 + BG_PAGES)
    rit.cli("add", rit.post_file("seed.post", "Seed.", time.time() + 86400 * 400, to="a0"))
    log("million: filling %d posts" % MILLION)
    t0 = time.time()
    db = sqlite3.connect(rit.db)
    seed = db.execute("SELECT kind, title, body, source, created FROM posts").fetchone()
    dseed = db.execute("SELECT account, network, text FROM deliveries").fetchone()
    base = int(time.time()) + 86400 * 30
    db.execute("BEGIN")
    db.executemany("INSERT INTO posts(id, kind, title, body, source, due, created) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   ((i, seed[0], "Post %d" % i, "Queued post number %d." % i, seed[3],
                     base + i * 60, seed[4]) for i in range(2, MILLION + 2)))
    db.executemany("INSERT INTO deliveries(post_id, account, network, text, due, next_attempt) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   ((i, dseed[0], dseed[1], "Queued post number %d." % i, base + i * 60,
                     base + i * 60) for i in range(2, MILLION + 2)))
    db.execute("COMMIT")
    db.close()
    log("million: filled in %.0f s (%.0f MB)" % (time.time() - t0,
                                                 os.path.getsize(rit.db) / 1e6))
    q = {}
    vals = []
    for k in range(3):
        pf = rit.post_file("m%d.post" % k, "Million add %d." % k, time.time() + 86400 * 300 + k,
                           to="a0")
        t0 = time.time()
        rit.cli("add", pf)
        vals.append((time.time() - t0) * 1000)
    q["add"] = statistics.median(vals)
    vals = []
    for k in range(3):
        t0 = time.time()
        rit.cli("show", str(MILLION // 2))
        vals.append((time.time() - t0) * 1000)
    q["show"] = statistics.median(vals)
    t0 = time.time()
    p = subprocess.Popen([RITUAL, "-c", rit.config, "list"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    size = 0
    timer = threading.Timer(float(os.environ.get("BENCH_LIST_TIMEOUT", "120")), p.kill)
    timer.start()
    while True:
        b = p.stdout.read(1 << 20)
        if not b:
            break
        size += len(b)
    p.wait()
    timer.cancel()
    q["list"] = (time.time() - t0, size, p.returncode)
    res["ritual"]["million"] = q
    if BG_PAGES and "punct" not in SKIP:
        log("million: %d posts 2 s apart, %d other Pages in flight" % (POSTS, BG_PAGES))
        first = int(time.time()) + 6
        res["ritual"]["lat_million"] = punctual(fake, rit, POSTS, 2, first, "million", bg=True)
    rit.stop()


# ---- the table --------------------------------------------------------------

def cell(v, best, fmt, lower=True, floor=None):
    if v is None:
        return "—"
    s = fmt % v
    if best and v is not None:
        w = max(v, floor) if floor is not None else v
        r = w / best if lower else best / max(w, 1e-9)
        s += " (%s)" % ("best" if abs(r - 1) < 1e-9 else "×%.1f" % r)
    return s


def row(res, names, key, fmt, lower=True, floor=None):
    vals = {n: res[n].get(key) for n in names}
    got = [v for v in vals.values() if v is not None]
    best = (min(got) if lower else max(got)) if got else None
    if floor is not None and best is not None:
        best = max(best, floor)
    return [cell(vals[n], best, fmt, lower, floor) for n in names]


def table(res, names):
    out = ["| figure | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]

    def line(label, cells):
        out.append("| %s | %s |" % (label, " | ".join(cells)))
    if any("uss" in res[n] for n in names):
        line("idle memory USS, MB", row(res, names, "uss", "%.1f"))
        line("idle memory PSS, MB", row(res, names, "pss", "%.1f"))
        if any("dirty" in res[n] for n in names):
            line("idle memory, private dirty only, MB", row(res, names, "dirty", "%.1f"))
        line("idle context switches in %d s" % IDLE, row(res, names, "ctx", "%d", floor=1))
        if any("sys" in res[n] for n in names):
            line("idle syscalls in %d s (strace -c -f)" % IDLE,
                 row(res, names, "sys", "%d", floor=1))
    for n in names:
        lat = res[n].get("lat")
        if lat:
            res[n]["p50"], res[n]["p99"], res[n]["max"] = pct(lat, 50), pct(lat, 99), max(lat)
            res[n]["nlat"] = len(lat)
    if any("p50" in res[n] for n in names):
        line("due instant → request at the server, p50 ms "
             "(%d posts 2 s apart; cron: %d at minute boundaries)" % (POSTS, CRON_POSTS),
             row(res, names, "p50", "%.1f"))
        line("the same, p99 ms", row(res, names, "p99", "%.1f"))
        line("the same, max ms", row(res, names, "max", "%.1f"))
    for key, what in (("lat_bg", "a small queue"), ("lat_million", "%d queued" % MILLION)):
        v = res["ritual"].get(key)
        if v and v[0]:
            lat, infl = v
            line("due → request with %s and %d other Pages in flight (answering in %.1f s), "
                 "p50 / p99 / max ms" % (what, BG_PAGES, BG_DELAY),
                 ["%.1f / %.1f / %.1f; %d posts, %d–%d requests open at each arrival"
                  % (pct(lat, 50), pct(lat, 99), max(lat), len(lat), min(infl), max(infl))]
                 + [""] * (len(names) - 1))
    if any("start" in res[n] for n in names):
        line("start-up: launch → request of a post already due, ms (cron + curl: curl alone)",
             row(res, names, "start", "%.0f"))
    if any("agency" in res[n] for n in names):
        # ranked among the peers that published every post: a peer that
        # drops most of them (APScheduler's misfire_grace_time) is not fast
        for n in names:
            a = res[n].get("agency")
            res[n].pop("rate", None)
            if a and a.get("got") == a["n"]:
                res[n]["rate"] = a["rate"]
        cells = row(res, names, "rate", "%.1f posts/s", lower=False)
        for i, n in enumerate(names):
            a = res[n].get("agency")
            if a and a.get("got"):
                if a["got"] < a["n"]:
                    cells[i] = "%.1f posts/s" % a["rate"]
                cells[i] += ": %d of %d in %.1f s, %d in flight" % (a["got"], a["n"], a["span"],
                                                                      a["inflight"])
                if res.get("fake") and res["fake"][0] and a["got"] == a["n"]:
                    cells[i] += ", %.2f × the fake's own time" % (a["span"] * res["fake"][0]
                                                                   / a["n"])
                if a["got"] < a["n"]:
                    cells[i] += "; %d never sent" % (a["n"] - a["got"])
        line("agency: %d accounts × %d posts due at once, fake answering in %.0f ms "
             "(ritual: max_in_flight = %d)" % (AG_ACC, AG_PER, AG_DELAY * 1000, AG_INFLIGHT),
             cells)
    if res.get("fake"):
        cap, how = res["fake"]
        line("the fake's own capacity at %.0f ms (%s)" % (AG_DELAY * 1000, how),
             ["%.0f requests/s" % cap if cap else "—"] + [""] * (len(names) - 1))
    m = res["ritual"].get("million")
    if m:
        blank = [""] * (len(names) - 1)
        line("%d posts queued: `ritual add` / `show`, ms" % MILLION,
             ["%.0f / %.0f" % (m["add"], m["show"])] + blank)
        t, size, rc = m["list"]
        line("%d posts queued: `ritual list` (its default page)" % MILLION,
             ["%.0f ms, %.0f KB of output%s" % (t * 1000, size / 1e3, "" if rc == 0 else
                                                " (stopped, exit %d)" % rc)] + blank)
    return "\n".join(out)


def render(path):
    """Print the table again from a BENCH_JSON file (no measuring)."""
    with open(path) as f:
        res = json.load(f)
    print(table(res, ["ritual", "APScheduler", "cron + curl"]))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--render":
        return render(sys.argv[2])
    if os.environ.get("BENCH_ONLY") in ("wake", "import", "memory", "commands"):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import scale
        return scale.main()
    os.environ.setdefault("TZ", "America/New_York")
    workdir = tempfile.mkdtemp(prefix="ritual-bench-")
    fake = FastFake(workdir)
    names = ["ritual", "APScheduler", "cron + curl"]
    res = {n: {} for n in names}
    have_cron = shutil.which("cron") and shutil.which("unshare") and os.geteuid() == 0
    rit = Ritual(workdir, fake, accounts=1 + BG_PAGES)
    aps = Aps(workdir, fake) if "aps" not in SKIP else None
    cron = Cron(workdir, fake) if have_cron and "cron" not in SKIP else None
    if not have_cron:
        log("cron + curl: skipped (needs root, cron and unshare)")
    t0 = time.time()
    try:
        if "idle" not in SKIP:
            phase_idle([p for p in (rit, aps, cron) if p], res)
        if "punct" not in SKIP:
            phase_punct(fake, rit, aps, cron, res)
        if "startup" not in SKIP:
            phase_startup(fake, rit, aps, res)
        if "agency" not in SKIP:
            phase_agency(fake, workdir, res)
        if "million" not in SKIP:
            phase_million(fake, workdir, res)
    finally:
        for p in (rit, aps, cron):
            if p:
                p.stop()
        fake.stop()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)
    print(table(res, names))
    print("\n(ratios to the best peer; measured in one run of %.0f s on %s)"
          % (time.time() - t0, time.strftime("%Y-%m-%d")))
    if os.environ.get("BENCH_JSON"):
        with open(os.environ["BENCH_JSON"], "w") as f:
            json.dump(res, f, indent=1, default=str)


if __name__ == "__main__":
    main()
