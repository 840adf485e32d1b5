"""Issue 9 item 5: text from outside cannot hurt a terminal or the JSON:
the owner's files, file names, and the platforms' own error messages."""
import json
import os
import unittest

from harness import E2ETest


class HostileText(E2ETest):
    def test_escape_codes_refused_at_queue_time(self):
        env = self.make_env()
        p = env.write_post("red.post", "Kind: tip\nTitle: Red \x1b[31malert\n\nBody.\n")
        r = env.ritual("add", p, expect=65)
        self.assertIn("red.post:2: column 12: a control character (U+001B", r.stderr)
        self.assertNotIn("\x1b", r.stderr + r.stdout)
        self.assertEqual(env.ritual_json("list", "--json"), [])

    def test_non_utf8_file_name_listed_in_json(self):
        env = self.make_env()
        name = os.path.join(env.dir.encode(), b"caf\xe9.post")
        with open(name, "wb") as f:
            f.write(b"Kind: tip\n\nA tip from a Latin-1 file name.\n")
        p = env.ritual_popen("add", name, text=False)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, err)
        self.assertNotIn(b"\xe9", out)
        self.assertIn(b"caf\\xe9.post", out)
        posts = env.ritual_json("list", "--json")
        self.assertEqual(len(posts), 1)
        self.assertTrue(posts[0]["source"].endswith("caf\\xe9.post"), posts[0]["source"])
        shown = env.ritual_json("show", str(posts[0]["id"]), "--json")
        self.assertEqual(shown["source"], posts[0]["source"])

    RED = "bad \x1b[31mred\x1b[0m"          # what Graph's message says
    SHOWN = "bad \\x1b[31mred\\x1b[0m"      # what a terminal may be shown

    def refused_with_escape_codes(self):
        """Post 1 failed at once (code 100, a proven refusal) with an error
        message carrying ANSI colour codes. Its id and the Env."""
        env = self.make_env()
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        env.fake.fault({"network": "facebook", "path_regex": "/photos$"},
                       {"type": "meta_error", "code": 100, "message": self.RED}, times=1)
        self.assertEqual(env.run_once(), 0, env.log())
        self.assertEqual(env.deliveries(first)["facebook"]["state"], "failed", env.log())
        return env, first

    def test_platform_error_with_escape_codes_is_shown_escaped(self):
        env, first = self.refused_with_escape_codes()
        out = env.ritual("show", str(first)).stdout
        self.assertIn("error: Facebook error 100: " + self.SHOWN, out)
        self.assertNotIn("\x1b", out, "raw ESC from the platform in `ritual show`")
        # The plain listing shows the state only; the JSON escapes the
        # character and keeps the message as it was.
        for args in (["list"], ["list", "--all"]):
            self.assertNotIn("\x1b", env.ritual(*args).stdout, " ".join(args))
        text = env.ritual("list", "--json").stdout
        self.assertNotIn("\x1b", text, "raw ESC in `ritual list --json`")
        err = [d["error"] for p in json.loads(text) for d in p["deliveries"]
               if p["id"] == first][0]
        self.assertIn(self.RED, err)
        log = env.log()
        self.assertIn("Facebook error 100: " + self.SHOWN, log)
        self.assertNotIn("\x1b", log, "raw ESC from the platform in rituald's log")

    def test_platform_error_with_escape_codes_is_escaped_in_status(self):
        env, first = self.refused_with_escape_codes()
        out = env.ritual("status", expect=1).stdout
        self.assertIn("post %d on facebook: failed: Facebook error 100: %s" % (first, self.SHOWN),
                      out)
        self.assertNotIn("\x1b", out, "raw ESC from the platform in `ritual status`")

    def test_non_utf8_file_name_in_add_json(self):
        """add --json (and --dry-run --json) once dropped such a post: the
        file name went into json_pack as is, and jansson refuses it."""
        env = self.make_env()
        name = os.path.join(env.dir.encode(), b"caf\xe9.post")
        with open(name, "wb") as f:
            f.write(b"Kind: tip\nTitle: Caf\xc3\xa9\n\nA tip.\n")
        for extra in (["--dry-run"], []):
            p = env.ritual_popen("add", name, "--json", *extra, text=False)
            stdout, stderr = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, stderr)
            out = json.loads(stdout)
            self.assertEqual(len(out["posts"]), 1, stdout)
            self.assertTrue(out["posts"][0]["file"].endswith("caf\\xe9.post"),
                            out["posts"][0]["file"])
            self.assertEqual(out["dry_run"], bool(extra))
        self.assertEqual(len(env.ritual_json("list", "--json")), 1)

    def test_non_utf8_file_name_escaped_in_dry_run(self):
        env = self.make_env()
        name = os.path.join(env.dir.encode(), b"caf\xe9.post")
        with open(name, "wb") as f:
            f.write(b"Kind: tip\n\nA tip.\n")
        p = env.ritual_popen("add", "--dry-run", name, text=False)
        stdout, stderr = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, stderr)
        self.assertIn(b"would queue 1 post", stdout)
        self.assertNotIn(b"\xe9", stdout)
        self.assertIn(b"caf\\xe9.post", stdout)


if __name__ == "__main__":
    unittest.main()
