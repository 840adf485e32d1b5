"""make bench: what rituald costs and how punctual it is.

Runs the real rituald against the fake Graph API on 127.0.0.1 and reports:
  - idle: CPU time and wake-ups (context switches) over BENCH_IDLE seconds
    (default 60) with a queue whose next post is days away;
  - memory: VmRSS and VmHWM while idle and after publishing;
  - punctuality: for BENCH_POSTS posts (default 10) due at exact seconds
    while rituald sleeps, the time from each post's due instant to its
    request reaching the fake server;
  - queueing: the wall time of `ritual import` of a folder of N generated
    posts without At: (slots chosen for each), for N in BENCH_IMPORT
    (default "1000 10000"), so that the growth with N is visible.
Numbers are printed, never asserted: this is a measurement, not a test.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from harness import Env  # noqa: E402

IDLE = int(os.environ.get("BENCH_IDLE", "60"))
POSTS = int(os.environ.get("BENCH_POSTS", "10"))


def proc_stats(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    status = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.strip()
    switches = int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"])
    rss = "%s (anonymous %s, shared libraries %s)" % (status["VmRSS"], status["RssAnon"],
                                                       status["RssFile"])
    return cpu, switches, rss, status["VmHWM"]


def iso(t):
    lt = time.localtime(t)
    off = lt.tm_gmtoff
    return time.strftime("%Y-%m-%dT%H:%M:%S", lt) + "%+03d:%02d" % (off // 3600, abs(off) % 3600 // 60)


def bench_import():
    for n in [int(x) for x in os.environ.get("BENCH_IMPORT", "1000 10000").split()]:
        env = Env()
        try:
            folder = tempfile.mkdtemp(prefix="bench-import-", dir=env.dir)
            for i in range(n):
                with open(os.path.join(folder, "%05d.post" % i), "w") as f:
                    f.write("Kind: tip\nTitle: Bench %d\n\nBench import post number %d.\n" % (i, i))
            t0 = time.time()
            p = env.ritual("import", folder, expect=None)
            span = time.time() - t0
            ok = "ok" if p.returncode == 0 else "exit %d: %s" % (p.returncode, p.stderr[-300:])
            print("ritual import of %d posts without At: %.2f s (%s)" % (n, span, ok))
        finally:
            env.close()


def main():
    os.environ.setdefault("TZ", "America/New_York")
    bench_import()
    if os.environ.get("BENCH_ONLY") == "import":
        return
    env = Env()
    try:
        far = env.write_post("far.post", "Kind: tip\nTitle: Later\nAt: 2031-01-06 09:00\n\nLater.\n")
        env.ritual("add", far)
        d = env.start_daemon()
        time.sleep(2)
        cpu0, sw0, _, _ = proc_stats(d.pid)
        t0 = time.time()
        time.sleep(IDLE)
        cpu1, sw1, rss, hwm = proc_stats(d.pid)
        span = time.time() - t0
        print("idle for %.0f s: CPU %.1f ms, %d wake-ups (context switches), VmRSS %s, VmHWM %s"
              % (span, (cpu1 - cpu0) * 1000, sw1 - sw0, rss, hwm))

        base = time.time() + 3
        due = {}
        for i in range(POSTS):
            t = int(base) + 2 + i * 2
            p = env.write_post("p%02d.post" % i, "Kind: tip\nTitle: Bench %d\nAt: %s\n\nBench post %d.\n"
                               % (i, iso(t), i))
            env.ritual("add", p)
            due["Bench post %d." % i] = t
        deadline = time.time() + POSTS * 2 + 30
        while time.time() < deadline:
            reqs = [r for r in env.fake.requests(network="facebook") if r["path"].endswith("/feed")]
            if len(reqs) >= POSTS:
                break
            time.sleep(0.5)
        lat = []
        for r in reqs:
            msg = r["form"]["message"]
            for text, t in due.items():
                if text in msg:
                    lat.append((r["time"] - t) * 1000)
        _, _, rss2, hwm2 = proc_stats(d.pid)
        env.stop_daemon()
        if lat:
            print("due -> request at the server, %d posts: min %.1f ms, median %.1f ms, max %.1f ms"
                  % (len(lat), min(lat), statistics.median(lat), max(lat)))
        print("after publishing: VmRSS %s, VmHWM %s" % (rss2, hwm2))
    finally:
        env.close()


if __name__ == "__main__":
    main()
