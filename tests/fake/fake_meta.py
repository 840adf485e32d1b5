"""Fake Meta Graph API: Facebook Page publishing and Instagram content publishing.

Both graph.facebook.com and graph.instagram.com are pointed at the fake server,
so one set of /vNN.N/... routes serves both, plus /refresh_access_token (which
has no version prefix on graph.instagram.com). See docs/api-notes.md §Facebook, §Instagram, §Meta errors.

Config (all optional):
    "facebook": {"app_id": "...", "app_secret": "...", "app_name": "...",
                 "require_appsecret_proof": false,
                 "pages": {"<page id>": {"token": "...", "name": "...",
                           "expired": false, "revoked": false, "scopes": [...],
                           "instagram_business_account": "<ig user id>"}},
                 "users": {"<user token>": {"id": "...", "name": "...", "pages": ["<page id>"]}}},
    "instagram": {"users": {"<ig user id>": {"token": "...", "username": "...",
                  "login": "facebook"|"instagram", "page": "<page id>",
                  "quota_total": 50, "polls_until_finished": 2, "token_expires_in": 5183944,
                  "max_hashtags": 30, "max_mentions": 20, "container_limit": 400,
                  "container_ttl": 86400, "refresh_grace_seconds": 60, "fetch_timeout": 10,
                  "republish": "not_available"|"invalid"|"idempotent",
                  "expired": false, "revoked": false,
                  "unreadable_reads": 0}}},
    "meta": {"app_usage": {...}, "buc_usage": {...}, "calls_per_hour": 4800}

An appsecret_proof that a call carries (query or form) is always checked,
as Graph does: it must be hex(HMAC-SHA256(key=app_secret, msg=token)), else
Graph's own error body (code 100, "Invalid appsecret_proof provided in the
API argument"). "require_appsecret_proof": every call that carries a token
must also carry one, as for a Meta app with "Require App Secret" on; a call
without it gets code 100, "API calls from the server require an
appsecret_proof argument".

"unreadable_reads": the postiz-app#1562 behaviour: GETs of this user's
containers and media made with its own (Page or Instagram) token answer
100/33 ("Unsupported get request ...") while writes work; N > 0 for the next
N such reads, -1 (or true) for ever. A Facebook user token (facebook.users)
that manages the linked page still reads them.

Fault actions "meta_error" may put "{token}" in their "message": it is
replaced by the request's token, as Graph does in "Malformed access token
<token>".
"""

import base64
import hashlib
import hmac
import json
import re
import time
import urllib.parse

import fakeapi
from fakeapi import Response, JSON_META, first, parse_bool, parse_fields, iso_time, sha256_hex

NETWORKS = ("facebook", "instagram")
VERSION_RE = re.compile(r"^v\d+\.\d+$")
CRAWLER_UA = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
FB_MAX_PHOTO = 4 * 1024 * 1024
IG_MAX_IMAGE = 8 * 1024 * 1024
IG_REFRESH_EXPIRES_IN = 5183944
DEFAULT_PAGE_SCOPES = ["pages_show_list", "pages_read_engagement", "pages_manage_posts",
                       "instagram_basic", "instagram_content_publish"]
ERROR_MESSAGES = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    9: "Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    24: "The media builder does not exist or has been expired.",
    25: "The Instagram account is restricted.",
    32: "(#32) Page request limit reached",
    100: "(#100) Invalid parameter",
    102: "Session key invalid or no longer valid",
    190: "Invalid OAuth access token - Cannot parse access token",
    200: "(#200) Permissions error",
    341: "(#341) Application limit reached",
    368: "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
    506: "(#506) Duplicate status message",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    9004: "Media could not be fetched from this URI",
    9007: "Media ID is not available",
    36000: "The image size is too large.",
    36001: "The image format is not supported.",
    36003: "The aspect ratio is not supported.",
    36004: "The caption was too long.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try "
           "again. For more info, please refer to "
           "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
    80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and "
           "try again. For more info, please refer to "
           "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
}
_FBTRACE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# --------------------------------------------------------------------------
# module data
# --------------------------------------------------------------------------

def _new_data():
    return {
        "photos": {},        # photo id -> {"page", "sha256", "published", "attached", "post", ...}
        "fb_posts": {},      # post id -> published object (live dict in state.posts)
        "containers": {},    # container id -> container dict
        "ig_media": {},      # media id -> published object
        "ig_publishes": {},  # ig user id -> [unix times of media_publish successes]
        "ig_created": {},    # ig user id -> [unix times of container creations]
        "calls": [],         # [(time, account)] for usage headers
    }


def data(state):
    return state.module_data("meta", _new_data)


def reset(state):
    state.data.pop("meta", None)


def config_changed(state):
    """Fill in token bookkeeping (issue time, expiry) for configured Instagram users."""
    now = state.now()
    with state.lock:
        for uid, u in ((state.config.get("instagram") or {}).get("users") or {}).items():
            u.setdefault("token_issued_at", int(now))
            u.setdefault("refresh_count", 0)
            if "token_expires_at" not in u and u.get("token_expires_in"):
                u["token_expires_at"] = int(u["token_issued_at"]) + int(u["token_expires_in"])


def _fb(state):
    return state.config.get("facebook") or {}


def _pages(state):
    return _fb(state).get("pages") or {}


def _ig_users(state):
    return (state.config.get("instagram") or {}).get("users") or {}


def _meta_cfg(state):
    return state.config.get("meta") or {}


# --------------------------------------------------------------------------
# errors and headers
# --------------------------------------------------------------------------

def fbtrace_id():
    import random
    return "A" + "".join(random.choice(_FBTRACE_ALPHABET) for _ in range(22))


def default_status(code):
    """HTTP status Meta usually pairs with an error code (docs/api-notes.md §Meta errors)."""
    if code in (1, 2):
        return 500
    if code in (4, 10) or 200 <= code <= 299:
        return 403
    return 400


def error(code, message=None, subcode=None, status=None, is_transient=None, title=None,
          user_msg=None, etype="OAuthException", headers=None):
    """A Meta error response in the exact §1.4 shape."""
    code = int(code)
    if message is None:
        message = ERROR_MESSAGES.get(code, "(#%d) An error occurred" % code)
    if is_transient is None:
        is_transient = code in (1, 2, 4, 17, 341)
    err = {"message": message, "type": etype, "code": code}
    if subcode is not None:
        err["error_subcode"] = int(subcode)
    err["is_transient"] = bool(is_transient)
    if title is not None:
        err["error_user_title"] = title
    if user_msg is not None:
        err["error_user_msg"] = user_msg
    err["fbtrace_id"] = fbtrace_id()
    hdrs = list(headers or [])
    if code == 190:
        hdrs.append(("WWW-Authenticate", 'OAuth "Facebook Platform" "invalid_token" "%s"'
                     % message.replace('"', "'")))
    return Response.json({"error": err}, status or default_status(code), JSON_META, hdrs)


def unsupported(method, obj_id):
    verb = {"GET": "get", "POST": "post", "DELETE": "delete"}.get(method, method.lower())
    return error(100, "Unsupported %s request. Object with ID '%s' does not exist, cannot be "
                      "loaded due to missing permissions, or does not support this operation. "
                      "Please read the Graph API documentation at "
                      "https://developers.facebook.com/docs/graph-api" % (verb, obj_id),
                 subcode=33)


def _pst(ts):
    """'Tuesday, 01-Dec-26 09:00:00 PST' for a unix time (fixed UTC-8)."""
    return time.strftime("%A, %d-%b-%y %H:%M:%S PST", time.gmtime(ts - 8 * 3600))


def expired_error(state, expired_at=None):
    now = state.now()
    exp = expired_at if expired_at and expired_at < now else now - 3600
    return error(190, "Error validating access token: Session has expired on %s. The current "
                      "time is %s." % (_pst(exp), _pst(now)), subcode=463)


def revoked_error():
    return error(190, "Error validating access token: The session has been invalidated because "
                      "the user changed their password or Facebook has changed the session for "
                      "security reasons.", subcode=460)


def fault_error(state, req, action):
    """Response for the 'meta_error' and 'throttle' fault actions."""
    extra = list((action.get("headers") or {}).items())
    if action["type"] == "throttle":
        ig = req.network == "instagram"
        code = int(action.get("code", 80002 if ig else 80001))
        minutes = int(action.get("minutes", 60))
        acct, kind = _usage_account(state, req)
        usage = {acct or "0": [{"type": kind, "call_count": 100, "total_cputime": 100,
                                "total_time": 100, "estimated_time_to_regain_access": minutes}]}
        if ig:
            usage[acct or "0"][0]["acc_id_util_pct"] = 100
        extra.append(("X-Business-Use-Case-Usage", json.dumps(usage, separators=(",", ":"))))
        return error(code, action.get("message"), action.get("subcode"), action.get("status"),
                     action.get("is_transient", True), headers=extra)
    message = action.get("message")
    if message and "{token}" in message:
        tok = get_token(req)
        if not tok and req.network == "connect":
            import fake_oauth
            tok = fake_oauth.request_token(req)
        message = message.replace("{token}", tok or "")
    return error(int(action.get("code", 1)), message, action.get("subcode"),
                 action.get("status"), action.get("is_transient"),
                 action.get("error_user_title"), action.get("error_user_msg"),
                 action.get("error_type", "OAuthException"), extra)


def _usage_account(state, req):
    """(account id, BUC type) for the usage headers of a request."""
    with state.lock:
        p = _principal_from_token(state, get_token(req))
        segs = req.segments()
        node = segs[1] if len(segs) > 1 else None
        if node in _ig_users(state):
            return node, "instagram"
        if node in _pages(state):
            return node, "pages"
        if p and p["kind"] == "ig":
            return p["id"], "instagram"
        if p and p["kind"] == "page":
            return p["id"], ("instagram" if req.network == "instagram" else "pages")
    return None, "instagram" if req.network == "instagram" else "pages"


def decorate(state, req, resp):
    """Add X-App-Usage / X-Business-Use-Case-Usage and Graph headers (no Retry-After)."""
    now = state.now()
    acct, kind = _usage_account(state, req)
    with state.lock:
        d = data(state)
        d["calls"] = [(t, a) for t, a in d["calls"] if t > now - 3600]
        d["calls"].append((now, acct))
        per_hour = max(1, int(_meta_cfg(state).get("calls_per_hour", 4800)))
        n_all = len(d["calls"])
        n_acct = sum(1 for _, a in d["calls"] if a == acct)
        app_usage = dict(_meta_cfg(state).get("app_usage") or {})
        buc_usage = dict(_meta_cfg(state).get("buc_usage") or {})
    pct_all = min(100, n_all * 100 // per_hour)
    pct_acct = min(100, n_acct * 100 // per_hour)
    if resp.header("X-App-Usage") is None:
        au = {"call_count": pct_all, "total_time": pct_all, "total_cputime": pct_all}
        au.update(app_usage)
        resp.headers.append(("X-App-Usage", json.dumps(au, separators=(",", ":"))))
    if resp.header("X-Business-Use-Case-Usage") is None and acct:
        bu = {"type": kind, "call_count": pct_acct, "total_cputime": pct_acct,
              "total_time": pct_acct, "estimated_time_to_regain_access": 0}
        if kind == "instagram":
            bu["acc_id_util_pct"] = pct_acct
        bu.update(buc_usage)
        resp.headers.append(("X-Business-Use-Case-Usage",
                             json.dumps({acct: [bu]}, separators=(",", ":"))))
    segs = req.segments()
    if segs and VERSION_RE.match(segs[0]):
        resp.headers.append(("facebook-api-version", segs[0] if "." in segs[0] else segs[0] + ".0"))
    resp.headers.append(("x-fb-trace-id", fbtrace_id()[:11]))
    resp.headers.append(("x-fb-rev", "1019283746"))
    resp.headers.append(("Cache-Control", "private, no-cache, no-store, must-revalidate"))


# --------------------------------------------------------------------------
# tokens
# --------------------------------------------------------------------------

def get_token(req):
    """Token from Authorization: Bearer|OAuth, else access_token (query, form or JSON)."""
    auth = req.header("authorization")
    if auth:
        m = re.match(r"\s*(?:Bearer|OAuth)\s+(\S+)", auth, re.I)
        if m:
            return m.group(1)
    tok = req.param("access_token")
    return str(tok) if tok else None


def _linked_ig_user(state, page_id):
    """The Instagram user id linked to a Facebook page, or None."""
    pcfg = _pages(state).get(page_id) or {}
    if pcfg.get("instagram_business_account"):
        return str(pcfg["instagram_business_account"])
    pages = list(_pages(state))
    for uid, u in _ig_users(state).items():
        if u.get("login", "facebook") != "facebook":
            continue
        if u.get("page") == page_id or (not u.get("page") and pages and pages[0] == page_id):
            return uid
    return None


def _principal_from_token(state, token):
    """Who a token belongs to: {"kind": page|ig|fbuser, "id", "cfg", "status"} or None.

    status is "ok", "expired", "revoked" or "superseded" (an old Instagram token
    after its refresh grace period).
    """
    if not token:
        return None
    now = state.now()
    for pid, p in _pages(state).items():
        if p.get("token") == token:
            st = "revoked" if p.get("revoked") else "expired" if p.get("expired") else "ok"
            return {"kind": "page", "id": pid, "cfg": p, "status": st}
    for uid, u in _ig_users(state).items():
        if u.get("token") == token:
            st = "ok"
            if u.get("revoked"):
                st = "revoked"
            elif u.get("expired") or (u.get("token_expires_at") and now > u["token_expires_at"]):
                st = "expired"
            return {"kind": "ig", "id": uid, "cfg": u, "status": st}
        old = (u.get("old_tokens") or {}).get(token)
        if old is not None:
            return {"kind": "ig", "id": uid, "cfg": u,
                    "status": "ok" if now < old else "superseded"}
    users = _fb(state).get("users") or {}
    if token in users:
        u = users[token]
        st = "revoked" if u.get("revoked") else "expired" if u.get("expired") else "ok"
        return {"kind": "fbuser", "id": str(u.get("id", "10158000000000001")), "cfg": u, "status": st}
    return None


def authenticate(state, req):
    """(principal, None) or (None, error Response)."""
    token = get_token(req)
    if not token:
        return None, error(104, "An access token is required to request this resource.")
    with state.lock:
        p = _principal_from_token(state, token)
    if p is None:
        return None, error(190)
    if p["status"] == "expired":
        exp = p["cfg"].get("token_expires_at") if p["kind"] == "ig" else p["cfg"].get("expired_at")
        return None, expired_error(state, exp)
    if p["status"] in ("revoked", "superseded"):
        return None, revoked_error()
    return p, None


def appsecret_proof(secret, token):
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def check_appsecret_proof(state, req):
    """None, or Graph's error for a wrong appsecret_proof (checked whenever
    one is sent, as Graph does) or a missing one (only when the app requires
    it)."""
    fb = _fb(state)
    proof = req.param("appsecret_proof")
    if not proof:
        if not fb.get("require_appsecret_proof"):
            return None
        return error(100, "API calls from the server require an appsecret_proof argument",
                     etype="GraphMethodException")
    want = appsecret_proof(str(fb.get("app_secret", "")), get_token(req) or "")
    if not hmac.compare_digest(str(proof), want):
        return error(100, "Invalid appsecret_proof provided in the API argument",
                     etype="GraphMethodException")
    return None


def _unreadable(state, p, uid):
    """Whether this read of uid's container/media is refused (100/33).
    Called with state.lock held."""
    if p["kind"] == "fbuser":
        return False
    u = _ig_cfg(state, uid)
    n = u.get("unreadable_reads", 0)
    if n is True or (isinstance(n, int) and n < 0):
        return True
    if isinstance(n, int) and n > 0:
        u["unreadable_reads"] = n - 1
        return True
    return False


def _can_use_page(p, page_id, write=True):
    if p["kind"] == "page":
        return p["id"] == page_id
    if p["kind"] == "fbuser" and not write:
        return page_id in [str(x) for x in p["cfg"].get("pages") or []]
    return False


def _can_use_ig(state, p, uid):
    if p["kind"] == "ig":
        return p["id"] == uid
    if p["kind"] == "page":
        return _linked_ig_user(state, p["id"]) == uid
    if p["kind"] == "fbuser":
        return any(_linked_ig_user(state, str(pg)) == uid for pg in p["cfg"].get("pages") or [])
    return False


# --------------------------------------------------------------------------
# routing
# --------------------------------------------------------------------------

def classify(state, req):
    """'facebook' or 'instagram' for Graph paths, else None."""
    segs = req.segments()
    if not segs:
        return None
    if segs[0] in ("refresh_access_token", "access_token"):
        return "instagram"
    if not VERSION_RE.match(segs[0]):
        return None
    if len(segs) < 2:
        return "facebook"
    node = segs[1]
    if node == "refresh_access_token":
        return "instagram"
    with state.lock:
        if node in _ig_users(state):
            return "instagram"
        d = data(state)
        if node in d["containers"] or node in d["ig_media"]:
            return "instagram"
        if node == "me":
            p = _principal_from_token(state, get_token(req))
            if p and p["kind"] == "ig":
                return "instagram"
    return "facebook"


def handle(state, req):
    segs = req.segments()
    if segs[0] in ("refresh_access_token",):
        return ig_refresh_token(state, req)
    if segs[0] == "access_token":
        return error(100, "Unsupported grant type (the fake only implements refresh_access_token)")
    rest = segs[1:]
    if not rest:
        return error(2500, "Unknown path components: /")
    if rest == ["debug_token"]:
        return debug_token(state, req)
    if rest == ["oauth", "access_token"]:
        return oauth_access_token(state, req)
    if rest == ["refresh_access_token"]:
        return ig_refresh_token(state, req)
    if len(rest) > 2:
        return error(2500, "Unknown path components: /" + "/".join(rest[2:]))

    p, err = authenticate(state, req)
    if err:
        return err
    err = check_appsecret_proof(state, req)
    if err:
        return err
    node = rest[0]
    edge = rest[1] if len(rest) > 1 else None
    if node == "me":
        if edge == "accounts":
            return me_accounts(state, req, p)
        if edge is None:
            return me_node(state, req, p)
        node = p["id"]

    with state.lock:
        d = data(state)
        is_page = node in _pages(state)
        is_ig = node in _ig_users(state)
        is_photo = node in d["photos"]
        is_post = node in d["fb_posts"]
        is_container = node in d["containers"]
        is_media = node in d["ig_media"]

    m = req.method
    if is_page:
        if not _can_use_page(p, node, write=(m != "GET")):
            return unsupported(m, node)
        if edge is None and m == "GET":
            return page_node(state, req, p, node)
        if edge == "photos" and m == "POST":
            return fb_photos(state, req, node)
        if edge == "feed" and m == "POST":
            return fb_feed(state, req, node)
        if edge in ("posts", "feed", "published_posts") and m == "GET":
            return fb_list_posts(state, req, node)
        if edge is None:
            return unsupported(m, node)
        return error(100, "(#100) Tried accessing nonexisting field (%s) on node type (Page)" % edge)
    if is_ig:
        if not _can_use_ig(state, p, node):
            return unsupported(m, node)
        if edge is None and m == "GET":
            return ig_user_node(state, req, node)
        if edge == "media" and m == "POST":
            return ig_create_container(state, req, node)
        if edge == "media" and m == "GET":
            return ig_list_media(state, req, node)
        if edge == "media_publish" and m == "POST":
            return ig_media_publish(state, req, node)
        if edge == "content_publishing_limit" and m == "GET":
            return ig_publishing_limit(state, req, node)
        if edge is None:
            return unsupported(m, node)
        return error(100, "(#100) Tried accessing nonexisting field (%s) on node type "
                          "(IGUser)" % edge)
    if edge is not None:
        return unsupported(m, node)
    if is_post or is_photo:
        return fb_object(state, req, p, node)
    if is_container:
        return ig_container_status(state, req, p, node)
    if is_media:
        return ig_media_node(state, req, p, node)
    return unsupported(m, node)


# --------------------------------------------------------------------------
# Facebook
# --------------------------------------------------------------------------

def _page_name(state, pid):
    return (_pages(state).get(pid) or {}).get("name", "Page %s" % pid)


def page_node(state, req, p, pid):
    fields = parse_fields(req.param("fields")) or ["name", "id"]
    with state.lock:
        pcfg = _pages(state).get(pid) or {}
        obj = {}
        for f in fields:
            if f == "id":
                obj["id"] = pid
            elif f == "name":
                obj["name"] = _page_name(state, pid)
            elif f == "instagram_business_account":
                uid = _linked_ig_user(state, pid)
                if uid:
                    obj["instagram_business_account"] = {"id": uid}
            elif f == "category":
                obj["category"] = pcfg.get("category", "Health/Beauty")
            elif f == "link":
                obj["link"] = "https://www.facebook.com/%s" % pid
            elif f == "access_token" and p["kind"] == "fbuser":
                obj["access_token"] = pcfg.get("token")
            elif f in ("fan_count", "followers_count"):
                obj[f] = pcfg.get(f, 1234)
        obj["id"] = pid
    return Response.json(obj)


def me_node(state, req, p):
    fields = parse_fields(req.param("fields"))
    if p["kind"] == "page":
        return page_node(state, req, p, p["id"])
    if p["kind"] == "ig":
        return ig_user_node(state, req, p["id"], me=True)
    obj = {"id": p["id"], "name": p["cfg"].get("name", "Studio Owner")}
    if fields:
        obj = {k: v for k, v in obj.items() if k in fields or k == "id"}
    return Response.json(obj)


def me_accounts(state, req, p):
    with state.lock:
        if p["kind"] == "page":
            ids = [p["id"]]
        elif p["kind"] == "fbuser":
            ids = [str(x) for x in p["cfg"].get("pages") or []]
        else:
            return error(100, "(#100) Tried accessing nonexisting field (accounts) on node type "
                              "(User)")
        out = []
        for pid in ids:
            pcfg = _pages(state).get(pid) or {}
            out.append({"access_token": pcfg.get("token"), "category": pcfg.get("category", "Health/Beauty"),
                        "category_list": [{"id": "139225689474222", "name": "Spa"}],
                        "name": _page_name(state, pid), "id": pid,
                        "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING",
                                  "MODERATE", "MANAGE"]})
    cur = _cursor(0)
    return Response.json({"data": out, "paging": {"cursors": {"before": cur, "after": _cursor(len(out))}}})


def debug_token(state, req):
    tok = get_token(req)
    if not tok:
        return error(104, "An access token is required to request this resource.")
    fb = _fb(state)
    with state.lock:
        app_ok = fb.get("app_id") and tok == "%s|%s" % (fb.get("app_id"), fb.get("app_secret"))
        caller = _principal_from_token(state, tok)
    if not app_ok and (caller is None or caller["status"] != "ok"):
        return error(190)
    input_token = req.param("input_token")
    if not input_token:
        return error(100, "(#100) The parameter input_token is required")
    now = int(state.now())
    with state.lock:
        p = _principal_from_token(state, input_token)
    app = {"app_id": str(fb.get("app_id", "1234567890")), "application": fb.get("app_name", "Spa Scheduler")}
    if p is None:
        return Response.json({"data": {"error": {"code": 190, "message": "Invalid OAuth access token."},
                                       "is_valid": False, "scopes": []}})
    d = dict(app)
    cfg = p["cfg"]
    if p["kind"] == "page":
        d.update({"type": "PAGE", "data_access_expires_at": now + 90 * 86400, "expires_at": 0,
                  "is_valid": True, "issued_at": int(cfg.get("issued_at", now - 86400)),
                  "profile_id": p["id"], "scopes": cfg.get("scopes", DEFAULT_PAGE_SCOPES),
                  "user_id": str(cfg.get("user_id", "10158000000000001"))})
    else:
        d.update({"type": "USER", "data_access_expires_at": now + 90 * 86400,
                  "expires_at": int(cfg.get("token_expires_at", 0) or 0), "is_valid": True,
                  "issued_at": int(cfg.get("token_issued_at", now - 86400)),
                  "scopes": cfg.get("scopes", ["instagram_basic", "instagram_content_publish",
                                               "pages_read_engagement", "pages_show_list"]),
                  "user_id": str(cfg.get("user_id", p["id"]))})
    if p["status"] != "ok":
        d["is_valid"] = False
        if p["status"] == "expired":
            d["error"] = {"code": 190, "message": "Error validating access token: Session has "
                          "expired on %s." % _pst(now - 3600), "subcode": 463}
            if not d.get("expires_at"):
                d["expires_at"] = now - 3600
        else:
            d["error"] = {"code": 190, "message": "Error validating access token: The session "
                          "has been invalidated.", "subcode": 460}
    return Response.json({"data": d})


def oauth_access_token(state, req):
    """GET /oauth/access_token?grant_type=fb_exchange_token: returns a known user token as is."""
    if req.param("grant_type") != "fb_exchange_token":
        return error(100, "(#100) The fake only supports grant_type=fb_exchange_token")
    fb = _fb(state)
    if fb.get("app_id") and (str(req.param("client_id")) != str(fb.get("app_id"))
                             or req.param("client_secret") != fb.get("app_secret")):
        return error(1, "Error validating client secret.", status=400)
    tok = req.param("fb_exchange_token")
    with state.lock:
        p = _principal_from_token(state, tok)
    if p is None or p["status"] != "ok":
        return error(190)
    return Response.json({"access_token": tok, "token_type": "bearer", "expires_in": 5183944})


def _cursor(n):
    return base64.b64encode(("offset:%d" % n).encode()).decode().rstrip("=")


def _uncursor(c):
    try:
        c = c + "=" * (-len(c) % 4)
        return int(base64.b64decode(c).decode().split(":", 1)[1])
    except (ValueError, IndexError, UnicodeDecodeError):
        return 0


def _parse_time(value):
    """Unix seconds from an int or ISO-8601 string; None if unparseable/absent."""
    if value is None or value == "":
        return None
    s = str(value).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", s):
        return float(s)
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d))?)?(Z|[+-]\d\d:?\d\d)?", s)
    if not m:
        return None
    import calendar
    y, mo, da, hh, mi, ss, tz = m.groups()
    t = calendar.timegm((int(y), int(mo), int(da), int(hh or 0), int(mi or 0), int(ss or 0)))
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        t -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return float(t)


def _paged(req, items, render, default_limit=25, max_limit=100):
    """Graph-style cursor paging over a newest-first list."""
    try:
        limit = max(1, min(max_limit, int(req.param("limit") or default_limit)))
    except ValueError:
        limit = default_limit
    start = 0
    if req.param("after"):
        start = _uncursor(str(req.param("after")))
    elif req.param("before"):
        start = max(0, _uncursor(str(req.param("before"))) - limit)
    page = items[start:start + limit]
    out = {"data": [render(x) for x in page]}
    if page:
        out["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(page))}}
        if start + len(page) < len(items):
            q = [(k, v) for k, v in req.query_pairs if k not in ("after", "before")]
            q.append(("after", _cursor(start + len(page))))
            out["paging"]["next"] = "%s%s?%s" % (req.base_url, req.path, urllib.parse.urlencode(q))
        if start > 0:
            q = [(k, v) for k, v in req.query_pairs if k not in ("after", "before")]
            q.append(("before", _cursor(start)))
            out["paging"]["previous"] = "%s%s?%s" % (req.base_url, req.path, urllib.parse.urlencode(q))
    return out


def _fb_render(post, fields):
    pid, _, n = post["id"].partition("_")
    obj = {"id": post["id"], "created_time": iso_time(post["created_time"]),
           "permalink_url": "https://www.facebook.com/%s/posts/%s" % (pid, n)}
    if post.get("text"):
        obj["message"] = post["text"]
    if "status_type" in fields:
        obj["status_type"] = "added_photos" if post.get("image_sha256") else (
            "shared_story" if post.get("link") else "mobile_status_update")
    if "is_published" in fields:
        obj["is_published"] = True
    if "full_picture" in fields and post.get("image_sha256"):
        obj["full_picture"] = "https://scontent.xx.fbcdn.net/v/%s.jpg" % post["image_sha256"][:16]
    if "link" in fields and post.get("link"):
        obj["link"] = post["link"]
    return obj


def fb_list_posts(state, req, pid):
    since = _parse_time(req.param("since"))
    until = _parse_time(req.param("until"))
    fields = parse_fields(req.param("fields"))
    with state.lock:
        items = [p for p in state.posts if p["network"] == "facebook" and p["account"] == pid
                 and not p["deleted"] and p.get("published", True)
                 and (since is None or p["created_time"] >= since)
                 and (until is None or p["created_time"] <= until)]
        items = [p for _, p in sorted(enumerate(items), key=lambda ip: (ip[1]["created_time"], ip[0]),
                                      reverse=True)]
        return Response.json(_paged(req, items, lambda p: _fb_render(p, fields)))


def fb_object(state, req, p, oid):
    """GET or DELETE a Facebook post (page_n) or photo id."""
    with state.lock:
        d = data(state)
        photo = d["photos"].get(oid)
        post = d["fb_posts"].get(oid) or (photo or {}).get("post")
        page = (post or {}).get("account") or (photo or {}).get("page")
        if not _can_use_page(p, page, write=(req.method != "GET")):
            return unsupported(req.method, oid)
        if req.method == "DELETE":
            if post is None and photo is None:
                return unsupported("DELETE", oid)
            if post is not None:
                if post["deleted"]:
                    return unsupported("DELETE", oid)
                post["deleted"] = True
                post["deleted_time"] = int(state.now())
            if photo is not None:
                photo["deleted"] = True
            return Response.json({"success": True})
        if req.method != "GET":
            return unsupported(req.method, oid)
        if (post is not None and post["deleted"]) or (photo is not None and photo.get("deleted")):
            return unsupported("GET", oid)
        fields = parse_fields(req.param("fields"))
        if photo is not None and oid in d["photos"]:
            obj = {"id": oid, "created_time": iso_time(photo["created"]),
                   "link": "https://www.facebook.com/photo.php?fbid=%s" % oid}
            if photo.get("message"):
                obj["name"] = photo["message"]
            if post is not None:
                obj["page_story_id"] = post["id"]
            return Response.json(obj)
        obj = _fb_render(post, fields)
        if fields:
            obj = {k: v for k, v in obj.items() if k in fields or k == "id"}
        return Response.json(obj)


def _fetch_image(url):
    """(bytes, None) or (None, error Response) for a photo 'url' parameter."""
    if not fakeapi.is_loopback_url(str(url)):
        return None, error(100, "(#100) url should represent a valid URL")
    try:
        _, body = fakeapi.fetch_local(str(url), CRAWLER_UA)
        return body, None
    except fakeapi.FetchError:
        return None, error(324, "(#324) Missing or invalid image file")


def fb_photos(state, req, pid):
    src = (req.files or {}).get("source")
    src_bytes = src.data if src is not None else None
    if src_bytes is None and req.form and isinstance(req.form.get("source"), str):
        src_bytes = req.form["source"].encode("utf-8")
    url = req.param("url")
    if src_bytes is not None and url:
        return error(100, "(#100) Only one of url or source may be specified")
    if src_bytes is None and not url:
        return error(324, "(#324) Requires upload file")
    if url:
        src_bytes, err = _fetch_image(url)
        if err:
            return err
    if len(src_bytes) > FB_MAX_PHOTO:
        return error(100, "Invalid parameter", subcode=1366046, title="Can't Upload Photos",
                     user_msg="Your photos couldn't be uploaded. Photos should be smaller than 4 MB "
                              "and saved as JPG, PNG, GIF, TIFF, HEIF or WebP files.")
    kind, _, _ = fakeapi.sniff_image(src_bytes)
    if kind is None:
        return error(100, "Invalid parameter", subcode=2069019, title="Invalid File",
                     user_msg="The file you selected is in a format that isn't supported.")
    message = req.param("message")
    if message is None:
        message = req.param("caption")
    message = "" if message is None else str(message)
    published = parse_bool(req.param("published"), True)
    alt = req.param("alt_text_custom")
    now = int(state.now())
    with state.lock:
        d = data(state)
        photo_id = str(state.next_id("fb", 1100220033004400))
        photo = {"id": photo_id, "page": pid, "sha256": fakeapi.sha256_hex(src_bytes),
                 "published": published, "attached": False, "created": now, "message": message,
                 "post": None, "alt_text": alt}
        d["photos"][photo_id] = photo
        if not published:
            return Response.json({"id": photo_id})
        post_id = "%s_%s" % (pid, photo_id)
        post = state.add_post(network="facebook", account=pid, id=post_id, photo_id=photo_id,
                              text=message, raw_text=message, image_sha256=photo["sha256"],
                              images=[photo["sha256"]], alt_text=alt, created_time=now,
                              permalink="https://www.facebook.com/%s" % post_id, kind="photo")
        photo["post"] = post
        d["fb_posts"][post_id] = post
    return Response.json({"id": photo_id, "post_id": post_id})


def _attached_media(req):
    """List of media_fbid strings from JSON list, JSON string or attached_media[N] form keys."""
    val = req.param("attached_media")
    items = []
    if isinstance(val, str):
        try:
            val = json.loads(val)
        except ValueError:
            val = None
    if isinstance(val, list):
        items = val
    else:
        keyed = []
        for src in (req.form or {}), req.query:
            for k, v in src.items():
                m = re.fullmatch(r"attached_media\[(\d+)\]", k)
                if m:
                    keyed.append((int(m.group(1)), first(v)))
        for _, v in sorted(keyed):
            try:
                items.append(json.loads(v) if isinstance(v, str) else v)
            except ValueError:
                items.append({"media_fbid": None})
    out = []
    for it in items:
        if isinstance(it, dict):
            out.append(str(it.get("media_fbid")) if it.get("media_fbid") is not None else None)
        else:
            out.append(None)
    return out


def fb_feed(state, req, pid):
    message = req.param("message")
    message = "" if message is None else str(message)
    link = req.param("link")
    media = _attached_media(req)
    published = parse_bool(req.param("published"), True)
    if not message.strip() and not link and not media:
        return error(100, "(#100) Missing message or attachment")
    if link and not re.match(r"https?://[^\s/]+", str(link)):
        return error(100, "(#100) The parameter link must be a valid URL", subcode=1609005)
    now = int(state.now())
    with state.lock:
        d = data(state)
        photos = []
        for i, fbid in enumerate(media):
            ph = d["photos"].get(fbid) if fbid else None
            if ph is None or ph["page"] != pid or ph["published"] or ph["attached"] or ph.get("deleted"):
                return error(100, "(#100) param attached_media[%d] must be a valid media fbid "
                                  "of an unpublished photo of this page" % i)
            photos.append(ph)
        if message:
            prev = [p for p in state.posts if p["network"] == "facebook" and p["account"] == pid
                    and not p["deleted"]]
            if prev and prev[-1].get("text") == message:
                return error(506, subcode=1455006, title="Duplicate Status Update",
                             user_msg="This status update is identical to the last one you "
                                      "posted. Try posting something different, or delete "
                                      "your previous update.")
        post_id = "%s_%d" % (pid, state.next_id("fb", 1100220033004400))
        for ph in photos:
            ph["attached"] = True
        shas = [ph["sha256"] for ph in photos]
        post = state.add_post(network="facebook", account=pid, id=post_id, text=message,
                              raw_text=message, image_sha256=shas[0] if shas else None,
                              images=shas, photo_ids=[ph["id"] for ph in photos],
                              link=str(link) if link else None,
                              alt_text=photos[0].get("alt_text") if photos else None,
                              created_time=now, published=published,
                              permalink="https://www.facebook.com/%s" % post_id, kind="feed")
        for ph in photos:
            ph["post"] = post
        d["fb_posts"][post_id] = post
    return Response.json({"id": post_id})


# --------------------------------------------------------------------------
# Instagram
# --------------------------------------------------------------------------

def _ig_cfg(state, uid):
    return _ig_users(state).get(uid) or {}


def ig_user_node(state, req, uid, me=False):
    fields = parse_fields(req.param("fields")) or (["user_id", "username"] if me else ["id"])
    with state.lock:
        u = _ig_cfg(state, uid)
        n_media = sum(1 for p in state.posts if p["network"] == "instagram"
                      and p["account"] == uid and not p["deleted"])
        vals = {"id": uid, "user_id": uid, "username": u.get("username", "user%s" % uid[-4:]),
                "name": u.get("name", u.get("username", "")), "account_type": "BUSINESS",
                "media_count": n_media, "followers_count": u.get("followers_count", 321),
                "follows_count": 12, "biography": u.get("biography", ""),
                "profile_picture_url": "https://scontent.cdninstagram.com/%s.jpg" % uid}
    obj = {f: vals[f] for f in fields if f in vals}
    obj["id"] = uid
    return Response.json(obj)


def _count_hashtags(text):
    return len(re.findall(r"(?<![\w&])#\w+", text))


def _count_mentions(text):
    return len(re.findall(r"(?<![\w])@[\w.]+", text))


def _in_window(times, now, window=86400):
    return [t for t in times if t > now - window]


def ig_create_container(state, req, uid):
    u = _ig_cfg(state, uid)
    media_type = req.param("media_type")
    if media_type not in (None, "", "IMAGE"):
        return error(100, "The media type is not supported by the fake server", subcode=2207023,
                     title="Unknown media type", user_msg="The media type entered is not supported.")
    image_url = req.param("image_url")
    caption = req.param("caption")
    caption = "" if caption is None else str(caption)
    alt = req.param("alt_text")
    if not image_url:
        return error(100, "(#100) The parameter image_url is required.")
    if len(caption) > 2200 or _count_hashtags(caption) > int(u.get("max_hashtags", 30)):
        return error(36004, subcode=2207010, title="Caption too long",
                     user_msg="The caption is too long or has too many hashtags. It should be "
                              "at most 2200 characters and 30 hashtags.")
    if _count_mentions(caption) > int(u.get("max_mentions", 20)):
        return error(100, "Invalid parameter", subcode=2207040, title="Too many tags",
                     user_msg="Cannot use more than 20 tags per created media.")
    now = state.now()
    with state.lock:
        d = data(state)
        created = d["ig_created"].setdefault(uid, [])
        created[:] = _in_window(created, now)
        if len(created) >= int(u.get("container_limit", 400)):
            return error(4, "(#4) Application request limit reached", is_transient=True,
                         title="Container limit reached",
                         user_msg="The account created the maximum of %d media containers in "
                                  "24 hours." % int(u.get("container_limit", 400)))
    # Fetch like Meta's crawler would (outside the lock: the URL may be served by us).
    fetch_err = error(9004, subcode=2207052, title="Media download has failed.",
                      user_msg="The media could not be fetched from this URI: %s" % image_url)
    if not fakeapi.is_loopback_url(str(image_url)):
        return fetch_err
    try:
        ctype, body = fakeapi.fetch_local(str(image_url), CRAWLER_UA, max_bytes=IG_MAX_IMAGE + 1,
                                          timeout=float(u.get("fetch_timeout", 10)))
    except fakeapi.FetchError as e:
        if e.timeout:
            return error(-2, "Timeout", subcode=2207003, is_transient=True,
                         title="Media download timed out",
                         user_msg="It took too long to download the media. Please try again.")
        return fetch_err
    if len(body) > IG_MAX_IMAGE:
        return error(36000, subcode=2207004, title="Image size too large",
                     user_msg="The image is too large to download. It should be less than 8 MiB.")
    kind, w, h = fakeapi.sniff_image(body)
    if kind != "jpeg" or not w or not h:
        return error(36001, subcode=2207005, title="Unsupported format",
                     user_msg="The image format is not supported. Supported formats are: JPEG")
    ratio = w / float(h)
    if ratio < 0.8 - 1e-9 or ratio > 1.91 + 1e-9:
        return error(36003, subcode=2207009, title="Image aspect ratio not supported",
                     user_msg="The submitted image with aspect ratio ('%d/%d') cannot be published. "
                              "Please submit an image with a valid aspect ratio." % (w, h))
    with state.lock:
        d = data(state)
        cid = str(state.next_id("ig_container", 17889455560051444, 7))
        d["ig_created"].setdefault(uid, []).append(now)
        d["containers"][cid] = {
            "id": cid, "user": uid, "image_url": str(image_url), "caption": caption,
            "alt_text": alt, "image_sha256": sha256_hex(body), "width": w, "height": h,
            "content_type": ctype, "size": len(body), "created": now, "polls": 0,
            "forced_status": None, "status_text": None, "media_id": None,
        }
    return Response.json({"id": cid})


def _container_status(state, c, poll=False):
    """Current status_code of a container; a poll advances IN_PROGRESS."""
    if c["forced_status"]:
        return c["forced_status"]
    if c["media_id"]:
        return "PUBLISHED"
    u = _ig_cfg(state, c["user"])
    if state.now() > c["created"] + float(u.get("container_ttl", 86400)):
        return "EXPIRED"
    need = int(u.get("polls_until_finished", 0))
    if c["polls"] < need:
        if poll:
            c["polls"] += 1
        return "IN_PROGRESS"
    return "FINISHED"


STATUS_TEXT = {
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "PUBLISHED": "Published: Media has been successfully published.",
    "EXPIRED": "Expired: Media container was not published within 24 hours.",
    "ERROR": "Error: 2207001",
}


def ig_container_status(state, req, p, cid):
    with state.lock:
        c = data(state)["containers"][cid]
        if not _can_use_ig(state, p, c["user"]):
            return unsupported(req.method, cid)
        if req.method != "GET" or _unreadable(state, p, c["user"]):
            return unsupported(req.method, cid)
        fields = parse_fields(req.param("fields")) or ["id"]
        st = _container_status(state, c, poll=True)
        obj = {}
        for f in fields:
            if f == "status_code":
                obj["status_code"] = st
            elif f == "status":
                obj["status"] = c["status_text"] or STATUS_TEXT.get(st, st)
            elif f == "copyright_check_status":
                obj[f] = {"status": "completed", "matches_found": False}
        obj["id"] = cid
    return Response.json(obj)


def _shortcode(media_id):
    n = int(media_id)
    out = ""
    for _ in range(11):
        out = _SHORTCODE_ALPHABET[n % 64] + out
        n //= 64
    return "C" + out[1:]


def ig_media_publish(state, req, uid):
    cid = req.param("creation_id")
    if not cid:
        return error(100, "(#100) The parameter creation_id is required.")
    cid = str(cid)
    u = _ig_cfg(state, uid)
    now = state.now()
    with state.lock:
        d = data(state)
        c = d["containers"].get(cid)
        if c is None or c["user"] != uid:
            return error(24, "The media builder with creation id = %s does not exist or has been "
                             "expired." % cid, subcode=2207008, title="Media builder expired",
                         user_msg="The media builder does not exist or has expired.")
        st = _container_status(state, c)
        not_ready = error(9007, subcode=2207027, title="Media Not Ready For Publishing",
                          user_msg="The media is not ready for publishing, please wait for a moment")
        if st == "PUBLISHED":
            mode = u.get("republish", "not_available")
            if mode == "idempotent":
                return Response.json({"id": c["media_id"]})
            if mode == "invalid":
                return error(100, "Invalid parameter", subcode=2207008,
                             title="Media already published",
                             user_msg="This media container has already been published.")
            return not_ready
        if st == "EXPIRED":
            return error(-2, "The media you are trying to access has expired. Please try to "
                             "upload again.", subcode=2207020, title="Media expired",
                         user_msg="The media you are trying to access has expired. Please try "
                                  "to upload again.")
        if st in ("ERROR", "IN_PROGRESS"):
            return not_ready
        pubs = d["ig_publishes"].setdefault(uid, [])
        pubs[:] = _in_window(pubs, now)
        if len(pubs) >= int(u.get("quota_total", 50)):
            return error(9, "Application request limit reached", subcode=2207042,
                         title="Max number of posts reached",
                         user_msg="You reached the maximum number of posts that is allowed to be "
                                  "published by Content Publishing API.")
        media_id = str(state.next_id("ig_media", 17920238422030506, 11))
        c["media_id"] = media_id
        pubs.append(now)
        code = _shortcode(media_id)
        post = state.add_post(network="instagram", account=uid, id=media_id, text=c["caption"],
                              raw_text=c["caption"], image_sha256=c["image_sha256"],
                              images=[c["image_sha256"]], alt_text=c["alt_text"],
                              created_time=int(now), container_id=cid,
                              image_url=c["image_url"], shortcode=code,
                              permalink="https://www.instagram.com/p/%s/" % code)
        d["ig_media"][media_id] = post
    return Response.json({"id": media_id})


def ig_publishing_limit(state, req, uid):
    fields = parse_fields(req.param("fields"))
    now = state.now()
    since = _parse_time(req.param("since"))
    start = now - 86400 if since is None else max(now - 86400, since)
    with state.lock:
        pubs = data(state)["ig_publishes"].get(uid, [])
        used = sum(1 for t in pubs if t > start)
        q = int(_ig_cfg(state, uid).get("quota_total", 50))
    obj = {"quota_usage": used}
    if "config" in fields:
        obj["config"] = {"quota_total": q, "quota_duration": 86400}
    return Response.json({"data": [obj]})


def _ig_render(post, fields, username):
    vals = {"id": post["id"], "caption": post["text"], "timestamp": iso_time(post["created_time"]),
            "permalink": post["permalink"], "media_type": "IMAGE", "media_product_type": "FEED",
            "media_url": post.get("image_url"), "shortcode": post.get("shortcode"),
            "username": username, "like_count": 0, "comments_count": 0,
            "is_comment_enabled": True, "alt_text": post.get("alt_text")}
    obj = {f: vals[f] for f in fields if f in vals and vals[f] is not None}
    obj["id"] = post["id"]
    return obj


def ig_list_media(state, req, uid):
    fields = parse_fields(req.param("fields")) or ["id"]
    with state.lock:
        username = _ig_cfg(state, uid).get("username")
        items = [p for p in state.posts if p["network"] == "instagram" and p["account"] == uid
                 and not p["deleted"]]
        items = [p for _, p in sorted(enumerate(items), key=lambda ip: (ip[1]["created_time"], ip[0]),
                                      reverse=True)]
        return Response.json(_paged(req, items, lambda p: _ig_render(p, fields, username)))


def ig_media_node(state, req, p, mid):
    with state.lock:
        post = data(state)["ig_media"][mid]
        if not _can_use_ig(state, p, post["account"]) or post["deleted"]:
            return unsupported(req.method, mid)
        if req.method == "DELETE":
            post["deleted"] = True
            post["deleted_time"] = int(state.now())
            return Response.json({"success": True})
        if req.method != "GET" or _unreadable(state, p, post["account"]):
            return unsupported(req.method, mid)
        fields = parse_fields(req.param("fields")) or ["id"]
        return Response.json(_ig_render(post, fields, _ig_cfg(state, post["account"]).get("username")))


def ig_refresh_token(state, req):
    """GET /refresh_access_token?grant_type=ig_refresh_token&access_token=T.

    The new token replaces the old one; the old one keeps working for
    `refresh_grace_seconds` (default 60) and then gets 190/460.
    """
    if req.param("grant_type") != "ig_refresh_token":
        return error(100, "Unsupported grant_type: expected ig_refresh_token", etype="IGApiException")
    p, err = authenticate(state, req)
    if err:
        return err
    if p["kind"] != "ig":
        return error(190, "Invalid OAuth access token - the token is not an Instagram user token")
    now = int(state.now())
    with state.lock:
        u = p["cfg"]
        old = u.get("token")
        new = fakeapi.random_token("IGAA", 64)
        grace = float(u.get("refresh_grace_seconds", 60))
        olds = u.setdefault("old_tokens", {})
        if old:
            olds[old] = now + grace
        u["token"] = new
        u["token_issued_at"] = now
        expires_in = int(u.get("token_expires_in", IG_REFRESH_EXPIRES_IN))
        u["token_expires_at"] = now + expires_in
        u["refresh_count"] = int(u.get("refresh_count", 0)) + 1
        u["last_refreshed_at"] = now
    return Response.json({"access_token": new, "token_type": "bearer", "expires_in": expires_in})


# --------------------------------------------------------------------------
# control API
# --------------------------------------------------------------------------

def control(state, method, name, body, req):
    """Meta parts of /_fake/tokens and /_fake/containers."""
    def ok(obj, status=200):
        return Response.json(obj, status, "application/json")

    if name == "tokens" and method == "POST" and body.get("network") in ("facebook", "instagram"):
        net, oid = body["network"], str(body.get("id", ""))
        with state.lock:
            table = _pages(state) if net == "facebook" else _ig_users(state)
            if oid not in table:
                return ok({"error": "unknown %s id %s" % (net, oid)}, 404)
            cfg = table[oid]
            if body.get("token"):
                if cfg.get("token"):
                    cfg.setdefault("replaced_tokens", []).append(cfg["token"])
                cfg["token"] = body["token"]
                cfg["token_issued_at"] = int(state.now())
                if net == "instagram" and cfg.get("token_expires_in"):
                    cfg["token_expires_at"] = int(state.now()) + int(cfg["token_expires_in"])
            for flag in ("expired", "revoked"):
                if flag in body:
                    cfg[flag] = bool(body[flag])
            if body.get("expired") and net == "facebook":
                cfg["expired_at"] = int(state.now()) - 3600
            if net == "instagram" and body.get("expired") is False and cfg.get("token_expires_at") \
                    and cfg["token_expires_at"] < state.now():
                ttl = int(cfg.get("token_expires_in", IG_REFRESH_EXPIRES_IN))
                cfg["token_expires_at"] = int(state.now()) + ttl
        return ok({"ok": True})
    if name == "tokens" and method == "GET":
        return None  # assembled by tokens_info()
    if name == "containers":
        if method == "GET":
            with state.lock:
                out = []
                for c in data(state)["containers"].values():
                    item = {k: v for k, v in c.items()}
                    item["status_code"] = _container_status(state, c)
                    out.append(item)
                return ok(out)
        if method == "POST":
            cid = str(body.get("id", ""))
            with state.lock:
                c = data(state)["containers"].get(cid)
                if c is None:
                    return ok({"error": "unknown container %s" % cid}, 404)
                st = body.get("status")
                if st not in (None, "EXPIRED", "ERROR", "FINISHED", "IN_PROGRESS", "PUBLISHED"):
                    return ok({"error": "bad status"}, 400)
                c["forced_status"] = st if st not in (None, "FINISHED") else None
                if st == "FINISHED":
                    c["polls"] = 10 ** 9
                c["status_text"] = body.get("status_text")
            return ok({"ok": True})
    return None


def tokens_info(state):
    """Token state for GET /_fake/tokens."""
    with state.lock:
        fb = {pid: {k: p.get(k) for k in ("token", "expired", "revoked", "token_issued_at")}
              for pid, p in _pages(state).items()}
        ig = {}
        for uid, u in _ig_users(state).items():
            ig[uid] = {k: u.get(k) for k in ("token", "expired", "revoked", "token_issued_at",
                                             "token_expires_at", "refresh_count",
                                             "last_refreshed_at", "login")}
            ig[uid]["old_tokens"] = dict(u.get("old_tokens") or {})
    return {"facebook": fb, "instagram": ig}
