"""Issue 13: friendlier input - dry runs, several ids, times as owners write
them, "did you mean", and --json where scripts need it."""
import os
import sqlite3

from harness import E2ETest


class FriendlierInput(E2ETest):
    networks = ("facebook", "linkedin")

    def test_dry_run_writes_nothing(self):
        env = self.make_env()
        folder = os.path.join(env.dir, "posts")
        os.makedirs(folder)
        for i in range(3):
            with open(os.path.join(folder, "%d.post" % i), "w") as f:
                f.write("Kind: note\nTitle: Note %d\n\nHello %d.\n" % (i, i))
        r = env.ritual("import", "--dry-run", folder)
        self.assertIn("would queue 3 posts", r.stdout)
        self.assertEqual(env.ritual_json("list", "--all", "--json"), [])
        out = env.ritual_json("import", "--dry-run", "--json", folder)
        self.assertTrue(out["dry_run"])
        self.assertEqual(len(out["posts"]), 3)
        self.assertNotIn("id", out["posts"][0])
        out = env.ritual_json("import", "--json", folder)
        self.assertEqual([p["id"] for p in out["posts"]], [1, 2, 3])

    def test_dry_run_creates_no_database(self):
        env = self.make_env()
        p = env.write_post("a.post", "Kind: note\n\nHello.\n")
        r = env.ritual("add", "--dry-run", p)
        self.assertIn("would queue 1 post", r.stdout)
        env.ritual("add", "--dry-run", "--json", p)
        left = [f for f in os.listdir(env.dir) if f.startswith("queue.db")]
        self.assertEqual(left, [])

    def test_dry_run_needs_no_write_lock(self):
        env = self.make_env()
        first = env.ritual_json("add", "--json", env.write_post("a.post", "Kind: note\n\nA.\n"))
        p = env.write_post("b.post", "Kind: note\n\nB.\n")
        other = sqlite3.connect(env.db, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            out = env.ritual_json("add", "--dry-run", "--json", p)
        finally:
            other.execute("ROLLBACK")
            other.close()
        self.assertTrue(out["dry_run"])
        # the occupancy was read: the next free slot, not post 1's
        self.assertNotEqual(out["posts"][0]["due"], first["posts"][0]["due"])
        self.assertEqual(len(env.ritual_json("list", "--json")), 1)

    def test_cancel_ranges_and_account(self):
        env = self.make_env()
        for i in range(6):
            env.ritual("add", env.write_post("%d.post" % i, "Kind: note\n\nPost %d.\n" % i))
        r = env.ritual("cancel", "1", "3-4")
        self.assertEqual(r.stdout.count("canceled"), 3, r.stdout)
        r = env.ritual("cancel", "--account", "linkedin", "5-6")
        self.assertIn("post 5: linkedin canceled", r.stdout)
        states = {d["account"]: d["state"] for d in env.ritual_json("show", "5", "--json")["deliveries"]}
        self.assertEqual(states, {"facebook": "pending", "linkedin": "canceled"})
        r = env.ritual("cancel", "--account", "facebook")
        self.assertIn("post 2: facebook canceled", r.stdout)
        env.ritual("cancel", "7-5", expect=64)

    def test_times_as_owners_write_them(self):
        env = self.make_env()
        env.ritual("add", env.write_post("a.post", "Kind: note\n\nA.\n"))
        r = env.ritual("reschedule", "1", "tomorrow 9am")
        self.assertRegex(r.stdout, r"now due \w{3} \d{4}-\d\d-\d\d 09:00 E[SD]T")
        r = env.ritual("reschedule", "1", "next Mon 17:30")
        self.assertRegex(r.stdout, r"now due Mon \d{4}-\d\d-\d\d 17:30")
        # America/New_York writes the month first.
        r = env.ritual("reschedule", "1", "12/24/2030 09:00")
        self.assertIn("2030-12-24 09:00", r.stdout)
        r = env.ritual("reschedule", "1", "someday", expect=65)
        self.assertIn("tomorrow 09:00", r.stderr)

    def test_did_you_mean_and_json(self):
        env = self.make_env()
        r = env.ritual("imoprt", "x", expect=64)
        self.assertIn("did you mean `ritual import`", r.stderr)
        with open(env.config) as f:
            text = f.read()
        bad = env.config + ".bad"
        with open(bad, "w") as f:
            f.write(text.replace('"America/New_York"', '"America/New_Yrok"'))
        r = env.ritual("-c", bad, "check", expect=78)
        self.assertIn('did you mean "America/New_York"', r.stderr)
        c = env.ritual_json("check", "--json")
        self.assertTrue(c["ok"])
        self.assertEqual([a["name"] for a in c["accounts"]], ["facebook", "linkedin"])
        s = env.ritual_json("slots", "--count", "3", "--json")
        self.assertEqual(len(s), 3)
        env.ritual("add", env.write_post("a.post", "Kind: note\nTitle: Éa 🌿\n\nA.\n"))
        w = env.ritual_json("week", "--json")
        posts = [e for wk in w["weeks"] for d in wk["days"] for e in d["slots"] if not e["free"]]
        self.assertEqual([p["title"] for p in posts], ["Éa 🌿"])
        self.assertTrue(any(e["free"] for wk in w["weeks"] for d in wk["days"]
                            for e in d["slots"]))
        plain = env.ritual("week").stdout
        self.assertNotIn("\x1b[", plain)   # not a terminal: no colour
