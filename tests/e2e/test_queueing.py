"""Issue 9: queueing. Never twice (the same post to the same account, two
accounts naming one page), never blocking rituald (files are read before
the write transaction; a FIFO is refused, not opened), never sharing a slot
between two imports at once, and every problem of a folder in one pass."""
import os
import re
import subprocess
import time

from harness import E2ETest, PAGE_ID, RITUAL

EX_DATAERR = 65
EX_CONFIG = 78


def post(title, body, extra=""):
    return "Kind: tip\nTitle: %s\n%s\n%s\n" % (title, extra + "\n" if extra else "", body)


def write_folder(env, name, files):
    folder = os.path.join(env.dir, name)
    os.makedirs(folder, exist_ok=True)
    for fname, text in files.items():
        with open(os.path.join(folder, fname), "w") as f:
            f.write(text)
    return folder


def live_slots(env):
    """(account, due) of every live delivery, with repeats."""
    out = []
    for p in env.ritual_json("list", "--all", "--json"):
        for d in p["deliveries"]:
            if d["state"] in ("pending", "sending", "unknown", "published"):
                out.append((d["account"], p["due"]))
    return out


class NeverTwice(E2ETest):
    networks = ("facebook", "linkedin")

    def test_same_week_imported_twice_is_refused(self):
        env = self.make_env()
        folder = env.import_sample()
        ids = sorted(p["id"] for p in env.ritual_json("list", "--json"))
        self.assertEqual(len(ids), 7)
        p = env.ritual("import", folder, expect=EX_DATAERR)
        # each file named, with the earlier post's id, file and the window
        for i, fname in enumerate(sorted(f for f in os.listdir(folder) if f.endswith(".post"))):
            self.assertIn("%s: the same text and image already went to account "
                          "facebook as post #%d (from %s" % (
                              os.path.join(folder, fname), ids[i],
                              os.path.join(folder, fname)), p.stderr)
        self.assertIn("schedule.duplicate_window (30d)", p.stderr)
        self.assertIn("--again", p.stderr)
        self.assertIn("nothing queued", p.stderr)
        self.assertEqual(len(env.ritual_json("list", "--json")), 7)
        # --again overrides it, for that one command
        env.ritual("import", "--again", folder)
        self.assertEqual(len(env.ritual_json("list", "--json")), 14)

    def test_duplicate_within_one_batch_is_refused(self):
        env = self.make_env()
        text = post("Same", "The very same words.")
        folder = write_folder(env, "dup", {"a.post": text, "b.post": text})
        p = env.ritual("import", folder, expect=EX_DATAERR)
        self.assertIn("%s/b.post: the same text and image as %s/a.post, for account "
                      "facebook in this same batch" % (folder, folder), p.stderr)
        self.assertNotIn("a.post: the same", p.stderr)

    def test_different_image_is_not_a_duplicate(self):
        env = self.make_env()
        src = os.path.join(env.dir, "posts")
        env.import_sample()
        # same text, other image bytes: a different post
        folder = write_folder(env, "other", {})
        with open(os.path.join(src, "01-why-legs-tighten.post")) as f:
            text = f.read()
        with open(os.path.join(src, "02-what-massage-does.jpg"), "rb") as f:
            img = f.read()
        with open(os.path.join(folder, "01-why-legs-tighten.jpg"), "wb") as f:
            f.write(img)
        with open(os.path.join(folder, "x.post"), "w") as f:
            f.write(text)
        env.ritual("import", folder)

    def test_same_minute_warns_with_the_real_time(self):
        env = self.make_env(schedule_extra='min_gap = "5m";')
        at = "At: 2031-01-06 09:00"
        folder = write_folder(env, "same", {
            "a.post": post("One", "First words.", at),
            "b.post": post("Two", "Other words.", at)})
        p = env.ritual("import", folder)
        self.assertIn("queued 2 posts", p.stdout)
        self.assertIn("%s/b.post: warning: account facebook already has %s/a.post in "
                      "the same minute" % (folder, folder), p.stderr)
        self.assertRegex(p.stderr, r"schedule.min_gap \(300s\) sends this one at "
                                   r"\S+ 2031-01-06 09:05")


class SamePageTwice(E2ETest):
    networks = ("facebook",)

    def test_two_accounts_for_one_page_refused_by_check_and_rituald(self):
        env = self.make_env()
        with open(env.config) as f:
            text = f.read()
        second = ('{ name = "fb2"; network = "facebook"; page_id = "%s"; '
                  'token_file = "facebook.token"; api = "%s"; },\n             '
                  % (PAGE_ID, env.api_for("facebook")))
        text = text.replace("accounts = ( ", "accounts = ( " + second, 1)
        with open(env.config, "w") as f:
            f.write(text)
        lines = text.splitlines()
        line_fb2 = next(i + 1 for i, l in enumerate(lines) if '"fb2"' in l)
        line_fb = next(i + 1 for i, l in enumerate(lines) if 'name = "facebook"' in l)
        p = env.ritual("check", expect=EX_CONFIG)
        self.assertIn('%s:%d: account "facebook" publishes to the same Facebook page_id %s '
                      'as account "fb2" (%s:%d)' % (env.config, line_fb, PAGE_ID,
                                                   env.config, line_fb2), p.stderr)
        d = subprocess.run([os.path.join(os.path.dirname(RITUAL), "rituald"), "-c", env.config,
                            "--once"], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(d.returncode, 0)
        self.assertIn("publishes to the same Facebook page_id", d.stdout + d.stderr)


class NeverBlocks(E2ETest):
    networks = ("facebook",)

    def test_two_imports_at_once_never_share_a_slot(self):
        env = self.make_env()
        a = write_folder(env, "a", {"%d.post" % i: post("A%d" % i, "Import A post %d." % i)
                                    for i in range(5)})
        b = write_folder(env, "b", {"%d.post" % i: post("B%d" % i, "Import B post %d." % i)
                                    for i in range(5)})
        pause = os.path.join(env.dir, "pause")
        pa = env.ritual_popen("import", a, env={"RITUAL_TEST_PAUSE_AT": "queue-insert",
                                                "RITUAL_TEST_PAUSE_FILE": pause})
        pb = None
        try:
            # A has chosen its slots and not inserted yet
            env.wait_for(lambda: os.path.exists(pause) or pa.poll() is not None, 30,
                         "import A to choose its slots")
            if pa.poll() is not None:
                self.fail("import A did not stop before inserting: %s" % (pa.communicate(),))
            pb = env.ritual_popen("import", b)
            # B either waits for A's transaction (correct) or races past it
            try:
                pb.wait(1)
            except subprocess.TimeoutExpired:
                pass
            os.unlink(pause)
            out_a = pa.communicate(timeout=30)
            out_b = pb.communicate(timeout=30)
        finally:
            if os.path.exists(pause):
                os.unlink(pause)
            for p in (pa, pb):
                if p is not None and p.poll() is None:
                    p.kill()
                    p.wait()
        self.assertEqual(pa.returncode, 0, out_a)
        self.assertEqual(pb.returncode, 0, out_b)
        slots = live_slots(env)
        self.assertEqual(len(slots), 10)
        self.assertEqual(len(set(slots)), 10, "double-booked: %s" % sorted(slots))

    def test_fifo_post_and_image_refused_at_once_while_rituald_publishes(self):
        env = self.make_env()
        due = env.write_post("due.post", post("Due", "Due now, please publish."))
        env.ritual("add", due)
        env.due_now()
        folder = write_folder(env, "fifo", {
            "good.post": post("Good", "A good post."),
            "img.post": post("Img", "Its image is a pipe.", "Image: pipe.jpg")})
        os.mkfifo(os.path.join(folder, "pipe.post"))
        os.mkfifo(os.path.join(folder, "pipe.jpg"))
        env.start_daemon()
        p = env.ritual_popen("import", folder)
        try:
            _, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            self.fail("ritual import blocked on a FIFO")
        self.assertEqual(p.returncode, EX_DATAERR, err)
        self.assertIn("%s/pipe.post: is a FIFO (named pipe), not a post file" % folder, err)
        self.assertIn("%s/pipe.jpg is a FIFO (named pipe), not a regular file" % folder, err)
        # rituald was never blocked: the due post goes out
        env.wait_for(lambda: any("Due now, please publish." in x["raw_text"]
                                 for x in env.fake.posts()), 30, "the due post published")
        env.wait_for(lambda: env.states() == ["published"], 10, "the due post recorded")
        self.assertEqual(env.stop_daemon(), 0, env.log())
        # The refused folder queued nothing, not even its good post.
        self.assertEqual(env.states(), ["published"])


class OnePass(E2ETest):
    networks = ("facebook", "instagram")

    def test_every_problem_of_a_folder_at_once_grouped_each_once(self):
        env = self.make_env()
        # Expires 3 minutes from now in the config's zone; the next slot
        # (09:00 or 17:30) is later than that
        soon = subprocess.run(["date", "-d", "@%d" % (time.time() + 180), "+%Y-%m-%d %H:%M"],
                              env=dict(os.environ, TZ="America/New_York"),
                              capture_output=True, text=True).stdout.strip()
        folder = write_folder(env, "broken", {
            # a syntax problem, and still checked against the networks
            "a.post": ("Kind: tip\nTittle: Typo\nTo: instagram\n"
                       "Tags: one two three four five six seven\n\nBody of a.\n"),
            # an unreadable image and an Expires in the past
            "b.post": post("B", "Body of b.", "Image: missing.jpg\nTo: facebook\n"
                           "Expires: 2020-01-01"),
            # a slot after its Expires: checked although others are broken
            "c.post": post("C", "Body of c.", "To: facebook\nExpires: %s" % soon),
            # a past time and an unknown account
            "d.post": post("D", "Body of d.", "At: 2020-01-01 09:00\nTo: facebook nobody"),
            "e.post": post("E", "A good one.", "To: facebook"),
        })
        p = env.ritual("import", folder, expect=EX_DATAERR)
        lines = [l for l in p.stderr.splitlines() if not l.startswith("ritual: ")]
        expect = {
            "a.post": ['unknown header "Tittle"', "Instagram posts need an image",
                       "hashtag"],
            "b.post": ["Image: cannot open", "Expires is in the past"],
            "c.post": ["is not after the post's time", "the next free slot"],
            "d.post": ["is in the past", 'unknown account "nobody"'],
        }
        for fname, needles in expect.items():
            mine = [l for l in lines if l.startswith(os.path.join(folder, fname))]
            for n in needles:
                self.assertTrue(any(n in l for l in mine), (fname, n, p.stderr))
        # grouped: each file's lines together, in file order
        order = [os.path.basename(re.match(r"(\S+?\.post)", l).group(1)) for l in lines]
        groups = [f for i, f in enumerate(order) if i == 0 or order[i - 1] != f]
        self.assertEqual(groups, ["a.post", "b.post", "c.post", "d.post"], p.stderr)
        # each once
        self.assertEqual(len(lines), len(set(lines)), p.stderr)
        self.assertIn("in 4 files", p.stderr)
        self.assertEqual(env.ritual_json("list", "--json"), [])


if __name__ == "__main__":
    import unittest
    unittest.main()
