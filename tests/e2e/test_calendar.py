"""Issue 13: the week at a glance, checked where the owner reads it.

- `ritual calendar --html`: opened in headless Chromium (Debian chromium +
  chromium-driver, driven by Debian's python3-selenium): no console
  errors, no network requests, no script, every post of the week with each
  image decoded at the variant's size; a screenshot is kept in
  build/artefacts/calendar.png.
- `ritual week`: run under tmux with accented and emoji titles; every
  column separator sits at the same display column on every line, colour
  on a terminal and none with NO_COLOR.

Without the tools these skip with the reason, unless CI is set: then they
fail (harness.need). Selenium is Debian's python3-selenium: run the suite
with /usr/bin/python3 (tests/run does).
"""
import json
import os
import shutil
import subprocess
import tempfile
import unicodedata
import unittest

from harness import E2ETest, ROOT, SAMPLE, need
import photos

ALL = ("facebook", "instagram", "linkedin")
ARTEFACTS = os.path.join(ROOT, "build", "artefacts")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    HAVE_SELENIUM = True
except ImportError:
    HAVE_SELENIUM = False

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")


def cells(s):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else
               0 if unicodedata.combining(ch) else 1 for ch in s)


def separator_columns(line):
    cols, at = [], 0
    for ch in line:
        if ch == "|":
            cols.append(at)
        at += cells(ch)
    return cols


class Calendar(E2ETest):
    networks = ALL

    def queue_week(self, env):
        folder = os.path.join(env.dir, "posts")
        shutil.copytree(SAMPLE, folder)
        made = photos.make_photos(folder, only={"portrait.jpg", "clear.png",
                                                "panorama.jpg"})
        titles = {"portrait.jpg": "Ölmassage für müde Füße – Wärme",
                  "clear.png": "🌿 Kräuterstempel 🌿",
                  "panorama.jpg": "Señora Núñez’ Café-Massage"}
        for i, name in enumerate(sorted(made)):
            with open(os.path.join(folder, "%02d-%s.post" % (20 + i, name)), "w") as f:
                f.write("Kind: tip\nTitle: %s\nImage: %s\nAlt: photo\nTags: massage "
                        "wellness\n\nA post (with brackets) for the week.\n"
                        % (titles[name], name))
        out = json.loads(env.ritual("import", "--json", folder).stdout)
        return out

    def test_html_page_in_a_real_browser(self):
        need(photos.have_vips(), "vips (Debian package libvips-tools)")
        need(CHROMIUM and DRIVER, "chromium (Debian packages chromium, chromium-driver)")
        need(HAVE_SELENIUM, "selenium (Debian package python3-selenium; run the suite "
             "with /usr/bin/python3)")
        env = self.make_env()
        queued = self.queue_week(env)
        first = min(p["due"] for p in queued["posts"])[:10]
        html = os.path.join(env.dir, "week.html")
        env.ritual("calendar", "--html", html, "--from", first, "--weeks", "3")
        with open(html, encoding="utf-8") as f:
            page = f.read()
        self.assertNotIn("<script", page.lower())
        self.assertNotIn("{hashtag|", page)

        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        profile = tempfile.mkdtemp(prefix="ritual-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        for a in ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-dev-shm-usage", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--user-data-dir=" + profile,
                  "--window-size=1400,1000"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
        self.addCleanup(driver.quit)
        driver.get("file://" + html)

        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        self.assertEqual(errors, [])
        resources = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(n => !n.startsWith('data:'))")
        self.assertEqual(resources, [])
        requested, data_urls = [], 0
        for entry in driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                url = msg["params"]["request"]["url"]
                page_req = msg["params"].get("documentURL", "").startswith("file:")
                external = url.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))
                if (page_req or external) and not url.startswith(("data:", "file:")):
                    requested.append(url)
                if page_req and url.startswith("data:"):
                    data_urls += 1
        self.assertEqual(requested, [])

        for p in queued["posts"]:
            art = driver.find_elements("css selector", "article#post-%d" % p["id"])
            self.assertEqual(len(art), 1, p["file"])
            for a in p["accounts"]:
                sel = "article#post-%d .mock[data-account='%s']" % (p["id"], a["account"])
                mock = driver.find_element("css selector", sel)
                img = mock.find_element("css selector", "img")
                natural = driver.execute_script(
                    "return [arguments[0].complete, arguments[0].naturalWidth,"
                    " arguments[0].naturalHeight]", img)
                self.assertEqual(natural, [True, a["image"]["width"], a["image"]["height"]],
                                 (p["file"], a["account"]))
                text = mock.find_element("css selector", ".text").text
                self.assertIn("(with brackets)" if "20-" <= os.path.basename(p["file"])
                              else "", text)
                self.assertNotIn("\\(", text)
                if a["network"] == "linkedin" and "20-" <= os.path.basename(p["file"]):
                    self.assertIn("#massage", text)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1400, min(int(height) + 100, 16000))
        os.makedirs(ARTEFACTS, exist_ok=True)
        shot = os.path.join(ARTEFACTS, "calendar.png")
        self.assertTrue(driver.save_screenshot(shot))
        self.assertGreater(os.path.getsize(shot), 10000)
        print("calendar screenshot: " + shot)

    def test_terminal_week_aligned_under_tmux(self):
        need(photos.have_vips(), "vips (Debian package libvips-tools)")
        need(shutil.which("tmux"), "tmux (Debian package tmux)")
        env = self.make_env()
        queued = self.queue_week(env)
        first = min(p["due"] for p in queued["posts"])[:10]
        sock = "ritual-test-%d" % os.getpid()
        self.addCleanup(subprocess.run, ["tmux", "-L", sock, "kill-server"],
                        capture_output=True)
        screens = {}
        for name, extra in (("colour", ""), ("plain", "NO_COLOR=1 ")):
            out = os.path.join(env.dir, name + ".done")
            cmd = ("%s%s -c %s week --from %s --weeks 3; touch %s; sleep 60"
                   % (extra, os.path.join(ROOT, os.environ.get("BUILD", "build"), "ritual"),
                      env.config, first, out))
            subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-s", name,
                            "-x", "200", "-y", "150", cmd], check=True,
                           env=dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8"))
            env.wait_for(lambda: os.path.exists(out), 20, "ritual week in tmux")
            screens[name] = subprocess.run(
                ["tmux", "-L", sock, "capture-pane", "-p", "-e", "-t", name],
                capture_output=True, text=True, check=True).stdout
        self.assertIn("\x1b[", screens["colour"])
        self.assertNotIn("\x1b[", screens["plain"])
        lines = [l for l in screens["plain"].splitlines() if "|" in l]
        self.assertTrue(any("Kräuterst" in l for l in lines), screens["plain"])
        self.assertTrue(any("🌿" in l for l in lines))
        self.assertTrue(any("Ölmassage" in l for l in lines))
        want = separator_columns(lines[0])
        self.assertEqual(len(want), 8, lines[0])
        for l in lines:
            self.assertEqual(separator_columns(l), want, l)
        with open(os.path.join(env.dir, "week.txt"), "w") as f:
            f.write(screens["plain"])


if __name__ == "__main__":
    unittest.main()
