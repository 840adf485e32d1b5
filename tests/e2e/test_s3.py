"""Instagram through a REAL SigV4-verifying S3 server: @20minutes/s3rver.

The fake S3 (tests/fake/fake_s3.py) is ours, so it can share our mistakes;
s3rver rebuilds the canonical request the way AWS and MinIO do. It is
installed by scripts/deps.sh (make check) into build/node/. Without it these
tests skip, except in CI (harness.need), where they fail.

s3rver serves a bucket's objects to anonymous GETs, so media.url points at
the bucket itself and the fake Graph API fetches the image from s3rver like
Meta's crawler. Its only keys are S3RVER / S3RVER.
"""
import os
import re
import secrets
import shutil
import subprocess
import time
import unittest

from harness import ROOT, E2ETest, Env, need

S3RVER_CLI = os.path.join(ROOT, "build", "node", "node_modules", "@20minutes", "s3rver",
                          "lib", "cli.js")
BUCKET = "ritual-media"
ACCESS, SECRET = "S3RVER", "S3RVER"
# The package has no bin script: its CLI module exports a commander program.
LAUNCH = ("require(process.argv[1]).parseAsync(process.argv.slice(2), {from: 'user'})"
          ".catch(e => { console.error(e); process.exit(1); })")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class S3rver:
    """s3rver on 127.0.0.1, a free port, one bucket, its log in a file."""

    def __init__(self, workdir):
        self.log_path = os.path.join(workdir, "s3rver.log")
        self.data = os.path.join(workdir, "s3rver-data")
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["node", "-e", LAUNCH, S3RVER_CLI, "--address", "127.0.0.1", "--port", "0",
             "--directory", self.data, "--configure-bucket", BUCKET],
            stdout=self.logf, stderr=subprocess.STDOUT,
            # koa-logger cuts 16 bytes of colour codes off each line: without
            # colour (not a terminal) it would cut the method instead.
            env=dict(os.environ, FORCE_COLOR="1"))
        m = Env.wait_for(lambda: self.proc.poll() is None and
                         re.search(r"listening on 127\.0\.0\.1:(\d+)", self.log()) or
                         self._died(), 30, "s3rver to listen")
        self.base = "http://127.0.0.1:%s" % m.group(1)

    def _died(self):
        if self.proc.poll() is not None:
            raise AssertionError("s3rver exited %d:\n%s" % (self.proc.returncode, self.log()))
        return None

    def log(self):
        with open(self.log_path) as f:
            return ANSI.sub("", f.read())

    def requests(self, method):
        """[(path, status)] of the requests s3rver answered with method."""
        return re.findall(r"\b%s (/\S+) (\d{3})\b" % method, self.log())

    def objects(self):
        """Object keys stored in the bucket (s3rver keeps them as files)."""
        out = []
        root = os.path.join(self.data, BUCKET)
        for dirpath, _, files in os.walk(root):
            out += [f for f in files if not f.endswith("._S3rver_metadata.json")
                    and not f.endswith("._S3rver_object.md5")]
        return sorted(out)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


class RealS3(E2ETest):
    networks = ("instagram",)

    def setUp(self):
        need(shutil.which("node"), "node (Debian package nodejs)")
        need(os.path.exists(S3RVER_CLI), "s3rver at %s (scripts/deps.sh installs it with "
             "npm)" % S3RVER_CLI)

    def s3_env(self, secret=SECRET):
        """An Instagram Env whose media group is a bucket in a real s3rver."""
        env = self.make_env(media=None, extra='media = { s3 = { endpoint = "%s"; '
                            'bucket = "%s"; region = "us-east-1"; key_file = "s3.key"; }; '
                            'url = "%s/%s/"; retention = 0; };' % ("@S3@", BUCKET, "@S3@", BUCKET))
        srv = S3rver(env.dir)
        self.addCleanup(srv.stop)
        with open(env.config) as f:
            conf = f.read().replace("@S3@", srv.base)
        with open(env.config, "w") as f:
            f.write(conf)
        key = os.path.join(env.dir, "s3.key")
        with open(key, "w") as f:
            f.write("%s:%s\n" % (ACCESS, secret))
        os.chmod(key, 0o600)
        return env, srv

    def one_due(self, env):
        env.import_sample()
        first = env.ritual_json("list", "--json")[0]["id"]
        env.due_now([first])
        return first

    def test_post_published_with_image_hosted_in_s3rver(self):
        env, srv = self.s3_env()
        first = self.one_due(env)
        self.assertEqual(env.run_once(timeout=90), 0, env.log())
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "published", "%s\n%s" % (env.log(), srv.log()))
        puts = srv.requests("PUT")
        self.assertEqual(len(puts), 1, srv.log())
        self.assertEqual(puts[0][1], "200", srv.log())
        name = puts[0][0].rsplit("/", 1)[1]
        # Meta (the fake) fetched exactly the owner's image from s3rver.
        create = env.fake.requests(network="instagram", method="POST", path_regex="/media$")
        self.assertEqual(create[0]["form"]["image_url"], "%s/%s/%s" % (srv.base, BUCKET, name))
        posts = env.fake.posts("instagram")
        self.assertEqual(len(posts), 1)
        # Removed once published (retention 0): a signed DELETE s3rver took.
        self.assertIn(("/%s/%s" % (BUCKET, name), "204"), srv.requests("DELETE"), srv.log())
        self.assertEqual(srv.objects(), [])
        # And `ritual check --online` round-trips a test image through it.
        out = env.ritual("check", "--online").stdout
        self.assertIn("images round-trip through the public URL", out)

    def test_wrong_secret_holds_instagram_without_a_retry_storm(self):
        wrong = "WRONG" + secrets.token_hex(12)
        env, srv = self.s3_env(secret=wrong)
        env.tokens["s3_secret"] = wrong           # checked by the leak test
        first = self.one_due(env)
        env.start_daemon()
        env.wait_for(lambda: srv.requests("PUT"), 30, "the first PUT")
        # A transient error would be retried within this window (backoff
        # 1 s then 2 s, 4 attempts): count what s3rver received over it.
        time.sleep(6)
        env.stop_daemon()
        puts = srv.requests("PUT")
        self.assertLessEqual(len(puts), 2, "retry storm: %d PUTs %s" % (len(puts), puts))
        self.assertTrue(all(s == "403" for _, s in puts), puts)
        self.assertIn("PAUSED", env.ritual("list").stdout)
        d = env.deliveries(first)["instagram"]
        self.assertEqual(d["state"], "pending")
        for part in ("SignatureDoesNotMatch", "s3.key", "does not belong to its access key",
                     "signed headers: content-type;host;x-amz-content-sha256;x-amz-date",
                     "ritual retry"):
            self.assertIn(part, d["error"])
        self.assertNotIn(wrong, d["error"])
        self.assertEqual(env.fake.requests(network="instagram", method="POST"), [],
                         "nothing was sent to Instagram")
        # `ritual check --online` reports the same cause.
        p = env.ritual("check", "--online", expect=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("SignatureDoesNotMatch", p.stdout)
        self.assertIn("does not belong to its access key", p.stdout)
        self.assertEqual(srv.objects(), [])


if __name__ == "__main__":
    unittest.main()
