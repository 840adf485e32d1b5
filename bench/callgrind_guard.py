"""A cheap regression guard: instruction counts of a fixed workload.

    /usr/bin/python3 bench/callgrind_guard.py            compare with the baseline
    /usr/bin/python3 bench/callgrind_guard.py --update   write the baseline
    /usr/bin/python3 bench/callgrind_guard.py --runs 3   measure N times, show the spread
    /usr/bin/python3 bench/callgrind_guard.py --keep DIR keep the callgrind files there

The workload, with fixed data and a fixed clock (faketime, started at a fixed
instant so that every date the binaries compute is the same run to run):
  import   `ritual import` of a folder of 1,000 posts (200 due at 09:00:00 +
           i s on 2026-06-01, the others days later), at 2026-06-01 08:00;
  once     `rituald --once` at 2026-06-01 09:10, publishing the 200 due
           posts to tests/fake/fast_graph.py (no answer delay).
Each step runs under `valgrind --tool=callgrind`; its count is the total of
instructions executed by ritual's own process (Ir; the fake server runs
outside valgrind). A count more than 10 % above bench/callgrind-baseline.txt
fails (exit 1). A fall is reported; refresh the baseline with --update when a
change makes ritual cheaper (or dearer on purpose) and commit it.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BASELINE = os.path.join(ROOT, "bench", "callgrind-baseline.txt")
FAST = os.path.join(ROOT, "tests", "fake", "fast_graph.py")
TOLERANCE = 0.10
PAGE = "102030405060708"
T_IMPORT = "2026-06-01 08:00:00"
T_ONCE = "2026-06-01 09:10:00"
POSTS, DUE = 1000, 200


def compare(baseline, measured, tolerance=TOLERANCE):
    """baseline, measured: {step: instructions}. Returns (ok, lines): ok is
    False when a step's count rose more than tolerance (a fraction) above its
    baseline, or a baseline step was not measured."""
    ok = True
    lines = []
    for step, base in sorted(baseline.items()):
        got = measured.get(step)
        if got is None:
            ok = False
            lines.append("%s: not measured (baseline %d)" % (step, base))
            continue
        change = (got - base) / base
        bad = change > tolerance
        ok = ok and not bad
        lines.append("%s: %d instructions, baseline %d, %+.1f %%%s" % (
            step, got, base, change * 100,
            " — FAIL: more than %.0f %% above the baseline" % (tolerance * 100) if bad else ""))
    return ok, lines


def read_baseline(path=BASELINE):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                k, v = line.split()
                out[k] = int(v)
    return out


def write_baseline(counts, path=BASELINE):
    with open(path, "w") as f:
        f.write("# bench/callgrind_guard.py: instructions (callgrind Ir) of its fixed workload;\n"
                "# refresh with /usr/bin/python3 bench/callgrind_guard.py --update\n")
        for k in sorted(counts):
            f.write("%s %d\n" % (k, counts[k]))


def callgrind(cmd, out, faketime, env):
    e = dict(env, FAKETIME="@" + faketime, LD_PRELOAD=find_faketime(),
             FAKETIME_DONT_RESET="1")
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                        "--trace-children=no"] + cmd, env=e, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd[:2]), p.returncode, p.stderr[-800:]))
    with open(out) as f:
        for line in f:
            m = re.match(r"^(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise RuntimeError("no totals in " + out)


def find_faketime():
    for d in ("/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/faketime"):
        p = os.path.join(d, "libfaketime.so.1")
        if os.path.exists(p):
            return p
    raise RuntimeError("libfaketime not found (apt-get install faketime)")


def workload(build, keep=None):
    ritual, rituald = os.path.join(build, "ritual"), os.path.join(build, "rituald")
    d = tempfile.mkdtemp(prefix="ritual-callgrind-")
    fake = None
    try:
        pf = os.path.join(d, "fast.port")
        fake = subprocess.Popen(["/usr/bin/python3", FAST, "--port", "0", "--port-file", pf],
                                stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not os.path.exists(pf):
            if time.time() > deadline:
                raise RuntimeError("fast_graph did not start")
            time.sleep(0.05)
        port = int(open(pf).read())
        tok = os.path.join(d, "fb.token")
        with open(tok, "w") as f:
            f.write("EAAguardtoken0123456789\n")
        os.chmod(tok, 0o600)
        conf = os.path.join(d, "ritual.conf")
        with open(conf, "w") as f:
            f.write('timezone = "UTC";\ndatabase = "queue.db";\n'
                    'business = { name = "Guard Studio"; website = "https://example.com"; };\n'
                    'schedule = { slots = [ "0 9 * * MON,WED,FRI" ]; min_gap = 0; };\n'
                    'accounts = ( { name = "fb"; network = "facebook"; page_id = "%s"; '
                    'token_file = "fb.token"; api = "http://127.0.0.1:%d/v25.0"; } );\n'
                    % (PAGE, port))
        folder = os.path.join(d, "posts")
        os.mkdir(folder)
        for i in range(POSTS):
            if i < DUE:
                at = "2026-06-01T09:%02d:%02dZ" % (i // 60, i % 60)
            else:
                at = "2026-06-%02dT%02d:%02d:00Z" % (3 + i // 600, (i // 60) % 10 + 8, i % 60)
            with open(os.path.join(folder, "%04d.post" % i), "w") as f:
                f.write("Kind: tip\nTitle: Guard %d\nAt: %s\n\nGuard post number %d, "
                        "the same text every run.\n" % (i, at, i))
        env = dict(os.environ, TZ="UTC")
        env.pop("RITUAL_CONFIG", None)
        counts = {}
        counts["import"] = callgrind([ritual, "-c", conf, "import", folder],
                                     os.path.join(d, "cg.import"), T_IMPORT, env)
        counts["once"] = callgrind([rituald, "-c", conf, "--once"],
                                   os.path.join(d, "cg.once"), T_ONCE, env)
        import urllib.request
        import json
        with urllib.request.urlopen("http://127.0.0.1:%d/_fast/requests" % port) as r:
            n = len([x for x in json.loads(r.read()) if x["page"]])
        if n != DUE:
            raise RuntimeError("rituald --once published %d posts, expected %d" % (n, DUE))
        if keep:
            os.makedirs(keep, exist_ok=True)
            for step in counts:
                shutil.copy(os.path.join(d, "cg." + step), os.path.join(keep, "callgrind." + step))
        return counts
    finally:
        if fake:
            fake.terminate()
            fake.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--update", action="store_true", help="write the baseline")
    ap.add_argument("--runs", type=int, default=1, help="measure N times (median)")
    ap.add_argument("--keep", metavar="DIR", help="keep the callgrind files in DIR "
                    "(callgrind_annotate DIR/callgrind.once: where the instructions go)")
    a = ap.parse_args()
    build = os.environ.get("BUILD", "build")
    build = build if os.path.isabs(build) else os.path.join(ROOT, build)
    runs = [workload(build, a.keep) for _ in range(a.runs)]
    counts = {k: int(statistics.median(r[k] for r in runs)) for k in runs[0]}
    if a.runs > 1:
        for k in sorted(counts):
            vals = [r[k] for r in runs]
            print("%s: %s (spread %.3f %%)" % (k, " ".join(map(str, vals)),
                                               (max(vals) - min(vals)) / min(vals) * 100))
    if a.update:
        write_baseline(counts)
        print("callgrind guard: baseline written to bench/callgrind-baseline.txt:",
              " ".join("%s %d" % kv for kv in sorted(counts.items())))
        return 0
    ok, lines = compare(read_baseline(), counts)
    for line in lines:
        print("callgrind guard:", line)
    print("callgrind guard: %s" % ("OK" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
