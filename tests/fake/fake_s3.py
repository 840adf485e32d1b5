"""Fake S3-compatible object store, path-style, with AWS Signature V4 verification.

The daemon uploads the Instagram image with libcurl's CURLOPT_AWS_SIGV4
("aws:amz:<region>:s3") to http://127.0.0.1:PORT/<bucket>/<key>; Meta's
crawler (our fake) then fetches the public URL of the same object.

    PUT /<bucket>/<key>      store (authenticated)          -> 200, ETag
    GET/HEAD /<bucket>/<key> read (authenticated, or anonymous if public_read; Range supported)
    DELETE /<bucket>/<key>   delete (authenticated)         -> 204
    GET /<bucket>[?prefix=]  list (authenticated)           -> ListBucketResult

Authentication: `Authorization: AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/s3/aws4_request,
SignedHeaders=..., Signature=...` with x-amz-date, or a presigned URL
(X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
X-Amz-Signature). The signature is recomputed exactly as in the AWS SigV4 docs.
A header named in SignedHeaders that did not arrive is a mismatch (403
SignatureDoesNotMatch), as on AWS, MinIO and s3rver: a client that signs a
header it then removes (libcurl < 8.3 with a blank "Expect:") is refused.

Config section "s3": {"buckets": {"<name>": {"access_key", "secret_key", "region",
"public_read": bool}}, "require_content_sha256": false}.
"""

import base64
import calendar
import hashlib
import hmac
import random
import re
import time
import urllib.parse
from xml.sax.saxutils import escape

from fakeapi import Response, sha256_hex

NETWORKS = ("s3",)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW = 15 * 60
XML = "application/xml"


# --------------------------------------------------------------------------
# SigV4 (pure functions; the selftest checks them against AWS's published example)
# --------------------------------------------------------------------------

def uri_encode(s, encode_slash=True):
    """AWS URI encoding: every byte except A-Z a-z 0-9 - _ . ~ is %XX (uppercase hex)."""
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if ("A" <= c <= "Z") or ("a" <= c <= "z") or ("0" <= c <= "9") or c in "-_.~":
            out.append(c)
        elif c == "/" and not encode_slash:
            out.append(c)
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def split_query(qs):
    """Raw query string -> [(name, value)] percent-decoded (no '+' to space)."""
    pairs = []
    for part in qs.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        pairs.append((urllib.parse.unquote(k), urllib.parse.unquote(v)))
    return pairs


def canonical_query(pairs, exclude=()):
    items = sorted((uri_encode(k), uri_encode(v)) for k, v in pairs if k not in exclude)
    return "&".join("%s=%s" % kv for kv in items)


def canonical_uri(raw_path):
    """S3 canonical URI: the decoded path encoded once, '/' kept."""
    return uri_encode(urllib.parse.unquote(raw_path), encode_slash=False) or "/"


def canonical_request(method, c_uri, c_query, headers, signed_headers, payload_hash):
    """The SigV4 canonical request string. `headers` maps lowercase names to values."""
    lines = []
    for h in signed_headers:
        v = headers.get(h, "")
        lines.append("%s:%s\n" % (h, re.sub(r"\s+", " ", str(v).strip())))
    return "\n".join([method, c_uri, c_query, "".join(lines), ";".join(signed_headers), payload_hash])


def string_to_sign(amz_date, scope, creq):
    return "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                      hashlib.sha256(creq.encode("utf-8")).hexdigest()])


def signing_key(secret, date, region, service="s3"):
    k = hmac.new(("AWS4" + secret).encode("utf-8"), date.encode("utf-8"), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode("utf-8"), hashlib.sha256).digest()
    return k


def signature(secret, date, region, sts, service="s3"):
    return hmac.new(signing_key(secret, date, region, service), sts.encode("utf-8"),
                    hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------
# responses
# --------------------------------------------------------------------------

def _request_id():
    return "".join(random.choice("0123456789ABCDEF") for _ in range(16))


def _s3_headers():
    host_id = base64.b64encode(bytes(random.getrandbits(8) for _ in range(48))).decode()
    return [("x-amz-request-id", _request_id()), ("x-amz-id-2", host_id), ("Server", "AmazonS3")]


def s3_error(status, code, message, **extra):
    """S3 XML error document."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
             % (code, escape(message))]
    for k, v in extra.items():
        parts.append("<%s>%s</%s>" % (k, escape(str(v)), k))
    parts.append("<RequestId>%s</RequestId><HostId>%s</HostId></Error>"
                 % (_request_id(), base64.b64encode(b"fakeapi-host-id").decode()))
    return Response(status, "".join(parts), _s3_headers(), XML)


def _http_date(ts):
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(ts))


# --------------------------------------------------------------------------
# module data / routing
# --------------------------------------------------------------------------

def _new_data():
    return {"objects": {}}      # bucket -> key -> object dict


def data(state):
    return state.module_data("s3", _new_data)


def reset(state):
    state.data.pop("s3", None)


def _buckets(state):
    return (state.config.get("s3") or {}).get("buckets") or {}


def classify(state, req):
    segs = req.path.split("/")
    if len(segs) < 2:
        return None
    with state.lock:
        return "s3" if urllib.parse.unquote(segs[1]) in _buckets(state) else None


def _split(req):
    """(bucket, key) from the raw path; key is percent-decoded ('' for the bucket itself)."""
    rest = req.path[1:]
    bucket, _, key = rest.partition("/")
    return urllib.parse.unquote(bucket), urllib.parse.unquote(key)


def _amz_to_unix(s):
    try:
        return calendar.timegm(time.strptime(s, "%Y%m%dT%H%M%SZ"))
    except (ValueError, TypeError):
        return None


AUTH_RE = re.compile(r"AWS4-HMAC-SHA256\s+(.*)$", re.S)


def _parse_auth(value):
    m = AUTH_RE.match(value.strip())
    if not m:
        return None
    parts = {}
    for item in re.split(r"\s*,\s*", m.group(1).strip()):
        k, _, v = item.partition("=")
        parts[k.strip()] = v.strip()
    if not all(k in parts for k in ("Credential", "SignedHeaders", "Signature")):
        return None
    return parts


def authenticate(state, req, bucket, bcfg):
    """Check SigV4. Returns (authenticated: bool, error Response or None)."""
    auth = req.header("authorization")
    presigned = any(k == "X-Amz-Algorithm" for k, _ in split_query(req.query_string))
    if not auth and not presigned:
        return False, None
    now = time.time()
    qpairs = split_query(req.query_string)
    qd = dict(qpairs)
    if auth:
        if not auth.startswith("AWS4-HMAC-SHA256"):
            return False, s3_error(400, "InvalidArgument", "Unsupported Authorization Type",
                                   ArgumentName="Authorization", ArgumentValue=auth.split(" ", 1)[0])
        parts = _parse_auth(auth)
        if parts is None:
            return False, s3_error(400, "AuthorizationHeaderMalformed",
                                   "The authorization header is malformed; the authorization header "
                                   "requires three components: Credential, SignedHeaders, and Signature.")
        cred, signed, provided = parts["Credential"], parts["SignedHeaders"], parts["Signature"]
        amz_date = req.header("x-amz-date")
        if not amz_date:
            return False, s3_error(403, "AccessDenied",
                                   "AWS authentication requires a valid Date or x-amz-date header")
        c_query = canonical_query(qpairs)
        payload = req.header("x-amz-content-sha256")
        if payload is None:
            if (state.config.get("s3") or {}).get("require_content_sha256"):
                return False, s3_error(400, "InvalidRequest", "Missing required header for this "
                                                              "request: x-amz-content-sha256")
            payload = sha256_hex(req.body)
    else:
        if qd.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            return False, s3_error(400, "AuthorizationQueryParametersError",
                                   "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        try:
            cred, signed, provided = qd["X-Amz-Credential"], qd["X-Amz-SignedHeaders"], qd["X-Amz-Signature"]
            amz_date, expires = qd["X-Amz-Date"], int(qd.get("X-Amz-Expires", "604800"))
        except (KeyError, ValueError):
            return False, s3_error(400, "AuthorizationQueryParametersError",
                                   "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                                   "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                                   "and X-Amz-Expires parameters.")
        t = _amz_to_unix(amz_date)
        if t is not None and now > t + expires:
            return False, s3_error(403, "AccessDenied", "Request has expired",
                                   Expires=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t + expires)),
                                   ServerTime=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)))
        c_query = canonical_query(qpairs, exclude=("X-Amz-Signature",))
        payload = qd.get("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")

    cparts = cred.split("/")
    if len(cparts) != 5 or cparts[4] != "aws4_request":
        return False, s3_error(400, "AuthorizationHeaderMalformed",
                               "The authorization header is malformed; the Credential is mal-formed; "
                               "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
    akid, cdate, region, service = cparts[:4]
    with state.lock:
        known = {b.get("access_key") for b in _buckets(state).values()}
    if akid not in known:
        return False, s3_error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not "
                                                          "exist in our records.", AWSAccessKeyId=akid)
    if akid != bcfg.get("access_key"):
        return False, s3_error(403, "AccessDenied", "Access Denied")
    want_region = bcfg.get("region", "us-east-1")
    if region != want_region:
        return False, s3_error(400, "AuthorizationHeaderMalformed",
                               "The authorization header is malformed; the region '%s' is wrong; "
                               "expecting '%s'" % (region, want_region), Region=want_region)
    if service != "s3":
        return False, s3_error(400, "AuthorizationHeaderMalformed",
                               "The authorization header is malformed; incorrect service \"%s\". This "
                               "endpoint belongs to \"s3\"." % service)
    t = _amz_to_unix(amz_date)
    if t is None:
        return False, s3_error(403, "AccessDenied", "AWS authentication requires a valid Date or "
                                                    "x-amz-date header")
    if cdate != amz_date[:8]:
        return False, s3_error(400, "AuthorizationHeaderMalformed",
                               "The authorization header is malformed; Invalid credential date. Date "
                               "is not the same as X-Amz-Date.")
    if abs(now - t) > MAX_SKEW and auth:
        return False, s3_error(403, "RequestTimeTooSkewed", "The difference between the request time "
                                                            "and the current time is too large.",
                               RequestTime=amz_date,
                               ServerTime=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                               MaxAllowedSkewMilliseconds=MAX_SKEW * 1000)
    if not auth and t > now + MAX_SKEW:
        return False, s3_error(403, "AccessDenied", "Request is not valid yet")
    signed_list = [h for h in signed.split(";") if h]
    if "host" not in signed_list:
        return False, s3_error(403, "AccessDenied", "Host header is not signed")
    if auth:
        unsigned = sorted(h for h in req.headers if h.startswith("x-amz-") and h not in signed_list)
        if unsigned:
            return False, s3_error(403, "AccessDenied", "There were headers present in the request "
                                                        "which were not signed",
                                   HeadersNotSigned=", ".join(unsigned))
    secret = bcfg.get("secret_key", "")
    scope = "%s/%s/%s/aws4_request" % (cdate, region, service)
    creq, sts = None, None
    # S3 rebuilds the canonical request from the headers that arrived: a
    # signed header that was not sent can never match.
    missing = [h for h in signed_list if h not in req.headers]
    candidates = [canonical_uri(req.path)]
    if req.path not in candidates:
        candidates.append(req.path)        # client encoded differently: accept the path as sent
    for c_uri in candidates:
        cr = canonical_request(req.method, c_uri, c_query, req.headers, signed_list, payload)
        s = string_to_sign(amz_date, scope, cr)
        if creq is None:
            creq, sts = cr, s
        if not missing and hmac.compare_digest(signature(secret, cdate, region, s), provided.lower()):
            break
    else:
        return False, s3_error(403, "SignatureDoesNotMatch",
                               "The request signature we calculated does not match the signature you "
                               "provided. Check your key and signing method.",
                               AWSAccessKeyId=akid, StringToSign=sts, SignatureProvided=provided,
                               StringToSignBytes=" ".join("%02x" % b for b in sts.encode()),
                               CanonicalRequest=creq,
                               CanonicalRequestBytes=" ".join("%02x" % b for b in creq.encode()))
    if auth and payload not in ("UNSIGNED-PAYLOAD",):
        if payload.startswith("STREAMING-"):
            return False, s3_error(501, "NotImplemented", "aws-chunked uploads are not supported by "
                                                          "the fake")
        actual = sha256_hex(req.body)
        if payload != actual:
            return False, s3_error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' "
                                                                     "header does not match what was computed.",
                                   ClientComputedContentSHA256=payload, S3ComputedContentSHA256=actual)
    return True, None


def handle(state, req):
    bucket, key = _split(req)
    with state.lock:
        bcfg = dict(_buckets(state).get(bucket) or {})
    authed, err = authenticate(state, req, bucket, bcfg)
    if err:
        if req.method == "HEAD":
            err.body = b""
        return err
    m = req.method
    objects = data(state)["objects"]
    if not key:
        if m != "GET":
            return s3_error(405, "MethodNotAllowed", "The specified method is not allowed against "
                                                     "this resource.", Method=m, ResourceType="BUCKET")
        if not authed:
            return s3_error(403, "AccessDenied", "Access Denied")
        return list_bucket(state, req, bucket)
    if m == "PUT":
        if not authed:
            return s3_error(403, "AccessDenied", "Access Denied")
        md5 = hashlib.md5(req.body).digest()
        cmd5 = req.header("content-md5")
        if cmd5 is not None and cmd5.strip() != base64.b64encode(md5).decode():
            return s3_error(400, "BadDigest", "The Content-MD5 you specified did not match what we "
                                              "received.")
        obj = {"bucket": bucket, "key": key, "data": req.body, "size": len(req.body),
               "sha256": sha256_hex(req.body), "etag": '"%s"' % md5.hex(),
               "content_type": req.header("content-type") or "binary/octet-stream",
               "last_modified": time.time(),
               "meta": {k: v for k, v in req.headers.items() if k.startswith("x-amz-meta-")}}
        with state.lock:
            objects.setdefault(bucket, {})[key] = obj
        return Response(200, b"", _s3_headers() + [("ETag", obj["etag"])])
    if m in ("GET", "HEAD"):
        if not authed and not bcfg.get("public_read"):
            return s3_error(403, "AccessDenied", "Access Denied") if m == "GET" else \
                Response(403, b"", _s3_headers(), XML)
        with state.lock:
            obj = objects.get(bucket, {}).get(key)
        if obj is None:
            if m == "HEAD":
                return Response(404, b"", _s3_headers(), XML)
            return s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
        hdrs = _s3_headers() + [("ETag", obj["etag"]), ("Last-Modified", _http_date(obj["last_modified"])),
                                ("Accept-Ranges", "bytes")] + list(obj["meta"].items())
        body = obj["data"]
        rng = req.header("range")
        if rng:
            mr = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            n = len(body)
            if mr and (mr.group(1) or mr.group(2)):
                if mr.group(1):
                    a = int(mr.group(1))
                    b = min(int(mr.group(2)), n - 1) if mr.group(2) else n - 1
                else:
                    a, b = max(0, n - int(mr.group(2))), n - 1
                if a >= n or a > b:
                    return s3_error(416, "InvalidRange", "The requested range is not satisfiable",
                                    RangeRequested=rng, ActualObjectSize=n)
                hdrs.append(("Content-Range", "bytes %d-%d/%d" % (a, b, n)))
                return Response(206, body[a:b + 1], hdrs, obj["content_type"])
        return Response(200, body, hdrs, obj["content_type"])
    if m == "DELETE":
        if not authed:
            return s3_error(403, "AccessDenied", "Access Denied")
        with state.lock:
            objects.get(bucket, {}).pop(key, None)
        return Response(204, b"", _s3_headers())
    return s3_error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
                    Method=m, ResourceType="OBJECT")


def list_bucket(state, req, bucket):
    prefix = dict(split_query(req.query_string)).get("prefix", "")
    with state.lock:
        objs = sorted((o for k, o in data(state)["objects"].get(bucket, {}).items() if k.startswith(prefix)),
                      key=lambda o: o["key"])
    items = "".join(
        "<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag><Size>%d</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
        % (escape(o["key"]), time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(o["last_modified"])),
           escape(o["etag"]), o["size"]) for o in objs)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/'
            '2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>1000</MaxKeys>'
            '<IsTruncated>false</IsTruncated>%s</ListBucketResult>'
            % (escape(bucket), escape(prefix), len(objs), items))
    return Response(200, body, _s3_headers(), XML)


# --------------------------------------------------------------------------
# control API
# --------------------------------------------------------------------------

def control(state, method, name, body, req):
    if name == "s3" and method == "GET":
        with state.lock:
            out = [{"bucket": o["bucket"], "key": o["key"], "size": o["size"], "sha256": o["sha256"],
                    "content_type": o["content_type"], "etag": o["etag"],
                    "last_modified": o["last_modified"]}
                   for b in data(state)["objects"].values() for o in b.values()]
        return Response.json(out, 200, "application/json")
    return None
