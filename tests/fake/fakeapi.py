#!/usr/bin/env python3
"""Fake Facebook / Instagram / LinkedIn / S3 API server for ritual's end-to-end tests.

Usage:
    python3 tests/fake/fakeapi.py --config CONFIG.json --port 0 --port-file PORTFILE [--log LOGFILE]

One ThreadingHTTPServer on 127.0.0.1 serves every API, routed by path:

    /vNN.N/...                  Meta Graph (Facebook Page + Instagram)   -> fake_meta.py
    /refresh_access_token       Instagram Login token refresh            -> fake_meta.py
    /rest/..., /dms-uploads/... LinkedIn REST + image upload URLs        -> fake_linkedin.py
    /oauth/v2/...               LinkedIn OAuth                           -> fake_linkedin.py
    /<bucket>/<key>             S3 path-style object store (SigV4)       -> fake_s3.py
    <static prefix>...          files from a folder ("owner's web server")
    /_fake/...                  control API (JSON), never recorded

This file is the core: HTTP plumbing (keep-alive, chunked bodies, multipart
parsing), the request log, the published-objects list, fault injection and the
control API. Network behaviour lives in the fake_*.py modules, which receive a
`Request` and return a `Response`; they keep their own data in `state.data`
and take `state.lock` (one RLock for everything) while touching it.

Nothing here ever prints request headers or bodies (they carry tokens); the
optional --log file is for tests only. The server never connects anywhere but
127.0.0.1 (image_url fetches go through `fetch_local`).
"""

import argparse
import copy
import email.parser
import email.policy
import email.utils
import hashlib
import json
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

if __name__ == "__main__":
    # Network modules do `import fakeapi`; make that resolve to this very module
    # instead of importing a second copy of it.
    sys.modules.setdefault("fakeapi", sys.modules[__name__])

JSON_META = "application/json; charset=UTF-8"
JSON_PLAIN = "application/json"
MAX_BODY = 64 * 1024 * 1024

REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
    301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
    308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 411: "Length Required",
    413: "Payload Too Large", 422: "Unprocessable Entity", 426: "Upgrade Required",
    429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}

# Whether each fault type lets the request reach the fake API ("processed":
# a post gets created) before the faulty response. Overridable per fault with
# "process": true|false in the action (for the types that replace the body).
FAULT_PROCESSES = {
    "error": False, "meta_error": False, "linkedin_error": False, "throttle": False,
    "delay": True, "drop": False, "drop_after": True, "delay_after": True, "hold": True,
    "malformed": True, "html": False, "empty": True, "noid": False, "reset_mid": False,
    "drip": True, "big": True, "redirect": False,
}


# --------------------------------------------------------------------------
# small helpers shared by the network modules
# --------------------------------------------------------------------------

def sha256_hex(data):
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def iso_time(ts):
    """Meta-style timestamp: 2026-03-02T09:00:03+0000."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(int(ts)))


def parse_bool(value, default=None):
    """'true'/'false'/'1'/'0'/bool -> bool; anything else -> default."""
    if isinstance(value, bool):
        return value
    if value is None:
        return default
    s = str(value).strip().lower()
    if s in ("true", "1", "yes", "on"):
        return True
    if s in ("false", "0", "no", "off"):
        return False
    return default


def pairs_to_dict(pairs):
    """[(k, v), ...] -> {k: v}; a repeated key gives a list of its values."""
    out = {}
    for k, v in pairs:
        if k in out:
            if isinstance(out[k], list):
                out[k].append(v)
            else:
                out[k] = [out[k], v]
        else:
            out[k] = v
    return out


def first(value):
    """The first value of a possibly repeated parameter."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def random_token(prefix, n=40, alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"):
    """A random token-looking string."""
    return prefix + "".join(random.choice(alphabet) for _ in range(n))


def deep_merge(dst, src):
    """Merge dict `src` into dict `dst` recursively; a None value deletes the key."""
    for k, v in src.items():
        if v is None:
            dst.pop(k, None)
        elif isinstance(v, dict) and isinstance(dst.get(k), dict):
            deep_merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v)
    return dst


def sniff_image(data):
    """Identify an image by magic bytes.

    Returns (kind, width, height); kind is 'jpeg', 'png', 'gif', 'bmp', 'tiff'
    or None; width/height are None when they cannot be read from the header.
    JPEG dimensions come from the first SOFn segment.
    """
    if data[:3] == b"\xff\xd8\xff":
        w, h = _jpeg_size(data)
        return "jpeg", w, h
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        if len(data) >= 24 and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return "png", w, h
        return "png", None, None
    if data[:6] in (b"GIF87a", b"GIF89a"):
        if len(data) >= 10:
            w, h = struct.unpack("<HH", data[6:10])
            return "gif", w, h
        return "gif", None, None
    if data[:2] == b"BM":
        if len(data) >= 26:
            w, h = struct.unpack("<ii", data[18:26])
            return "bmp", abs(w), abs(h)
        return "bmp", None, None
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff", None, None
    return None, None, None


def _jpeg_size(data):
    """(width, height) from a JPEG's SOF marker, or (None, None)."""
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None, None
        marker = data[i + 1]
        if marker == 0xFF:          # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:   # no length
            i += 2
            continue
        if marker == 0xD9 or marker == 0xDA:   # EOI / start of scan: no SOF seen
            return None, None
        seglen = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if i + 9 > n:
                return None, None
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + seglen
    return None, None


class FetchError(Exception):
    """An image URL could not be fetched (not loopback, refused, non-200...).

    `timeout` is True when the fetch timed out.
    """

    def __init__(self, reason, timeout=False):
        super().__init__(reason)
        self.timeout = timeout


class _LoopbackRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to loopback URLs."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not is_loopback_url(newurl):
            raise FetchError("redirect to a non-loopback URL")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def is_loopback_url(url):
    """True for http(s)://127.0.0.1[:port]/... or http://localhost[:port]/..."""
    try:
        u = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return u.scheme in ("http", "https") and u.hostname in ("127.0.0.1", "localhost")


def fetch_local(url, user_agent, timeout=15.0, max_bytes=64 * 1024 * 1024):
    """GET a loopback URL like Meta's crawler would; returns (content_type, bytes).

    Raises FetchError for anything that is not a 200 from 127.0.0.1. Never
    uses proxies and never leaves the machine.
    """
    if not is_loopback_url(url):
        raise FetchError("not a loopback URL")
    u = urllib.parse.urlsplit(url)
    if u.hostname == "localhost":
        netloc = "127.0.0.1" + (":%d" % u.port if u.port else "")
        url = urllib.parse.urlunsplit((u.scheme, netloc, u.path, u.query, u.fragment))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _LoopbackRedirects())
    req = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept": "*/*"})
    try:
        with opener.open(req, timeout=timeout) as resp:
            if resp.status != 200:
                raise FetchError("HTTP %d" % resp.status)
            data = resp.read(max_bytes + 1)
            return resp.headers.get("Content-Type", ""), data
    except FetchError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        timed_out = isinstance(e, TimeoutError) or isinstance(reason, TimeoutError)
        raise FetchError(type(e).__name__, timeout=timed_out)
    except Exception as e:  # http.client.IncompleteRead, RemoteDisconnected...
        raise FetchError(type(e).__name__)


def parse_fields(value):
    """Graph 'fields' parameter -> list of top-level field names."""
    if not value:
        return []
    out, depth, cur = [], 0, ""
    for ch in str(value):
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        if depth == 0 and ch not in "})":
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return [re.split(r"[.{(]", f)[0] for f in out if f]


# --------------------------------------------------------------------------
# request / response objects
# --------------------------------------------------------------------------

class FilePart:
    """A multipart file part (kept with its bytes; recorded without them)."""

    def __init__(self, filename, content_type, data):
        self.filename = filename
        self.content_type = content_type
        self.data = data

    def describe(self):
        return {"filename": self.filename, "content_type": self.content_type,
                "size": len(self.data), "sha256": sha256_hex(self.data)}


class Request:
    """A parsed HTTP request as the network modules see it.

    Attributes: method, path (raw, without query), query_string, query (dict;
    repeated keys give lists), headers (dict, lowercase names), body (bytes),
    content_type (lowercase media type), form (dict of text fields or None),
    files (dict name -> FilePart or None), json (parsed body or None),
    json_error (True if the body claimed JSON but did not parse), network,
    conn_id, seq, base_url (http://127.0.0.1:PORT).
    """

    def __init__(self):
        self.method = "GET"
        self.path = "/"
        self.query_string = ""
        self.query = {}
        self.query_pairs = []
        self.headers = {}
        self.body = b""
        self.content_type = ""
        self.form = None
        self.files = None
        self.json = None
        self.json_error = False
        self.network = "unknown"
        self.conn_id = 0
        self.seq = 0
        self.base_url = ""

    def segments(self):
        """Decoded path segments, e.g. ['v25.0', '123', 'photos']."""
        return [urllib.parse.unquote(s) for s in self.path.split("/") if s != ""]

    def param(self, name, default=None):
        """A parameter from the JSON body, then the form body, then the query."""
        if isinstance(self.json, dict) and name in self.json:
            return self.json[name]
        if self.form and name in self.form:
            return first(self.form[name])
        if name in self.query:
            return first(self.query[name])
        return default

    def has_param(self, name):
        return self.param(name) is not None

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)


class Response:
    """What a network module returns: status, headers (list of pairs), body bytes.

    `meta` carries hints for the core (e.g. Meta usage-header account ids).
    """

    def __init__(self, status=200, body=b"", headers=None, content_type=None):
        self.status = status
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body
        self.headers = list(headers or [])
        if content_type:
            self.headers.append(("Content-Type", content_type))
        self.meta = {}

    @classmethod
    def json(cls, obj, status=200, content_type=JSON_META, headers=None):
        body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return cls(status, body, headers, content_type)

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def set_header(self, name, value):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        self.headers.append((name, value))

    def json_body(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None


def parse_multipart(body, content_type_header):
    """Parse a multipart/form-data body by hand.

    Returns (fields, files): fields maps name -> str for text parts; files maps
    name -> FilePart for parts with a filename, a non-text Content-Type, or
    bytes that are not UTF-8. Raises ValueError on a malformed body.
    """
    m = re.search(r'boundary=(?:"([^"]+)"|([^;\s]+))', content_type_header, re.I)
    if not m:
        raise ValueError("no boundary")
    boundary = (m.group(1) or m.group(2)).encode("latin-1")
    delim = b"--" + boundary
    fields, files = {}, {}
    # The first delimiter may start the body or follow a preamble + CRLF.
    if body.startswith(delim):
        pos = len(delim)
    else:
        idx = body.find(b"\r\n" + delim)
        if idx < 0:
            raise ValueError("no opening boundary")
        pos = idx + 2 + len(delim)
    hp = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    while True:
        if body[pos:pos + 2] == b"--":
            break                      # closing delimiter
        eol = body.find(b"\r\n", pos)
        if eol < 0:
            raise ValueError("truncated multipart body")
        pos = eol + 2                  # skip transport padding + CRLF
        nxt = body.find(b"\r\n" + delim, pos)
        if nxt < 0:
            raise ValueError("missing closing boundary")
        part = body[pos:nxt]
        pos = nxt + 2 + len(delim)
        sep = part.find(b"\r\n\r\n")
        if sep < 0:
            if part.startswith(b"\r\n"):
                head, data = b"", part[2:]
            else:
                raise ValueError("part without header separator")
        else:
            head, data = part[:sep], part[sep + 4:]
        msg = hp.parsebytes(head + b"\r\n\r\n")
        name = msg.get_param("name", header="content-disposition")
        if isinstance(name, tuple):
            name = email.utils.collapse_rfc2231_value(name)
        if name is None:
            continue
        filename = msg.get_filename()
        ctype = msg.get("Content-Type")
        is_file = filename is not None or (ctype is not None and not ctype.lower().startswith("text/"))
        text = None
        if not is_file:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                is_file = True
        if is_file:
            files[name] = FilePart(filename, ctype, data)
        else:
            if name in fields:
                prev = fields[name]
                fields[name] = (prev if isinstance(prev, list) else [prev]) + [text]
            else:
                fields[name] = text
    return fields, files



# --------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------

class Fault:
    """One fault rule: match criteria, remaining count, action."""

    def __init__(self, fid, spec):
        self.id = fid
        self.match = dict(spec.get("match") or {})
        self.times = int(spec.get("times", 1))
        self.skip = int(self.match.pop("skip", spec.get("skip", 0)) or 0)
        self.action = dict(spec.get("action") or {})
        if self.action.get("type") not in FAULT_PROCESSES:
            raise ValueError("unknown fault action type %r" % self.action.get("type"))
        numeric = ["seconds", "interval", "minutes", "bytes", "status"]
        if self.action["type"] in ("meta_error", "throttle"):
            numeric += ["code", "subcode"]
        for key in numeric:
            val = self.action.get(key)
            if val is not None and (isinstance(val, bool) or not isinstance(val, (int, float))):
                raise ValueError("fault action %r must be a number" % key)
        for key in ("path_regex", "query_regex", "body_regex"):
            if self.match.get(key):
                re.compile(self.match[key])
        self.hits = 0

    def active(self):
        return self.times != 0

    def matches(self, req):
        m = self.match
        if m.get("network") and m["network"] != req.network:
            return False
        if m.get("method") and m["method"].upper() != req.method:
            return False
        if m.get("path_regex") and not re.search(m["path_regex"], req.path):
            return False
        if m.get("query_regex") and not re.search(m["query_regex"], req.query_string):
            return False
        if m.get("body_regex") and not re.search(m["body_regex"], req.body.decode("utf-8", "replace")):
            return False
        return True

    def to_json(self):
        d = {"id": self.id, "match": dict(self.match), "times": self.times,
             "action": self.action, "hits": self.hits}
        if self.skip:
            d["match"]["skip"] = self.skip
        return d


def config_clock_offset(config):
    """The config's "clock_offset" (seconds the platforms' clock is off the real one)."""
    try:
        return float((config or {}).get("clock_offset") or 0)
    except (TypeError, ValueError):
        return 0.0


def http_date(ts):
    """RFC 7231 IMF-fixdate: 'Tue, 01 Dec 2026 21:16:02 GMT'."""
    return email.utils.formatdate(ts, usegmt=True)


class State:
    """Everything the fake remembers, guarded by one RLock (`lock`)."""

    def __init__(self, config, log_path=None):
        self.lock = threading.RLock()
        self.config = copy.deepcopy(config or {})
        self.requests = []
        self.posts = []
        self.faults = []
        self.data = {}               # per-network module data
        self.counters = {}
        self.seq = 0
        self.conn_seq = 0
        self.fault_seq = 0
        self.clock_offset = config_clock_offset(self.config)
        self.port = 0
        self.held = []               # list of dicts {"event", "action"}
        self.log_lock = threading.Lock()
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None

    # -- time and ids ------------------------------------------------------
    def now(self):
        """The platforms' current unix time: the real clock plus `clock_offset`.

        The offset starts at the config's "clock_offset" (e.g. -600: the
        platforms' clock is 10 minutes behind the real one), can be moved with
        POST /_fake/clock, and goes back to the config's value on reset. It
        drives every Date header, created times and `since=` filters.
        """
        return time.time() + self.clock_offset

    def next_id(self, name, start, step=1):
        """Next value of a named counter (ints), starting at `start`."""
        with self.lock:
            v = self.counters.get(name, start - step) + step
            self.counters[name] = v
            return v

    def next_conn_id(self):
        with self.lock:
            self.conn_seq += 1
            return self.conn_seq

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port

    def module_data(self, name, factory):
        """The named module's data dict, created by `factory()` on first use."""
        with self.lock:
            if name not in self.data:
                self.data[name] = factory()
            return self.data[name]

    # -- recording ---------------------------------------------------------
    def begin_record(self, req):
        """Append a request record (status unknown yet) and return it."""
        with self.lock:
            self.seq += 1
            req.seq = self.seq
            rec = {
                "seq": self.seq, "time": time.time(), "network": req.network,
                "method": req.method, "path": req.path, "query_string": req.query_string,
                "query": req.query, "headers": req.headers, "form": req.form,
                "files": ({k: f.describe() for k, f in req.files.items()}
                          if req.files is not None else None),
                "json": req.json, "body_len": len(req.body), "body_sha256": sha256_hex(req.body),
                "status": None, "fault": None, "connection": req.conn_id,
                "answered": None,
            }
            self.requests.append(rec)
            return rec

    def end_record(self, rec, status, fault_type):
        """Fill in the outcome and write the JSON line to the log file."""
        with self.lock:
            rec["status"] = status
            rec["fault"] = fault_type
            rec["answered"] = time.time()
            line = json.dumps(rec, ensure_ascii=False)
        with self.log_lock:
            if self.log_file:
                self.log_file.write(line + "\n")
                self.log_file.flush()

    def add_post(self, **fields):
        """Append a published object to /_fake/posts and return it (live dict)."""
        post = {"network": None, "account": None, "id": None, "text": None, "raw_text": None,
                "image_sha256": None, "link": None, "alt_text": None,
                "created_time": int(self.now()), "permalink": None, "deleted": False}
        post.update(fields)
        with self.lock:
            self.posts.append(post)
        return post

    # -- faults ------------------------------------------------------------
    def add_fault(self, spec):
        with self.lock:
            self.fault_seq += 1
            f = Fault(self.fault_seq, spec)
            self.faults.append(f)
            return f.id

    def take_fault(self, req):
        """The first active fault matching `req` (consuming one use), or None."""
        with self.lock:
            for f in self.faults:
                if not f.active() or not f.matches(req):
                    continue
                if f.skip > 0:
                    f.skip -= 1
                    continue
                if f.times > 0:
                    f.times -= 1
                f.hits += 1
                return f
        return None

    # -- holding -----------------------------------------------------------
    def hold(self):
        """Register a held response; returns the entry to wait on."""
        entry = {"event": threading.Event(), "action": "send"}
        with self.lock:
            self.held.append(entry)
        return entry

    def release(self, action="send"):
        with self.lock:
            held, self.held = self.held, []
        for entry in held:
            entry["action"] = action
            entry["event"].set()
        return len(held)

    def reset(self):
        """Forget requests, posts, faults and module data; keep config and id counters."""
        self.release("drop")
        with self.lock:
            self.requests = []
            self.posts = []
            self.faults = []
            self.seq = 0
            self.clock_offset = config_clock_offset(self.config)
            for mod in NETWORK_MODULES:
                if hasattr(mod, "reset"):
                    mod.reset(self)
            self.data = {}


# --------------------------------------------------------------------------
# routing
# --------------------------------------------------------------------------

NETWORK_MODULES = []


def load_modules():
    """Import the network modules (lazily, so they can `import fakeapi`)."""
    if NETWORK_MODULES:
        return NETWORK_MODULES
    here = os.path.dirname(os.path.abspath(__file__))
    if here not in sys.path:
        sys.path.insert(0, here)
    # fake_oauth first: it claims the consent and code-exchange routes
    # before fake_meta / fake_linkedin see their paths.
    for name in ("fake_oauth", "fake_meta", "fake_linkedin", "fake_s3"):
        try:
            NETWORK_MODULES.append(__import__(name))
        except ImportError as e:
            if getattr(e, "name", None) != name:
                raise
    return NETWORK_MODULES


def module_for(network):
    for mod in NETWORK_MODULES:
        if network in getattr(mod, "NETWORKS", ()):
            return mod
    return None


def classify(state, req):
    """Decide which fake network a request belongs to."""
    for mod in NETWORK_MODULES:
        net = mod.classify(state, req)
        if net:
            return net
    with state.lock:
        static = dict(state.config.get("static") or {})
    for prefix in static:
        if req.path.startswith(prefix):
            return "static"
    return "unknown"


def handle_static(state, req):
    """Serve a file from a configured folder (GET/HEAD only)."""
    import mimetypes
    with state.lock:
        static = dict(state.config.get("static") or {})
    for prefix in sorted(static, key=len, reverse=True):
        if not req.path.startswith(prefix):
            continue
        if req.method not in ("GET", "HEAD"):
            return Response(405, b"Method Not Allowed\n", [("Allow", "GET, HEAD")], "text/plain")
        rel = urllib.parse.unquote(req.path[len(prefix):])
        root = os.path.realpath(static[prefix])
        full = os.path.realpath(os.path.join(root, rel))
        if not (full == root or full.startswith(root + os.sep)) or not os.path.isfile(full):
            return Response(404, b"<html><body><h1>404 Not Found</h1></body></html>\n", None, "text/html")
        with open(full, "rb") as fh:
            data = fh.read()
        ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        st = os.stat(full)
        return Response(200, data, [
            ("Last-Modified", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(st.st_mtime))),
            ("ETag", '"%s"' % sha256_hex(data)[:16]), ("Accept-Ranges", "none")], ctype)
    return Response(404, b"Not Found\n", None, "text/plain")


def route(state, req):
    """Run the request through its network module (the request is 'processed')."""
    if req.network == "static":
        return handle_static(state, req)
    mod = module_for(req.network)
    if mod is None:
        return Response.json({"error": "fakeapi: no route for %s %s" % (req.method, req.path)},
                             404, JSON_PLAIN)
    return mod.handle(state, req)


def decorate(state, req, resp):
    """Let the network module add per-response headers (e.g. Meta usage headers)."""
    mod = module_for(req.network)
    if mod is not None and hasattr(mod, "decorate"):
        mod.decorate(state, req, resp)


def json_type_for(network):
    return JSON_META if network in ("facebook", "instagram") else JSON_PLAIN


def fault_response(state, req, action, real):
    """The response a fault sends instead of (or built from) the real one.

    With "keep_headers": true, the real response's headers (e.g. LinkedIn's
    x-restli-id) are copied onto the replacement.
    """
    resp = _fault_response(state, req, action, real)
    if action.get("keep_headers") and real is not None and resp is not real:
        have = {k.lower() for k, _ in resp.headers}
        for k, v in real.headers:
            if k.lower() not in have and k.lower() not in ("content-type", "content-length"):
                resp.headers.append((k, v))
    return resp


def _fault_response(state, req, action, real):
    t = action["type"]
    status = int(action.get("status", 200))
    jtype = json_type_for(req.network)
    extra = list((action.get("headers") or {}).items())
    if t == "error":
        body = action.get("body", {})
        status = int(action.get("status", 500))
        if isinstance(body, (dict, list)):
            return Response.json(body, status, action.get("content_type", jtype), extra)
        return Response(status, str(body), extra, action.get("content_type", "text/plain"))
    if t in ("meta_error", "throttle"):
        import fake_meta
        return fake_meta.fault_error(state, req, action)
    if t == "linkedin_error":
        import fake_linkedin
        return fake_linkedin.fault_error(state, req, action)
    if t == "malformed":
        return Response(status, action.get("body", '{"id": "12'), extra, jtype)
    if t == "html":
        if not action.get("body") and status in (502, 503, 504):
            # What a proxy in front of the API sends (nginx's own page).
            title = "%d %s" % (status, REASONS[status])
            return Response(status, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n"
                            "<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n"
                            "</body>\r\n</html>\r\n" % (title, title), extra,
                            "text/html")
        html = action.get("body") or (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Error</title></head><body>"
            "<h1>Sorry, something went wrong.</h1><p>We're working on getting this fixed as "
            "soon as we can.</p></body></html>\n")
        return Response(status, html, extra, "text/html; charset=utf-8")
    if t == "empty":
        return Response(status, b"", extra, jtype)
    if t == "noid":
        return Response(status, b"{}", extra, jtype)
    if t == "big":
        n = int(action.get("bytes", 5000000))
        obj = real.json_body() if real is not None else None
        if not isinstance(obj, dict):
            obj = {}
        base = len(json.dumps(obj)) + len(',"padding":""')
        obj["padding"] = "x" * max(0, n - base)
        return Response.json(obj, status, jtype, extra)
    if t == "redirect":
        loc = action.get("location", "http://example.invalid/x")
        return Response(int(action.get("status", 302)), b"", extra + [("Location", loc)], "text/html")
    if t == "reset_mid":
        if real is not None and len(real.body) >= 2:
            return real
        body = json.dumps({"id": "1100220033004499", "post_id": "0_1100220033004499",
                           "padding": "x" * 64})
        return Response(200, body, extra, jtype)
    return real


# --------------------------------------------------------------------------
# control API
# --------------------------------------------------------------------------

def control(state, req):
    """Handle /_fake/... requests. Returns a Response."""
    name = req.path[len("/_fake/"):].strip("/")
    m = req.method
    body = req.json
    if body is None and req.body:            # accept JSON whatever the Content-Type (curl -d)
        try:
            body = json.loads(req.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return Response.json({"error": "control body must be JSON"}, 400, JSON_PLAIN)
    if not isinstance(body, dict):
        body = {}

    def ok(obj, status=200):
        return Response.json(obj, status, JSON_PLAIN)

    if name == "health":
        return ok({"ok": True, "port": state.port})
    if name == "requests" and m == "GET":
        net = first(req.query.get("network"))
        rx = first(req.query.get("path_regex"))
        meth = first(req.query.get("method"))
        since = int(first(req.query.get("since_seq")) or 0)
        with state.lock:
            out = [r for r in state.requests
                   if (not net or r["network"] == net) and (not meth or r["method"] == meth.upper())
                   and (not rx or re.search(rx, r["path"])) and r["seq"] > since]
            return ok(json.loads(json.dumps(out)))
    if name == "posts" and m == "GET":
        net = first(req.query.get("network"))
        with state.lock:
            out = [p for p in state.posts if not net or p["network"] == net]
            return ok(json.loads(json.dumps(out)))
    if name == "reset" and m == "POST":
        state.reset()
        return ok({"ok": True})
    if name == "faults":
        if m == "POST":
            try:
                return ok({"id": state.add_fault(body)})
            except (ValueError, re.error, TypeError) as e:
                return ok({"error": str(e)}, 400)
        if m == "GET":
            with state.lock:
                return ok([f.to_json() for f in state.faults])
        if m == "DELETE":
            with state.lock:
                state.faults = []
            return ok({"ok": True})
    if name.startswith("faults/") and m == "DELETE":
        fid = name.split("/", 1)[1]
        with state.lock:
            state.faults = [f for f in state.faults if str(f.id) != fid]
        return ok({"ok": True})
    if name == "held" and m == "GET":
        with state.lock:
            return ok({"held": len(state.held)})
    if name == "release" and m == "POST":
        action = body.get("action", "send")
        if action not in ("send", "drop"):
            return ok({"error": "action must be send or drop"}, 400)
        return ok({"released": state.release(action)})
    if name == "config":
        if m == "GET":
            with state.lock:
                return ok(json.loads(json.dumps(state.config)))
        if m == "POST":
            with state.lock:
                deep_merge(state.config, body)
                if "clock_offset" in body:
                    state.clock_offset = config_clock_offset(state.config)
                for mod in NETWORK_MODULES:
                    if hasattr(mod, "config_changed"):
                        mod.config_changed(state)
            return ok({"ok": True})
    if name == "clock":
        if m == "POST":
            with state.lock:
                if "advance" in body:
                    state.clock_offset += float(body["advance"])
                if "offset" in body:
                    state.clock_offset = float(body["offset"])
        with state.lock:
            return ok({"offset": state.clock_offset, "now": state.now()})
    if name == "tokens" and m == "GET":
        out = {}
        for mod in NETWORK_MODULES:
            if hasattr(mod, "tokens_info"):
                out.update(mod.tokens_info(state))
        return ok(out)
    # module-specific control endpoints (tokens, containers, s3, images...)
    for mod in NETWORK_MODULES:
        if hasattr(mod, "control"):
            resp = mod.control(state, m, name, body, req)
            if resp is not None:
                return resp
    if name == "tokens" and m == "POST":
        return ok({"error": "unknown network %r" % body.get("network")}, 400)
    return ok({"error": "unknown control endpoint %s %s" % (m, req.path)}, 404)


# --------------------------------------------------------------------------
# HTTP handler
# --------------------------------------------------------------------------

class ClientGone(Exception):
    """The client closed the connection while we were talking to it."""


class Handler(BaseHTTPRequestHandler):
    """One instance per TCP connection; HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    server_version = "fakeapi"
    sys_version = ""
    timeout = 300            # idle keep-alive connections are closed after this
    state = None             # set in main()
    verbose = False

    def setup(self):
        super().setup()
        self.conn_id = self.state.next_conn_id()

    def log_message(self, fmt, *args):      # never print request lines (tokens!)
        pass

    def log_error(self, fmt, *args):
        pass

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    # -- body ------------------------------------------------------------
    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ClientGone()
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while True:                         # trailers
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ValueError("body too large")
        data = self.rfile.read(n) if n else b""
        if len(data) < n:
            raise ClientGone()
        return data

    def _build_request(self, body):
        req = Request()
        req.method = self.command.upper()
        raw = self.path
        if raw.startswith("http://") or raw.startswith("https://"):   # absolute-form
            raw = "/" + raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
        path, _, qs = raw.partition("?")
        req.path = path or "/"
        req.query_string = qs
        req.query_pairs = urllib.parse.parse_qsl(qs, keep_blank_values=True)
        req.query = pairs_to_dict(req.query_pairs)
        hdrs = {}
        for k, v in self.headers.items():
            k = k.lower()
            hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
        req.headers = hdrs
        req.body = body
        ctype_full = hdrs.get("content-type", "")
        req.content_type = ctype_full.split(";", 1)[0].strip().lower()
        if req.content_type == "application/x-www-form-urlencoded":
            req.form = pairs_to_dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                                            keep_blank_values=True))
        elif req.content_type == "multipart/form-data":
            try:
                req.form, req.files = parse_multipart(body, ctype_full)
            except ValueError:
                req.form, req.files = {}, {}
                req.json_error = True
        elif "json" in req.content_type and body:
            try:
                req.json = json.loads(body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                req.json_error = True
        req.conn_id = self.conn_id
        req.base_url = self.state.base_url
        return req

    # -- output ----------------------------------------------------------
    def _raw_response(self, resp, head=False):
        """Serialize a Response to bytes (always with Content-Length)."""
        reason = REASONS.get(resp.status, "Status")
        lines = ["HTTP/1.1 %d %s" % (resp.status, reason)]
        names = {k.lower() for k, _ in resp.headers}
        hdrs = list(resp.headers)
        if "date" not in names:
            hdrs.append(("Date", http_date(self.state.now())))
        hdrs = [(k, v) for k, v in hdrs if k.lower() not in ("content-length", "connection")]
        if resp.status not in (204, 304) or resp.body:
            hdrs.append(("Content-Length", str(len(resp.body))))
        hdrs.append(("Connection", "close" if self.close_connection else "keep-alive"))
        for k, v in hdrs:
            lines.append("%s: %s" % (k, v))
        head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        if head or resp.status in (204, 304):
            return head_bytes
        return head_bytes + resp.body

    def _write(self, data):
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            self.close_connection = True
            raise ClientGone()

    def _hangup(self):
        """Close the connection without (the rest of) a response."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- main path -------------------------------------------------------
    def _dispatch(self):
        state = self.state
        try:
            body = self._read_body()
        except ClientGone:
            self.close_connection = True
            return
        except ValueError:
            self.close_connection = True
            self._write_quiet(Response.json({"error": "bad or oversized body"}, 413, JSON_PLAIN))
            return
        req = self._build_request(body)
        head = req.method == "HEAD"

        if req.path.startswith("/_fake/") or req.path == "/_fake":
            try:
                resp = control(state, req)
            except Exception as e:  # pragma: no cover - programming error
                self._report_exception(e)
                resp = Response.json({"error": "control endpoint failed: %s" % type(e).__name__},
                                     500, JSON_PLAIN)
            self._write_quiet(resp, head)
            return

        req.network = classify(state, req)
        rec = state.begin_record(req)
        fault = state.take_fault(req)
        action = fault.action if fault else {}
        ftype = action.get("type")
        status_sent = None
        try:
            if ftype in ("delay",):
                time.sleep(float(action.get("seconds", 1)))
            if ftype == "drop":
                self._hangup()
                return
            process = parse_bool(action.get("process"), FAULT_PROCESSES.get(ftype, True)) \
                if ftype else True
            if ftype in ("drop_after", "delay_after", "hold", "delay", "drip"):
                process = True
            real = self._process(req) if process else None
            if ftype and ftype not in ("delay", "drop_after", "delay_after", "hold", "drip"):
                resp = fault_response(state, req, action, real)
            else:
                resp = real
            decorate(state, req, resp)

            if ftype == "drop_after":
                self._hangup()
                return
            if ftype == "delay_after":
                time.sleep(float(action.get("seconds", 5)))
            if ftype == "hold":
                entry = state.hold()
                entry["event"].wait()
                if entry["action"] == "drop":
                    self._hangup()
                    return
            data = self._raw_response(resp, head)
            if ftype == "reset_mid":
                headlen = len(self._raw_response(resp, True))
                cut = headlen + max(1, len(resp.body) // 2) if not head else headlen // 2
                self._write(data[:cut])
                self._hangup()
                return
            if ftype == "drip":
                self._drip(data, float(action.get("seconds", 30)), float(action.get("interval", 1.0)))
                status_sent = resp.status
                return
            self._write(data)
            status_sent = resp.status
            if self.verbose:
                sys.stderr.write("fakeapi: %s %s -> %d\n" % (req.method, req.path, resp.status))
        except ClientGone:
            pass
        except Exception as e:          # bad fault parameters or a bug: never crash the server
            self._report_exception(e)
            self._hangup()
        finally:
            state.end_record(rec, status_sent, ftype)

    def _process(self, req):
        try:
            return route(self.state, req)
        except Exception as e:
            self._report_exception(e)
            return Response.json({"error": "fakeapi internal error: %s" % type(e).__name__},
                                 500, json_type_for(req.network))

    def _drip(self, data, seconds, interval):
        """Send `data` one byte per `interval` until `seconds` passed, then the rest."""
        deadline = time.monotonic() + seconds
        i = 0
        while i < len(data) and time.monotonic() < deadline:
            self._write(data[i:i + 1])
            i += 1
            time.sleep(interval)
        if i < len(data):
            self._write(data[i:])

    def _write_quiet(self, resp, head=False):
        try:
            self._write(self._raw_response(resp, head))
        except ClientGone:
            pass

    @staticmethod
    def _report_exception(e):
        """Print a traceback without the exception message (it could hold a token)."""
        sys.stderr.write("fakeapi: internal error %s\n%s" % (
            type(e).__name__, "".join(traceback.format_tb(e.__traceback__))))


class Server(ThreadingHTTPServer):
    """Threaded server; connection errors are silent, other errors print no message text."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ClientGone)):
            return
        Handler._report_exception(exc)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def write_port_file(path, port):
    """Atomically write the port number (temp file + rename)."""
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.tmp.%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as fh:
        fh.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake Meta/LinkedIn/S3 API server for ritual tests")
    ap.add_argument("--config", help="JSON config file (every section optional)")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    ap.add_argument("--log", help="append one JSON line per request here (contains tokens!)")
    ap.add_argument("--verbose", action="store_true",
                    help="print 'METHOD /path -> status' per request to stderr (no query, no headers)")
    args = ap.parse_args(argv)

    config = {}
    if args.config:
        with open(args.config, encoding="utf-8") as fh:
            config = json.load(fh)
    load_modules()
    state = State(config, args.log)
    Handler.state = state
    Handler.verbose = args.verbose
    for mod in NETWORK_MODULES:
        if hasattr(mod, "config_changed"):
            mod.config_changed(state)

    server = Server(("127.0.0.1", args.port), Handler)
    state.port = server.server_address[1]
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    if args.port_file:
        write_port_file(args.port_file, state.port)
    sys.stdout.write("fakeapi listening on http://127.0.0.1:%d\n" % state.port)
    sys.stdout.flush()
    while not stop.is_set():
        stop.wait(0.5)
    state.release("drop")
    server.shutdown()
    server.server_close()
    if state.log_file:
        with state.log_lock:
            state.log_file.close()
            state.log_file = None
    return 0


if __name__ == "__main__":
    sys.exit(main())
