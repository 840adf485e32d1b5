"""Issue 12: `ritual connect` for each network and flavour, against the fake's
consent pages and exchanges; then a post published with the new token.

The "browser" here is urllib: it opens the address ritual printed, posts the
consent form's Allow button, and either follows the redirect to ritual's
loopback listener or pastes the address on ritual's stdin. One test
(test_connect_browser.py) does the same in a real headless Chromium.
"""
import fcntl
import html.parser
import os
import re
import secrets
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import E2ETest, IG_USER, LI_ORG, LI_PERSON, PAGE_ID

APP_ID = "1234567890"
IG_APP_ID = "990011223344"
LI_CLIENT = "78clientid"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class _Form(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action")
        elif tag == "input" and a.get("type") == "hidden":
            self.fields[a["name"]] = a.get("value", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


def consent(url, choice="allow"):
    """Open the consent page, press a button; the redirect's Location."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as r:
            page = r.read().decode()
    except urllib.error.HTTPError as e:
        if e.code != 302:
            raise
        return e.headers["Location"]       # refused at once (e.g. a scope)
    form = _Form()
    form.feed(page)
    if form.action is None:
        raise AssertionError("no consent form: " + page)
    fields = dict(form.fields, choice=choice)
    target = urllib.parse.urljoin(url, form.action)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(urllib.request.Request(target, urllib.parse.urlencode(fields).encode()),
                    timeout=10)
    except urllib.error.HTTPError as e:
        if e.code != 302:
            raise
        return e.headers["Location"]
    raise AssertionError("the Allow button did not redirect")


class Connect:
    """A running `ritual connect`."""

    def __init__(self, env, *args):
        self.env = env
        self.port = free_port()
        self.proc = env.ritual_popen("connect", *args, "--port", str(self.port),
                                     "--timeout", "60", stdin=subprocess.PIPE)
        self.head = []
        self.url = None
        for line in self.proc.stdout:
            self.head.append(line)
            m = re.match(r"^  (http\S+)$", line.rstrip("\n"))
            if m:
                self.url = m.group(1)
            if line.startswith("Or paste here"):
                break
        if self.url is None:
            self.proc.kill()
            raise AssertionError("no URL printed: %s %s" % ("".join(self.head),
                                                           self.proc.stderr.read()))
        self.query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.url).query)

    def visit(self, location):
        """What the browser does with the redirect: load it."""
        with urllib.request.urlopen(location, timeout=10) as r:
            return r.read().decode()

    def paste(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def finish(self, expect=0, stdin=""):
        out, err = self.proc.communicate(stdin, timeout=60)
        out = "".join(self.head) + out
        self.env.outputs.append(out + err)
        if expect is not None and self.proc.returncode != expect:
            raise AssertionError("connect exited %d (expected %d)\nstdout:\n%s\nstderr:\n%s"
                                 % (self.proc.returncode, expect, out, err))
        return out, err


class ConnectBase(E2ETest):
    """Helpers: an installation with app credentials and the fake's consent set up."""
    networks = ()

    def env_for(self, networks=(), require_proof=False, **kw):
        fake = {
            "facebook": {"app_id": APP_ID, "app_secret": "fb-app-secret-" + secrets.token_hex(8),
                         "require_appsecret_proof": require_proof},
            "linkedin": {"client_id": LI_CLIENT, "client_secret": "li-secret-" + secrets.token_hex(8)},
        }
        env = self.make_env(networks=networks, fake_extra=fake, **kw)
        b = env.fake.base
        api = ('api = { graph = "%s/v25.0"; instagram = "%s/v25.0"; linkedin = "%s"; '
               'linkedin_oauth = "%s"; facebook_dialog = "%s"; instagram_dialog = "%s"; '
               'instagram_oauth = "%s"; };\n' % ((b,) * 7))
        with open(env.config) as f:
            text = f.read()
        with open(env.config, "w") as f:
            f.write("# owner's notes: keep me\n" + text + api)
        ig_secret = "ig-app-secret-" + secrets.token_hex(8)
        env.fake.call("POST", "/_fake/config", {"oauth": {
            "facebook": {"user": {"id": "10158000000000001", "name": "Studio Owner",
                                  "pages": [PAGE_ID]}},
            "instagram": {"client_id": IG_APP_ID, "client_secret": ig_secret, "user": IG_USER},
            "linkedin": {"member": LI_PERSON, "name": "Studio Owner",
                         "admin_of": [{"organization": LI_ORG, "role": "ADMINISTRATOR"}]}}})
        env.secrets = {}
        for name, secret in (("meta", fake["facebook"]["app_secret"]),
                             ("instagram-app", ig_secret),
                             ("linkedin-app", fake["linkedin"]["client_secret"])):
            path = os.path.join(env.dir, name + ".secret")
            with open(path, "w") as f:
                f.write(secret + "\n")
            os.chmod(path, 0o600)
            env.secrets[name] = path
            env.tokens[name + " secret"] = secret
        return env

    def publish(self, env, account, text):
        path = env.write_post("c%s.post" % secrets.token_hex(3),
                              "Kind: note\nAt: 2030-01-02 10:00\nTo: %s\n\n%s\n"
                              % (account, text))
        env.ritual("add", path)
        env.due_now()
        self.assertEqual(env.run_once(), 0, env.log())
        sent = [p for p in env.fake.posts() if text in p["raw_text"]]
        self.assertEqual(len(sent), 1, env.fake.posts())
        return sent[0]

    def token_of(self, env, path):
        st = os.stat(path)
        self.assertEqual(st.st_mode & 0o777, 0o600)
        with open(path) as f:
            tok = f.read().strip()
        env.tokens["connected " + os.path.basename(path)] = tok
        return tok

    def recorded(self, env, since=0):
        return [(r["method"], r["path"]) for r in env.fake.requests(since_seq=since)]


class ConnectTest(ConnectBase):

    # -- Facebook --

    def test_facebook_new_account_listener_then_publish(self):
        env = self.env_for()
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"], "--write-config")
        self.assertEqual(c.query["state"][0] and len(c.query["state"][0]), 32)
        self.assertEqual(c.query["code_challenge_method"], ["S256"])
        self.assertEqual(c.query["redirect_uri"], ["http://localhost:%d/callback" % c.port])
        self.assertEqual(c.query["scope"],
                         ["pages_show_list,pages_read_engagement,pages_manage_posts"])
        loc = consent(c.url)
        self.assertIn("You can close this window", c.visit(loc))
        out, err = c.finish()
        self.assertIn("check: OK", out)
        tok = self.token_of(env, os.path.join(env.dir, "facebook.token"))
        self.assertTrue(tok.startswith("EAAP"), "the Page token")
        with open(env.config) as f:
            conf = f.read()
        self.assertTrue(conf.startswith("# owner's notes: keep me\n"))
        self.assertIn('page_id = "%s"' % PAGE_ID, conf)
        self.assertIn('app_id = "%s"' % APP_ID, conf)
        self.assertFalse(os.path.exists(os.path.join(env.dir, "facebook.token.expires")))
        reqs = self.recorded(env)
        self.assertEqual([m + " " + p for m, p in reqs], [
            "GET /v25.0/dialog/oauth", "POST /v25.0/dialog/oauth/allow",
            "POST /v25.0/oauth/access_token", "POST /v25.0/oauth/access_token",
            "GET /v25.0/debug_token", "GET /v25.0/me/accounts", "GET /v25.0/debug_token",
            "GET /v25.0/me", "GET /v25.0/debug_token"])   # the check asks its expiry too
        self.assertIn("Facebook says the Page token does not expire (expires_at 0)", out)
        self.assertIn("its data access lasts until", out)
        seq = env.fake.requests()[-1]["seq"]
        post = self.publish(env, "facebook", "Connected in one command")
        self.assertEqual(post["network"], "facebook")
        calls = env.fake.requests(since_seq=seq, network="facebook", path_regex="/feed$")
        self.assertEqual(calls[0]["headers"]["authorization"], "Bearer " + tok)

    def test_app_that_requires_the_app_secret(self):
        # "Require App Secret" on: every Graph call with a user or Page token
        # must carry appsecret_proof, connect's own calls included.
        for net, kw in (("facebook", {}), ("instagram", {"media": "dir"})):
            env = self.env_for(require_proof=True, **kw)
            c = Connect(env, net, "--app-id", APP_ID, "--app-secret-file",
                        env.secrets["meta"])
            c.visit(consent(c.url))
            out, err = c.finish()
            self.assertIn("check: OK", out, net)
            self.assertNotIn("appsecret_proof", err)
            graph = [r for r in env.fake.requests(network=net)
                     if r.get("headers", {}).get("authorization", "").startswith("Bearer EAA")]
            self.assertTrue(graph, net)
            self.assertTrue(all("appsecret_proof" in r["query"] for r in graph), graph)
            self.assertEqual(env.leaked_token(), [])

    def test_facebook_page_token_expiry_as_debug_token_says(self):
        env = self.env_for()
        until = int(time.time()) + 30 * 86400
        env.fake.call("POST", "/_fake/faults", {
            "match": {"network": "facebook", "path_regex": "/debug_token$", "skip": 1},
            "action": {"type": "error", "status": 200, "body": {"data": {
                "type": "PAGE", "is_valid": True, "expires_at": until,
                "data_access_expires_at": until + 86400}}}})
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        c.visit(consent(c.url))
        out, err = c.finish()
        self.assertIn("valid until", out)
        self.assertNotIn("does not expire", out)
        with open(os.path.join(env.dir, "facebook.token.expires")) as f:
            self.assertEqual(int(f.read()), until)

    def test_facebook_pasted_address_and_page_choice(self):
        env = self.env_for()
        env.fake.call("POST", "/_fake/config", {
            "facebook": {"pages": {"999888777666555": {"token": "EAAother", "name": "Other"}}},
            "oauth": {"facebook": {"user": {"pages": ["999888777666555", PAGE_ID]}}}})
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        loc = consent(c.url)
        c.paste("garbage without a code")
        c.paste(loc)
        out, err = c.finish(stdin="2\n")
        self.assertIn("has no code", err)
        self.assertIn("1) Other (999888777666555)", out)
        self.assertIn('page_id = "%s"' % PAGE_ID, out)   # the block, printed
        self.assertIn("check: OK", out)
        with open(env.config) as f:
            self.assertNotIn("page_id", f.read().split("accounts")[1].split(";")[0])

    def test_facebook_renewal_keeps_account_and_resumes_it(self):
        env = self.env_for(networks=("facebook",))
        # rituald paused the account: its token was revoked.
        env.fake.tokens(network="facebook", id=PAGE_ID, revoked=True)
        self.publish_fails_and_pauses(env)
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"], "--write-config")
        c.visit(consent(c.url))
        out, err = c.finish()
        self.assertIn("account facebook resumed", out)
        tok = self.token_of(env, os.path.join(env.dir, "facebook.token"))
        self.assertNotEqual(tok, env.tokens["facebook"])
        with open(env.config) as f:
            conf = f.read()
        self.assertEqual(conf.count('name = "facebook"'), 1)
        self.assertIn('app_secret_file = "%s"' % env.secrets["meta"], conf)
        env.ritual("check")
        self.assertEqual(env.run_once(), 0, env.log())
        self.assertEqual(len([p for p in env.fake.posts() if "Paused" in p["raw_text"]]), 1)

    def publish_fails_and_pauses(self, env):
        path = env.write_post("p.post", "Kind: note\nAt: 2030-01-02 10:00\n\nPaused then resumed\n")
        env.ritual("add", path)
        env.due_now()
        env.run_once()
        accts = env.ritual("list", "--all").stdout
        self.assertEqual(env.fake.posts(), [])
        # The pause notice names the command that renews the token.
        self.assertIn("`ritual connect facebook --account facebook`", env.log())
        return accts

    def test_facebook_missing_permission_names_the_scope(self):
        env = self.env_for()
        env.fake.call("POST", "/_fake/config",
                      {"oauth": {"facebook": {"declined": ["pages_manage_posts"]}}})
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        c.visit(consent(c.url))
        out, err = c.finish(expect=77)
        self.assertIn("lacks the pages_manage_posts permission", err)
        self.assertIn("add pages_manage_posts", err)
        self.assertFalse(os.path.exists(os.path.join(env.dir, "facebook.token")))

    def test_facebook_no_page_managed(self):
        env = self.env_for()
        env.fake.call("POST", "/_fake/config", {"oauth": {"facebook": {"user": {"pages": []}}}})
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        c.visit(consent(c.url))
        out, err = c.finish(expect=77)
        self.assertIn("manages no Facebook Page", err)

    def test_unregistered_redirect_uri_and_reused_code(self):
        env = self.env_for()
        # The app lists another redirect URI: the dialog refuses, ritual times out
        # naming the URI to register.
        env.fake.call("POST", "/_fake/config", {"oauth": {"facebook": {
            "redirect_uris": ["https://example.com/cb"]}}})
        port = free_port()
        p = env.ritual("connect", "facebook", "--app-id", APP_ID, "--app-secret-file",
                       env.secrets["meta"], "--port", str(port), "--timeout", "1",
                       expect=75)
        url = re.search(r"^  (http\S+)$", p.stdout, re.M).group(1)
        try:
            urllib.request.urlopen(url, timeout=10)
            self.fail("the dialog accepted an unregistered redirect URI")
        except urllib.error.HTTPError as e:
            self.assertIn("URL blocked", e.read().decode())
        self.assertIn("register http://localhost:%d/callback as a redirect URI" % port,
                      p.stderr)
        # A code used once is refused the second time, with the fix.
        env.fake.call("POST", "/_fake/config", {"oauth": {"facebook": {"redirect_uris": None}}})
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        loc = consent(c.url)
        c.visit(loc)
        c.finish()
        c2 = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                     env.secrets["meta"])
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)["code"][0]
        c2.paste("http://localhost:%d/callback?code=%s&state=%s"
                 % (c2.port, code, c2.query["state"][0]))
        out, err = c2.finish(expect=69)
        self.assertIn("step 3 (exchanging the code for a user token)", err)
        self.assertIn("This authorization code has been used", err)
        self.assertIn("works once", err)

    def test_listener_is_open_before_the_address_is_printed(self):
        # A browser (or ssh -L) quicker than ritual must find the port open:
        # ritual's stdout is a full pipe, so the address cannot be printed
        # yet; the listener must already answer.
        env = self.env_for()
        port = free_port()
        r, w = os.pipe()
        fcntl.fcntl(w, 1031, 4096)                 # F_SETPIPE_SZ
        fl = fcntl.fcntl(w, fcntl.F_GETFL)
        fcntl.fcntl(w, fcntl.F_SETFL, fl | os.O_NONBLOCK)
        try:
            while True:
                os.write(w, b"x" * 512)
        except BlockingIOError:
            pass
        fcntl.fcntl(w, fcntl.F_SETFL, fl)
        proc = env.ritual_popen("connect", "facebook", "--app-id", APP_ID,
                                "--app-secret-file", env.secrets["meta"],
                                "--port", str(port), "--timeout", "30",
                                stdin=subprocess.DEVNULL, stdout=w, text=False)
        os.close(w)
        try:
            deadline = time.time() + 20
            listening = False
            while time.time() < deadline and not listening:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    listening = True
                except OSError:
                    time.sleep(0.1)
            self.assertTrue(listening, "nothing listens on the port while the "
                            "address waits to be printed")
        finally:
            proc.kill()
            proc.wait()
            os.close(r)
            proc.stderr.close()

    def test_state_from_another_attempt_is_refused(self):
        env = self.env_for()
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        loc = consent(c.url)
        forged = re.sub(r"state=[^&]+", "state=" + "0" * 32, loc)
        try:
            c.visit(forged)
            self.fail("a foreign state was accepted")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 400)
        c.visit(loc)
        out, err = c.finish()
        self.assertIn("state does not match", err)

    def test_address_without_code_says_so(self):
        env = self.env_for()
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        loc = consent(c.url)
        try:
            c.visit("http://localhost:%d/callback?state=%s" % (c.port, c.query["state"][0]))
            self.fail("an address without a code was accepted")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 400)
            page = e.read().decode()
        self.assertIn("no code in the address", page)
        self.assertNotIn("state differs", page)
        c.visit(loc)
        out, err = c.finish()
        self.assertIn("has no code", err)

    def test_cancel_on_consent_page(self):
        env = self.env_for()
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        c.visit(consent(c.url, choice="deny"))
        out, err = c.finish(expect=77)
        self.assertIn("access_denied", err)
        self.assertIn("choose Allow", err)

    # -- Instagram --

    def test_instagram_facebook_login(self):
        env = self.env_for(media="dir")
        c = Connect(env, "instagram", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"], "--write-config")
        self.assertIn("instagram_content_publish", c.query["scope"][0])
        c.visit(consent(c.url))
        out, err = c.finish()
        self.assertIn("Instagram account %s" % IG_USER, out)
        with open(env.config) as f:
            self.assertIn('user_id = "%s"' % IG_USER, f.read())
        self.token_of(env, os.path.join(env.dir, "instagram.token"))
        reqs = [m + " " + p for m, p in self.recorded(env)]
        self.assertEqual(reqs[:8], [
            "GET /v25.0/dialog/oauth", "POST /v25.0/dialog/oauth/allow",
            "POST /v25.0/oauth/access_token", "POST /v25.0/oauth/access_token",
            "GET /v25.0/debug_token", "GET /v25.0/me/accounts", "GET /v25.0/debug_token",
            "GET /v25.0/%s" % PAGE_ID])
        self.assertEqual(reqs[8], "GET /v25.0/%s" % IG_USER)   # the check
        self.publish_image(env)

    def publish_image(self, env):
        img = os.path.join(os.path.dirname(env.config), "img.jpg")
        src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))), "posts", "sample-week")
        jpg = sorted(f for f in os.listdir(src) if f.endswith(".jpg"))[0]
        with open(os.path.join(src, jpg), "rb") as a, open(img, "wb") as b:
            b.write(a.read())
        path = env.write_post("ig.post", "Kind: tip\nImage: img.jpg\nAlt: stones\n"
                              "At: 2030-01-02 10:00\n\nHot stones, connected\n")
        env.ritual("add", path)
        env.due_now()
        self.assertEqual(env.run_once(), 0, env.log())
        sent = env.fake.posts("instagram")
        self.assertEqual(len(sent), 1, env.log())

    def test_failed_check_still_gives_the_account_block(self):
        # No media group: Instagram's check fails, after the token is saved.
        env = self.env_for()
        c = Connect(env, "instagram", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        c.visit(consent(c.url))
        out, err = c.finish(expect=69)
        self.assertIn("step 5 (checking the token)", err)
        self.assertIn("no media group", err)
        self.assertIn("the check failed", err)
        self.assertIn('user_id = "%s"' % IG_USER, out)      # the block, printed
        self.token_of(env, os.path.join(env.dir, "instagram.token"))

    def test_failed_check_still_writes_the_config(self):
        env = self.env_for()
        env.fake.call("POST", "/_fake/faults", {"match": {"network": "facebook",
                                                          "path_regex": "/me$"},
                                                "action": {"type": "meta_error", "code": 2}})
        c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"], "--write-config")
        c.visit(consent(c.url))
        out, err = c.finish(expect=69)
        self.assertIn("step 5 (checking the token)", err)
        with open(env.config) as f:
            self.assertIn('page_id = "%s"' % PAGE_ID, f.read())
        self.assertIn("the account is in the configuration", err)

    def test_instagram_not_linked_to_the_page(self):
        env = self.env_for(media="dir")
        env.fake.call("POST", "/_fake/config", {"instagram": {"users": {IG_USER: {
            "page": "111"}}}})
        c = Connect(env, "instagram", "--app-id", APP_ID, "--app-secret-file",
                    env.secrets["meta"])
        c.visit(consent(c.url))
        out, err = c.finish(expect=77)
        self.assertIn("no Instagram professional account linked", err)

    def test_instagram_login_flavour(self):
        env = self.env_for(media="dir", ig_login="instagram")
        c = Connect(env, "instagram", "--login", "instagram", "--app-id", IG_APP_ID,
                    "--app-secret-file", env.secrets["instagram-app"], "--write-config")
        self.assertNotIn("code_challenge", c.query)
        c.visit(consent(c.url))
        out, err = c.finish()
        self.assertIn("rituald refreshes it", out)
        tok = self.token_of(env, os.path.join(env.dir, "instagram.token"))
        self.assertTrue(tok.startswith("IGAA"))
        with open(os.path.join(env.dir, "instagram.token.expires")) as f:
            self.assertGreater(int(f.read()), time.time() + 59 * 86400)
        with open(env.config) as f:
            self.assertIn('login = "instagram"', f.read())
        self.assertEqual([m + " " + p for m, p in self.recorded(env)][:5], [
            "GET /oauth/authorize", "POST /oauth/authorize/allow", "POST /oauth/access_token",
            "GET /access_token", "GET /v25.0/me"])
        self.publish_image(env)

    # -- LinkedIn --

    def test_linkedin_page(self):
        env = self.env_for()
        c = Connect(env, "linkedin", "--client-id", LI_CLIENT, "--client-secret-file",
                    env.secrets["linkedin-app"], "--write-config")
        self.assertEqual(c.query["scope"],
                         ["w_organization_social r_organization_social rw_organization_admin"])
        c.visit(consent(c.url))
        out, err = c.finish()
        self.assertIn("page %s (ADMINISTRATOR)" % LI_ORG, out)
        with open(env.config) as f:
            conf = f.read()
        self.assertIn('author = "%s"' % LI_ORG, conf)
        self.assertIn('client_id = "%s"' % LI_CLIENT, conf)
        self.assertTrue(os.path.exists(os.path.join(env.dir, "linkedin.token.expires")))
        self.token_of(env, os.path.join(env.dir, "linkedin.token"))
        self.assertEqual([m + " " + p for m, p in self.recorded(env)], [
            "GET /oauth/v2/authorization", "POST /oauth/v2/authorization/allow",
            "POST /oauth/v2/accessToken", "GET /rest/organizationAcls", "GET /rest/posts"])
        self.assertEqual(self.publish(env, "linkedin", "LinkedIn, connected")["network"],
                         "linkedin")

    def test_linkedin_member(self):
        env = self.env_for()
        c = Connect(env, "linkedin", "--member", "--client-id", LI_CLIENT,
                    "--client-secret-file", env.secrets["linkedin-app"], "--write-config")
        self.assertEqual(c.query["scope"], ["openid profile w_member_social"])
        c.visit(consent(c.url))
        out, err = c.finish()
        with open(env.config) as f:
            self.assertIn('author = "%s"' % LI_PERSON, f.read())
        self.token_of(env, os.path.join(env.dir, "linkedin.token"))
        self.assertEqual([m + " " + p for m, p in self.recorded(env)], [
            "GET /oauth/v2/authorization", "POST /oauth/v2/authorization/allow",
            "POST /oauth/v2/accessToken", "GET /v2/userinfo", "GET /v2/userinfo",
            "GET /rest/posts"])
        self.assertEqual(self.publish(env, "linkedin", "Member post, connected")["network"],
                         "linkedin")

    def test_linkedin_app_without_the_product(self):
        env = self.env_for()
        env.fake.call("POST", "/_fake/config", {"oauth": {"linkedin": {
            "app_scopes": ["openid", "profile", "w_member_social"]}}})
        c = Connect(env, "linkedin", "--client-id", LI_CLIENT, "--client-secret-file",
                    env.secrets["linkedin-app"])
        c.visit(consent(c.url))
        out, err = c.finish(expect=77)
        self.assertIn("unauthorized_scope_error", err)
        self.assertIn("Community Management API", err)

    # -- secrets in the platform's messages --

    def fault_quoting_token(self, env, match):
        env.fake.call("POST", "/_fake/faults", {"match": match, "action": {
            "type": "meta_error", "code": 190, "status": 400,
            "message": "Malformed access token {token}"}})

    def assert_token_scrubbed(self, env, c, pattern, expect=69):
        out, err = c.finish(expect=expect)
        self.assertIn("Malformed access token [secret]", err)
        self.assertIsNone(re.search(pattern, out + err), out + err)
        return out, err

    def test_platform_message_quoting_a_token_is_scrubbed(self):
        env = self.env_for(media="dir")
        cases = [
            # the short-lived user token, on the long-lived exchange
            ({"network": "connect", "path_regex": "/oauth/access_token$",
              "body_regex": "fb_exchange_token="}, r"EAAS\w{60}"),
            # the long-lived user token, listing the Pages
            ({"network": "facebook", "path_regex": "/me/accounts$"}, r"EAAL\w{60}"),
            # the Page token, on the check
            ({"network": "facebook", "path_regex": "/me$"}, r"EAAP\w{60}"),
        ]
        for match, pattern in cases:
            self.fault_quoting_token(env, match)
            c = Connect(env, "facebook", "--app-id", APP_ID, "--app-secret-file",
                        env.secrets["meta"])
            c.visit(consent(c.url))
            self.assert_token_scrubbed(env, c, pattern)
            env.fake.call("DELETE", "/_fake/faults")

    def test_instagram_login_message_quoting_a_token_is_scrubbed(self):
        env = self.env_for(media="dir", ig_login="instagram")
        for match, pattern in (
                ({"network": "connect", "path_regex": "^/access_token$"}, r"IGS\w{60}"),
                ({"path_regex": "/v25.0/me$"}, r"IGAA\w{64}")):
            self.fault_quoting_token(env, match)
            c = Connect(env, "instagram", "--login", "instagram", "--app-id", IG_APP_ID,
                        "--app-secret-file", env.secrets["instagram-app"])
            c.visit(consent(c.url))
            self.assert_token_scrubbed(env, c, pattern)
            env.fake.call("DELETE", "/_fake/faults")

    def test_linkedin_message_quoting_a_token_is_scrubbed(self):
        env = self.env_for()
        self.fault_quoting_token(env, {"network": "connect",
                                       "path_regex": "/rest/organizationAcls$"})
        c = Connect(env, "linkedin", "--client-id", LI_CLIENT, "--client-secret-file",
                    env.secrets["linkedin-app"])
        c.visit(consent(c.url))
        self.assert_token_scrubbed(env, c, r"AQX\w{60}")

    def test_no_credentials_names_the_options(self):
        env = self.env_for()
        p = env.ritual("connect", "linkedin", expect=78)
        self.assertIn("--client-id ID and --client-secret-file FILE", p.stderr)
        self.assertIn("docs/linkedin.md", p.stderr)


if __name__ == "__main__":
    unittest.main()
