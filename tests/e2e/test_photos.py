"""Issue 13: photos as they come off the phone are fixed, not refused.

The sample week plus eight generated photos (tests/e2e/photos.py) import in
one pass and publish to all three fake networks, each receiving exactly the
variant `ritual preview --image` writes, with no EXIF, GPS or XMP left.
"""
import json
import os
import shutil
import unittest

from harness import E2ETest, SAMPLE, need, sha256_file
import photos

ALL = ("facebook", "instagram", "linkedin")
ARTEFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "build", "artefacts")


def post_for(name, alt=True):
    return ("Kind: tip\nTitle: %s – Ölmassage für müde Füße\nImage: %s\n%s\n"
            "A photo straight off the phone.\n" % (name, name, "Alt: a photo\n" if alt else ""))


class Photos(E2ETest):
    networks = ALL

    def setUp(self):
        need(photos.have_vips(), "vips (Debian package libvips-tools)")

    def test_sample_week_and_eight_photos_publish_everywhere(self):
        env = self.make_env()
        folder = os.path.join(env.dir, "posts")
        shutil.copytree(SAMPLE, folder)
        made = photos.make_photos(folder)
        for i, name in enumerate(sorted(made)):
            with open(os.path.join(folder, "%02d-%s.post" % (20 + i, name)), "w") as f:
                f.write(post_for(name, alt=name != "tiny.jpg"))
        r = env.ritual("import", "--json", folder)
        out = json.loads(r.stdout)
        self.assertEqual(len(out["posts"]), 7 + len(made), r.stderr)
        # Warned, not refused: the tiny photo, and its missing Alt:.
        self.assertIn("tiny.jpg is only 200 pixels wide", r.stderr)
        self.assertIn("no Alt: line", r.stderr)

        sizes = {}
        sent = {}
        for p in out["posts"]:
            src = os.path.basename(p["file"])
            for a in p["accounts"]:
                img = os.path.join(env.dir, "%d-%s.img" % (p["id"], a["account"]))
                env.ritual("preview", str(p["id"]), "--account", a["account"],
                           "--image", img)
                with open(img, "rb") as f:
                    data = f.read()
                for mark in (photos.GPS_MARK, photos.XMP_MARK, b"Exif\x00"):
                    self.assertNotIn(mark, data, (src, a["account"]))
                self.assertEqual(len(data), a["image"]["bytes"])
                sent[(p["id"], a["account"])] = sha256_file(img)
                name = src[3:-5] if src[3:-5] in made else None
                if name:
                    sizes.setdefault(name, {})[a["account"]] = (
                        len(data), a["image"]["width"], a["image"]["height"])
        show = env.ritual("show", str(out["posts"][-1]["id"])).stdout
        self.assertIn("for instagram", show)
        self.assertIn("the original", show)

        env.due_now()
        self.assertEqual(env.run_once(timeout=300), 0, env.log()[-3000:])
        published = env.fake.posts()
        for net in ALL:
            mine = [p for p in published if p["network"] == net]
            self.assertEqual(len(mine), 7 + len(made), (net, env.log()[-2000:]))
        by_id = {p["id"]: p for p in published}
        for p in env.ritual_json("list", "--all", "--json"):
            for d in p["deliveries"]:
                self.assertEqual(d["state"], "published", d)
                self.assertEqual(by_id[d["remote_id"]]["image_sha256"],
                                 sent[(p["id"], d["account"])], d)

        # The numbers for the closing note.
        os.makedirs(ARTEFACTS, exist_ok=True)
        report = os.path.join(ARTEFACTS, "photo-sizes.txt")
        with open(report, "w") as f:
            for name in sorted(made):
                line = "%-13s %9d bytes" % (name, os.path.getsize(made[name]))
                for acct in ALL:
                    n, w, h = sizes[name][acct]
                    line += "  %s %dx%d %d" % (acct, w, h, n)
                f.write(line + "\n")
        print("photo sizes: " + report)

    def test_what_cannot_be_fixed_is_refused(self):
        env = self.make_env()
        made = photos.make_photos(os.path.join(env.dir, "p"))
        cut = os.path.join(env.dir, "cut.jpg")
        with open(made["tiny.jpg"], "rb") as f, open(cut, "wb") as g:
            data = f.read()
            g.write(data[:len(data) * 2 // 3])
        p = env.write_post("cut.post", post_for("cut.jpg"))
        r = env.ritual("add", p, expect=65)
        self.assertIn("cut.jpg", r.stderr)
        self.assertIn("cut short", r.stderr)
        self.assertIn("export the image again", r.stderr)
        # A typo in the file name: the closest name in the folder.
        shutil.copy(made["tiny.jpg"], os.path.join(env.dir, "IMG_0042.jpg"))
        p = env.write_post("typo.post", post_for("IMG_0042.jpeg"))
        r = env.ritual("add", p, expect=65)
        self.assertIn('did you mean "IMG_0042.jpg"', r.stderr)
        self.assertEqual(env.ritual_json("list", "--all", "--json"), [])


if __name__ == "__main__":
    unittest.main()
