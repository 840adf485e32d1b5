"""Issue 3: the owner's week to all three networks, each post exactly once,
with exactly the previewed text and the image's bytes."""
import os
import unittest

from harness import E2ETest, sha256_file

ALL = ("facebook", "instagram", "linkedin")


class ThreeNetworkWeek(E2ETest):
    networks = ALL

    def test_week_to_all_three_networks(self):
        env = self.make_env()
        folder = env.import_sample()
        posts = env.ritual_json("list", "--json")
        self.assertEqual(len(posts), 7)
        previews = {(p["id"], a): env.ritual("preview", str(p["id"]), "--account", a, "--raw").stdout
                    for p in posts for a in ALL}
        images = {sha256_file(os.path.join(folder, f)) for f in os.listdir(folder)
                  if f.endswith(".jpg")}
        env.due_now()
        self.assertEqual(env.run_once(timeout=180), 0, env.log())

        published = env.fake.posts()
        for net in ALL:
            mine = [p for p in published if p["network"] == net]
            self.assertEqual(len(mine), 7, (net, env.log()[-2000:]))
            self.assertEqual(len({p["raw_text"] for p in mine}), 7, net)
            self.assertEqual({p["image_sha256"] for p in mine}, images, net)
        by_id = {p["id"]: p for p in published}
        self.assertEqual(set(env.states()), {"published"}, env.log()[-2000:])
        for p in env.ritual_json("list", "--all", "--json"):
            for d in p["deliveries"]:
                self.assertTrue(d["permalink"], d)
                self.assertEqual(by_id[d["remote_id"]]["raw_text"],
                                 previews[(p["id"], d["account"])], d)
        # Plain preview shows LinkedIn's text as readers see it: what the
        # fake displays for the published post.
        for p in env.ritual_json("list", "--all", "--json"):
            for d in p["deliveries"]:
                if d["account"] == "linkedin":
                    self.assertEqual(env.ritual("preview", str(p["id"]), "--account",
                                                "linkedin").stdout,
                                     by_id[d["remote_id"]]["text"])
        # Plain preview shows LinkedIn's text as readers see it.
        seen = env.ritual("preview", str(posts[0]["id"]), "--account", "linkedin").stdout
        self.assertNotIn("{hashtag|", seen)
        self.assertIn("#hamstrings", seen)
        # LinkedIn kept every character: nothing was cut at a reserved one.
        for p in published:
            if p["network"] == "linkedin":
                self.assertFalse(p.get("truncated"), p["raw_text"][:80])
        # Hosted images are gone once published.
        self.assertEqual(os.listdir(os.path.join(env.dir, "media")), [])
        self.assertEqual(env.leaked_token(), [])

    def test_each_post_checked_for_each_network_at_queue_time(self):
        env = self.make_env()
        tall = os.path.join(env.dir, "tall.jpg")
        # A 1080x1920 JPEG header is enough for the checks.
        with open(tall, "wb") as f:
            f.write(bytes.fromhex("ffd8ffe000104a46494600010100000100010000"
                                  "ffc0000b08078004380101110000ffd9"))
        tags = " ".join("t%d" % i for i in range(8))
        p = env.write_post("tall.post", "Kind: tip\nImage: tall.jpg\nTags: %s\n\nStand tall.\n" % tags)
        r = env.ritual("add", p, expect=65)
        self.assertIn("instagram", r.stderr)
        # Only a header: refused as damaged (it is decoded in full now; a
        # real tall photo would be cropped, not refused).
        self.assertIn("the JPEG file is damaged", r.stderr)
        self.assertIn("remove 3 hashtags", r.stderr)
        text = env.write_post("text.post", "Kind: tip\n\nNo picture today.\n")
        r = env.ritual("add", text, expect=65)
        self.assertIn("Instagram posts need an image", r.stderr)
        long = env.write_post("long.post", "Kind: note\nTo: linkedin\n\n" + "word " * 700 + "\n")
        r = env.ritual("add", long, expect=65)
        self.assertIn("linkedin", r.stderr)
        self.assertIn("shorten the text", r.stderr)
        self.assertEqual(env.ritual_json("list", "--all", "--json"), [])


if __name__ == "__main__":
    unittest.main()
