"""TOKEN_FILE.expires, written by `ritual connect`, is what `ritual check
--online` reports as the token's days left (LinkedIn, Instagram Login),
while the token file is the one connect saved it with."""
import os
import time
import unittest

from harness import E2ETest


class TokenExpiryTest(E2ETest):

    def days_column(self, env, account):
        p = env.ritual("check", "--online")
        line = [l for l in p.stdout.splitlines() if l.startswith(account)][0]
        return line.split()[2], line

    def write_expiry(self, env, account, seconds):
        path = os.path.join(env.dir, account + ".token.expires")
        with open(path, "w") as f:
            f.write("%d\n" % (int(time.time()) + seconds))
        return path

    def make_stale(self, env, account):
        """The token replaced after the expiry was written (a refresh)."""
        tok = os.path.join(env.dir, account + ".token")
        t = os.path.getmtime(tok) - 10
        os.utime(tok + ".expires", (t, t))

    def test_linkedin_days_left_from_the_expiry_file(self):
        env = self.make_env(networks=("linkedin",))
        self.assertEqual(self.days_column(env, "linkedin")[0], "?")
        self.write_expiry(env, "linkedin", 10 * 86400 + 3600)
        days, line = self.days_column(env, "linkedin")
        self.assertEqual(days, "10d", line)
        self.make_stale(env, "linkedin")
        self.assertEqual(self.days_column(env, "linkedin")[0], "?")

    def test_instagram_login_days_left_from_the_expiry_file(self):
        env = self.make_env(networks=("instagram",), media="dir", ig_login="instagram")
        self.assertEqual(self.days_column(env, "instagram")[0], "60d")   # the file's age
        self.write_expiry(env, "instagram", 20 * 86400 + 3600)
        days, line = self.days_column(env, "instagram")
        self.assertEqual(days, "20d", line)
        self.make_stale(env, "instagram")
        self.assertEqual(self.days_column(env, "instagram")[0], "60d")

    def test_garbled_expiry_file_is_ignored(self):
        env = self.make_env(networks=("linkedin",))
        path = self.write_expiry(env, "linkedin", 86400)
        with open(path, "w") as f:
            f.write("soon\n")
        self.assertEqual(self.days_column(env, "linkedin")[0], "?")


if __name__ == "__main__":
    unittest.main()
