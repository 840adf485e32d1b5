"""Issue 12: `ritual connect` in a real browser.

Headless Chromium, driven by Selenium (Debian's chromium, chromium-driver and
python3-selenium; scripts/deps.sh installs them), opens the address `ritual
connect` printed, clicks "Allow" on the fake's consent page and lands on
ritual's loopback listener; then a post goes out with the new token.

Skipped (with the reason) when the browser or Selenium is missing, except
under CI, where that is a failure (harness.need). Selenium is Debian's
python3-selenium: run the suite with /usr/bin/python3 (tests/run does).
"""
import importlib.util
import os
import shutil
import tempfile
import unittest

from harness import PAGE_ID, need
from test_connect import APP_ID, Connect, ConnectBase

HAVE_SELENIUM = importlib.util.find_spec("selenium") is not None


class ConnectInBrowser(ConnectBase):

    def setUp(self):
        need(shutil.which("chromium") and shutil.which("chromedriver"),
             "chromium (Debian packages chromium, chromium-driver)")
        need(HAVE_SELENIUM, "selenium (Debian package python3-selenium; run the suite "
             "with /usr/bin/python3)")
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.ui import WebDriverWait
        self.webdriver, self.Service, self.By, self.EC, self.Wait = (
            webdriver, Service, By, EC, WebDriverWait)
        profile = tempfile.mkdtemp(prefix="ritual-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        opts = self.webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium")
        for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--user-data-dir=" + profile):
            opts.add_argument(a)
        self.driver = self.webdriver.Chrome(
            service=self.Service(executable_path=shutil.which("chromedriver")), options=opts)
        self.addCleanup(self.driver.quit)

    def test_allow_in_chromium_lands_on_the_listener_then_publish(self):
        env = self.env_for()
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"], "--write-config")
        d = self.driver
        d.set_page_load_timeout(30)
        d.get(c.url)
        allow = self.Wait(d, 20).until(self.EC.element_to_be_clickable((self.By.ID, "allow")))
        allow.click()
        self.Wait(d, 30).until(lambda drv: "You can close this window" in drv.page_source)
        self.assertTrue(d.current_url.startswith("http://localhost:%d/callback?" % c.port),
                        d.current_url)
        out, err = c.finish()
        self.assertIn("check: OK", out)
        tok = self.token_of(env, os.path.join(env.dir, "facebook.token"))
        with open(env.config) as f:
            self.assertIn('page_id = "%s"' % PAGE_ID, f.read())
        seq = env.fake.requests()[-1]["seq"]
        self.publish(env, "facebook", "Published after a real browser said Allow")
        calls = env.fake.requests(since_seq=seq, network="facebook", path_regex="/feed$")
        self.assertEqual(calls[0]["headers"]["authorization"], "Bearer " + tok)


if __name__ == "__main__":
    unittest.main()
