"""Issue 9 item 5: text from outside cannot hurt a terminal or the JSON."""
import json
import os
import subprocess
import unittest

from harness import E2ETest, RITUAL


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
        e = dict(os.environ)
        e.pop("RITUAL_CONFIG", None)
        p = subprocess.run([RITUAL, "-c", env.config, "add", name], capture_output=True, env=e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(b"\xe9", p.stdout)
        self.assertIn(b"caf\\xe9.post", p.stdout)
        posts = env.ritual_json("list", "--json")
        self.assertEqual(len(posts), 1)
        self.assertTrue(posts[0]["source"].endswith("caf\\xe9.post"), posts[0]["source"])
        shown = env.ritual_json("show", str(posts[0]["id"]), "--json")
        self.assertEqual(shown["source"], posts[0]["source"])

    def test_non_utf8_file_name_in_add_json(self):
        """add --json (and --dry-run --json) once dropped such a post: the
        file name went into json_pack as is, and jansson refuses it."""
        env = self.make_env()
        name = os.path.join(env.dir.encode(), b"caf\xe9.post")
        with open(name, "wb") as f:
            f.write(b"Kind: tip\nTitle: Caf\xc3\xa9\n\nA tip.\n")
        e = dict(os.environ)
        e.pop("RITUAL_CONFIG", None)
        for extra in (["--dry-run"], []):
            p = subprocess.run([RITUAL, "-c", env.config, "add", name, "--json"] + extra,
                               capture_output=True, env=e)
            self.assertEqual(p.returncode, 0, p.stderr)
            out = json.loads(p.stdout)
            self.assertEqual(len(out["posts"]), 1, p.stdout)
            self.assertTrue(out["posts"][0]["file"].endswith("caf\\xe9.post"),
                            out["posts"][0]["file"])
            self.assertEqual(out["dry_run"], bool(extra))
        self.assertEqual(len(env.ritual_json("list", "--json")), 1)

    def test_non_utf8_file_name_escaped_in_dry_run(self):
        env = self.make_env()
        name = os.path.join(env.dir.encode(), b"caf\xe9.post")
        with open(name, "wb") as f:
            f.write(b"Kind: tip\n\nA tip.\n")
        e = dict(os.environ)
        e.pop("RITUAL_CONFIG", None)
        p = subprocess.run([RITUAL, "-c", env.config, "add", "--dry-run", name],
                           capture_output=True, env=e)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"would queue 1 post", p.stdout)
        self.assertNotIn(b"\xe9", p.stdout)
        self.assertIn(b"caf\\xe9.post", p.stdout)


if __name__ == "__main__":
    unittest.main()
