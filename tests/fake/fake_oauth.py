"""Fake consent pages and authorization-code exchanges (`ritual connect`).

The three platforms' OAuth "dialogs" (an HTML page with an Allow button that
redirects the browser to redirect_uri with code and state, or with error),
their code -> token exchanges, Facebook's long-lived exchange, Instagram's
ig_exchange_token and LinkedIn's organizationAcls. Every route here is
recorded with network "connect". The tokens minted are added to the
fake_meta / fake_linkedin configuration, so the rest of the fake accepts
them at once (publishing, /me/accounts, debug_token, userinfo).

Routes:
    GET  /vNN.N/dialog/oauth            Facebook Login dialog (www.facebook.com)
    GET|POST /vNN.N/oauth/access_token  with code= (code exchange) or
                                        grant_type=fb_exchange_token (long-lived)
    GET  /oauth/authorize               Instagram Login dialog (www.instagram.com)
    POST /oauth/access_token            Instagram code exchange (api.instagram.com)
    GET  /access_token?grant_type=ig_exchange_token   (graph.instagram.com)
    GET  /oauth/v2/authorization        LinkedIn dialog (www.linkedin.com)
    POST /oauth/v2/accessToken          LinkedIn code exchange, for codes minted here
                                        (other grants stay with fake_linkedin)
    GET  /rest/organizationAcls?q=roleAssignee        LinkedIn pages the member administers
    POST .../allow                      the Allow button of each dialog (form post)

Config section "oauth" (all optional):
    "facebook":  {"redirect_uris": [...], "user": {"id", "name", "pages": [page ids]},
                  "declined": [scopes the person unticks], "code_ttl": 600}
    "instagram": {"client_id", "client_secret", "redirect_uris": [...], "user": "<ig user id>",
                  "professional": true, "declined": [...]}
    "linkedin":  {"redirect_uris": [...], "member": "urn:li:person:X", "name": "...",
                  "admin_of": [{"organization": URN, "role": "ADMINISTRATOR"}],
                  "app_scopes": [scopes the app's products grant], "declined": [...]}
redirect_uris absent = any http://localhost or 127.0.0.1 URI is registered.
Facebook's app id/secret are facebook.app_id/app_secret; LinkedIn's client
linkedin.client_id/client_secret (the sections fake_meta/fake_linkedin read).

Faults: every route here is network "connect", so a fault matches it with
{"network": "connect", "path_regex": ...}. A "meta_error" fault's "{token}"
is the token the request carries (request_token): the bearer or
access_token (ig_exchange_token's short-lived token), else Facebook's
fb_exchange_token (the short-lived user token) - as Graph quotes a token it
cannot parse.

A LinkedIn token belongs to one author in this fake: the first page of
admin_of when organization scopes were granted, else the member.
"""

import base64
import hashlib
import html
import re
import urllib.parse

import fakeapi
from fakeapi import Response, first

NETWORKS = ("connect",)
VERSION_RE = re.compile(r"^v\d+\.\d+$")
LONG_LIVED = 5183944
LI_TTL = 5184000


def _data(state):
    return state.module_data("oauth", lambda: {"codes": {}, "ig_short": {}})


def reset(state):
    state.data.pop("oauth", None)


def _cfg(state, net):
    return (state.config.get("oauth") or {}).get(net) or {}


def classify(state, req):
    segs = req.segments()
    if not segs:
        return None
    if VERSION_RE.match(segs[0]) and segs[1:3] == ["dialog", "oauth"]:
        return "connect"
    if VERSION_RE.match(segs[0]) and segs[1:] == ["oauth", "access_token"]:
        return "connect"
    if segs[:2] == ["oauth", "authorize"] or segs == ["oauth", "access_token"]:
        return "connect"
    if segs == ["access_token"] and req.param("grant_type") == "ig_exchange_token":
        return "connect"
    if segs[:3] == ["oauth", "v2", "authorization"]:
        return "connect"
    if segs == ["oauth", "v2", "accessToken"] and req.param("grant_type") == "authorization_code":
        with state.lock:
            if first(req.param("code")) in _data(state)["codes"]:
                return "connect"
        return None
    if segs[:2] == ["rest", "organizationAcls"]:
        return "connect"
    return None


def request_token(req):
    """The token a request to these routes carries, or None (for faults)."""
    import fake_meta
    tok = fake_meta.get_token(req) or req.param("fb_exchange_token")
    return str(tok) if tok else None


# --------------------------------------------------------------------------
# the dialogs
# --------------------------------------------------------------------------

def _page(title, body, status=200):
    doc = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title></head>"
           "<body><h1>%s</h1>%s</body></html>\n" % (html.escape(title), html.escape(title), body))
    return Response(status, doc.encode(), None, "text/html; charset=utf-8")


def _registered(state, net, uri):
    uris = _cfg(state, net).get("redirect_uris")
    if uris is None:
        p = urllib.parse.urlsplit(uri or "")
        return p.scheme == "http" and p.hostname in ("localhost", "127.0.0.1")
    return uri in uris


def _redirect(uri, params):
    sep = "&" if "?" in uri else "?"
    loc = uri + sep + urllib.parse.urlencode(params)
    return Response(302, b"", [("Location", loc)], "text/html")


def _scopes(raw, sep):
    return [s for s in re.split(sep, raw or "") if s]


def dialog(state, req, net):
    """GET: the consent page. POST .../allow: the Allow button."""
    p = req.param
    client_id = str(p("client_id") or "")
    uri = p("redirect_uri")
    if net == "facebook":
        app = str((state.config.get("facebook") or {}).get("app_id", ""))
        scopes = _scopes(p("scope"), r"[,\s]+")
    elif net == "instagram":
        app = str(_cfg(state, "instagram").get("client_id", ""))
        scopes = _scopes(p("scope"), r"[,\s]+")
    else:
        app = str((state.config.get("linkedin") or {}).get("client_id", ""))
        scopes = _scopes(p("scope"), r"\s+")
    if not client_id or client_id != app:
        return _page("Invalid App ID", "<p>The provided app ID does not look like a valid "
                     "app ID.</p>", 400)
    if not _registered(state, net, uri):
        if net == "linkedin":
            return _page("Bummer, something went wrong.", "<p>The redirect_uri does not match "
                         "the registered value</p>", 400)
        return _page("URL blocked", "<p>This redirect failed because the redirect URI is not "
                     "whitelisted in the app's Client OAuth Settings. Make sure Client and Web "
                     "OAuth Login are on and add all your app domains as Valid OAuth Redirect "
                     "URIs.</p>", 400)
    if (p("response_type") or "code") != "code":
        return _redirect(uri, {"error": "unsupported_response_type", "state": p("state") or ""})
    if net == "linkedin":
        allowed = _cfg(state, "linkedin").get("app_scopes")
        for s in scopes:
            if allowed is not None and s not in allowed:
                return _redirect(uri, {"error": "unauthorized_scope_error",
                                       "error_description": "Scope \"%s\" is not authorized "
                                       "for your application" % s, "state": p("state") or ""})
    if net == "instagram" and not _cfg(state, "instagram").get("professional", True):
        return _page("Professional account required", "<p>Only Instagram professional "
                     "accounts (business or creator) can log in to this app.</p>", 400)
    fields = ["client_id", "redirect_uri", "scope", "state", "code_challenge",
              "code_challenge_method"]
    if req.method == "GET":
        hidden = "".join('<input type="hidden" name="%s" value="%s">'
                         % (f, html.escape(str(p(f)), quote=True))
                         for f in fields if p(f) is not None)
        action = req.path.rstrip("/") + "/allow"
        return _page("Allow access?", "<p>%s wants to: %s</p>"
                     "<form method=\"post\" action=\"%s\">%s"
                     "<button id=\"allow\" type=\"submit\" name=\"choice\" value=\"allow\">Allow"
                     "</button> <button id=\"deny\" type=\"submit\" name=\"choice\" "
                     "value=\"deny\">Cancel</button></form>"
                     % (html.escape(app), html.escape(", ".join(scopes)), html.escape(action),
                        hidden))
    if p("choice") == "deny":
        err = {"error": "access_denied", "state": p("state") or ""}
        if net == "facebook":
            err.update({"error_reason": "user_denied", "error_description": "Permissions error"})
        else:
            err["error_description"] = "The user cancelled the authorization"
        return _redirect(uri, err)
    declined = set(_cfg(state, net).get("declined") or [])
    code = fakeapi.random_token("code", 48)
    with state.lock:
        _data(state)["codes"][code] = {
            "net": net, "client_id": client_id, "redirect_uri": uri,
            "scopes": [s for s in scopes if s not in declined],
            "challenge": p("code_challenge"), "method": p("code_challenge_method") or "plain",
            "issued_at": state.now(), "used": False}
    return _redirect(uri, {"code": code, "state": p("state") or ""})


def _take_code(state, code, uri, verifier, ttl):
    """(entry, None) or (None, reason): 'unknown', 'used', 'expired', 'redirect', 'verifier'."""
    with state.lock:
        c = _data(state)["codes"].get(code or "")
        if c is None:
            return None, "unknown"
        if c["used"]:
            return None, "used"
        if state.now() - c["issued_at"] > ttl:
            return None, "expired"
        if uri != c["redirect_uri"]:
            return None, "redirect"
        if c["challenge"]:
            v = verifier or ""
            if c["method"] == "S256":
                v = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).decode().rstrip("=")
            if v != c["challenge"]:
                return None, "verifier"
        c["used"] = True
        return c, None


# --------------------------------------------------------------------------
# Facebook
# --------------------------------------------------------------------------

def fb_token(state, req):
    import fake_meta
    fb = state.config.get("facebook") or {}
    if str(req.param("client_id") or "") != str(fb.get("app_id", "")) or \
            req.param("client_secret") != fb.get("app_secret"):
        return fake_meta.error(1, "Error validating client secret.", status=400)
    now = int(state.now())
    if req.param("grant_type") == "fb_exchange_token":
        old = req.param("fb_exchange_token")
        with state.lock:
            users = fb.setdefault("users", {})
            u = users.get(old)
            if u is None or u.get("revoked") or u.get("expired") or \
                    now > int(u.get("token_expires_at", now)):
                return fake_meta.error(190, "Error validating access token: the session is "
                                            "invalid.", subcode=460)
            tok = fakeapi.random_token("EAAL", 60)
            users[tok] = dict(u, token_expires_at=now + LONG_LIVED, long_lived=True)
            # Page tokens read with a long-lived user token never expire; the
            # fake hands out new strings so a renewal is visible.
            for pid in u.get("pages") or []:
                page = (fb.get("pages") or {}).get(str(pid))
                if page is not None and _cfg(state, "facebook").get("rotate_page_tokens", True):
                    page["token"] = fakeapi.random_token("EAAP", 60)
                    page["revoked"] = page["expired"] = False
        return Response.json({"access_token": tok, "token_type": "bearer",
                              "expires_in": LONG_LIVED})
    if not req.param("code"):
        return fake_meta.error(100, "Missing code parameter.")
    c, why = _take_code(state, req.param("code"), req.param("redirect_uri"),
                        req.param("code_verifier"), _cfg(state, "facebook").get("code_ttl", 600))
    if why == "used":
        return fake_meta.error(100, "This authorization code has been used.", subcode=36009)
    if why == "expired":
        return fake_meta.error(100, "This authorization code has expired.", subcode=36007)
    if why == "redirect":
        return fake_meta.error(100, "Error validating verification code. Please make sure your "
                                    "redirect_uri is identical to the one you used in the OAuth "
                                    "dialog request", subcode=36008)
    if why == "verifier":
        return fake_meta.error(100, "Invalid code verifier.")
    if why or c["net"] != "facebook":
        return fake_meta.error(100, "Invalid verification code format.")
    person = _cfg(state, "facebook").get("user") or {}
    tok = fakeapi.random_token("EAAS", 60)
    with state.lock:
        fb.setdefault("users", {})[tok] = {
            "id": str(person.get("id", "10158000000000001")), "name": person.get("name", "Owner"),
            "pages": [str(x) for x in person.get("pages", list(fb.get("pages") or {}))],
            "scopes": c["scopes"], "token_issued_at": now, "token_expires_at": now + 5400}
    return Response.json({"access_token": tok, "token_type": "bearer", "expires_in": 5400})


# --------------------------------------------------------------------------
# Instagram Login
# --------------------------------------------------------------------------

def _ig_error(message, code=400):
    return Response.json({"error_type": "OAuthException", "code": code,
                          "error_message": message}, 400, fakeapi.JSON_META)


def ig_code(state, req):
    cfg = _cfg(state, "instagram")
    if req.method != "POST":
        return _ig_error("Unsupported method")
    if str(req.param("client_id") or "") != str(cfg.get("client_id", "")):
        return _ig_error("Invalid platform app")
    if req.param("client_secret") != cfg.get("client_secret"):
        return _ig_error("Error validating client secret.")
    if req.param("grant_type") != "authorization_code":
        return _ig_error("Invalid grant_type")
    c, why = _take_code(state, req.param("code"), req.param("redirect_uri"), None,
                        cfg.get("code_ttl", 3600))
    if why == "redirect":
        return _ig_error("Error validating verification code. Please make sure your "
                         "redirect_uri is identical to the one you used in the OAuth dialog "
                         "request")
    if why or c["net"] != "instagram":
        return _ig_error("This authorization code has been used" if why == "used"
                         else "Matching code was not found or was already used")
    uid = str(cfg.get("user", ""))
    tok = fakeapi.random_token("IGS", 60)
    with state.lock:
        _data(state)["ig_short"][tok] = {"uid": uid, "expires": state.now() + 3600}
    return Response.json({"data": [{"access_token": tok, "user_id": uid,
                                    "permissions": ",".join(c["scopes"])}]})


def ig_exchange(state, req):
    import fake_meta
    cfg = _cfg(state, "instagram")
    if req.param("client_secret") != cfg.get("client_secret"):
        return fake_meta.error(101, "Error validating client secret.", status=400)
    short = req.param("access_token")
    with state.lock:
        s = _data(state)["ig_short"].get(short or "")
        users = (state.config.get("instagram") or {}).get("users") or {}
        u = users.get(s["uid"]) if s else None
        if s is None or state.now() > s["expires"] or u is None:
            return fake_meta.error(190, "Invalid OAuth access token - Cannot parse access token")
        now = int(state.now())
        tok = fakeapi.random_token("IGAA", 64)
        if u.get("token"):
            u.setdefault("old_tokens", {})[u["token"]] = now + 60
        u.update({"token": tok, "login": "instagram", "token_issued_at": now,
                  "token_expires_at": now + LONG_LIVED, "expired": False, "revoked": False})
    return Response.json({"access_token": tok, "token_type": "bearer", "expires_in": LONG_LIVED})


# --------------------------------------------------------------------------
# LinkedIn
# --------------------------------------------------------------------------

def _li_error(status, err, desc):
    return Response.json({"error": err, "error_description": desc}, status, "application/json")


def li_code(state, req):
    import fake_linkedin
    f = req.form or {}
    li = state.config.get("linkedin") or {}
    if first(f.get("client_id")) != li.get("client_id") or \
            first(f.get("client_secret")) != li.get("client_secret"):
        return _li_error(401, "invalid_client", "Client authentication failed")
    c, why = _take_code(state, first(f.get("code")), first(f.get("redirect_uri")),
                        first(f.get("code_verifier")), _cfg(state, "linkedin").get("code_ttl", 1800))
    if why == "redirect":
        return _li_error(400, "invalid_redirect_uri", "Unable to retrieve access token: appid/"
                         "redirect uri/code verifier does not match authorization code. Or "
                         "authorization code expired.")
    if why or c["net"] != "linkedin":
        return _li_error(400, "invalid_request", "Unable to retrieve access token: appid/redirect "
                         "uri/code verifier does not match authorization code. Or authorization "
                         "code expired.")
    cfg = _cfg(state, "linkedin")
    orgs = [a for a in cfg.get("admin_of") or []]
    member = cfg.get("member", "urn:li:person:abc123XYZ")
    org_scope = any(s.endswith("organization_social") for s in c["scopes"])
    author = orgs[0]["organization"] if org_scope and orgs else member
    with state.lock:
        tok, tcfg = fake_linkedin._mint(state, {"author": author, "member": author == member,
                                               "scopes": c["scopes"],
                                               "name": cfg.get("name", "Studio Owner")})
        tcfg["member_urn"] = member
    return Response.json({"access_token": tok, "expires_in": LI_TTL,
                          "scope": ",".join(c["scopes"])}, 200, "application/json")


def li_acls(state, req):
    import fake_linkedin
    tok, tcfg, err = fake_linkedin.authenticate(state, req)
    if err:
        return err
    version, verr = fake_linkedin.check_version(state, req)
    if verr:
        return verr
    if req.param("q") != "roleAssignee":
        return fake_linkedin.li_error(400, "Invalid finder: %s" % req.param("q"),
                                      "ILLEGAL_ARGUMENT")
    if "rw_organization_admin" not in (tcfg.get("scopes") or []) and \
            "r_organization_admin" not in (tcfg.get("scopes") or []):
        return fake_linkedin.access_denied("organizationAcls.FINDER-roleAssignee", version)
    cfg = _cfg(state, "linkedin")
    member = tcfg.get("member_urn") or cfg.get("member", "urn:li:person:abc123XYZ")
    out = [{"roleAssignee": member, "state": "APPROVED", "role": a.get("role", "ADMINISTRATOR"),
            "organization": a["organization"]} for a in cfg.get("admin_of") or []]
    return Response.json({"paging": {"start": 0, "count": 10, "links": []}, "elements": out},
                         200, "application/json")


def handle(state, req):
    segs = req.segments()
    if VERSION_RE.match(segs[0]) and segs[1:3] == ["dialog", "oauth"]:
        return dialog(state, req, "facebook")
    if VERSION_RE.match(segs[0]):
        return fb_token(state, req)
    if segs[:2] == ["oauth", "authorize"]:
        return dialog(state, req, "instagram")
    if segs == ["oauth", "access_token"]:
        return ig_code(state, req)
    if segs == ["access_token"]:
        return ig_exchange(state, req)
    if segs[:3] == ["oauth", "v2", "authorization"]:
        return dialog(state, req, "linkedin")
    if segs == ["oauth", "v2", "accessToken"]:
        return li_code(state, req)
    return li_acls(state, req)
