#!/usr/bin/env python3
"""Self-test for the fake API server: exercises every route and fault type.

Starts fakeapi.py as a subprocess on port 0 with a temporary config, talks to
it with http.client / urllib only, kills it, and prints "N passed, M failed"
as its last line (exit status 0 only if nothing failed).

    python3 tests/fake/selftest.py [-v]
"""

import email.utils
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
VERBOSE = "-v" in sys.argv

PAGE = "102030405060708"
PAGE2 = "200000000000002"
FB_TOKEN = "fb-page-token"
IG_USER = "17841400000000000"
IG_TOKEN = "ig-token"
IG2_USER = "17841400000000099"
IG2_TOKEN = "IGAA-login-token"
LI_ORG = "urn:li:organization:5515715"
LI_ORG_TOKEN = "li-org-token"
LI_MEMBER = "urn:li:person:abc123XYZ"
LI_MEMBER_TOKEN = "li-member-token"
AK, SK = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            if VERBOSE:
                print("ok   %s" % name)
        else:
            self.failed += 1
            print("FAIL %s %s" % (name, detail))
        return cond


R = Results()
check = R.check


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

def jpeg(w, h, pad=0, tag=b""):
    """A minimal JPEG (SOI, APP0, COM padding, SOF0 with w x h, SOS, EOI)."""
    out = b"\xff\xd8"
    out += b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    # binary comment with CRLFs, dashes and NULs to stress multipart parsing
    filler = (b"\r\n--not-a-boundary\r\n\x00\xff\xfe" + tag) * 4
    out += b"\xff\xfe" + struct.pack(">H", len(filler) + 2) + filler
    while pad > 0:
        n = min(pad, 65000)
        out += b"\xff\xfe" + struct.pack(">H", n + 2) + (b"\xab" * n)
        pad -= n
    out += b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, h, w, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    out += b"\xff\xda" + struct.pack(">H", 12) + b"\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"
    out += b"\x12\x34\x56\x78" * 8 + b"\xff\xd9"
    return out


def png(w, h):
    ihdr = struct.pack(">II", w, h) + b"\x08\x02\x00\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\x00\x00\x00\x00" + \
        b"\x00\x00\x00\x00IEND\xaeB`\x82"


def gif(w, h):
    return b"GIF89a" + struct.pack("<HH", w, h) + b"\x00\x00\x00;"


def sha(b):
    return hashlib.sha256(b).hexdigest()


def multipart(fields, files, boundary="----ritualBoundary7MA4YWxkTrZu0gW"):
    """Build a multipart/form-data body; files: name -> (filename, ctype, bytes)."""
    out = b""
    for k, v in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (boundary, k)).encode()
        out += v.encode("utf-8") + b"\r\n"
    for k, (fn, ct, data) in files.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: %s\r\n\r\n" % (boundary, k, fn, ct)).encode()
        out += data + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=%s" % boundary


# --------------------------------------------------------------------------
# client helpers
# --------------------------------------------------------------------------

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            self.json = None

    def h(self, name):
        return self.headers.get(name.lower())


PORT = None


def call(method, path, body=None, headers=None, json_body=None, form=None, conn=None, timeout=20):
    """One HTTP request; returns Resp. Uses `conn` (kept open) if given."""
    hdrs = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode("utf-8")
        hdrs.setdefault("Content-Type", "application/json")
    elif form is not None:
        body = urllib.parse.urlencode(form).encode("utf-8")
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=hdrs)
        r = c.getresponse()
        data = r.read()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        if own:
            c.close()


def ctl(method, name, obj=None):
    r = call(method, "/_fake/" + name, json_body=obj if obj is not None else None)
    return r.json


def fault(match, action, times=1):
    return ctl("POST", "faults", {"match": match, "action": action, "times": times})["id"]


def posts(network=None):
    return [p for p in ctl("GET", "posts") if network is None or p["network"] == network]


def requests_log(**q):
    return ctl("GET", "requests" + ("?" + urllib.parse.urlencode(q) if q else ""))


def fb(method, path, token=FB_TOKEN, **kw):
    hdrs = kw.pop("headers", {})
    if token:
        hdrs["Authorization"] = "Bearer " + token
    return call(method, "/v25.0" + path, headers=hdrs, **kw)


def raw_exchange(data, timeout=5):
    """Send raw bytes on a new socket; return everything received until close/timeout."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    s.sendall(data)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        got += b"<timeout>"
    s.close()
    return got


# --------------------------------------------------------------------------
# tests: core + Facebook
# --------------------------------------------------------------------------

def test_core(tmp):
    check("health", ctl("GET", "health") == {"ok": True, "port": PORT})
    # keep-alive: two requests on one connection share a connection id
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    r1 = call("GET", "/v25.0/me?fields=id,name", headers={"Authorization": "Bearer " + FB_TOKEN}, conn=c)
    r2 = call("GET", "/v25.0/me", headers={"Authorization": "OAuth " + FB_TOKEN}, conn=c)
    c.close()
    check("me via page token", r1.status == 200 and r1.json == {"name": "Wellness Rituals", "id": PAGE}, r1.body)
    check("OAuth header accepted", r2.status == 200 and r2.json["id"] == PAGE)
    check("content-length always set", r1.h("content-length") == str(len(r1.body)))
    recs = requests_log(network="facebook")
    check("requests recorded", len(recs) == 2 and recs[0]["seq"] == 1 and recs[1]["seq"] == 2, recs)
    check("connection reused", recs[0]["connection"] == recs[1]["connection"])
    check("record fields", all(k in recs[0] for k in (
        "seq", "time", "network", "method", "path", "query", "headers", "form", "files", "json",
        "body_len", "body_sha256", "status", "fault", "connection", "answered")))
    check("record answered after arrival", all(
        r["answered"] is not None and r["answered"] >= r["time"] for r in recs), recs)
    check("record query/headers", recs[0]["query"] == {"fields": "id,name"}
          and recs[0]["headers"]["authorization"] == "Bearer " + FB_TOKEN and recs[0]["status"] == 200)
    r3 = call("GET", "/v25.0/me")
    check("new connection gets new id", requests_log()[-1]["connection"] != recs[0]["connection"])
    check("missing token -> 104", r3.status == 400 and r3.json["error"]["code"] == 104)
    # chunked request body
    body = b"message=chunked+hello&access_token=" + FB_TOKEN.encode()
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
    raw = raw_exchange(b"POST /v25.0/%s/feed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                       b"Content-Type: application/x-www-form-urlencoded\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n" % PAGE.encode() + chunked)
    check("chunked body", raw.startswith(b"HTTP/1.1 200") and posts()[-1]["text"] == "chunked hello", raw[:200])
    # unknown route
    r = call("GET", "/nothing/here")
    check("unknown route 404 + recorded", r.status == 404 and requests_log()[-1]["network"] == "unknown")
    # static files
    r = call("GET", "/media/square.jpg")
    check("static GET", r.status == 200 and r.h("content-type") == "image/jpeg"
          and sha(r.body) == sha(open(os.path.join(tmp, "media", "square.jpg"), "rb").read()))
    r = call("HEAD", "/media/square.jpg")
    check("static HEAD", r.status == 200 and r.body == b"" and int(r.h("content-length")) > 0)
    check("static 404", call("GET", "/media/nope.jpg").status == 404)
    check("static traversal refused", call("GET", "/media/../config.json").status == 404)
    check("static recorded", requests_log(network="static")[-1]["path"] == "/media/../config.json")
    # clock
    off = ctl("POST", "clock", {"advance": 10})
    check("clock advance", off["offset"] == 10)
    ctl("POST", "clock", {"offset": 0})
    # config merge
    ctl("POST", "config", {"facebook": {"pages": {PAGE2: {"token": "fb-page2-token", "name": "Second"}}}})
    r = call("GET", "/v25.0/me", headers={"Authorization": "Bearer fb-page2-token"})
    check("config merge adds page", r.status == 200 and r.json["name"] == "Second")
    cfg = ctl("GET", "config")
    check("config GET", PAGE2 in cfg["facebook"]["pages"] and PAGE in cfg["facebook"]["pages"])
    ctl("POST", "reset")
    check("reset clears", requests_log() == [] and posts() == [])


def test_facebook(tmp):
    img = jpeg(1200, 900, tag=b"fb")
    body, ctype = multipart({"message": "Hot stones today \u2728", "published": "true"},
                            {"source": ("stones.jpg", "image/jpeg", img)})
    r = fb("POST", "/%s/photos" % PAGE, body=body, headers={"Content-Type": ctype})
    ok = check("photo multipart 200", r.status == 200 and set(r.json) == {"id", "post_id"}, r.body)
    if ok:
        check("photo ids realistic", re.fullmatch(r"\d{16}", r.json["id"]) is not None
              and r.json["post_id"] == "%s_%s" % (PAGE, r.json["id"]))
    check("meta content-type", r.h("content-type") == "application/json; charset=UTF-8")
    au = json.loads(r.h("x-app-usage") or "{}")
    check("X-App-Usage", set(au) == {"call_count", "total_time", "total_cputime"})
    bu = json.loads(r.h("x-business-use-case-usage") or "{}")
    check("X-BUC for page", PAGE in bu and bu[PAGE][0]["type"] == "pages"
          and "estimated_time_to_regain_access" in bu[PAGE][0])
    check("no Retry-After", r.h("retry-after") is None)
    rec = requests_log(path_regex="/photos$")[-1]
    check("multipart recorded", rec["form"] == {"message": "Hot stones today \u2728", "published": "true"}
          and rec["files"]["source"]["sha256"] == sha(img) and rec["files"]["source"]["size"] == len(img)
          and rec["files"]["source"]["filename"] == "stones.jpg"
          and rec["files"]["source"]["content_type"] == "image/jpeg", rec["files"])
    p = posts("facebook")[-1]
    check("published object", p["text"] == "Hot stones today \u2728" and p["image_sha256"] == sha(img)
          and p["permalink"] == "https://www.facebook.com/%s" % r.json["post_id"]
          and p["account"] == PAGE and p["deleted"] is False and p["id"] == r.json["post_id"])
    # caption alias, png, url fetch from static
    body, ctype = multipart({"caption": "png via caption"}, {"source": ("a.png", "image/png", png(10, 10))})
    r = fb("POST", "/%s/photos" % PAGE, body=body, headers={"Content-Type": ctype})
    check("caption alias + png", r.status == 200 and posts()[-1]["text"] == "png via caption")
    sq = open(os.path.join(tmp, "media", "square.jpg"), "rb").read()
    r = fb("POST", "/%s/photos" % PAGE, form={"url": "http://127.0.0.1:%d/media/square.jpg" % PORT,
                                             "message": "by url"})
    check("photo by url", r.status == 200 and posts()[-1]["image_sha256"] == sha(sq), r.body)
    st = requests_log(network="static")[-1]
    check("url fetched with crawler UA", "facebookexternalhit" in st["headers"].get("user-agent", ""))
    r = fb("POST", "/%s/photos" % PAGE, json_body={"url": "https://cdn.example.com/a.jpg", "message": "x"})
    check("non-loopback url -> 100", r.status == 400 and r.json["error"]["code"] == 100)
    r = fb("POST", "/%s/photos" % PAGE, form={"message": "no file"})
    check("no source -> 324", r.json["error"]["code"] == 324)
    body, ctype = multipart({"message": "bad"}, {"source": ("a.txt", "text/plain", b"hello")})
    r = fb("POST", "/%s/photos" % PAGE, body=body, headers={"Content-Type": ctype})
    check("invalid file -> 2069019", r.json["error"]["error_subcode"] == 2069019)
    body, ctype = multipart({"message": "big"}, {"source": ("b.jpg", "image/jpeg",
                                                            jpeg(100, 100, pad=4 * 1024 * 1024))})
    r = fb("POST", "/%s/photos" % PAGE, body=body, headers={"Content-Type": ctype})
    check("too big -> 1366046", r.json["error"]["error_subcode"] == 1366046)
    # unpublished photos + attached_media (form encoding)
    ids = []
    for i in range(2):
        body, ctype = multipart({"published": "false"}, {"source": ("m%d.jpg" % i, "image/jpeg",
                                                                     jpeg(800, 800, tag=b"%d" % i))})
        r = fb("POST", "/%s/photos" % PAGE, body=body, headers={"Content-Type": ctype})
        check("unpublished photo -> id only", r.status == 200 and list(r.json) == ["id"])
        ids.append(r.json["id"])
    n_before = len(posts())
    form = {"message": "Two photos", "attached_media[0]": json.dumps({"media_fbid": ids[0]}),
            "attached_media[1]": json.dumps({"media_fbid": ids[1]})}
    r = fb("POST", "/%s/feed" % PAGE, form=form)
    check("feed with attached_media", r.status == 200 and re.fullmatch(PAGE + r"_\d{16}", r.json["id"])
          and len(posts()) == n_before + 1 and len(posts()[-1]["images"]) == 2, r.body)
    r = fb("POST", "/%s/feed" % PAGE, form=form)
    check("reusing attached photo refused", r.status == 400)
    # JSON attached_media list
    body, ctype = multipart({"published": "false"}, {"source": ("j.jpg", "image/jpeg", jpeg(500, 500))})
    pid = fb("POST", "/%s/photos" % PAGE, body=body, headers={"Content-Type": ctype}).json["id"]
    r = fb("POST", "/%s/feed" % PAGE, json_body={"message": "json attach",
                                                "attached_media": [{"media_fbid": pid}]})
    check("feed JSON attached_media", r.status == 200 and posts()[-1]["image_sha256"] is not None)
    # text + link post, token in query
    r = call("POST", "/v25.0/%s/feed?access_token=%s" % (PAGE, FB_TOKEN),
             form={"message": "Book now", "link": "https://studio.example/book"})
    check("link post", r.status == 200 and posts()[-1]["link"] == "https://studio.example/book")
    r = call("POST", "/v25.0/%s/feed?access_token=%s" % (PAGE, FB_TOKEN),
             form={"message": "Book now", "link": "https://studio.example/book"})
    check("506 duplicate", r.status == 400 and r.json["error"]["code"] == 506
          and r.json["error"]["message"] == "(#506) Duplicate status message", r.body)
    r = fb("POST", "/%s/feed" % PAGE, form={"message": ""})
    check("empty feed -> 100", r.json["error"]["code"] == 100)
    r = fb("POST", "/%s/feed" % PAGE, form={"message": "token in body", "access_token": FB_TOKEN}, token=None)
    check("token in form body", r.status == 200)
    # list posts
    r = fb("GET", "/%s/posts?fields=id,message,created_time,permalink_url&limit=2" % PAGE)
    check("posts list", r.status == 200 and len(r.json["data"]) == 2
          and r.json["data"][0]["message"] == "token in body" and "next" in r.json["paging"]
          and set(r.json["paging"]["cursors"]) == {"before", "after"}, r.body)
    check("created_time ISO", re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000",
                                           r.json["data"][0]["created_time"]) is not None)
    nxt = urllib.parse.urlsplit(r.json["paging"]["next"])
    r2 = fb("GET", nxt.path[len("/v25.0"):] + "?" + nxt.query)
    check("paging next", r2.status == 200 and r2.json["data"][0]["id"] != r.json["data"][0]["id"])
    r = fb("GET", "/%s/feed?since=%d" % (PAGE, int(time.time()) + 3600))
    check("since filter", r.status == 200 and r.json["data"] == [])
    # debug_token, me/accounts, page node, object GET/DELETE
    r = fb("GET", "/debug_token?input_token=%s" % FB_TOKEN)
    d = r.json["data"]
    check("debug_token", d["is_valid"] is True and d["expires_at"] == 0 and d["profile_id"] == PAGE
          and d["type"] == "PAGE" and "pages_manage_posts" in d["scopes"], r.body)
    r = fb("GET", "/debug_token?input_token=bogus")
    check("debug_token invalid", r.json["data"]["is_valid"] is False)
    r = fb("GET", "/me/accounts", token="fb-user-token")
    check("me/accounts", r.status == 200 and r.json["data"][0]["id"] == PAGE
          and r.json["data"][0]["access_token"] == FB_TOKEN)
    r = fb("GET", "/%s?fields=instagram_business_account,name" % PAGE)
    check("page ig link", r.json.get("instagram_business_account") == {"id": IG_USER}, r.body)
    last = posts("facebook")[-1]
    r = fb("GET", "/" + last["id"] + "?fields=message,permalink_url")
    check("GET post", r.status == 200 and r.json["message"] == last["text"])
    r = fb("DELETE", "/" + last["id"])
    check("DELETE post", r.status == 200 and r.json == {"success": True} and posts()[-1]["deleted"])
    # unknown page / wrong token
    r = fb("POST", "/999999999999999/feed", form={"message": "x"})
    check("unknown page -> 100/33", r.json["error"]["code"] == 100 and r.json["error"]["error_subcode"] == 33
          and "Unsupported post request" in r.json["error"]["message"])
    r = fb("POST", "/%s/feed" % PAGE, form={"message": "x"}, token="fb-page2-token")
    check("other page's token -> 100/33", r.json["error"]["error_subcode"] == 33)
    r = fb("POST", "/%s/feed" % PAGE, form={"message": "x"}, token="garbage")
    check("wrong token -> 190", r.json["error"]["code"] == 190 and
          r.json["error"]["message"] == "Invalid OAuth access token - Cannot parse access token")
    r = fb("GET", "/%s/nosuchedge" % PAGE)
    check("unknown edge -> 100", r.json["error"]["code"] == 100)
    # token control: expired, revoked, rotated
    ctl("POST", "tokens", {"network": "facebook", "id": PAGE, "expired": True})
    r = fb("POST", "/%s/feed" % PAGE, form={"message": "expired?"})
    e = r.json["error"]
    check("expired page token", r.status == 400 and e["code"] == 190 and e["error_subcode"] == 463
          and e["type"] == "OAuthException" and "fbtrace_id" in e
          and e["message"].startswith("Error validating access token: Session has expired on"), r.body)
    check("expired -> WWW-Authenticate", (r.h("www-authenticate") or "").startswith("OAuth"))
    ctl("POST", "tokens", {"network": "facebook", "id": PAGE, "expired": False, "revoked": True})
    r = fb("POST", "/%s/feed" % PAGE, form={"message": "revoked?"})
    check("revoked page token", r.json["error"]["code"] == 190 and r.json["error"]["error_subcode"] == 460)
    ctl("POST", "tokens", {"network": "facebook", "id": PAGE, "revoked": False, "token": "fb-new"})
    check("rotated token: old refused", fb("GET", "/me").json["error"]["code"] == 190)
    check("rotated token: new works", fb("GET", "/me", token="fb-new").status == 200)
    ctl("POST", "tokens", {"network": "facebook", "id": PAGE, "token": FB_TOKEN})
    toks = ctl("GET", "tokens")
    check("GET tokens", toks["facebook"][PAGE]["token"] == FB_TOKEN)
    # appsecret_proof: a present one is always checked, as Graph does; only
    # a missing one depends on require_appsecret_proof.
    ctl("POST", "config", {"facebook": {"app_secret": "selftest-app-secret"}})
    good = hmac.new(b"selftest-app-secret", FB_TOKEN.encode(), hashlib.sha256).hexdigest()
    check("no proof, not required", fb("GET", "/me").status == 200)
    check("right proof", fb("GET", "/me?appsecret_proof=" + good).status == 200)
    r = fb("GET", "/me?appsecret_proof=" + "0" * 64)
    check("wrong proof refused though not required", r.status == 400
          and r.json["error"]["code"] == 100
          and r.json["error"]["message"] == "Invalid appsecret_proof provided in the API argument",
          r.body)
    ctl("POST", "config", {"facebook": {"require_appsecret_proof": True}})
    r = fb("GET", "/me")
    check("missing proof refused when required", r.status == 400
          and "require an appsecret_proof" in r.json["error"]["message"], r.body)
    ctl("POST", "config", {"facebook": {"require_appsecret_proof": False}})


def test_faults(tmp):
    ctl("POST", "reset")
    m_feed = {"network": "facebook", "method": "POST", "path_regex": "/feed$"}

    def feed(msg, **kw):
        return fb("POST", "/%s/feed" % PAGE, form={"message": msg}, **kw)

    # error (raw)
    fid = fault(m_feed, {"type": "error", "status": 503, "body": {"error": {"message": "Service Unavailable"}}})
    check("fault id", isinstance(fid, int))
    r = feed("e1")
    check("error fault", r.status == 503 and r.json == {"error": {"message": "Service Unavailable"}}
          and posts() == [])
    check("error fault recorded", requests_log()[-1]["fault"] == "error" and requests_log()[-1]["status"] == 503)
    check("error fault consumed", feed("e1").status == 200)
    # meta_error default statuses
    for code, want in ((1, 500), (2, 500), (4, 403), (10, 403), (200, 403), (368, 400), (100, 400)):
        fault(m_feed, {"type": "meta_error", "code": code, "subcode": 1390008 if code == 368 else None,
                       "message": "boom %d" % code})
        r = feed("me%d" % code)
        e = (r.json or {}).get("error", {})
        check("meta_error %d status %d" % (code, want), r.status == want and e.get("code") == code
              and e.get("message") == "boom %d" % code and "fbtrace_id" in e and e.get("type") == "OAuthException")
    fault(m_feed, {"type": "meta_error", "code": 190, "subcode": 463, "status": 401, "is_transient": True})
    r = feed("x")
    check("meta_error overrides", r.status == 401 and r.json["error"]["is_transient"] is True
          and r.json["error"]["error_subcode"] == 463)
    # throttle
    fault(m_feed, {"type": "throttle", "minutes": 30})
    r = feed("thr")
    bu = json.loads(r.h("x-business-use-case-usage"))
    check("throttle 80001 + BUC minutes", r.json["error"]["code"] == 80001
          and bu[PAGE][0]["estimated_time_to_regain_access"] == 30 and r.h("retry-after") is None, r.headers)
    # times -1 and DELETE
    fault(m_feed, {"type": "error", "status": 500, "body": "oops"}, times=-1)
    check("times -1 (1)", feed("a").status == 500)
    check("times -1 (2)", feed("b").status == 500)
    check("GET faults", ctl("GET", "faults")[-1]["hits"] == 2)
    ctl("DELETE", "faults")
    check("DELETE faults", feed("c").status == 200 and ctl("GET", "faults") == [])
    # skip
    ctl("POST", "faults", {"match": dict(m_feed, skip=1), "action": {"type": "error", "status": 502}, "times": 1})
    check("skip: first passes", feed("s1").status == 200)
    check("skip: second faulted", feed("s2").status == 502)
    # body_regex
    fault(dict(m_feed, body_regex="only-this"), {"type": "error", "status": 500})
    check("body_regex no match", feed("other").status == 200)
    check("body_regex match", feed("only-this").status == 500)
    # delay
    fault(m_feed, {"type": "delay", "seconds": 0.4})
    t0 = time.time()
    r = feed("delayed")
    check("delay", r.status == 200 and time.time() - t0 >= 0.35 and posts()[-1]["text"] == "delayed")
    rec = requests_log()[-1]
    check("delay: answered - time spans the delay", rec["answered"] - rec["time"] >= 0.35, rec)
    # delayed requests on two connections are served at once (rituald's
    # concurrency tests measure overlap from these two times)
    fault(m_feed, {"type": "delay", "seconds": 0.6}, times=2)
    since = requests_log()[-1]["seq"]
    ts = [threading.Thread(target=feed, args=("overlap %d" % i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(10)
    a, b = requests_log(since_seq=since)[-2:]
    check("delay: two connections overlap", a["connection"] != b["connection"]
          and max(a["time"], b["time"]) < min(a["answered"], b["answered"]), (a, b))
    # drop: not processed
    n = len(posts())
    fault(m_feed, {"type": "drop"})
    try:
        feed("dropped")
        check("drop closes", False)
    except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
        check("drop closes", True)
    check("drop not processed", len(posts()) == n and requests_log()[-1]["status"] is None
          and requests_log()[-1]["fault"] == "drop")
    # drop_after: processed
    fault(m_feed, {"type": "drop_after"})
    try:
        feed("dropped after")
        check("drop_after closes", False)
    except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
        check("drop_after closes", True)
    check("drop_after processed", posts()[-1]["text"] == "dropped after" and requests_log()[-1]["status"] is None)
    # delay_after
    fault(m_feed, {"type": "delay_after", "seconds": 0.4})
    t0 = time.time()
    r = feed("delay after")
    check("delay_after", r.status == 200 and time.time() - t0 >= 0.35)
    # hold + release send / drop
    for mode in ("send", "drop"):
        fault(m_feed, {"type": "hold"})
        box = {}

        def worker():
            try:
                box["r"] = feed("held " + mode)
            except Exception as e:  # noqa
                box["e"] = e
        t = threading.Thread(target=worker)
        t.start()
        deadline = time.time() + 5
        while ctl("GET", "held")["held"] != 1 and time.time() < deadline:
            time.sleep(0.05)
        check("hold %s: held" % mode, ctl("GET", "held")["held"] == 1)
        check("hold %s: processed while held" % mode, posts()[-1]["text"] == "held " + mode)
        check("hold %s: answered null while held" % mode,
              requests_log()[-1]["answered"] is None, requests_log()[-1])
        check("release", ctl("POST", "release", {"action": mode} if mode == "drop" else {})["released"] == 1)
        t.join(5)
        if mode == "send":
            check("hold send: response", "r" in box and box["r"].status == 200)
        else:
            check("hold drop: no response", "e" in box)
    # malformed / html / empty / noid / big
    fault(m_feed, {"type": "malformed"})
    r = feed("malformed")
    check("malformed", r.status == 200 and r.body == b'{"id": "12' and posts()[-1]["text"] == "malformed")
    n = len(posts())
    fault(m_feed, {"type": "html"})
    r = feed("html")
    check("html", r.status == 200 and r.h("content-type").startswith("text/html") and b"<html" in r.body
          and len(posts()) == n)
    fault(m_feed, {"type": "empty"})
    r = feed("empty")
    check("empty", r.status == 200 and r.body == b"" and r.h("content-length") == "0"
          and posts()[-1]["text"] == "empty")
    n = len(posts())
    fault(m_feed, {"type": "noid"})
    r = feed("noid")
    check("noid", r.status == 200 and r.json == {} and len(posts()) == n)
    fault(m_feed, {"type": "big", "bytes": 3000000})
    r = feed("big")
    check("big", r.status == 200 and len(r.body) >= 2900000 and r.json is not None
          and r.json.get("id", "").startswith(PAGE + "_"))
    # redirect
    n = len(posts())
    fault(m_feed, {"type": "redirect", "status": 302, "location": "http://example.invalid/x"})
    r = feed("redir")
    check("redirect", r.status == 302 and r.h("location") == "http://example.invalid/x" and len(posts()) == n)
    # reset_mid
    fault(m_feed, {"type": "reset_mid"})
    try:
        feed("reset mid")
        check("reset_mid truncates", False)
    except (http.client.IncompleteRead, ConnectionError, http.client.RemoteDisconnected):
        check("reset_mid truncates", True)
    check("reset_mid not processed", len(posts()) == n)
    # drip
    fault(m_feed, {"type": "drip", "seconds": 0.6, "interval": 0.1})
    t0 = time.time()
    r = feed("drip")
    check("drip", r.status == 200 and time.time() - t0 >= 0.5 and posts()[-1]["text"] == "drip")
    # process override
    fault(m_feed, {"type": "html", "process": True})
    feed("html processed")
    check("process override", posts()[-1]["text"] == "html processed")
    # match on GET & per-network
    fault({"network": "facebook", "method": "GET"}, {"type": "error", "status": 500, "body": {}})
    check("GET fault", fb("GET", "/me").status == 500)
    r = call("POST", "/_fake/faults", body=json.dumps({"match": m_feed, "action": {"type": "error", "status": 418}}).encode(),
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    check("control JSON with form content-type (curl -d)", r.status == 200 and feed("teapot").status == 418)
    check("bad fault rejected", call("POST", "/_fake/faults", json_body={"action": {"type": "nope"}}).status == 400)
    r = call("POST", "/_fake/faults", json_body={"match": m_feed, "action": {"type": "delay", "seconds": "x"}})
    check("bad fault parameter rejected", r.status == 400 and "seconds" in r.json["error"])
    # concurrency: unique ids, every post recorded once
    ctl("POST", "reset")
    errs = []

    def poster(i):
        try:
            if feed("concurrent %d" % i).status != 200:
                errs.append(i)
        except Exception:  # noqa
            errs.append(i)
    threads = [threading.Thread(target=poster, args=(i,)) for i in range(24)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    ids = [p["id"] for p in posts()]
    check("concurrent posts", not errs and len(ids) == 24 and len(set(ids)) == 24
          and len(requests_log()) == 24 and sorted(r["seq"] for r in requests_log()) == list(range(1, 25)))
    ctl("POST", "reset")
    check("reset clears faults", ctl("GET", "faults") == [])


def ig(method, path, token=IG_TOKEN, **kw):
    hdrs = kw.pop("headers", {})
    if token:
        hdrs["Authorization"] = "Bearer " + token
    return call(method, "/v25.0" + path, headers=hdrs, **kw)


def test_instagram(tmp):
    ctl("POST", "reset")
    url = "http://127.0.0.1:%d/media/square.jpg" % PORT
    sq = open(os.path.join(tmp, "media", "square.jpg"), "rb").read()
    r = ig("POST", "/%s/media" % IG_USER, json_body={"image_url": url, "caption": "Breathe #calm",
                                                      "alt_text": "A calm room"})
    ok = check("ig container", r.status == 200 and re.fullmatch(r"\d{17}", r.json.get("id", "")), r.body)
    if not ok:
        return
    cid = r.json["id"]
    bu = json.loads(r.h("x-business-use-case-usage"))
    check("ig BUC type instagram", bu[IG_USER][0]["type"] == "instagram")
    check("ig network recorded", requests_log(path_regex="/media$")[-1]["network"] == "instagram")
    check("ig fetch recorded as static", requests_log(network="static")[-1]["path"] == "/media/square.jpg")
    c = [x for x in ctl("GET", "containers") if x["id"] == cid][0]
    check("container sha recorded", c["image_sha256"] == sha(sq) and c["width"] == 1080)
    r = ig("POST", "/%s/media_publish" % IG_USER, form={"creation_id": cid})
    check("publish too early -> 9007/2207027", r.json["error"]["code"] == 9007
          and r.json["error"]["error_subcode"] == 2207027, r.body)
    st = [ig("GET", "/%s?fields=status_code,status" % cid).json for _ in range(3)]
    check("container IN_PROGRESS x2 then FINISHED",
          [s["status_code"] for s in st] == ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"]
          and st[2]["id"] == cid and "status" in st[2], st)
    r = ig("POST", "/%s/media_publish" % IG_USER, form={"creation_id": cid})
    ok = check("publish", r.status == 200 and re.fullmatch(r"\d{17}", r.json.get("id", "")), r.body)
    mid = r.json["id"]
    p = posts("instagram")[-1]
    check("ig published object", p["id"] == mid and p["text"] == "Breathe #calm" and p["account"] == IG_USER
          and p["image_sha256"] == sha(sq) and p["alt_text"] == "A calm room"
          and re.fullmatch(r"https://www\.instagram\.com/p/[A-Za-z0-9_-]{11}/", p["permalink"]), p)
    check("container PUBLISHED", ig("GET", "/%s?fields=status_code" % cid).json["status_code"] == "PUBLISHED")
    r = ig("POST", "/%s/media_publish" % IG_USER, form={"creation_id": cid})
    check("republish refused (9007)", r.status == 400 and r.json["error"]["code"] == 9007 and len(posts()) == 1)
    r = ig("GET", "/%s?fields=permalink,caption,timestamp" % mid)
    check("media node", r.json["permalink"] == p["permalink"] and r.json["caption"] == "Breathe #calm")
    r = ig("GET", "/%s/content_publishing_limit?fields=quota_usage,config" % IG_USER)
    check("publishing limit", r.json == {"data": [{"quota_usage": 1, "config": {"quota_total": 3,
                                                                             "quota_duration": 86400}}]}, r.body)
    r = ig("GET", "/%s/content_publishing_limit" % IG_USER)
    check("publishing limit without fields", r.json == {"data": [{"quota_usage": 1}]})
    # page token works for the FB-login IG user; publish up to the quota (3)
    def create_publish(caption, token=IG_TOKEN, user=IG_USER, image="square.jpg"):
        r = ig("POST", "/%s/media" % user, token=token,
               form={"image_url": "http://127.0.0.1:%d/media/%s" % (PORT, image), "caption": caption})
        if r.status != 200:
            return r
        cid = r.json["id"]
        for _ in range(5):
            if ig("GET", "/%s?fields=status_code" % cid, token=token).json["status_code"] == "FINISHED":
                break
        return ig("POST", "/%s/media_publish" % user, token=token, json_body={"creation_id": cid})
    r = create_publish("second", token=FB_TOKEN)
    check("page token for ig user", r.status == 200, r.body)
    check("wide 1.91 accepted", create_publish("third", image="wide.jpg").status == 200)
    r = create_publish("fourth")
    check("quota 9/2207042", r.status == 400 and r.json["error"]["code"] == 9
          and r.json["error"]["error_subcode"] == 2207042, r.body)
    r = ig("GET", "/%s/media?fields=id,caption,timestamp,permalink,media_type&limit=2" % IG_USER)
    check("media list newest first", [x["caption"] for x in r.json["data"]] == ["third", "second"]
          and r.json["data"][0]["media_type"] == "IMAGE" and "next" in r.json["paging"], r.body)
    ctl("POST", "clock", {"advance": 86401})
    r = ig("GET", "/%s/content_publishing_limit" % IG_USER)
    check("quota window rolls", r.json["data"][0]["quota_usage"] == 0)
    ctl("POST", "clock", {"offset": 0})
    # media errors
    def create(image_url, caption="c", user=IG_USER, token=IG_TOKEN):
        return ig("POST", "/%s/media" % user, token=token, form={"image_url": image_url, "caption": caption})
    base = "http://127.0.0.1:%d/media/" % PORT
    def err(r):
        e = (r.json or {}).get("error", {})
        return (e.get("code"), e.get("error_subcode"))
    check("non-loopback -> 9004/2207052", err(create("https://cdn.example.com/x.jpg")) == (9004, 2207052))
    check("404 -> 9004/2207052", err(create(base + "missing.jpg")) == (9004, 2207052))
    check("png -> 36001/2207005", err(create(base + "pic.png")) == (36001, 2207005))
    check("huge -> 36000/2207004", err(create(base + "huge.jpg")) == (36000, 2207004))
    check("ratio -> 36003/2207009", err(create(base + "tall.jpg")) == (36003, 2207009))
    check("caption 2201 -> 36004/2207010", err(create(base + "square.jpg", "x" * 2201)) == (36004, 2207010))
    check("caption 2200 ok", create(base + "square.jpg", "\U0001F33F" * 2200).status == 200)
    check("31 hashtags -> 36004", err(create(base + "square.jpg", " ".join("#t%d" % i for i in range(31)))) == (36004, 2207010))
    check("21 mentions -> 100/2207040", err(create(base + "square.jpg", " ".join("@u%d" % i for i in range(21)))) == (100, 2207040))
    fault({"network": "static"}, {"type": "error", "status": 404, "body": "nope"})
    check("fault on image host -> 9004", err(create(base + "square.jpg")) == (9004, 2207052))
    ctl("POST", "config", {"instagram": {"users": {IG_USER: {"fetch_timeout": 0.3}}}})
    fault({"network": "static"}, {"type": "delay", "seconds": 0.8})
    check("image host timeout -> -2/2207003", err(create(base + "square.jpg")) == (-2, 2207003))
    ctl("POST", "config", {"instagram": {"users": {IG_USER: {"fetch_timeout": None}}}})
    check("missing image_url -> 100", err(ig("POST", "/%s/media" % IG_USER, form={"caption": "x"}))[0] == 100)
    # forced container states
    cid = create(base + "square.jpg").json["id"]
    ctl("POST", "containers", {"id": cid, "status": "EXPIRED"})
    check("forced EXPIRED", ig("GET", "/%s?fields=status_code" % cid).json["status_code"] == "EXPIRED")
    check("publish EXPIRED -> -2/2207020", err(ig("POST", "/%s/media_publish" % IG_USER,
                                                   form={"creation_id": cid})) == (-2, 2207020))
    cid = create(base + "square.jpg").json["id"]
    ctl("POST", "containers", {"id": cid, "status": "ERROR", "status_text": "Error: 2207052"})
    r = ig("GET", "/%s?fields=status_code,status" % cid)
    check("forced ERROR", r.json["status_code"] == "ERROR" and r.json["status"] == "Error: 2207052")
    check("unknown creation_id -> 24/2207008", err(ig("POST", "/%s/media_publish" % IG_USER,
                                                       form={"creation_id": "17000000000000000"})) == (24, 2207008))
    # container limit
    ctl("POST", "config", {"instagram": {"users": {IG_USER: {"container_limit": 1}}}})
    check("container limit -> code 4", err(create(base + "square.jpg"))[0] == 4)
    ctl("POST", "config", {"instagram": {"users": {IG_USER: {"container_limit": 400}}}})
    # idempotent republish mode
    ctl("POST", "config", {"instagram": {"users": {IG2_USER: {"republish": "idempotent"}}}})
    r = create(base + "square.jpg", "login flavour", user=IG2_USER, token=IG2_TOKEN)
    cid = r.json["id"]
    r1 = ig("POST", "/%s/media_publish" % IG2_USER, token=IG2_TOKEN, form={"creation_id": cid})
    r2 = ig("POST", "/%s/media_publish" % IG2_USER, token=IG2_TOKEN, form={"creation_id": cid})
    check("idempotent republish", r1.status == 200 and r2.json == r1.json
          and len([p for p in posts() if p["text"] == "login flavour"]) == 1)
    r = ig("DELETE", "/%s" % r1.json["id"], token=IG2_TOKEN)
    check("ig delete", r.json == {"success": True} and posts()[-1]["deleted"] is True)
    # Instagram Login flavour: /me, refresh
    r = ig("GET", "/me?fields=user_id,username", token=IG2_TOKEN)
    check("ig login /me", r.json.get("user_id") == IG2_USER and r.json.get("username") == "studio2", r.body)
    check("ig /me network", requests_log()[-1]["network"] == "instagram")
    r = ig("GET", "/%s?fields=username,media_count" % IG2_USER, token=IG2_TOKEN)
    check("ig user node", r.json.get("username") == "studio2")
    check("other ig user refused", err(ig("GET", "/%s/media" % IG_USER, token=IG2_TOKEN)) == (100, 33))
    before = ctl("GET", "tokens")["instagram"][IG2_USER]
    r = call("GET", "/refresh_access_token?grant_type=ig_refresh_token&access_token=" + IG2_TOKEN)
    ok = check("refresh token", r.status == 200 and r.json["token_type"] == "bearer"
               and r.json["expires_in"] == 5183944 and r.json["access_token"] != IG2_TOKEN, r.body)
    new = r.json["access_token"]
    after = ctl("GET", "tokens")["instagram"][IG2_USER]
    check("refresh recorded", after["refresh_count"] == before["refresh_count"] + 1
          and after["token"] == new and after["last_refreshed_at"] is not None)
    check("old token refused after refresh (grace 0)", err(ig("GET", "/me", token=IG2_TOKEN))[0] == 190)
    check("new token works", ig("GET", "/me?fields=user_id", token=new).status == 200)
    ctl("POST", "tokens", {"network": "instagram", "id": IG2_USER, "expired": True})
    r = call("GET", "/v25.0/refresh_access_token?grant_type=ig_refresh_token&access_token=" + new)
    check("expired token cannot refresh (190/463)", err(r) == (190, 463), r.body)
    ctl("POST", "tokens", {"network": "instagram", "id": IG2_USER, "expired": False, "token": IG2_TOKEN})
    ctl("POST", "clock", {"advance": 5183944 + 10})
    check("token expiry by clock", err(ig("GET", "/me", token=IG2_TOKEN)) == (190, 463))
    ctl("POST", "clock", {"offset": 0})
    # throttle on instagram -> 80002
    fault({"network": "instagram"}, {"type": "throttle", "minutes": 5})
    r = ig("GET", "/%s/media" % IG_USER)
    check("ig throttle 80002", err(r)[0] == 80002 and
          json.loads(r.h("x-business-use-case-usage"))[IG_USER][0]["estimated_time_to_regain_access"] == 5)
    r = ig("GET", "/debug_token?input_token=" + IG_TOKEN, token=FB_TOKEN)
    check("debug_token ig", r.json["data"]["is_valid"] is True and r.json["data"]["type"] == "USER")


LI_HDRS = {"LinkedIn-Version": "202601", "X-Restli-Protocol-Version": "2.0.0"}


def li(method, path, token=LI_ORG_TOKEN, version="202601", extra=None, **kw):
    hdrs = {"X-Restli-Protocol-Version": "2.0.0"}
    if re.search(r"[?&]q=", path):
        hdrs["X-RestLi-Method"] = "FINDER"   # as ritual sends it; see test_finder_method
    if version:
        hdrs["LinkedIn-Version"] = version
    if token:
        hdrs["Authorization"] = "Bearer " + token
    hdrs.update(extra or {})
    return call(method, path, headers=hdrs, **kw)


def li_upload(url, data, token=LI_ORG_TOKEN):
    u = urllib.parse.urlsplit(url)
    return call("PUT", u.path + "?" + u.query, body=data,
                headers={"Authorization": "Bearer " + token, "Content-Type": "application/octet-stream"})


def li_post_body(author, text, image=None, alt=None):
    b = {"author": author, "commentary": text, "visibility": "PUBLIC",
         "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                          "thirdPartyDistributionChannels": []},
         "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
    if image:
        b["content"] = {"media": {"id": image, "altText": alt}}
    return b


def test_linkedin(tmp):
    ctl("POST", "reset")
    q = urllib.parse.quote
    # versions and headers
    r = li("GET", "/rest/posts?author=%s&q=author" % q(LI_ORG, safe=""), version=None)
    check("li missing version -> 400", r.status == 400 and r.json["code"] == "VERSION_MISSING", r.body)
    r = li("GET", "/rest/posts?author=x&q=author", version="202510")
    check("li sunset -> 426", r.status == 426 and r.json == {"status": 426, "code": "NONEXISTENT_VERSION",
          "message": "Requested version 20251001 is not active"}, r.body)
    r = li("GET", "/rest/posts?author=x&q=author", version="202411")
    check("li below min -> 426 padded", r.status == 426 and "20241101" in r.json["message"])
    r = call("GET", "/rest/posts?author=%s&q=author" % q(LI_ORG, safe=""),
             headers={"linkedin-version": "202601", "x-restli-protocol-version": "2.0.0",
                      "x-restli-method": "finder", "authorization": "Bearer " + LI_ORG_TOKEN})
    check("li header names case-insensitive", r.status == 200, r.body)
    r = li("GET", "/rest/posts?author=x&q=author", extra={"X-Restli-Protocol-Version": "1.0.0"})
    check("li restli header required", r.status == 400)
    # auth
    r = li("POST", "/rest/posts", token=None, json_body={})
    check("li no token -> 401 65604", r.status == 401 and r.json["serviceErrorCode"] == 65604)
    r = li("POST", "/rest/posts", token="nope", json_body={})
    check("li unknown token -> 65600", r.status == 401 and r.json == {"serviceErrorCode": 65600,
          "message": "Invalid access token", "status": 401}, r.body)
    # image upload flow
    img = jpeg(1200, 627, tag=b"li")
    r = li("POST", "/rest/images?action=initializeUpload", json_body={"initializeUploadRequest": {"owner": LI_ORG}})
    ok = check("li initializeUpload", r.status == 200 and r.json["value"]["image"].startswith("urn:li:image:")
               and r.json["value"]["uploadUrl"].startswith("http://127.0.0.1:%d/dms-uploads/" % PORT)
               and r.json["value"]["uploadUrlExpiresAt"] > time.time() * 1000, r.body)
    if not ok:
        return
    up_url, urn = r.json["value"]["uploadUrl"], r.json["value"]["image"]
    r = li("POST", "/rest/images?action=initializeUpload", json_body={"initializeUploadRequest": {"owner": LI_MEMBER}})
    check("li init owner mismatch -> 403", r.status == 403 and r.json["code"] == "ACCESS_DENIED")
    r = li("GET", "/rest/images/" + q(urn, safe=""))
    check("li image WAITING_UPLOAD", r.json["status"] == "WAITING_UPLOAD" and r.json["owner"] == LI_ORG)
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "too early", urn))
    check("li post before upload -> MEDIA_ASSET_WAITING_UPLOAD", r.status == 400 and
          r.json["errorDetails"]["inputErrors"][0]["code"] == "MEDIA_ASSET_WAITING_UPLOAD", r.body)
    u = urllib.parse.urlsplit(up_url)
    r = call("PUT", u.path + "?" + u.query + "x", body=img, headers={"Authorization": "Bearer " + LI_ORG_TOKEN})
    check("li upload with altered URL refused", r.status == 403)
    r = call("PUT", u.path + "?" + u.query, body=img)
    check("li upload without token -> 401", r.status == 401)
    r = li_upload(up_url, img)
    check("li upload 201 empty", r.status == 201 and r.body == b"", r.body)
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "still processing", urn))
    check("li post while PROCESSING -> 400", r.status == 400)
    st = [li("GET", "/rest/images/" + q(urn, safe="")).json["status"] for _ in range(2)]
    check("li PROCESSING then AVAILABLE", st == ["PROCESSING", "AVAILABLE"], st)
    text = ("Relax \\(and\\) breathe {hashtag|\\#|selfcare} #calm "
            "@[Wellness Rituals](urn:li:organization:5515715) (oops) rest")
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, text, urn, "Stones"))
    ok = check("li post 201", r.status == 201 and r.body == b"" and
               re.fullmatch(r"urn:li:share:\d{19}", r.h("x-restli-id") or ""), (r.status, r.body))
    share = r.h("x-restli-id")
    p = posts("linkedin")[-1]
    check("li truncation", p["raw_text"] == text and p["truncated"] is True
          and p["text"] == "Relax (and) breathe #selfcare #calm Wellness Rituals ", p["text"])
    check("li published object", p["id"] == share and p["account"] == LI_ORG and p["image_sha256"] == sha(img)
          and p["alt_text"] == "Stones" and p["permalink"] == "https://www.linkedin.com/feed/update/%s/" % share
          and p["image"]["overwritten"] is False)
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, text, urn))
    check("li duplicate -> 422", r.status == 422 and r.json["errorDetails"]["inputErrors"][0]["code"] == "DUPLICATE_POST"
          and r.json["message"].endswith("Content is a duplicate of " + share) and r.json["status"] == 422, r.body)
    li_upload(up_url, jpeg(1200, 627, tag=b"other"))
    p = posts("linkedin")[-1]
    check("li second PUT marks overwritten", p["image"]["overwritten"] is True and p["image"]["uploads"] == 2)
    # plain text, escapes fully valid -> not truncated
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "Open 9\\-5 \\*today\\* \\#1 \u2192 \U0001F33F"))
    p = posts("linkedin")[-1]
    check("li escaped text kept", r.status == 201 and p["truncated"] is False and p["text"] == "Open 9-5 *today* #1 \u2192 \U0001F33F", p)
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "x" * 3001))
    check("li > 3000 -> FIELD_LENGTH_TOO_LONG", r.status == 400 and
          r.json["errorDetails"]["inputErrors"][0]["code"] == "FIELD_LENGTH_TOO_LONG")
    check("li 3000 ok", li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "\u00e9" * 3000)).status == 201)
    b = li_post_body(LI_ORG, "missing lifecycle")
    del b["lifecycleState"]
    r = li("POST", "/rest/posts", json_body=b)
    check("li MISSING_FIELD", r.status == 400 and r.json["errorDetails"]["inputErrors"][0]["code"] == "MISSING_FIELD")
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "member posting as org"), token=LI_MEMBER_TOKEN)
    check("li wrong author -> 403", r.status == 403 and r.json["message"] ==
          "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260101", r.body)
    ctl("POST", "config", {"linkedin": {"tokens": {"li-noscope": {"author": LI_ORG, "member": False, "scopes": ["r_organization_social"]}}}})
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "no scope"), token="li-noscope")
    check("li missing scope -> 403", r.status == 403 and r.json["code"] == "ACCESS_DENIED")
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "bad image", "urn:li:image:NOPE"))
    check("li unknown image -> 400", r.status == 400)
    art = li_post_body(LI_ORG, "Read our guide")
    art["content"] = {"article": {"source": "https://studio.example/guide", "title": "Guide"}}
    r = li("POST", "/rest/posts", json_body=art)
    check("li article post", r.status == 201 and posts()[-1]["link"] == "https://studio.example/guide")
    # failed processing: not an image, too many pixels
    for name, data in (("not image", b"hello"), ("too many pixels", png(6000, 6026))):
        r = li("POST", "/rest/images?action=initializeUpload", json_body={"initializeUploadRequest": {"owner": LI_ORG}})
        li_upload(r.json["value"]["uploadUrl"], data)
        u2 = r.json["value"]["image"]
        st = li("GET", "/rest/images/" + q(u2, safe="")).json["status"]
        r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, name, u2))
        check("li %s -> PROCESSING_FAILED" % name, st == "PROCESSING_FAILED" and
              r.json["errorDetails"]["inputErrors"][0]["code"] == "MEDIA_ASSET_PROCESSING_FAILED")
    # finder and single reads
    r = li("GET", "/rest/posts?author=%s&q=author&count=2&sortBy=LAST_MODIFIED" % q(LI_ORG, safe=""))
    check("li finder newest first", r.status == 200 and len(r.json["elements"]) == 2
          and r.json["elements"][0]["commentary"] == "Read our guide" and r.json["paging"]["start"] == 0
          and r.json["paging"]["links"][0]["rel"] == "next", r.body)
    all_el = li("GET", "/rest/posts?author=%s&q=author&count=50" % q(LI_ORG, safe="")).json["elements"]
    el = [e for e in all_el if e["id"] == share][0]
    check("li finder element", el["commentary"] == text[:text.index("(oops)")] and el["author"] == LI_ORG
          and el["content"]["media"]["id"] == urn and el["lifecycleState"] == "PUBLISHED" and el["createdAt"] > 0)
    r = li("GET", "/rest/posts?author=%s&q=author" % q(LI_MEMBER, safe=""), token=LI_MEMBER_TOKEN)
    check("li member finder -> 403", r.status == 403 and "partnerApiPostsExternal.FINDER-author" in r.json["message"])
    r = li("GET", "/rest/posts/" + q(share, safe=""))
    check("li GET post", r.status == 200 and r.json["id"] == share)
    r = li("GET", "/rest/posts/" + q(share, safe=""), token=LI_MEMBER_TOKEN)
    check("li member GET post -> 403", r.status == 403)
    r = li("DELETE", "/rest/posts/" + q(share, safe=""))
    check("li DELETE -> 204", r.status == 204 and [p for p in posts() if p["id"] == share][0]["deleted"])
    check("li GET deleted -> 404", li("GET", "/rest/posts/" + q(share, safe="")).status == 404)
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, text))
    check("li repost after delete allowed", r.status == 201)
    # member flow: no image GET, time-based processing
    ctl("POST", "config", {"linkedin": {"processing_seconds": 0.2}})
    r = li("POST", "/rest/images?action=initializeUpload", token=LI_MEMBER_TOKEN,
           json_body={"initializeUploadRequest": {"owner": LI_MEMBER}})
    murn = r.json["value"]["image"]
    check("li member upload", li_upload(r.json["value"]["uploadUrl"], img, token=LI_MEMBER_TOKEN).status == 201)
    r = li("GET", "/rest/images/" + q(murn, safe=""), token=LI_MEMBER_TOKEN)
    check("li member image GET -> 403", r.status == 403 and r.json["code"] == "ACCESS_DENIED")
    time.sleep(0.3)
    r = li("POST", "/rest/posts", token=LI_MEMBER_TOKEN, json_body=li_post_body(LI_MEMBER, "member post", murn))
    check("li member post", r.status == 201 and posts()[-1]["account"] == LI_MEMBER)
    r = call("GET", "/v2/userinfo", headers={"Authorization": "Bearer " + LI_MEMBER_TOKEN})
    check("li userinfo", r.status == 200 and r.json["sub"] == "abc123XYZ", r.body)
    # 429 fault
    fault({"network": "linkedin", "method": "POST", "path_regex": "^/rest/posts$"}, {"type": "linkedin_error", "status": 429})
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "throttled"))
    check("li 429", r.status == 429 and r.json == {"status": 429, "serviceErrorCode": 101, "message":
          "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."}
          and r.h("retry-after") is None and not any(k.startswith("x-ratelimit") for k in r.headers), r.body)
    fault({"network": "linkedin"}, {"type": "linkedin_error", "status": 503, "code": "SERVICE_UNAVAILABLE", "serviceErrorCode": 0})
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "503"))
    check("li 503 fault", r.status == 503 and r.json["code"] == "SERVICE_UNAVAILABLE")
    fault({"network": "linkedin", "path_regex": "^/rest/posts$"}, {"type": "malformed", "keep_headers": True})
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "malformed but created"))
    check("keep_headers keeps x-restli-id", r.status == 200 and r.body == b'{"id": "12'
          and r.h("x-restli-id") == posts()[-1]["id"])
    fault({"network": "linkedin", "path_regex": "^/rest/posts$"}, {"type": "drop_after"})
    try:
        li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "dropped after commit"))
        check("li drop_after", False)
    except (http.client.RemoteDisconnected, ConnectionError):
        check("li drop_after", posts()[-1]["text"] == "dropped after commit")
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "dropped after commit"))
    check("li retry after drop -> 422 names the URN", r.status == 422 and posts()[-1]["id"] in r.json["message"])
    # tokens: expired / revoked via control
    ctl("POST", "tokens", {"network": "linkedin", "id": LI_ORG_TOKEN, "expired": True})
    r = li("GET", "/rest/posts?author=%s&q=author" % q(LI_ORG, safe=""))
    check("li expired -> 65602", r.status == 401 and r.json == {"status": 401, "serviceErrorCode": 65602,
          "code": "EXPIRED_ACCESS_TOKEN", "message": "The token used in the request has expired"}, r.body)
    ctl("POST", "tokens", {"network": "linkedin", "id": LI_ORG_TOKEN, "expired": False, "revoked": True})
    r = li("GET", "/rest/posts?author=%s&q=author" % q(LI_ORG, safe=""))
    check("li revoked -> 65601", r.json["serviceErrorCode"] == 65601 and r.json["code"] == "REVOKED_ACCESS_TOKEN")
    ctl("POST", "tokens", {"network": "linkedin", "id": LI_ORG_TOKEN, "revoked": False})
    # OAuth
    r = call("POST", "/oauth/v2/introspectToken", form={"client_id": "cid", "client_secret": "csecret", "token": LI_ORG_TOKEN})
    check("li introspect active", r.json["active"] is True and r.json["status"] == "active" and r.json["auth_type"] == "3L"
          and "w_organization_social" in r.json["scope"] and r.json["client_id"] == "cid", r.body)
    check("oauth network recorded", requests_log()[-1]["network"] == "oauth")
    r = call("POST", "/oauth/v2/accessToken", form={"grant_type": "refresh_token", "refresh_token": "li-refresh",
                                                    "client_id": "cid", "client_secret": "wrong"})
    check("li refresh bad client -> 401", r.status == 401 and r.json["error"] == "invalid_client")
    r = call("POST", "/oauth/v2/accessToken", form={"grant_type": "refresh_token", "refresh_token": "li-refresh",
                                                    "client_id": "cid", "client_secret": "csecret"})
    ok = check("li refresh", r.status == 200 and r.json["expires_in"] == 5184000 and r.json["refresh_token"] == "li-refresh"
               and r.json["access_token"] != LI_ORG_TOKEN, r.body)
    new = r.json["access_token"]
    check("li old token replaced", li("GET", "/rest/posts?author=%s&q=author" % q(LI_ORG, safe="")).status == 401)
    check("li new token works", li("GET", "/rest/posts?author=%s&q=author" % q(LI_ORG, safe=""), token=new).status == 200)
    check("li tokens info", ctl("GET", "tokens")["linkedin"][new]["refresh_count"] == 1)
    ctl("POST", "tokens", {"network": "linkedin", "id": new, "expired": True})
    r = call("POST", "/oauth/v2/introspectToken", form={"client_id": "cid", "client_secret": "csecret", "token": new})
    check("li introspect expired", r.json["active"] is False and r.json["status"] == "expired")
    r = call("POST", "/oauth/v2/introspectToken", form={"client_id": "cid", "client_secret": "csecret", "token": "zzz"})
    check("li introspect unknown", r.json == {"active": False})
    ctl("POST", "tokens", {"network": "linkedin", "id": new, "expired": False, "token": LI_ORG_TOKEN})
    ctl("POST", "config", {"linkedin": {"auth_codes": {"code-1": {"author": LI_ORG, "member": False,
                                                                 "scopes": ["w_organization_social"]}}}})
    form = {"grant_type": "authorization_code", "code": "code-1", "client_id": "cid", "client_secret": "csecret",
            "redirect_uri": "http://127.0.0.1/cb"}
    r = call("POST", "/oauth/v2/accessToken", form=form)
    check("li authorization_code", r.status == 200 and r.json["refresh_token"].startswith("AQW")
          and r.json["expires_in"] == 5184000)
    check("li code single use", call("POST", "/oauth/v2/accessToken", form=form).status == 400)
    ctl("POST", "config", {"linkedin": {"processing_seconds": 2.0}})


def sigv4_headers(method, path, body=b"", query="", extra=None, ak=AK, sk=SK, region="us-east-1",
                  when=None, payload_header=True, unsigned=False):
    """Independent SigV4 signer (not sharing code with fake_s3.py)."""
    q = urllib.parse.quote
    t = time.gmtime(when if when is not None else time.time())
    amz_date, day = time.strftime("%Y%m%dT%H%M%SZ", t), time.strftime("%Y%m%d", t)
    payload = "UNSIGNED-PAYLOAD" if unsigned else hashlib.sha256(body).hexdigest()
    hdrs = {"host": "127.0.0.1:%d" % PORT, "x-amz-date": amz_date}
    if payload_header:
        hdrs["x-amz-content-sha256"] = payload
    for k, v in (extra or {}).items():
        hdrs[k.lower()] = v
    names = sorted(hdrs)
    pairs = [p.split("=", 1) + [""] for p in query.split("&") if p] if query else []
    cq = "&".join(sorted("%s=%s" % (q(urllib.parse.unquote(a), safe="-_.~"), q(urllib.parse.unquote(b), safe="-_.~"))
                         for a, b, *_ in pairs))
    creq = "\n".join([method, q(urllib.parse.unquote(path), safe="/-_.~"), cq]
                     + ["%s:%s" % (n, " ".join(hdrs[n].split())) for n in names] + ["", ";".join(names), payload])
    scope = "%s/%s/s3/aws4_request" % (day, region)
    sts = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz_date, scope, hashlib.sha256(creq.encode()).hexdigest())
    key = ("AWS4" + sk).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    out = {("Host" if n == "host" else n): hdrs[n] for n in names}
    out["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ak, scope, ";".join(names), sig)
    return out


def presign(path, expires=300, when=None, region="eu-west-1"):
    q = urllib.parse.quote
    t = time.gmtime(when if when is not None else time.time())
    amz_date, day = time.strftime("%Y%m%dT%H%M%SZ", t), time.strftime("%Y%m%d", t)
    scope = "%s/%s/s3/aws4_request" % (day, region)
    params = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": "%s/%s" % (AK, scope),
              "X-Amz-Date": amz_date, "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": "host"}
    cq = "&".join("%s=%s" % (q(k, safe="-_.~"), q(v, safe="-_.~")) for k, v in sorted(params.items()))
    creq = "\n".join(["GET", q(path, safe="/-_.~"), cq, "host:127.0.0.1:%d" % PORT, "", "host", "UNSIGNED-PAYLOAD"])
    sts = "AWS4-HMAC-SHA256\n%s\n%s\n%s" % (amz_date, scope, hashlib.sha256(creq.encode()).hexdigest())
    key = ("AWS4" + SK).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return path + "?" + cq + "&X-Amz-Signature=" + hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


def xml_code(r):
    m = re.search(rb"<Code>([^<]+)</Code>", r.body)
    return m.group(1).decode() if m else None


def test_s3(tmp):
    ctl("POST", "reset")
    sys.path.insert(0, HERE)
    import fake_s3 as s3
    # AWS documentation examples (sig-v4-header-based-auth)
    dk = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    e = s3.EMPTY_SHA256
    h = {"host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9", "x-amz-content-sha256": e,
         "x-amz-date": "20130524T000000Z"}
    cr = s3.canonical_request("GET", s3.canonical_uri("/test.txt"), "", h, sorted(h), e)
    check("aws example GET canonical", hashlib.sha256(cr.encode()).hexdigest() ==
          "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
    sts = s3.string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", cr)
    check("aws example GET signature", s3.signature(dk, "20130524", "us-east-1", sts) ==
          "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    ph = sha(b"Welcome to Amazon S3.")
    h = {"date": "Fri, 24 May 2013 00:00:00 GMT", "host": "examplebucket.s3.amazonaws.com",
         "x-amz-content-sha256": ph, "x-amz-date": "20130524T000000Z", "x-amz-storage-class": "REDUCED_REDUNDANCY"}
    cr = s3.canonical_request("PUT", s3.canonical_uri("/test%24file.text"), "", h, sorted(h), ph)
    sts = s3.string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", cr)
    check("aws example PUT signature", s3.signature(dk, "20130524", "us-east-1", sts) ==
          "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    h = {"host": "examplebucket.s3.amazonaws.com", "x-amz-content-sha256": e, "x-amz-date": "20130524T000000Z"}
    cr = s3.canonical_request("GET", "/", s3.canonical_query(s3.split_query("max-keys=2&prefix=J")), h, sorted(h), e)
    sts = s3.string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", cr)
    check("aws example list signature", s3.signature(dk, "20130524", "us-east-1", sts) ==
          "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    # signed PUT / GET / HEAD / public GET
    img = jpeg(1080, 1350, tag=b"s3")
    path = "/ritual-media/posts/2026-03-02 tip (1).jpg"
    qpath = urllib.parse.quote(path)
    r = call("PUT", qpath, body=img, headers=sigv4_headers("PUT", qpath, img, extra={"Content-Type": "image/jpeg"}))
    check("s3 signed PUT 200 + ETag", r.status == 200 and r.h("etag") == '"%s"' % hashlib.md5(img).hexdigest(), r.body)
    objs = ctl("GET", "s3")
    check("_fake/s3 lists object", objs == [{"bucket": "ritual-media", "key": "posts/2026-03-02 tip (1).jpg",
          "size": len(img), "sha256": sha(img), "content_type": "image/jpeg", "etag": r.h("etag"),
          "last_modified": objs[0]["last_modified"]}], objs)
    r = call("GET", qpath, headers=sigv4_headers("GET", qpath))
    check("s3 signed GET", r.status == 200 and r.body == img and r.h("content-type") == "image/jpeg")
    r = call("GET", qpath)
    check("s3 public GET", r.status == 200 and sha(r.body) == sha(img) and r.h("content-type") == "image/jpeg")
    r = call("HEAD", qpath)
    check("s3 HEAD", r.status == 200 and r.h("content-length") == str(len(img)) and r.body == b"")
    r = call("GET", qpath, headers={"Range": "bytes=0-9"})
    check("s3 Range", r.status == 206 and r.body == img[:10] and r.h("content-range") == "bytes 0-9/%d" % len(img))
    check("s3 recorded", requests_log(network="s3")[0]["method"] == "PUT")
    # one byte altered -> 403 / mismatch
    bad = bytearray(img)
    bad[100] ^= 1
    hdrs = sigv4_headers("PUT", qpath, img, payload_header=False)
    r = call("PUT", qpath, body=bytes(bad), headers=hdrs)
    check("s3 altered body -> 403 SignatureDoesNotMatch", r.status == 403 and xml_code(r) == "SignatureDoesNotMatch"
          and b"<CanonicalRequest>" in r.body, r.body[:300])
    r = call("PUT", qpath, body=img, headers=hdrs)
    check("s3 same request unaltered -> 200 (no content-sha header)", r.status == 200, r.body)
    hdrs = sigv4_headers("PUT", qpath, img)
    hdrs["Authorization"] = hdrs["Authorization"][:-1] + ("0" if hdrs["Authorization"][-1] != "0" else "1")
    r = call("PUT", qpath, body=img, headers=hdrs)
    check("s3 altered signature -> 403", r.status == 403 and xml_code(r) == "SignatureDoesNotMatch")
    # A signed header that was not sent (libcurl < 8.3 signs a removed
    # "Expect:"): S3 rebuilds the request without it -> mismatch.
    hdrs = sigv4_headers("PUT", qpath, img, extra={"expect": ""})
    del hdrs["expect"]
    r = call("PUT", qpath, body=img, headers=hdrs)
    check("s3 signed header not sent -> 403 SignatureDoesNotMatch", r.status == 403
          and xml_code(r) == "SignatureDoesNotMatch" and b"<CanonicalRequest>" in r.body
          and "expect" in hdrs["Authorization"], r.body[:300])
    r = call("PUT", qpath, body=bytes(bad), headers=sigv4_headers("PUT", qpath, img))
    check("s3 body != x-amz-content-sha256 -> 400", r.status == 400 and xml_code(r) == "XAmzContentSHA256Mismatch")
    r = call("PUT", "/ritual-media/u.jpg", body=img, headers=sigv4_headers("PUT", "/ritual-media/u.jpg", img, unsigned=True))
    check("s3 UNSIGNED-PAYLOAD", r.status == 200, r.body)
    r = call("PUT", "/ritual-media/u.jpg", body=img, headers=sigv4_headers("PUT", "/ritual-media/u.jpg", img, ak="AKIDNOPE"))
    check("s3 unknown key -> InvalidAccessKeyId", r.status == 403 and xml_code(r) == "InvalidAccessKeyId")
    r = call("PUT", "/ritual-media/u.jpg", body=img, headers=sigv4_headers("PUT", "/ritual-media/u.jpg", img, region="eu-west-1"))
    check("s3 wrong region -> AuthorizationHeaderMalformed", r.status == 400 and xml_code(r) == "AuthorizationHeaderMalformed")
    r = call("PUT", "/ritual-media/u.jpg", body=img, headers=sigv4_headers("PUT", "/ritual-media/u.jpg", img,
                                                                           when=time.time() - 20 * 60))
    check("s3 skew -> RequestTimeTooSkewed", r.status == 403 and xml_code(r) == "RequestTimeTooSkewed")
    hdrs = sigv4_headers("PUT", "/ritual-media/u.jpg", img)
    hdrs["x-amz-meta-extra"] = "unsigned"
    r = call("PUT", "/ritual-media/u.jpg", body=img, headers=hdrs)
    check("s3 unsigned x-amz header -> AccessDenied", r.status == 403 and xml_code(r) == "AccessDenied")
    r = call("PUT", "/ritual-media/u.jpg", body=img)
    check("s3 anonymous PUT -> AccessDenied", r.status == 403 and xml_code(r) == "AccessDenied"
          and r.h("content-type") == "application/xml")
    # private bucket, presigned URL
    pp = "/private-media/secret.jpg"
    r = call("PUT", pp, body=img, headers=sigv4_headers("PUT", pp, img, region="eu-west-1"))
    check("s3 private PUT", r.status == 200, r.body)
    check("s3 private anonymous GET -> 403", call("GET", pp).status == 403)
    r = call("GET", presign(pp))
    check("s3 presigned GET", r.status == 200 and r.body == img, r.body[:300])
    r = call("GET", presign(pp, expires=60, when=time.time() - 120))
    check("s3 presigned expired -> 403", r.status == 403 and b"Request has expired" in r.body)
    # listing, delete
    r = call("GET", "/ritual-media?prefix=posts%2F", headers=sigv4_headers("GET", "/ritual-media", query="prefix=posts%2F"))
    check("s3 list", r.status == 200 and b"<Key>posts/2026-03-02 tip (1).jpg</Key>" in r.body and b"u.jpg" not in r.body, r.body[:300])
    r = call("DELETE", "/ritual-media/u.jpg", headers=sigv4_headers("DELETE", "/ritual-media/u.jpg"))
    check("s3 DELETE 204", r.status == 204)
    r = call("GET", "/ritual-media/u.jpg")
    check("s3 NoSuchKey", r.status == 404 and xml_code(r) == "NoSuchKey")
    # Instagram fetching the public S3 URL
    r = ig("POST", "/%s/media" % IG2_USER, token=IG2_TOKEN,
           json_body={"image_url": "http://127.0.0.1:%d%s" % (PORT, qpath), "caption": "from s3"})
    ok = check("ig from s3 URL", r.status == 200, r.body)
    if ok:
        c = [x for x in ctl("GET", "containers") if x["id"] == r.json["id"]][0]
        check("ig container has s3 bytes", c["image_sha256"] == sha(img))
    fault({"network": "s3", "method": "GET"}, {"type": "error", "status": 503, "body": "slow down"})
    r = ig("POST", "/%s/media" % IG2_USER, token=IG2_TOKEN,
           json_body={"image_url": "http://127.0.0.1:%d%s" % (PORT, qpath), "caption": "s3 down"})
    check("s3 fault -> ig 9004", r.status == 400 and r.json["error"]["code"] == 9004)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def make_config(tmp):
    os.makedirs(os.path.join(tmp, "media"))
    with open(os.path.join(tmp, "media", "square.jpg"), "wb") as fh:
        fh.write(jpeg(1080, 1080, tag=b"sq"))
    with open(os.path.join(tmp, "media", "tall.jpg"), "wb") as fh:
        fh.write(jpeg(1080, 1500))
    with open(os.path.join(tmp, "media", "wide.jpg"), "wb") as fh:
        fh.write(jpeg(1910, 1000))
    with open(os.path.join(tmp, "media", "huge.jpg"), "wb") as fh:
        fh.write(jpeg(1080, 1080, pad=8 * 1024 * 1024 + 10))
    with open(os.path.join(tmp, "media", "pic.png"), "wb") as fh:
        fh.write(png(1080, 1080))
    return {
        "facebook": {"pages": {PAGE: {"token": FB_TOKEN, "name": "Wellness Rituals"}},
                     "users": {"fb-user-token": {"id": "10158000000000001", "name": "Owner", "pages": [PAGE]}}},
        "instagram": {"users": {
            IG_USER: {"token": IG_TOKEN, "username": "wellnessrituals", "login": "facebook",
                      "quota_total": 3, "polls_until_finished": 2, "token_expires_in": 5183944},
            IG2_USER: {"token": IG2_TOKEN, "username": "studio2", "login": "instagram",
                       "quota_total": 50, "polls_until_finished": 0, "token_expires_in": 5183944,
                       "refresh_grace_seconds": 0}}},
        "linkedin": {"tokens": {
            LI_ORG_TOKEN: {"author": LI_ORG, "member": False,
                           "scopes": ["w_organization_social", "r_organization_social"], "expires_at": 1790000000 + 10 ** 8},
            LI_MEMBER_TOKEN: {"author": LI_MEMBER, "member": True, "scopes": ["w_member_social"],
                              "expires_at": 1790000000 + 10 ** 8}},
            "client_id": "cid", "client_secret": "csecret", "refresh_tokens": {"li-refresh": LI_ORG_TOKEN},
            "sunset_versions": ["202401", "202510"], "min_version": "202501", "polls_until_available": 1},
        "s3": {"buckets": {"ritual-media": {"access_key": AK, "secret_key": SK, "region": "us-east-1",
                                            "public_read": True},
                           "private-media": {"access_key": AK, "secret_key": SK, "region": "eu-west-1",
                                             "public_read": False}}},
        "static": {"/media/": os.path.join(tmp, "media")},
    }


def test_truth(tmp):
    """Issue 8 item 7: answers after processing, honest usage, the offset clock; FINDER."""
    ctl("POST", "reset")
    q = urllib.parse.quote
    img = open(os.path.join(tmp, "media", "square.jpg"), "rb").read()

    def photo(msg):
        body, ctype = multipart({"message": msg}, {"source": ("a.jpg", "image/jpeg", img)})
        return fb("POST", "/%s/photos" % PAGE, body=body, headers={"Content-Type": ctype})

    # a. processed, then an error answer: the post exists all the same.
    m_photos = {"network": "facebook", "method": "POST", "path_regex": "/photos$"}
    m_feed = {"network": "facebook", "method": "POST", "path_regex": "/feed$"}
    for code in (1, 2):
        fault(m_photos, {"type": "meta_error", "code": code, "message": "An unexpected error has occurred. "
                         "Please retry your request later.", "is_transient": True, "process": True})
        r = photo("after500 %d" % code)
        e = (r.json or {}).get("error", {})
        check("processed 500 code %d" % code, r.status == 500 and e.get("code") == code
              and e.get("is_transient") is True and "unexpected" in e.get("message", ""), r.body)
        check("processed 500 code %d: photo exists" % code,
              [p["text"] for p in posts("facebook")][-1:] == ["after500 %d" % code])
    fault(m_feed, {"type": "html", "status": 502, "process": True})
    r = fb("POST", "/%s/feed" % PAGE, form={"message": "behind proxy"})
    check("processed proxy 502 page", r.status == 502 and r.h("content-type").startswith("text/html")
          and b"<h1>502 Bad Gateway</h1>" in r.body and posts("facebook")[-1]["text"] == "behind proxy", r.body)
    fault(m_feed, {"type": "noid", "process": True})
    r = fb("POST", "/%s/feed" % PAGE, form={"message": "no id"})
    check("processed 200 without id", r.status == 200 and r.json == {}
          and posts("facebook")[-1]["text"] == "no id", r.body)
    fault(m_photos, {"type": "drop_after"})
    try:
        photo("dropped")
        dropped = False
    except (http.client.HTTPException, OSError):
        dropped = True
    check("processed then dropped", dropped and posts("facebook")[-1]["text"] == "dropped")
    # Instagram media_publish, processed then 500 code 1
    url = "http://127.0.0.1:%d/media/square.jpg" % PORT
    cid = ig("POST", "/%s/media" % IG_USER, json_body={"image_url": url, "caption": "ig after"}).json["id"]
    for _ in range(2):
        ig("GET", "/%s?fields=status_code" % cid)
    fault({"network": "instagram", "path_regex": "/media_publish$"},
          {"type": "meta_error", "code": 1, "process": True})
    r = ig("POST", "/%s/media_publish" % IG_USER, form={"creation_id": cid})
    check("ig publish processed then 500", r.status == 500 and [p["text"] for p in posts("instagram")] == ["ig after"],
          r.body)
    # LinkedIn /rest/posts, processed then 500, and 201 without x-restli-id
    m_li = {"network": "linkedin", "method": "POST", "path_regex": "^/rest/posts$"}
    fault(m_li, {"type": "linkedin_error", "status": 500, "process": True})
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "li after 500"))
    check("li processed then 500", r.status == 500 and r.h("x-restli-id") is None
          and posts("linkedin")[-1]["raw_text"] == "li after 500", r.body)
    fault(m_li, {"type": "noid", "status": 201, "process": True})
    r = li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "li no id"))
    check("li processed 201 without x-restli-id", r.status == 201 and r.h("x-restli-id") is None
          and posts("linkedin")[-1]["raw_text"] == "li no id", r.body)

    # FINDER: a q= call without X-RestLi-Method: FINDER is refused, LinkedIn's error shape.
    path = "/rest/posts?author=%s&q=author&count=5" % q(LI_ORG, safe="")
    r = li("GET", path, extra={"X-RestLi-Method": ""})
    check("li finder without X-RestLi-Method -> 400", r.status == 400
          and r.json.get("status") == 400 and r.json.get("code") == "ILLEGAL_ARGUMENT"
          and "X-RestLi-Method: FINDER" in r.json.get("message", ""), r.body)
    r = call("GET", path, headers={"LinkedIn-Version": "202601", "X-Restli-Protocol-Version": "2.0.0",
                                   "Authorization": "Bearer " + LI_ORG_TOKEN})
    check("li finder header absent -> 400", r.status == 400, r.body)
    r = li("GET", path)
    check("li finder with FINDER -> 200", r.status == 200 and len(r.json["elements"]) == 2, r.body)
    r = li("GET", "/rest/posts/%s" % q(posts("linkedin")[-1]["id"], safe=""))
    check("li get by urn needs no FINDER", r.status == 200, r.body)

    # b. usage headers: a sliding hour of calls against calls_per_hour.
    ctl("POST", "reset")
    ctl("POST", "config", {"meta": {"calls_per_hour": 10}})

    def usage():
        r = fb("GET", "/me")
        return (json.loads(r.h("x-app-usage"))["call_count"],
                json.loads(r.h("x-business-use-case-usage"))[PAGE][0]["call_count"])
    got = [usage() for _ in range(3)]
    check("usage counts recent calls", got == [(10, 10), (20, 20), (30, 30)], got)
    ctl("POST", "clock", {"advance": 1800})
    check("usage within the hour", usage() == (40, 40))
    ctl("POST", "clock", {"advance": 1801})
    check("usage: calls older than an hour drop out", usage() == (20, 20))
    ctl("POST", "reset")
    check("usage after reset", usage() == (10, 10))
    ctl("POST", "config", {"meta": {"calls_per_hour": None}})

    # c. the offset clock: Date headers, created times, since= filters.
    ctl("POST", "reset")
    ctl("POST", "config", {"clock_offset": -600})
    check("clock offset from config", ctl("POST", "clock", {})["offset"] == -600)
    before = time.time()
    r = fb("GET", "/me")
    d = email.utils.parsedate_to_datetime(r.h("date")).timestamp()
    check("Date header RFC 7231", re.fullmatch(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT",
                                              r.h("date") or "") is not None, r.h("date"))
    check("Date header on the offset clock", before - 602 <= d <= time.time() - 598, (before, d))
    li_d = email.utils.parsedate_to_datetime(li("GET", path).h("date")).timestamp()
    check("LinkedIn Date on the offset clock", abs(li_d - (time.time() - 600)) < 3)
    photo("skewed photo")
    fb("POST", "/%s/feed" % PAGE, form={"message": "skewed text"})
    r = fb("GET", "/%s/posts?fields=id,message,created_time" % PAGE)
    times = [calendar_utc(x["created_time"]) for x in r.json["data"]]
    check("fb created_time on the offset clock", len(times) == 2
          and all(abs(t - (time.time() - 600)) < 5 for t in times), (times, time.time()))
    real_now = int(time.time())
    r = fb("GET", "/%s/posts?since=%d" % (PAGE, real_now - 300))
    check("fb since= on the offset clock (real now - 5 min is the platform's future)", r.json["data"] == [], r.body)
    r = fb("GET", "/%s/posts?since=%d" % (PAGE, real_now - 900))
    check("fb since= 15 min back finds both", len(r.json["data"]) == 2, r.body)
    cid = ig("POST", "/%s/media" % IG_USER, json_body={"image_url": url, "caption": "skewed ig"}).json["id"]
    for _ in range(2):
        ig("GET", "/%s?fields=status_code" % cid)
    ig("POST", "/%s/media_publish" % IG_USER, form={"creation_id": cid})
    r = ig("GET", "/%s/media?fields=id,timestamp,caption" % IG_USER)
    ts = calendar_utc(r.json["data"][0]["timestamp"])
    check("ig timestamp on the offset clock", abs(ts - (time.time() - 600)) < 5, r.body)
    li("POST", "/rest/posts", json_body=li_post_body(LI_ORG, "skewed li"))
    el = li("GET", path).json["elements"][0]
    check("li createdAt/publishedAt on the offset clock", el["createdAt"] == el["publishedAt"]
          and abs(el["createdAt"] / 1000 - (time.time() - 600)) < 5, el)
    ctl("POST", "clock", {"offset": 0})
    check("clock moved by the control API", abs(email.utils.parsedate_to_datetime(
        fb("GET", "/me").h("date")).timestamp() - time.time()) < 3)
    ctl("POST", "reset")
    check("reset restores the config's offset", ctl("POST", "clock", {})["offset"] == -600)
    ctl("POST", "config", {"clock_offset": None})
    check("removing clock_offset from the config", ctl("POST", "clock", {})["offset"] == 0)
    ctl("POST", "reset")


def calendar_utc(meta_time):
    """Unix time of a Meta '2026-03-02T09:00:03+0000' timestamp."""
    import calendar
    return calendar.timegm(time.strptime(meta_time, "%Y-%m-%dT%H:%M:%S+0000"))


TESTS = [test_core, test_facebook, test_faults, test_instagram, test_linkedin, test_s3, test_truth]


def main():
    global PORT
    t_start = time.time()
    tmp = tempfile.mkdtemp(prefix="fakeapi-selftest-")
    proc = None
    try:
        cfg = make_config(tmp)
        with open(os.path.join(tmp, "config.json"), "w") as fh:
            json.dump(cfg, fh)
        port_file = os.path.join(tmp, "port")
        log_file = os.path.join(tmp, "requests.jsonl")
        out = open(os.path.join(tmp, "server.out"), "wb")
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fakeapi.py"), "--config",
                                 os.path.join(tmp, "config.json"), "--port", "0", "--port-file",
                                 port_file, "--log", log_file], stdout=out, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while not os.path.exists(port_file) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.02)
        PORT = int(open(port_file).read().strip())
        check("port file", PORT > 0)
        for t in TESTS:
            try:
                t(tmp)
            except Exception:
                R.failed += 1
                print("FAIL %s raised:\n%s" % (t.__name__, traceback.format_exc()))
        # log file: one JSON line per request, flushed
        lines = open(log_file).read().splitlines()
        check("log file lines", len(lines) > 50 and all(json.loads(x)["seq"] >= 1 for x in lines))
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
        check("clean exit on SIGTERM", rc == 0, rc)
        out.close()
        srv_out = open(os.path.join(tmp, "server.out"), "rb").read().decode("utf-8", "replace")
        check("server output has no tokens", not any(t in srv_out for t in (
            FB_TOKEN, IG_TOKEN, LI_ORG_TOKEN, SK, "Bearer")), srv_out[-2000:])
        check("server output has no tracebacks", "Traceback" not in srv_out and "internal error" not in srv_out,
              srv_out[-3000:])
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print("(%.1f s)" % (time.time() - t_start))
    print("%d passed, %d failed" % (R.passed, R.failed))
    return 0 if R.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
