"""Run every end-to-end test module; the last line is "N passed, N failed".

  run.py [PATTERN]          the modules matching PATTERN (default test_*.py)
  RITUAL_E2E_JOBS=N         run up to N modules at once, each in a process of
                            its own (default 3; the tests mostly wait on
                            daemons and timers, not on the CPU). Each
                            module's output is printed whole when it ends.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def run_parallel(files, jobs):
    """Each module in a child process; the longest files start first."""
    files = sorted(files, key=os.path.getsize, reverse=True)
    running, passed, failed = [], 0, 0
    start = time.time()
    while files or running:
        while files and len(running) < jobs:
            f = files.pop(0)
            # Output to a file, not a pipe: a child that writes more than
            # a pipe holds (64 KiB: a failing test that prints a log)
            # would block until read, and it is read only once it exits.
            out_file = tempfile.TemporaryFile()
            proc = subprocess.Popen([sys.executable, __file__, os.path.basename(f)],
                                    stdout=out_file, stderr=subprocess.STDOUT,
                                    env=dict(os.environ, RITUAL_E2E_JOBS="1"))
            proc.out_file = out_file
            running.append((f, proc, time.time()))
        time.sleep(0.2)
        for item in list(running):
            f, proc, t0 = item
            if proc.poll() is None:
                continue
            running.remove(item)
            proc.out_file.seek(0)
            out = proc.out_file.read().decode("utf-8", "replace")
            proc.out_file.close()
            m = re.findall(r"^e2e: (\d+) passed, (\d+) failed$", out, re.M)
            p, fl = (int(m[-1][0]), int(m[-1][1])) if m else (0, 1)
            if proc.returncode != 0 and fl == 0:
                fl = 1
            passed += p
            failed += fl
            sys.stdout.write("=== %s (%.0f s): %d passed, %d failed\n%s\n" % (
                os.path.basename(f), time.time() - t0, p, fl, out))
            sys.stdout.flush()
    print("e2e wall time: %.0f s" % (time.time() - start))
    print("e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else "test_*.py"
    jobs = int(os.environ.get("RITUAL_E2E_JOBS", "3"))
    files = glob.glob(os.path.join(HERE, pattern)) if pattern.endswith(".py") else []
    if jobs > 1 and len(files) > 1:
        return run_parallel(files, jobs)
    suite = unittest.defaultTestLoader.discover(HERE, pattern=pattern, top_level_dir=HERE)
    runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    passed = res.testsRun - failed - len(res.skipped)
    print("e2e: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
