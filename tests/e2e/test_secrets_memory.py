"""Issue 9 item 6: a running rituald holds no token in its memory once it
has published, cannot dump core, and is not dumpable (a core image once held
the Facebook token once and the LinkedIn token six times)."""
import os
import re
import subprocess
import time
import unittest

from harness import E2ETest, IG_USER, VALGRIND

ALL = ("facebook", "instagram", "linkedin")


def read_memory(pid):
    """Every readable mapping of pid, as (name, bytes). Needs root (or
    CAP_SYS_PTRACE: the process is not dumpable)."""
    out = []
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)", line)
            start, end, perms, name = int(m[1], 16), int(m[2], 16), m[3], m[4]
            if perms[0] != "r" or name in ("[vvar]", "[vsyscall]", "[vvar_vclock]"):
                continue
            if end - start > (1 << 30):
                continue   # ASan's shadow and reserved ranges: no heap there
            try:
                mem.seek(start)
                out.append((name or "[anon]", mem.read(end - start)))
            except (OSError, ValueError):
                continue
    return out


def prctl_dumpable(pid):
    """PR_GET_DUMPABLE (3) asked inside the process through gdb."""
    p = subprocess.run(["gdb", "-batch", "-nx", "-p", str(pid),
                        "-ex", "print (int)prctl(3, 0, 0, 0, 0)"],
                       capture_output=True, text=True, timeout=120)
    m = re.search(r"^\$1 = (-?\d+)", p.stdout, re.M)
    if not m:
        raise AssertionError("gdb gave no answer:\n" + p.stdout + p.stderr)
    return int(m[1])


@unittest.skipIf(os.geteuid() != 0, "reads another process's memory: needs root")
@unittest.skipIf(VALGRIND, "valgrind's own memory is not rituald's")
class SecretsInMemory(E2ETest):
    networks = ALL

    def test_no_token_in_memory_after_publishing_everywhere(self):
        env = self.make_env(ig_login="instagram")
        # An old Instagram token: the daemon refreshes it at start, so the
        # refresh answer (which carries the new token) is in play too.
        tok = os.path.join(env.dir, "instagram.token")
        old = time.time() - 8 * 86400
        os.utime(tok, (old, old))
        env.import_sample()
        env.due_now()
        daemon = env.start_daemon()
        pid = daemon.pid

        def all_done():
            posts = env.ritual_json("list", "--all", "--json")
            return all(d["state"] == "published" for p in posts for d in p["deliveries"])
        env.wait_for(all_done, 240, "every post published to all three networks")
        published = env.fake.posts()
        self.assertEqual(sorted({p["network"] for p in published}), sorted(ALL))
        self.assertEqual(len(published), 21, env.log()[-2000:])
        info = env.fake.call("GET", "/_fake/tokens")["instagram"][IG_USER]
        self.assertEqual(info["refresh_count"], 1, env.log())
        with open(tok) as f:
            env.tokens["instagram_new"] = f.read().strip()

        hits = []
        for name, blob in read_memory(pid):
            for which, token in env.tokens.items():
                n = blob.count(token.encode())
                if n:
                    hits.append("%s token %d time(s) in %s" % (which, n, name))
        self.assertEqual(hits, [])

        limit = subprocess.run(["prlimit", "--pid", str(pid), "--core", "--raw",
                                "--noheadings", "--output", "SOFT,HARD"],
                               capture_output=True, text=True, check=True).stdout.split()
        self.assertEqual(limit, ["0", "0"])
        self.assertEqual(prctl_dumpable(pid), 0)
        self.assertEqual(env.stop_daemon(), 0, env.log()[-2000:])


if __name__ == "__main__":
    unittest.main()
