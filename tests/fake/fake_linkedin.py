"""Fake LinkedIn: REST Images + Posts API, image upload URLs, OAuth (docs/api-notes.md §LinkedIn).

Routes:
    POST   /rest/images?action=initializeUpload     -> upload URL + image URN
    PUT    /dms-uploads/<id>?...                    -> 201 (the upload URL we handed out)
    GET    /rest/images/<urn>                       -> WAITING_UPLOAD / PROCESSING / AVAILABLE
    POST   /rest/posts                              -> 201, x-restli-id: urn:li:share:N
    GET    /rest/posts?author=<urn>&q=author        -> finder, newest first
    GET    /rest/posts/<urn>, DELETE /rest/posts/<urn>
    GET    /v2/userinfo                             -> {"sub": ...} for member tokens
    GET    /dms-media/<id>                          -> image bytes (the downloadUrl)
    POST   /oauth/v2/accessToken, /oauth/v2/introspectToken   (network "oauth")

Config section "linkedin":
    tokens: {"<token>": {"author": URN, "member": bool, "scopes": [...], "expires_at": unix,
                         "expired": bool, "revoked": bool}}
    client_id, client_secret, refresh_tokens: {"<rt>": "<token>" | {"token", "expires_at", "revoked"}}
    auth_codes: {"<code>": {"author", "member", "scopes"}}   (authorization_code grant)
    sunset_versions: [...], min_version, max_version: "YYYYMM"
    polls_until_available (default 1), processing_seconds (default 2.0; null = polls only)
    urn_type: "share" | "ugcPost", ghost_duplicates: false, strict_finder_order: false
    upload_url_ttl: seconds (default 86400)
"""

import json
import random
import re
import urllib.parse

import fakeapi
from fakeapi import Response, first, sha256_hex

NETWORKS = ("linkedin", "oauth")
JSON = "application/json"
MAX_PIXELS = 36152320
MAX_COMMENTARY = 3000
ACCESS_TOKEN_TTL = 5184000
REFRESH_TOKEN_TTL = 31536000
RESERVED = set("\\|{}@[]()<>#*_~")
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

THROTTLE_MESSAGE = "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."


# --------------------------------------------------------------------------
# module data
# --------------------------------------------------------------------------

def _new_data():
    return {"images": {}, "posts": {}, "used_codes": set()}


def data(state):
    return state.module_data("linkedin", _new_data)


def reset(state):
    state.data.pop("linkedin", None)


def _cfg(state):
    return state.config.get("linkedin") or {}


def _tokens(state):
    return _cfg(state).setdefault("tokens", {}) if "linkedin" in state.config else {}


def config_changed(state):
    """Stamp issue times on configured tokens and refresh tokens."""
    now = int(state.now())
    with state.lock:
        cfg = state.config.get("linkedin")
        if not cfg:
            return
        for t in (cfg.get("tokens") or {}).values():
            t.setdefault("issued_at", now)
        rts = cfg.get("refresh_tokens") or {}
        for rt, v in list(rts.items()):
            if isinstance(v, str):
                rts[rt] = {"token": v, "issued_at": now}
            elif isinstance(v, dict):
                v.setdefault("issued_at", now)


# --------------------------------------------------------------------------
# responses
# --------------------------------------------------------------------------

def _li_headers():
    return [("x-li-uuid", "".join(random.choice("0123456789abcdef") for _ in range(32))),
            ("x-li-fabric", "prod-lor1"), ("x-li-proto", "http/1.1")]


def li_json(obj, status=200, headers=None):
    return Response.json(obj, status, JSON, list(headers or []) + _li_headers())


def li_error(status, message, code=None, service_code=None):
    """{"status","serviceErrorCode","code","message"} shape (keys only when given)."""
    body = {"status": status}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    if code is not None:
        body["code"] = code
    body["message"] = message
    return li_json(body, status)


def input_error(status, code, field, description, message=None):
    """Rest.li validation error with errorDetails.inputErrors (like the §3.6 422 body)."""
    inp = {"inputPath": {"fieldPath": field}} if field else {}
    body = {"errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": message or ("com.linkedin.content.common.exception.BadRequestResponseException: "
                                   "%s" % description),
            "errorDetails": {"inputErrors": [{"description": description, "input": inp, "code": code}]},
            "status": status}
    return li_json(body, status)


def access_denied(resource, version):
    return li_error(403, "Not enough permissions to access: %s.%s01" % (resource, version),
                    "ACCESS_DENIED", 100)


def fault_error(state, req, action):
    """Response for the 'linkedin_error' fault action."""
    status = int(action.get("status", 500))
    defaults = {429: THROTTLE_MESSAGE, 500: "Internal Server Error", 502: "Bad Gateway",
                503: "Service Unavailable", 504: "Gateway Timeout", 409: "Conflict",
                401: "Invalid access token", 403: "Not enough permissions to access this resource"}
    svc = action.get("serviceErrorCode", 101 if status == 429 else None)
    body = {"status": status}
    if svc is not None:
        body["serviceErrorCode"] = svc
    if action.get("code"):
        body["code"] = action["code"]
    message = action.get("message") or defaults.get(status, "Error")
    if "{token}" in message:
        # Quoting the request's token back, as Graph does ("Malformed
        # access token <token>"): what ritual must scrub.
        message = message.replace("{token}", _bearer(req) or "")
    body["message"] = message
    extra = list((action.get("headers") or {}).items())
    return Response.json(body, status, JSON, extra)   # no rate-limit headers, no Retry-After


# --------------------------------------------------------------------------
# auth and versions
# --------------------------------------------------------------------------

def _bearer(req):
    auth = req.header("authorization") or ""
    m = re.match(r"\s*Bearer\s+(\S+)", auth, re.I)
    return m.group(1) if m else None


def _token_status(state, tcfg):
    if tcfg.get("revoked"):
        return "revoked"
    if tcfg.get("expired") or (tcfg.get("expires_at") and state.now() > float(tcfg["expires_at"])):
        return "expired"
    return "active"


def authenticate(state, req):
    """(token string, token cfg, None) or (None, None, error Response)."""
    tok = _bearer(req)
    if not tok:
        return None, None, li_error(401, "Empty oauth2 access token", "EMPTY_ACCESS_TOKEN", 65604)
    with state.lock:
        tcfg = _tokens(state).get(tok)
        st = _token_status(state, tcfg) if tcfg else None
    if tcfg is None:
        # observed body has no "code" (docs/api-notes.md §LinkedIn errors)
        return None, None, li_json({"serviceErrorCode": 65600, "message": "Invalid access token",
                                    "status": 401}, 401)
    if st == "revoked":
        return None, None, li_error(401, "The token used in the request has been revoked by the user",
                                    "REVOKED_ACCESS_TOKEN", 65601)
    if st == "expired":
        return None, None, li_error(401, "The token used in the request has expired",
                                    "EXPIRED_ACCESS_TOKEN", 65602)
    return tok, tcfg, None


def check_version(state, req):
    """(YYYYMM, None) or (None, error Response) from the LinkedIn-Version header."""
    v = req.header("linkedin-version")
    if v is None:
        return None, li_error(400, "A version must be present. Please specify a version by adding "
                                   "the LinkedIn-Version header.", "VERSION_MISSING")
    v = v.strip()
    m = re.fullmatch(r"(\d{4})(\d{2})(?:\.(\d{2}))?", v)
    if not m:
        return None, li_error(400, "Invalid version format: %s. Versions are of the form YYYYMM or "
                                   "YYYYMM.RR" % v, "INVALID_VERSION")
    base = m.group(1) + m.group(2)
    cfg = _cfg(state)
    sunset = {str(x) for x in cfg.get("sunset_versions") or []}
    bad = (base in sunset or not 1 <= int(m.group(2)) <= 12
           or (cfg.get("min_version") and base < str(cfg["min_version"]))
           or (cfg.get("max_version") and base > str(cfg["max_version"])))
    if bad:
        return None, li_json({"status": 426, "code": "NONEXISTENT_VERSION",
                              "message": "Requested version %s01 is not active" % base}, 426)
    proto = req.header("x-restli-protocol-version")
    if proto is None or proto.strip() != "2.0.0":
        return None, li_error(400, "Header X-Restli-Protocol-Version: 2.0.0 is required for this "
                                   "API (got %s)" % (proto or "none"), "ILLEGAL_ARGUMENT")
    return base, None


def check_finder_method(state, req):
    """A finder call (any `q=` parameter) must say X-RestLi-Method: FINDER.

    LinkedIn's documentation samples and its own client send it; the fake
    refuses a finder without it (400, *invented* body in LinkedIn's error
    shape) so a client that forgets it fails in tests. `require_finder_method:
    false` in the linkedin config turns the check off.
    """
    if "q" not in req.query or req.method != "GET":
        return None
    if not _cfg(state).get("require_finder_method", True):
        return None
    method = (req.header("x-restli-method") or "").strip()
    if method.upper() == "FINDER":
        return None
    return li_error(400, "Finder request (q=%s) requires the header X-RestLi-Method: FINDER"
                    % first(req.query.get("q")), "ILLEGAL_ARGUMENT")


def _is_org(urn):
    return str(urn).startswith("urn:li:organization:")


def _needed_scope(author):
    return "w_organization_social" if _is_org(author) else "w_member_social"


# --------------------------------------------------------------------------
# routing
# --------------------------------------------------------------------------

def classify(state, req):
    p = req.path
    if p.startswith("/rest/") or p == "/rest" or p.startswith("/dms-uploads/") \
            or p.startswith("/dms-media/") or p == "/v2/userinfo":
        return "linkedin"
    if p.startswith("/oauth/v2/"):
        return "oauth"
    return None


def decorate(state, req, resp):
    if req.path.startswith("/rest/") and resp.header("x-restli-protocol-version") is None:
        resp.headers.append(("x-restli-protocol-version", "2.0.0"))


def handle(state, req):
    p = req.path
    if p.startswith("/oauth/v2/"):
        return handle_oauth(state, req)
    if p.startswith("/dms-uploads/"):
        return upload(state, req)
    if p.startswith("/dms-media/"):
        return download(state, req)
    if p == "/v2/userinfo":
        return userinfo(state, req)
    version, err = check_version(state, req)
    if err:
        return err
    tok, tcfg, err = authenticate(state, req)
    if err:
        return err
    err = check_finder_method(state, req)
    if err:
        return err
    segs = req.segments()[1:]          # after "rest"
    m = req.method
    if segs == ["images"] and m == "POST":
        return init_upload(state, req, tcfg, version)
    if len(segs) == 2 and segs[0] == "images" and m == "GET":
        return get_image(state, req, tcfg, version, segs[1])
    if segs == ["posts"] and m == "POST":
        return create_post(state, req, tcfg, version)
    if segs == ["posts"] and m == "GET":
        return find_posts(state, req, tcfg, version)
    if len(segs) == 2 and segs[0] == "posts" and m in ("GET", "DELETE"):
        return post_by_urn(state, req, tcfg, version, segs[1])
    return li_json({"message": "Resource %s does not exist" % (segs[0] if segs else "/"),
                    "status": 404}, 404)


# --------------------------------------------------------------------------
# images
# --------------------------------------------------------------------------

def _image_id(n):
    # multiplying by a unit mod 62^10 maps counters to distinct random-looking ids
    v = (n * 158188735595144235 + 43 * 62 ** 9 + 17) % (62 ** 10)
    s = ""
    for _ in range(10):
        s = _B62[v % 62] + s
        v //= 62
    return "D4E10AQ" + s


def _image_status(state, img, poll=False):
    """WAITING_UPLOAD, PROCESSING, AVAILABLE or PROCESSING_FAILED (a poll may advance it)."""
    if img.get("forced_status"):
        return img["forced_status"]
    if img["uploads"] == 0:
        return "WAITING_UPLOAD"
    if img["failed"]:
        return "PROCESSING_FAILED"
    cfg = _cfg(state)
    need = int(cfg.get("polls_until_available", 1))
    secs = cfg.get("processing_seconds", 2.0)
    if img["polls"] >= need or (secs is not None and state.now() - img["uploaded_at"] >= float(secs)):
        return "AVAILABLE"
    if poll:
        img["polls"] += 1
    return "PROCESSING"


def init_upload(state, req, tcfg, version):
    if first(req.query.get("action")) != "initializeUpload":
        return li_error(400, "Action parameter 'action=initializeUpload' is required", "ILLEGAL_ARGUMENT")
    if req.json_error or not isinstance(req.json, dict):
        return li_error(400, "Request body is not valid JSON", "ILLEGAL_ARGUMENT")
    owner = (req.json.get("initializeUploadRequest") or {}).get("owner")
    if not owner:
        return input_error(400, "MISSING_FIELD", "/initializeUploadRequest/owner",
                           "Field /initializeUploadRequest/owner is required")
    if owner != tcfg.get("author") or _needed_scope(owner) not in (tcfg.get("scopes") or []):
        return access_denied("partnerApiImages.ACTION-initializeUpload", version)
    now = state.now()
    with state.lock:
        iid = _image_id(state.next_id("li_image", 1))
        m_sig = fakeapi.random_token("AQ", 30)
        ut = fakeapi.random_token("", 14)
        query = urllib.parse.urlencode([("ca", "vector_feedshare"), ("cn", "uploads"), ("m", m_sig),
                                        ("app", "201094746"), ("sync", "0"), ("v", "beta"), ("ut", ut)])
        expires = now + float(_cfg(state).get("upload_url_ttl", 86400))
        data(state)["images"][iid] = {
            "id": iid, "urn": "urn:li:image:" + iid, "owner": owner, "created": now,
            "upload_path": "/dms-uploads/" + iid, "upload_query": query, "expires": expires,
            "uploads": 0, "failed": False, "polls": 0, "uploaded_at": None, "sha256": None,
            "size": None, "kind": None, "width": None, "height": None, "pixels": None,
            "bytes": None, "forced_status": None, "content_type": None,
        }
        url = "%s/dms-uploads/%s?%s" % (req.base_url, iid, query)
    return li_json({"value": {"uploadUrlExpiresAt": int(expires * 1000), "uploadUrl": url,
                              "image": "urn:li:image:" + iid}})


def upload(state, req):
    iid = urllib.parse.unquote(req.path[len("/dms-uploads/"):]).strip("/")
    with state.lock:
        img = data(state)["images"].get(iid)
    if img is None:
        return li_json({"message": "Not Found", "status": 404}, 404)
    if req.method != "PUT":
        return Response(405, b"", [("Allow", "PUT")], "text/plain")
    tok, tcfg, err = authenticate(state, req)
    if err:
        return err
    if tcfg.get("author") != img["owner"]:
        return li_error(403, "Not enough permissions to upload to this URL", "ACCESS_DENIED", 100)
    if req.query_string != img["upload_query"]:
        return li_error(403, "Upload URL signature does not match (the URL must be used verbatim)",
                        "ACCESS_DENIED")
    if state.now() > img["expires"]:
        return li_error(400, "Upload URL has expired", "UPLOAD_URL_EXPIRED")
    body = req.body
    kind, w, h = fakeapi.sniff_image(body)
    with state.lock:
        img["uploads"] += 1
        img["overwritten"] = img["uploads"] > 1
        img["uploaded_at"] = state.now()
        img["polls"] = 0
        img["sha256"] = sha256_hex(body)
        img["size"] = len(body)
        img["bytes"] = body
        img["content_type"] = req.header("content-type")
        img["kind"], img["width"], img["height"] = kind, w, h
        img["pixels"] = (w * h) if (w and h) else None
        img["failed"] = kind not in ("jpeg", "png", "gif") or not img["pixels"] \
            or img["pixels"] >= MAX_PIXELS
        for post in state.posts:            # make a later overwrite visible on posts using it
            for info in post.get("images_info") or []:
                if info["urn"] == img["urn"]:
                    info["overwritten"] = img["overwritten"]
                    info["uploads"] = img["uploads"]
                    info["sha256_now"] = img["sha256"]
    return Response(201, b"", _li_headers())


def download(state, req):
    iid = req.path[len("/dms-media/"):].strip("/")
    with state.lock:
        img = data(state)["images"].get(iid)
        if img is None or not img.get("bytes"):
            return Response(404, b"Not Found\n", None, "text/plain")
        ctype = {"jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif"}.get(img["kind"],
                                                                                 "application/octet-stream")
        return Response(200, img["bytes"], None, ctype)


def _image_json(state, req, img, status):
    obj = {"owner": img["owner"], "id": img["urn"], "status": status}
    if status == "AVAILABLE":
        obj["downloadUrl"] = "%s/dms-media/%s" % (req.base_url, img["id"])
        obj["downloadUrlExpiresAt"] = int((state.now() + 86400) * 1000)
    return obj


def get_image(state, req, tcfg, version, urn):
    if tcfg.get("member"):
        return access_denied("partnerApiImages.GET", version)
    m = re.fullmatch(r"urn:li:image:(.+)", urn)
    with state.lock:
        img = data(state)["images"].get(m.group(1)) if m else None
        if img is None:
            return li_error(404, "Image %s does not exist" % urn, "NOT_FOUND")
        if img["owner"] != tcfg.get("author"):
            return access_denied("partnerApiImages.GET", version)
        st = _image_status(state, img, poll=True)
        return li_json(_image_json(state, req, img, st))


# --------------------------------------------------------------------------
# little text
# --------------------------------------------------------------------------

TEMPLATE_RE = re.compile(r"\{hashtag\|\\#\|(\w+)\}")
MENTION_RE = re.compile(r"@\[((?:[^\[\]\\]|\\.)+)\]\((urn:li:[A-Za-z]+:[A-Za-z0-9_\-]+)\)")
HASHTAG_RE = re.compile(r"#[^\W_]+")


def little_text(s):
    """Apply LinkedIn's silent truncation (docs/api-notes.md §LinkedIn little text).

    Returns (kept_raw, display, truncated): kept_raw is the commentary cut at
    the first unescaped reserved character that does not start a valid element
    (`\\X` escape, `{hashtag|\\#|word}`, `@[Name](urn:li:...)`, `#word`);
    display is kept_raw as shown to readers (escapes removed, hashtag
    templates shown as #word, mentions as the name).
    """
    out = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "\\":
            if i + 1 < n:
                out.append(s[i + 1])
                i += 2
                continue
            break
        if c == "{":
            m = TEMPLATE_RE.match(s, i)
            if not m:
                break
            out.append("#" + m.group(1))
            i = m.end()
            continue
        if c == "@":
            m = MENTION_RE.match(s, i)
            if not m:
                break
            out.append(re.sub(r"\\(.)", r"\1", m.group(1)))
            i = m.end()
            continue
        if c == "#":
            m = HASHTAG_RE.match(s, i)
            if not m:
                break
            out.append(m.group(0))
            i = m.end()
            continue
        if c in RESERVED:
            break
        out.append(c)
        i += 1
    return s[:i], "".join(out), i < n


# --------------------------------------------------------------------------
# posts
# --------------------------------------------------------------------------

VISIBILITY = ("PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER")
LIFECYCLE = ("PUBLISHED", "DRAFT", "PUBLISH_REQUESTED", "PUBLISHED_EDITED")
FEED = ("MAIN_FEED", "NONE")


def _check_image_ref(state, urn, author, field):
    """(image dict, None) or (None, error Response) for a media reference in a post."""
    m = re.fullmatch(r"urn:li:image:(.+)", str(urn or ""))
    if not m:
        return None, input_error(400, "INVALID_URN_TYPE", field,
                                 "Media URN %s is not an image URN (only images are supported "
                                 "by the fake)" % urn)
    img = data(state)["images"].get(m.group(1))
    if img is None or img["owner"] != author:
        return None, input_error(400, "INVALID_VALUE_FOR_FIELD", field,
                                 "Media asset %s does not exist or is not owned by %s" % (urn, author))
    st = _image_status(state, img)
    if st == "WAITING_UPLOAD":
        return None, input_error(400, "MEDIA_ASSET_WAITING_UPLOAD", field,
                                 "Media asset %s is waiting for upload" % urn)
    if st == "PROCESSING":
        return None, input_error(400, "MEDIA_ASSET_PROCESSING", field,
                                 "Media asset %s is still processing" % urn)
    if st == "PROCESSING_FAILED":
        return None, input_error(400, "MEDIA_ASSET_PROCESSING_FAILED", field,
                                 "Media asset %s processing failed" % urn)
    return img, None


def create_post(state, req, tcfg, version):
    if req.json_error or not isinstance(req.json, dict):
        return li_error(400, "Request body is not valid JSON", "ILLEGAL_ARGUMENT")
    b = req.json
    author = b.get("author")
    if not author:
        return input_error(400, "MISSING_FIELD", "/author", "Field /author is required")
    if not re.fullmatch(r"urn:li:(organization|person):[A-Za-z0-9_\-]+", str(author)):
        return input_error(400, "INVALID_URN_TYPE", "/author", "Author %s is not a person or "
                                                               "organization URN" % author)
    if author != tcfg.get("author") or _needed_scope(author) not in (tcfg.get("scopes") or []):
        return access_denied("partnerApiPostsExternal.CREATE", version)
    for field in ("visibility", "distribution", "lifecycleState"):
        if field not in b:
            return input_error(400, "MISSING_FIELD", "/" + field, "Field /%s is required" % field)
    if b["visibility"] not in VISIBILITY:
        return input_error(400, "INVALID_VALUE_FOR_FIELD", "/visibility",
                           "Invalid value %s for /visibility" % b["visibility"])
    if b["lifecycleState"] not in LIFECYCLE:
        return input_error(400, "INVALID_VALUE_FOR_FIELD", "/lifecycleState",
                           "Invalid value %s for /lifecycleState" % b["lifecycleState"])
    dist = b["distribution"] if isinstance(b["distribution"], dict) else {}
    if "feedDistribution" not in dist:
        return input_error(400, "MISSING_FIELD", "/distribution/feedDistribution",
                           "Field /distribution/feedDistribution is required")
    if dist["feedDistribution"] not in FEED:
        return input_error(400, "INVALID_VALUE_FOR_FIELD", "/distribution/feedDistribution",
                           "Invalid value for /distribution/feedDistribution")
    commentary = b.get("commentary", "")
    if not isinstance(commentary, str):
        return input_error(400, "INVALID_VALUE_FOR_FIELD", "/commentary", "commentary must be a string")
    if len(commentary) > MAX_COMMENTARY:
        return input_error(400, "FIELD_LENGTH_TOO_LONG", "/commentary",
                           "Text is too long: %d characters (max %d)" % (len(commentary), MAX_COMMENTARY))
    content = b.get("content")
    with state.lock:
        refs = []     # (urn, alt, field)
        link = None
        if content is not None:
            if not isinstance(content, dict):
                return input_error(400, "INVALID_VALUE_FOR_FIELD", "/content", "content must be an object")
            if "media" in content:
                med = content["media"] or {}
                if not med.get("id"):
                    return input_error(400, "MISSING_FIELD", "/content/media/id", "Field /content/media/id is required")
                refs.append((med["id"], med.get("altText"), "/content/media/id"))
            elif "multiImage" in content:
                imgs = (content["multiImage"] or {}).get("images") or []
                if not 2 <= len(imgs) <= 20:
                    return input_error(400, "INVALID_VALUE_FOR_FIELD", "/content/multiImage/images",
                                       "multiImage needs 2 to 20 images")
                for k, it in enumerate(imgs):
                    refs.append((it.get("id"), it.get("altText"), "/content/multiImage/images/%d/id" % k))
            elif "article" in content:
                art = content["article"] or {}
                if not art.get("source"):
                    return input_error(400, "MISSING_FIELD", "/content/article/source",
                                       "Field /content/article/source is required")
                link = art["source"]
                if art.get("thumbnail"):
                    refs.append((art["thumbnail"], None, "/content/article/thumbnail"))
            else:
                return input_error(400, "INVALID_VALUE_FOR_FIELD", "/content",
                                   "Unsupported content type %s" % ",".join(content))
        images = []
        for urn, alt, field in refs:
            img, err = _check_image_ref(state, urn, author, field)
            if err:
                return err
            images.append((img, alt))
        if commentary.strip():
            ghosts = bool(_cfg(state).get("ghost_duplicates"))
            for p in state.posts:
                if p["network"] == "linkedin" and p["account"] == author \
                        and p["raw_text"] == commentary and (ghosts or not p["deleted"]):
                    return li_json({
                        "errorDetailType": "com.linkedin.common.error.BadRequest",
                        "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
                                   "Content is a duplicate of %s" % p["id"],
                        "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected",
                                                          "input": {}, "code": "DUPLICATE_POST"}]},
                        "status": 422}, 422)
        kept, display, truncated = little_text(commentary)
        urn_type = _cfg(state).get("urn_type", "share")
        urn = "urn:li:%s:%d" % (urn_type, state.next_id("li_post", 7301234567890123456))
        now = state.now()
        infos = [{"urn": img["urn"], "sha256": img["sha256"], "overwritten": bool(img.get("overwritten")),
                  "uploads": img["uploads"], "status": _image_status(state, img), "alt_text": alt,
                  "pixels": img["pixels"]} for img, alt in images]
        media_images = [i for i in infos if not (link and content and "article" in content)]
        post = state.add_post(
            network="linkedin", account=author, id=urn, text=display, raw_text=commentary,
            stored_commentary=kept, truncated=truncated,
            image_sha256=media_images[0]["sha256"] if media_images else None,
            images=[i["sha256"] for i in media_images], images_info=infos,
            image=infos[0] if infos else None, link=link,
            alt_text=(images[0][1] if images else None), created_time=int(now),
            permalink="https://www.linkedin.com/feed/update/%s/" % urn,
            lifecycle_state=b["lifecycleState"], visibility=b["visibility"],
            body={"author": author, "commentary": kept, "visibility": b["visibility"],
                  "distribution": dist, "content": content, "lifecycleState": b["lifecycleState"],
                  "isReshareDisabledByAuthor": bool(b.get("isReshareDisabledByAuthor", False))},
            created_ms=int(now * 1000))
        data(state)["posts"][urn] = post
    return Response(201, b"", [("x-restli-id", urn),
                               ("Location", "/rest/posts/" + urllib.parse.quote(urn, safe=""))]
                    + _li_headers())


def _post_json(post):
    b = post["body"]
    obj = {"id": post["id"], "author": b["author"], "commentary": b["commentary"],
           "visibility": b["visibility"], "lifecycleState": b["lifecycleState"],
           "createdAt": post["created_ms"], "publishedAt": post["created_ms"],
           "lastModifiedAt": post["created_ms"], "distribution": b["distribution"],
           "isReshareDisabledByAuthor": b["isReshareDisabledByAuthor"],
           "lifecycleStateInfo": {"isEditedByAuthor": False}}
    if b.get("content") is not None:
        obj["content"] = b["content"]
    return obj


def find_posts(state, req, tcfg, version):
    if first(req.query.get("q")) != "author":
        return li_error(400, "Finder parameter q=author is required", "ILLEGAL_ARGUMENT")
    author = first(req.query.get("author"))
    if not author:
        return li_error(400, "Parameter author is required for finder author", "ILLEGAL_ARGUMENT")
    if _cfg(state).get("strict_finder_order"):
        qs = req.query_string
        if qs.find("q=author") < qs.find("author="):
            return li_error(400, "Illegal argument: author must precede q=author", "ILLEGAL_ARGUMENT")
    if tcfg.get("member") or author != tcfg.get("author") \
            or "r_organization_social" not in (tcfg.get("scopes") or []):
        return access_denied("partnerApiPostsExternal.FINDER-author", version)
    try:
        count = max(1, min(100, int(first(req.query.get("count")) or 10)))
        start = max(0, int(first(req.query.get("start")) or 0))
    except ValueError:
        return li_error(400, "count/start must be integers", "ILLEGAL_ARGUMENT")
    with state.lock:
        items = [p for p in state.posts if p["network"] == "linkedin" and p["account"] == author
                 and not p["deleted"]]
        items = [p for _, p in sorted(enumerate(items), key=lambda ip: (ip[1]["created_ms"], ip[0]),
                                      reverse=True)]
        page = items[start:start + count]
        links = []
        if start + count < len(items):
            q = [(k, v) for k, v in req.query_pairs if k not in ("start",)] + [("start", str(start + count))]
            links.append({"type": "application/json", "rel": "next",
                          "href": "/rest/posts?" + urllib.parse.urlencode(q)})
        return li_json({"elements": [_post_json(p) for p in page],
                        "paging": {"start": start, "count": count, "links": links}})


def post_by_urn(state, req, tcfg, version, urn):
    with state.lock:
        post = data(state)["posts"].get(urn)
        if req.method == "GET":
            if tcfg.get("member"):
                return access_denied("partnerApiPostsExternal.GET", version)
            if post is None or post["deleted"]:
                return li_error(404, "Post %s does not exist" % urn, "NOT_FOUND")
            if post["account"] != tcfg.get("author"):
                return access_denied("partnerApiPostsExternal.GET", version)
            return li_json(_post_json(post))
        # DELETE: 204, also for an already deleted post
        if post is None:
            return li_error(404, "Post %s does not exist" % urn, "NOT_FOUND")
        if post["account"] != tcfg.get("author") or \
                _needed_scope(post["account"]) not in (tcfg.get("scopes") or []):
            return access_denied("partnerApiPostsExternal.DELETE", version)
        post["deleted"] = True
        post["deleted_time"] = int(state.now())
        return Response(204, b"", _li_headers())


def userinfo(state, req):
    tok, tcfg, err = authenticate(state, req)
    if err:
        return err
    author = tcfg.get("author", "")
    if not author.startswith("urn:li:person:"):
        return li_error(403, "Not enough permissions to access: userinfo.GET.NO_VERSION", "ACCESS_DENIED", 100)
    sub = author.rsplit(":", 1)[1]
    name = tcfg.get("name", "Studio Owner")
    return li_json({"sub": sub, "email_verified": True, "name": name,
                    "locale": {"country": "US", "language": "en"},
                    "given_name": name.split()[0], "family_name": name.split()[-1]})


# --------------------------------------------------------------------------
# OAuth
# --------------------------------------------------------------------------

def _oauth_error(status, err, desc):
    return Response.json({"error": err, "error_description": desc}, status, JSON)


def handle_oauth(state, req):
    name = req.path[len("/oauth/v2/"):].strip("/")
    if req.method != "POST" or name not in ("accessToken", "introspectToken"):
        return _oauth_error(404 if name not in ("accessToken", "introspectToken") else 405,
                            "invalid_request", "Unsupported endpoint or method")
    if req.content_type != "application/x-www-form-urlencoded":
        return _oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
    f = req.form or {}
    cfg = _cfg(state)
    if first(f.get("client_id")) != cfg.get("client_id") or \
            first(f.get("client_secret")) != cfg.get("client_secret"):
        return _oauth_error(401, "invalid_client", "Client authentication failed")
    if name == "introspectToken":
        return introspect(state, first(f.get("token")))
    grant = first(f.get("grant_type"))
    if grant == "refresh_token":
        return refresh(state, first(f.get("refresh_token")))
    if grant == "authorization_code":
        return exchange_code(state, first(f.get("code")))
    return _oauth_error(400, "unsupported_grant_type", "Unsupported grant_type %s" % grant)


def _mint(state, base_cfg):
    tok = fakeapi.random_token("AQX", 60)
    now = int(state.now())
    cfg = {"author": base_cfg.get("author"), "member": bool(base_cfg.get("member")),
           "scopes": list(base_cfg.get("scopes") or []), "issued_at": now,
           "expires_at": now + ACCESS_TOKEN_TTL}
    for k in ("name",):
        if k in base_cfg:
            cfg[k] = base_cfg[k]
    state.config.setdefault("linkedin", {}).setdefault("tokens", {})[tok] = cfg
    return tok, cfg


def refresh(state, rt):
    now = int(state.now())
    with state.lock:
        rts = _cfg(state).get("refresh_tokens") or {}
        ent = rts.get(rt)
        if isinstance(ent, str):
            ent = rts[rt] = {"token": ent, "issued_at": now}
        rt_expires = None
        if ent is not None:
            rt_expires = ent.get("expires_at") or (int(ent.get("issued_at", now)) + REFRESH_TOKEN_TTL)
        old = _tokens(state).get(ent["token"]) if ent else None
        if ent is None or ent.get("revoked") or now > rt_expires or old is None:
            return _oauth_error(400, "invalid_request", "The provided authorization grant or refresh "
                                                        "token is invalid, expired or revoked")
        new, cfg = _mint(state, old)
        cfg["refresh_count"] = int(old.get("refresh_count", 0)) + 1
        del _tokens(state)[ent["token"]]             # the new token replaces the old one
        ent["token"] = new
        ent["last_used_at"] = now
        return Response.json({"access_token": new, "expires_in": ACCESS_TOKEN_TTL,
                              "refresh_token": rt, "refresh_token_expires_in": int(rt_expires - now),
                              "scope": ",".join(cfg["scopes"])}, 200, JSON)


def exchange_code(state, code):
    now = int(state.now())
    with state.lock:
        d = data(state)
        codes = _cfg(state).get("auth_codes") or {}
        spec = codes.get(code)
        if spec is None or code in d["used_codes"]:
            return _oauth_error(400, "invalid_request", "Unable to retrieve access token: appid/redirect "
                                "uri/code verifier does not match authorization code. Or authorization "
                                "code expired.")
        d["used_codes"].add(code)
        if isinstance(spec, str):
            spec = _tokens(state).get(spec) or {}
        new, cfg = _mint(state, spec)
        rt = fakeapi.random_token("AQW", 60)
        state.config["linkedin"].setdefault("refresh_tokens", {})[rt] = {"token": new, "issued_at": now}
        return Response.json({"access_token": new, "expires_in": ACCESS_TOKEN_TTL, "refresh_token": rt,
                              "refresh_token_expires_in": REFRESH_TOKEN_TTL,
                              "scope": ",".join(cfg["scopes"])}, 200, JSON)


def introspect(state, tok):
    with state.lock:
        cfg = _tokens(state).get(tok) if tok else None
        if cfg is None:
            return Response.json({"active": False}, 200, JSON)
        st = _token_status(state, cfg)
        issued = int(cfg.get("issued_at", state.now()))
        return Response.json({"active": st == "active", "client_id": _cfg(state).get("client_id"),
                              "authorized_at": issued, "created_at": issued, "status": st,
                              "expires_at": int(cfg.get("expires_at", issued + ACCESS_TOKEN_TTL)),
                              "scope": ",".join(cfg.get("scopes") or []), "auth_type": "3L"}, 200, JSON)


# --------------------------------------------------------------------------
# control API
# --------------------------------------------------------------------------

def control(state, method, name, body, req):
    def ok(obj, status=200):
        return Response.json(obj, status, JSON)

    if name == "tokens" and method == "POST" and body.get("network") == "linkedin":
        tok = str(body.get("id", ""))
        with state.lock:
            toks = _tokens(state)
            if tok not in toks:
                return ok({"error": "unknown linkedin token"}, 404)
            if body.get("token"):
                new = body["token"]
                toks[new] = toks.pop(tok)
                for ent in (_cfg(state).get("refresh_tokens") or {}).values():
                    if isinstance(ent, dict) and ent.get("token") == tok:
                        ent["token"] = new
                tok = new
            for flag in ("expired", "revoked"):
                if flag in body:
                    toks[tok][flag] = bool(body[flag])
            if "expires_at" in body:
                toks[tok]["expires_at"] = body["expires_at"]
        return ok({"ok": True})
    if name == "images":
        with state.lock:
            imgs = data(state)["images"]
            if method == "GET":
                out = []
                for img in imgs.values():
                    item = {k: v for k, v in img.items() if k != "bytes"}
                    item["status"] = _image_status(state, img)
                    out.append(item)
                return ok(out)
            if method == "POST":
                key = str(body.get("urn") or body.get("id") or "").replace("urn:li:image:", "")
                if key not in imgs:
                    return ok({"error": "unknown image"}, 404)
                imgs[key]["forced_status"] = body.get("status")
                return ok({"ok": True})
    return None


def tokens_info(state):
    with state.lock:
        cfg = _cfg(state)
        toks = {t: {k: v for k, v in c.items()} for t, c in (cfg.get("tokens") or {}).items()}
        for t, c in toks.items():
            c["status"] = _token_status(state, c)
        rts = json.loads(json.dumps(cfg.get("refresh_tokens") or {}))
    return {"linkedin": toks, "linkedin_refresh_tokens": rts}
