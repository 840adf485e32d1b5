"""Issue 4, item 4: the fault matrix.

One row = (network, step, fault, times, expected outcome). Every row runs in
its own Env (own fake server, config, database) with one image post due
now; the fault is armed on the fake server, then `rituald --once` runs (and,
when the expected outcome says so, runs again once the retry is due). The
outcome is the delivery's state afterwards, as the owner sees it with
`ritual show` / `ritual list`.

Steps per network (API-NOTES §2.2, §3.3, §1.2):
  facebook   commit   POST /{page}/photos
  instagram  create   POST /{ig-user}/media            (container)
             status   GET  /{container}?fields=status_code
             publish  POST /{ig-user}/media_publish    (commit)
  linkedin   init     POST /rest/images?action=initializeUpload
             put      PUT  <uploadUrl>
             image    GET  /rest/images/{urn}
             commit   POST /rest/posts                 (commit)
and "refused" per network: the account's api points at a closed loopback
port (nothing is ever sent).

Faults: drop (closed before processing), drop_after (processed, answer
lost), reset_mid (half a response; also with process=true on commit calls),
drip longer than the timeout, big (> http.max_response), html, empty, noid,
malformed, redirect (to http:// on another host, to https:// on another
host), 5xx, 429 (LinkedIn) / throttle (Meta), and the classes of API-NOTES
§7 for that network and step.

Expected outcomes (checked after the run(s)):
  published  state published, exactly one post on the fake whose id is the
             delivery's remote_id; optionally the number of commit calls
             (1 = found by the read-back after a lost answer, 2 = read back
             as absent, then sent again) and of other steps' calls
  retried    a failed attempt, then a retry: after the first run pending
             with attempts >= 1 (or already published, when the 1 s backoff
             fell due before the run ended), an error in the delivery or its
             history naming the fault, no pause; in the end published as
             above with attempts 2
  waits      after one run: pending, attempts 0 (a limit is no attempt),
             next attempt at least N minutes away (LinkedIn's daily limit:
             the next 00:00 UTC), nothing published
  paused     after one run: `ritual list` shows the account PAUSED with the
             platform's words and the fix; the delivery pending; the step
             was called once (no retry storm); nothing published
  failed     state failed with the platform's own text; nothing published
  unknown    only where API-NOTES says the outcome is undecidable: the
             commit's answer was lost and the platform cannot be read back
             (or, for a LinkedIn member, the duplicate probe is lost too);
             no blind resend
  capped     a commit answer that is unreadable every time: at most
             retry.max_attempts commit calls (LESSONS #1), then failed or
             unknown
For every row also: at most one post on the fake (duplicates 0), rituald
--once exited 0 every time (and within its time budget), no sanitizer report
in any log (BUILD=build-san), and no token in the logs, outputs or database.

Rows run concurrently (RITUAL_FAULT_WORKERS, default 10): most of a row's
time is spent waiting for timeouts and retry delays. RITUAL_FAULT_ONLY=REGEX
runs only the rows whose name matches; RITUAL_FAULT_TABLE=1 prints every
row's observed outcome. The last lines printed are the summary
  fault matrix: N scenarios, M classified as expected, D duplicates, C crashes
which is also written to the file named by $RITUAL_FAULT_REPORT.
"""
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import traceback
import unittest

from harness import Env, IG_USER, LI_PERSON, SAMPLE, VALGRIND

SLOW = 4 if VALGRIND else 1
WORKERS = int(os.environ.get("RITUAL_FAULT_WORKERS", "10"))
RUN_TIMEOUT = 45 * SLOW          # s one `rituald --once` may take before it counts as hung
RUN_TIMEOUT_FOREVER = 25 * SLOW  # the same for a fault that never stops
MAX_RUNS = 4              # runs of `rituald --once` to settle a row
SOON = 8                  # s: a retry due within this is waited for
SANITIZER = re.compile(r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|"
                       r"runtime error:|ThreadSanitizer|MemorySanitizer")

# ---------------------------------------------------------------- steps ----

STEPS = {
    ("facebook", "commit"): {"network": "facebook", "method": "POST", "path_regex": "/photos$"},
    ("instagram", "create"): {"network": "instagram", "method": "POST",
                              "path_regex": "/%s/media$" % IG_USER},
    ("instagram", "status"): {"network": "instagram", "method": "GET",
                              "query_regex": "status_code"},
    ("instagram", "publish"): {"network": "instagram", "method": "POST",
                               "path_regex": "/media_publish$"},
    ("linkedin", "init"): {"network": "linkedin", "method": "POST",
                           "path_regex": "^/rest/images$"},
    ("linkedin", "put"): {"network": "linkedin", "method": "PUT"},
    ("linkedin", "image"): {"network": "linkedin", "method": "GET",
                            "path_regex": "^/rest/images/"},
    ("linkedin", "commit"): {"network": "linkedin", "method": "POST",
                             "path_regex": "^/rest/posts$"},
    # The read-backs after a lost answer (reconciliation), for extra faults.
    ("facebook", "posts"): {"network": "facebook", "method": "GET", "path_regex": "/posts$"},
    ("linkedin", "posts"): {"network": "linkedin", "method": "GET", "path_regex": "^/rest/posts$"},
}
COMMIT_STEP = {"facebook": "commit", "instagram": "publish", "linkedin": "commit"}

# ---------------------------------------------------------------- faults ---

DROP = {"type": "drop"}
DROP_AFTER = {"type": "drop_after"}
RESET = {"type": "reset_mid"}
RESET_DONE = {"type": "reset_mid", "process": True}
DRIP = {"type": "drip", "seconds": 10, "interval": 1.0}   # > timeout 4 s, upload_timeout 6 s
BIG = {"type": "big", "bytes": 2 * 1024 * 1024}           # > max_response 1 MiB
HTML = {"type": "html"}
EMPTY = {"type": "empty"}
NOID = {"type": "noid"}
MALFORMED = {"type": "malformed"}
REDIRECT_HTTP = {"type": "redirect", "status": 302,
                 "location": "http://graph.example.net/v25.0/moved"}
REDIRECT_HOST = {"type": "redirect", "status": 307,
                 "location": "https://collector.example.org/steal"}
E500 = {"type": "error", "status": 500, "body": {}}
E502 = {"type": "error", "status": 502, "body": "<html><body>502 Bad Gateway</body></html>",
        "content_type": "text/html"}
E503 = {"type": "error", "status": 503, "body": "Service Unavailable", "content_type": "text/plain"}
THROTTLE = {"type": "throttle", "minutes": 30}


def meta(code, subcode=None, message=None, **kw):
    a = {"type": "meta_error", "code": code}
    if subcode is not None:
        a["subcode"] = subcode
    if message is not None:
        a["message"] = message
    a.update(kw)
    return a


def li(status, code=None, message=None, **kw):
    a = {"type": "linkedin_error", "status": status}
    if code is not None:
        a["code"] = code
    if message is not None:
        a["message"] = message
    a.update(kw)
    return a


def container(status_code, status=None):
    """A 200 answer to the container status read with this status_code."""
    body = {"status_code": status_code, "id": "17999999999999999"}
    if status is not None:
        body["status"] = status
    return {"type": "error", "status": 200, "body": body}


def image_status(status):
    return {"type": "error", "status": 200,
            "body": {"id": "urn:li:image:C4E10AQFAULTMATRIX", "status": status}}

# ------------------------------------------------------------- outcomes ----


def published(commits=None, **calls):
    """Published in the end: exactly one post, the delivery's remote_id.
    commits: expected commit calls; calls: step -> expected calls."""
    return {"kind": "published", "commits": commits, "calls": calls}


def retried(error, commits=1, **calls):
    """First run: pending, attempts 1, error contains `error`; then published."""
    return {"kind": "retried", "error": error, "commits": commits, "calls": calls}


def waits(error, minutes):
    """One run: pending, attempts 0, next attempt >= minutes away; "midnight":
    exactly the next 00:00 UTC (LinkedIn's daily limit, §3.5)."""
    return {"kind": "waits", "error": error, "minutes": minutes}


def paused(*words):
    """One run: the account is PAUSED; `ritual list` shows words."""
    return {"kind": "paused", "words": words}


def failed(*words, commits=None):
    """Failed, with the platform's words in the delivery's error."""
    return {"kind": "failed", "words": words, "commits": commits}


def capped(max_commits):
    """A commit whose answer is unreadable every time: LESSONS #1 — a hard
    cap (retry.max_attempts) on commit calls, then the owner decides
    (failed or unknown); rituald --once comes to an end."""
    return {"kind": "capped", "commits": max_commits}


def unknown(*words, commits=1):
    """Undecidable (API-NOTES §1.5, §2.5, §3.7): the commit's answer was lost
    and the platform cannot be read back: state unknown, for the owner.
    commits: 1, or 2 where the read-back is the duplicate probe (§3.7)."""
    return {"kind": "unknown", "words": words, "commits": commits}


def container_published():
    """The container reads PUBLISHED before any media_publish (§2.5 D)."""
    return {"kind": "container_published"}


class Row:
    """extra: more faults, [(step, action, times[, match])], armed with the row's own
    (the step "posts" is the commit call's read-back list). env: Env options."""

    def __init__(self, net, step, label, action, expect, times=1, note="", extra=(), env=None):
        self.net, self.step, self.label = net, step, label
        self.action, self.expect, self.times, self.note = action, expect, times, note
        self.extra, self.env = list(extra), dict(env or {})
        self.name = "%s_%s_%s" % (net, step, label)

    def describe(self):
        a = dict(self.action or {})
        t = a.pop("type", "closed port")
        if t == "error" and isinstance(a.get("body"), dict) and a.get("status") == 200:
            t = "200 " + json.dumps(a.pop("body"), sort_keys=True)
            a.pop("status")
        keep = ("status", "code", "subcode", "process", "seconds", "bytes", "location")
        extra = ",".join("%s=%s" % (k, a[k]) for k in keep if k in a)
        e = dict(self.expect)
        kind = e.pop("kind")
        exp = kind + "".join(" %s=%s" % kv for kv in sorted(e.items()) if kv[1])
        more = "".join(" + %s %s x%s" % (x[0], x[1].get("type"), x[2]) for x in self.extra)
        return "%-9s %-7s %-22s %s%s x%s%s -> %s" % (
            self.net, self.step, self.label, t, "(" + extra + ")" if extra else "",
            self.times, more, exp)


# ---------------------------------------------------------------- rows -----

def transport_rows(commit):
    """(label, action, expected) for drop, reset_mid, drip, big, html, empty
    and noid on any step, plus drop_after, reset_mid with process and
    malformed on a commit call (whose expected outcome is set here)."""
    P = lambda n: published(commits=n)                      # noqa: E731
    if commit:
        # The commit call's outcome is lost or unreadable: read back first.
        # Processed faults (drop_after, reset_mid+process, drip, big, empty,
        # malformed) are found by the read-back: one commit call. The others
        # never reached the API: found absent twice, sent again: two calls.
        rows = [("drop", DROP, P(2)), ("drop_after", DROP_AFTER, P(1)),
                ("reset_mid", RESET, P(2)), ("reset_mid_processed", RESET_DONE, P(1)),
                ("drip", DRIP, P(1)), ("big", BIG, P(1)), ("html", HTML, P(2)),
                ("empty", EMPTY, P(1)), ("noid", NOID, P(2)), ("malformed", MALFORMED, P(1))]
    else:
        rows = [("drop", DROP, None), ("reset_mid", RESET, None), ("drip", DRIP, None),
                ("big", BIG, None), ("html", HTML, None), ("empty", EMPTY, None),
                ("noid", NOID, None)]
    return rows


def facebook_rows():
    rows = [Row("facebook", "api", "refused", None, retried("onnect"))]
    s = "commit"
    for label, action, exp in transport_rows(True):
        rows.append(Row("facebook", s, label, action, exp))
    rows += [
        # A redirect or a bare 5xx page on the commit call is no Meta error:
        # unreadable, so read back (absent), then sent again.
        Row("facebook", s, "redirect_http", REDIRECT_HTTP, published(commits=2)),
        Row("facebook", s, "redirect_host", REDIRECT_HOST, published(commits=2)),
        Row("facebook", s, "http500", E500, published(commits=2)),
        Row("facebook", s, "http502", E502, published(commits=2)),
        Row("facebook", s, "http503", E503, published(commits=2)),
        Row("facebook", s, "throttle_80001", THROTTLE, waits("80001", 25)),
        # §7 classes.
        Row("facebook", s, "T_code2", meta(2, message="Service temporarily unavailable"),
            retried("Facebook error 2", commits=2)),
        Row("facebook", s, "T_code1", meta(1, message="An unknown error occurred"),
            retried("Facebook error 1", commits=2)),
        Row("facebook", s, "T_1363047", meta(100, 1363047, "Service temporarily unavailable",
                                             status=500),
            retried("1363047", commits=2)),
        Row("facebook", s, "R_code4", meta(4, message="(#4) Application request limit reached"),
            waits("Application request limit reached", 50)),
        Row("facebook", s, "R_code17", meta(17, message="(#17) User request limit reached"),
            waits("User request limit reached", 50)),
        Row("facebook", s, "R_368_1390008",
            meta(368, 1390008, "It looks like you were misusing this feature by going too fast."),
            waits("going too fast", 50)),
        Row("facebook", s, "A_190_463",
            meta(190, 463, "Error validating access token: Session has expired on Friday."),
            paused("Session has expired", "facebook.token")),
        Row("facebook", s, "A_code10", meta(10, message="(#10) Permission denied"),
            paused("Permission denied", "facebook.token")),
        Row("facebook", s, "O_459", meta(190, 459, "The user is checkpointed."),
            paused("checkpointed", "resolve the notice")),
        Row("facebook", s, "O_1404078",
            meta(368, 1404078, "Page Publishing Authorization is required."),
            paused("Page Publishing Authorization", "resolve the notice")),
        Row("facebook", s, "P_1366046",
            meta(100, 1366046, "Your photos couldn't be uploaded. Photos should be smaller "
                 "than 4 MB and saved as JPG, PNG, GIF, TIFF, HEIF or WebP files."),
            failed("smaller than 4 MB")),
        Row("facebook", s, "P_code100", meta(100, message="(#100) Invalid parameter"),
            failed("Invalid parameter")),
        Row("facebook", s, "D_506", meta(506, message="(#506) Duplicate status message"),
            failed("Duplicate status message")),
        # "These photos were already posted" — and they were (processed):
        # found on the page, recorded as ours, never sent again.
        Row("facebook", s, "D_1366051_processed",
            meta(100, 1366051, "These photos were already posted.", process=True),
            published(commits=1)),
        # The answer is lost and the page cannot be read: undecidable.
        Row("facebook", s, "drop_after_unreadable", DROP_AFTER,
            unknown("could not confirm", "reading the page's recent posts", "HTTP 500",
                    "ritual retry"),
            extra=[("posts", E500, -1)]),
        # LESSONS #1: a commit whose answer stays unreadable must not be
        # sent again and again: retry.max_attempts (4) caps it.
        Row("facebook", s, "html_forever", HTML, capped(4), times=-1,
            note="cap on publish attempts"),
    ]
    return rows


def instagram_rows():
    rows = [Row("instagram", "api", "refused", None, retried("onnect"))]
    # Container creation: nothing can go out; any lost/unreadable answer is
    # a retry with a new container (an orphan container is harmless).
    s = "create"
    for label, action, _ in transport_rows(False):
        rows.append(Row("instagram", s, label, action, retried("Instagram", create=2)))
    rows += [
        Row("instagram", s, "redirect_http", REDIRECT_HTTP, paused("redirect")),
        Row("instagram", s, "redirect_host", REDIRECT_HOST, paused("redirect")),
        Row("instagram", s, "http500", E500, retried("HTTP 500")),
        Row("instagram", s, "http502", E502, retried("HTTP 502")),
        Row("instagram", s, "http503", E503, retried("HTTP 503")),
        Row("instagram", s, "throttle_80002", THROTTLE, waits("80002", 25)),
        Row("instagram", s, "T_2207001", meta(-1, 2207001, "Instagram server error"),
            retried("2207001", create=2)),
        Row("instagram", s, "T_2207003", meta(-2, 2207003, "Timeout downloading media"),
            retried("2207003", create=2)),
        Row("instagram", s, "A_190_463",
            meta(190, 463, "Error validating access token: Session has expired."),
            paused("Session has expired", "instagram.token")),
        Row("instagram", s, "O_2207051",
            meta(4, 2207051, "We restrict certain activity to protect our community."),
            paused("suspected spam", "restrict certain activity")),
        Row("instagram", s, "O_2207050", meta(25, 2207050, "The user is inactive."),
            paused("inactive", "The user is inactive")),
        Row("instagram", s, "P_2207009", meta(36003, 2207009, "The aspect ratio is not supported."),
            failed("aspect ratio is not supported")),
        # Meta's download failing right after our own fetch-back worked is
        # intermittent (postiz PR #1900): a new container, then published;
        # every time, and the post fails with the hosting advice.
        Row("instagram", s, "P_2207052", meta(9004, 2207052, "Media download has failed."),
            retried("Media download has failed", create=2)),
        Row("instagram", s, "P_2207052_always",
            meta(9004, 2207052, "Media download has failed."),
            failed("Media download has failed", "media.url"), times=-1),
    ]
    # Container status reads: a failed read is no failure (LESSONS #10):
    # read again, then publish — all in the same run.
    s = "status"
    for label, action, _ in transport_rows(False):
        rows.append(Row("instagram", s, label, action, published(commits=1, create=1)))
    rows += [
        Row("instagram", s, "redirect_http", REDIRECT_HTTP, paused("redirect")),
        Row("instagram", s, "redirect_host", REDIRECT_HOST, paused("redirect")),
        Row("instagram", s, "http500", E500, published(commits=1, create=1)),
        Row("instagram", s, "http502", E502, published(commits=1, create=1)),
        Row("instagram", s, "http503", E503, published(commits=1, create=1)),
        Row("instagram", s, "throttle_80002", THROTTLE, waits("80002", 25)),
        Row("instagram", s, "T_code2", meta(2, message="Service temporarily unavailable"),
            published(commits=1, create=1)),
        # LESSONS #10: 100/33 on a status read, FINISHED a moment later.
        Row("instagram", s, "P_100_33",
            meta(100, 33, "Unsupported get request. Object with ID does not exist."),
            published(commits=1, create=1)),
        Row("instagram", s, "A_190_463",
            meta(190, 463, "Error validating access token: Session has expired."),
            paused("Session has expired", "instagram.token")),
        # §7: 4/2207051 and 25/2207050 are owner action: stop, notify —
        # whichever call hears it.
        Row("instagram", s, "O_2207051",
            meta(4, 2207051, "We restrict certain activity to protect our community."),
            paused("suspected spam", "restrict certain activity")),
        Row("instagram", s, "O_2207050", meta(25, 2207050, "The user is inactive."),
            paused("inactive", "The user is inactive")),
        Row("instagram", s, "ERROR_2207052",
            container("ERROR", "Error: 2207052 Media could not be fetched from URI"),
            failed("Meta could not fetch the image", "2207052")),
        Row("instagram", s, "ERROR_2207001", container("ERROR", "Error: 2207001"),
            retried("2207001", create=2)),
        Row("instagram", s, "ERROR_2207009", container("ERROR", "Error: 2207009"),
            failed("aspect ratio", "2207009")),
        Row("instagram", s, "EXPIRED", container("EXPIRED"), published(commits=1, create=2)),
        # D: the container says it went out: done, never published again.
        Row("instagram", s, "D_PUBLISHED", container("PUBLISHED"), container_published()),
    ]
    # media_publish: the commit call.
    s = "publish"
    for label, action, exp in transport_rows(True):
        exp = dict(exp, calls={"create": 1})
        rows.append(Row("instagram", s, label, action, exp))
    rows += [
        Row("instagram", s, "redirect_http", REDIRECT_HTTP, published(commits=2, create=1)),
        Row("instagram", s, "redirect_host", REDIRECT_HOST, published(commits=2, create=1)),
        Row("instagram", s, "http500", E500, published(commits=2, create=1)),
        Row("instagram", s, "http502", E502, published(commits=2, create=1)),
        Row("instagram", s, "http503", E503, published(commits=2, create=1)),
        Row("instagram", s, "throttle_80002", THROTTLE, waits("80002", 25)),
        Row("instagram", s, "T_2207001", meta(-1, 2207001, "Instagram server error"),
            retried("2207001", commits=2)),
        Row("instagram", s, "R_2207042",
            meta(9, 2207042, "The maximum number of posts that can be published has been "
                 "reached."), waits("limit of posts in 24 hours", 50)),
        Row("instagram", s, "A_190_463",
            meta(190, 463, "Error validating access token: Session has expired."),
            paused("Session has expired", "instagram.token")),
        Row("instagram", s, "O_2207051",
            meta(4, 2207051, "We restrict certain activity to protect our community."),
            paused("suspected spam", "restrict certain activity")),
        Row("instagram", s, "P_2207010",
            meta(36004, 2207010, "The caption was too long."), failed("caption was too long")),
        # 9007/2207027: not ready — keep polling, then publish.
        Row("instagram", s, "notready_9007", meta(9007, 2207027, "Media ID is not available"),
            published(commits=2, create=1)),
        # D (LESSONS #4): refused, but it went out: the container says
        # PUBLISHED, so it is recorded as published, never sent again.
        Row("instagram", s, "D_9007_processed",
            meta(9007, 2207027, "Media ID is not available", process=True),
            published(commits=1, create=1)),
        Row("instagram", s, "D_2207051_processed",
            meta(4, 2207051, "We restrict certain activity to protect our community.",
                 process=True), published(commits=1, create=1)),
        Row("instagram", s, "T_2207001_processed",
            meta(-1, 2207001, "Instagram server error", process=True),
            published(commits=1, create=1)),
        # The answer is lost and the container cannot be read: undecidable.
        Row("instagram", s, "drop_after_unreadable", DROP_AFTER,
            unknown("could not confirm", "reading the media container's status", "HTTP 500",
                    "ritual retry"),
            extra=[("status", E500, -1, {"skip": 1})]),
        Row("instagram", s, "html_forever", HTML, capped(4), times=-1,
            note="cap on publish attempts"),
    ]
    return rows


def linkedin_rows():
    rows = [Row("linkedin", "api", "refused", None, retried("onnect"))]
    # initializeUpload: nothing is visible yet; retry.
    s = "init"
    for label, action, _ in transport_rows(False):
        rows.append(Row("linkedin", s, label, action, retried("LinkedIn", init=2, put=1)))
    rows += [
        Row("linkedin", s, "redirect_http", REDIRECT_HTTP, paused("redirect")),
        Row("linkedin", s, "redirect_host", REDIRECT_HOST, paused("redirect")),
        Row("linkedin", s, "http500", li(500), retried("HTTP 500")),
        Row("linkedin", s, "http502", li(502), retried("HTTP 502")),
        Row("linkedin", s, "http503", li(503), retried("HTTP 503")),
        Row("linkedin", s, "http429", li(429), waits("DAY limit", "midnight")),
        Row("linkedin", s, "T_409", li(409), retried("HTTP 409")),
        Row("linkedin", s, "A_401_expired",
            li(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired",
               serviceErrorCode=65602),
            paused("EXPIRED_ACCESS_TOKEN", "linkedin.token")),
        Row("linkedin", s, "A_403",
            li(403, "ACCESS_DENIED", "Not enough permissions to access: "
               "partnerApiImages.ACTION-initializeUpload.20260101", serviceErrorCode=100),
            paused("ACCESS_DENIED", "w_organization_social")),
        Row("linkedin", s, "C_426",
            li(426, "NONEXISTENT_VERSION", "Requested version 20260101 is not active"),
            paused("LinkedIn API version retired", "is not active")),
        Row("linkedin", s, "P_400",
            li(400, "INVALID_VALUE_FOR_FIELD", "Invalid value for field /owner"),
            failed("Invalid value for field /owner")),
    ]
    # The PUT: any failure forgets the image; a new one is uploaded.
    s = "put"
    for label, action, _ in transport_rows(False):
        if label == "empty":     # processed, 200 and no body: that is an upload
            rows.append(Row("linkedin", s, label, action, published(commits=1, put=1)))
        else:
            # html/noid: a 200 from something that is not LinkedIn, and the
            # bytes never arrived: the image stays WAITING_UPLOAD, which no
            # wait can change: upload again (§7: WAITING_UPLOAD is T, redo).
            rows.append(Row("linkedin", s, label, action, retried("LinkedIn", put=2, init=2)))
    rows += [
        Row("linkedin", s, "redirect_http", REDIRECT_HTTP, paused("redirect")),
        Row("linkedin", s, "redirect_host", REDIRECT_HOST, paused("redirect")),
        Row("linkedin", s, "http500", li(500), retried("HTTP 500", put=2)),
        Row("linkedin", s, "http502", li(502), retried("HTTP 502", put=2)),
        Row("linkedin", s, "http503", li(503), retried("HTTP 503", put=2)),
        Row("linkedin", s, "http429", li(429), waits("DAY limit", "midnight")),
        Row("linkedin", s, "A_401_expired",
            li(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired",
               serviceErrorCode=65602),
            paused("EXPIRED_ACCESS_TOKEN", "linkedin.token")),
        Row("linkedin", s, "T_upload_expired",
            li(400, "UPLOAD_URL_EXPIRED", "Upload URL has expired"),
            retried("HTTP 400", put=2, init=2)),
    ]
    # GET /rest/images/{urn}: a failed read proves nothing; read again.
    s = "image"
    for label, action, _ in transport_rows(False):
        rows.append(Row("linkedin", s, label, action, retried("LinkedIn", put=1, image=2)))
    rows += [
        Row("linkedin", s, "redirect_http", REDIRECT_HTTP, paused("redirect")),
        Row("linkedin", s, "redirect_host", REDIRECT_HOST, paused("redirect")),
        Row("linkedin", s, "http500", li(500), retried("HTTP 500", put=1)),
        Row("linkedin", s, "http502", li(502), retried("HTTP 502", put=1)),
        Row("linkedin", s, "http503", li(503), retried("HTTP 503", put=1)),
        Row("linkedin", s, "http429", li(429), waits("DAY limit", "midnight")),
        Row("linkedin", s, "http404", li(404, message="Not Found"),
            retried("no longer knows", put=2, init=2)),
        Row("linkedin", s, "A_401_expired",
            li(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired",
               serviceErrorCode=65602),
            paused("EXPIRED_ACCESS_TOKEN", "linkedin.token")),
        Row("linkedin", s, "A_403",
            li(403, "ACCESS_DENIED", "Not enough permissions to access: "
               "partnerApiImages.GET.20260101", serviceErrorCode=100),
            paused("ACCESS_DENIED", "w_organization_social")),
        Row("linkedin", s, "PROCESSING_FAILED", image_status("PROCESSING_FAILED"),
            failed("PROCESSING_FAILED", "re-save it as a plain JPEG")),
    ]
    # POST /rest/posts: the commit call.
    s = "commit"
    for label, action, exp in transport_rows(True):
        rows.append(Row("linkedin", s, label, action, dict(exp, calls={"put": 1})))
    rows += [
        # A 3xx to the commit call proves no refusal (a proxy may have
        # passed the post on): the page is read back before the re-send.
        Row("linkedin", s, "redirect_http", REDIRECT_HTTP, published(commits=2, put=1)),
        Row("linkedin", s, "redirect_host", REDIRECT_HOST, published(commits=2, put=1)),
        Row("linkedin", s, "http500", li(500), retried("HTTP 500", commits=2, put=1)),
        # 502/504 on the commit: the gateway may have passed it on: read back.
        Row("linkedin", s, "http502", li(502), published(commits=2, put=1)),
        Row("linkedin", s, "http504", li(504), published(commits=2, put=1)),
        Row("linkedin", s, "http503", li(503), retried("HTTP 503", commits=2, put=1)),
        Row("linkedin", s, "http429", li(429), waits("DAY limit", "midnight")),
        Row("linkedin", s, "T_409", li(409), retried("HTTP 409", commits=2)),
        Row("linkedin", s, "T_unable_activity",
            li(500, message="Unable to obtain activity urn:li:activity:1"),
            retried("Unable to obtain activity", commits=2)),
        Row("linkedin", s, "T_waiting_upload",
            li(400, "MEDIA_ASSET_WAITING_UPLOAD", "Media asset is waiting for upload"),
            retried("MEDIA_ASSET_WAITING_UPLOAD", commits=2, put=2, init=2)),
        Row("linkedin", s, "A_401_expired",
            li(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired",
               serviceErrorCode=65602),
            paused("EXPIRED_ACCESS_TOKEN", "linkedin.token")),
        # §3.6: 65601 right after a login may be spurious: one more try.
        Row("linkedin", s, "A_401_revoked_once",
            li(401, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked "
               "by the user", serviceErrorCode=65601),
            published(commits=2, put=1)),
        Row("linkedin", s, "A_403",
            li(403, "ACCESS_DENIED", "Not enough permissions to access: "
               "partnerApiPostsExternal.CREATE.20260101", serviceErrorCode=100),
            paused("ACCESS_DENIED", "w_organization_social")),
        Row("linkedin", s, "C_426",
            li(426, "NONEXISTENT_VERSION", "Requested version 20260101 is not active"),
            paused("LinkedIn API version retired", "is not active")),
        Row("linkedin", s, "P_field_too_long",
            li(400, "FIELD_LENGTH_TOO_LONG", "Text is too long: 3012 characters (max 3000)"),
            failed("FIELD_LENGTH_TOO_LONG", "3012 characters")),
        Row("linkedin", s, "P_processing_failed",
            li(400, "MEDIA_ASSET_PROCESSING_FAILED", "Media asset processing failed"),
            failed("MEDIA_ASSET_PROCESSING_FAILED", "re-save it as a plain JPEG")),
        # A duplicate of a post ritual never sent: not ours, failed with
        # LinkedIn's words; never recorded as published.
        Row("linkedin", s, "D_duplicate_of_other",
            li(422, "DUPLICATE_POST", "com.linkedin.content.common.exception."
               "BadRequestResponseException: Content is a duplicate of "
               "urn:li:share:6999999999999999999"),
            failed("DUPLICATE_POST", "urn:li:share:6999999999999999999")),
        # LinkedIn acted on a 500 after all: the page is read back at once
        # and the post found: one commit call, one post.
        Row("linkedin", s, "T_500_processed", li(500, process=True),
            published(commits=1, put=1)),
        # The answer is lost and the page's posts cannot be read: undecidable.
        Row("linkedin", s, "drop_after_unreadable", DROP_AFTER,
            unknown("could not confirm", "reading the page's recent posts", "HTTP 500",
                    "ritual retry"),
            extra=[("posts", li(500), -1)]),
        # A member's posts cannot be read (§3.7); the duplicate probe is
        # lost too: undecidable.
        Row("linkedin", s, "member_drop_probe_lost", DROP,
            unknown("could not tell", "ritual retry", commits=2), times=2,
            env={"linkedin_author": LI_PERSON}),
        Row("linkedin", s, "html_forever", HTML, capped(4), times=-1,
            note="cap on publish attempts"),
    ]
    return rows


ROWS = facebook_rows() + instagram_rows() + linkedin_rows()
if os.environ.get("RITUAL_FAULT_ONLY"):
    ROWS = [r for r in ROWS if re.search(os.environ["RITUAL_FAULT_ONLY"], r.name)]
assert len({r.name for r in ROWS}) == len(ROWS), "row names must be unique"

# --------------------------------------------------------------- runner ----

POST = """Kind: tip
Title: Slow pressure for tight legs
Image: card.jpg
Alt: A calm treatment room with a folded towel
At: 2030-01-07 09:00

Slow, steady pressure warms the tissue and encourages blood flow. Many clients
notice their legs feel warmer and lighter by the end of a session.
"""


def iso_time(s):
    return datetime.datetime.fromisoformat(s).timestamp()


def refusing_socket():
    """A loopback port that refuses connections: bound (so nobody else gets
    it while the row runs) but not listening."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s


def matches(req, match):
    if req["method"] != match.get("method", req["method"]):
        return False
    if "path_regex" in match and not re.search(match["path_regex"], req["path"]):
        return False
    if "query_regex" in match and not re.search(match["query_regex"], req["query_string"]):
        return False
    return True


class Outcome:
    def __init__(self, row):
        self.row = row
        self.problems = []
        self.crash = []          # abnormal exits, sanitizer reports
        self.hang = False
        self.dups = 0
        self.leaks = []
        self.seen = ""           # the observed outcome, one line
        self.seconds = 0.0
        self.log_tail = ""

    @property
    def ok(self):
        return not self.problems

    def check(self, cond, msg):
        if not cond:
            self.problems.append(msg)
        return cond


class Scenario:
    """One row, in its own Env."""

    def __init__(self, row):
        self.row = row
        self.net = row.net
        self.out = Outcome(row)
        self.env = None
        self.refusing = None

    # -- helpers --
    def run(self):
        limit = RUN_TIMEOUT if self.row.times > 0 else RUN_TIMEOUT_FOREVER
        try:
            rc = self.env.run_once(timeout=limit)
        except subprocess.TimeoutExpired:
            self.out.hang = True
            self.out.problems.append("rituald --once did not exit within %d s" % limit)
            return None
        if rc != 0:
            self.out.crash.append("rituald --once exited %d" % rc)
            self.out.problems.append("rituald --once exited %d" % rc)
        return rc

    def delivery(self):
        return self.env.deliveries(self.pid)[self.net]

    def calls(self, step):
        match = STEPS[(self.net, step)]
        reqs = self.env.fake.requests(network=match["network"])
        return [r for r in reqs if matches(r, match)]

    def posts(self):
        return [p for p in self.env.fake.posts() if p["network"] == self.net]

    def paused_line(self):
        listing = self.env.ritual("list", "--all").stdout
        for line in listing.splitlines():
            if "account %s is PAUSED" % self.net in line:
                return line
        return None

    def settle(self, runs=MAX_RUNS):
        """Run until the delivery is no longer due soon; its last state."""
        d = None
        for _ in range(runs):
            if self.run() is None:
                break
            d = self.delivery()
            if d["state"] != "pending" or self.paused_line():
                break
            wait = iso_time(d["next_attempt"]) - time.time()
            if wait > SOON:
                break
            time.sleep(max(0.0, wait) + 0.3)
        return d or self.delivery()

    def set_api(self, base):
        with open(self.env.config) as f:
            text = f.read()
        text = re.sub(r'api = "http://127\.0\.0\.1:\d+', 'api = "' + base, text)
        with open(self.env.config, "w") as f:
            f.write(text)

    # -- the row --
    def setup(self):
        self.env = Env(networks=(self.net,), **self.row.env)
        f = self.env.fake
        # One poll of each kind, so that every step runs exactly once.
        f.call("POST", "/_fake/config", {
            "instagram": {"users": {IG_USER: {"polls_until_finished": 0}}},
            "linkedin": {"polls_until_available": 0}})
        shutil.copy(os.path.join(SAMPLE, "01-why-legs-tighten.jpg"),
                    os.path.join(self.env.dir, "card.jpg"))
        path = self.env.write_post("card.post", POST)
        self.env.ritual("add", path)
        self.pid = self.env.ritual_json("list", "--json")[0]["id"]
        self.env.ritual("reschedule", str(self.pid), "now")

    def execute(self):
        row, out, env = self.row, self.out, self.env
        exp = row.expect
        kind = exp["kind"]
        if row.step == "api":
            self.refusing = refusing_socket()
            self.set_api("http://127.0.0.1:%d" % self.refusing.getsockname()[1])
        else:
            env.fake.fault(STEPS[(row.net, row.step)], row.action, times=row.times)
        for step, action, times, *more in row.extra:
            match = dict(STEPS[(row.net, step)], **(more[0] if more else {}))
            env.fake.fault(match, action, times=times)

        if kind in ("retried", "waits", "paused"):
            hung = self.run() is None
            d = self.delivery()
            if hung:
                out.seen = "%s attempts=%s error=%.140s" % (d["state"], d["attempts"],
                                                             d.get("error") or "")
                return
            out.seen = "%s attempts=%s error=%.140s" % (d["state"], d["attempts"],
                                                         d.get("error") or "")
            if kind == "retried":
                # The retry may come within the same run (a 1 s backoff that
                # is already due when the run would end): the error is then
                # in the delivery's history rather than in its state.
                history = env.ritual("show", str(self.pid)).stdout
                out.check(d["state"] == "published" and row.step != "api" or
                          d["state"] == "pending" and d["attempts"] >= 1,
                          "after the first run: expected a retry (pending, attempts >= 1), "
                          "got %s attempts %s" % (d["state"], d["attempts"]))
                out.check(exp["error"] in (d.get("error") or "") + history,
                          "the error should name %r: %r" % (exp["error"], d.get("error")))
                out.check(not self.paused_line(), "the account should not pause: %s"
                          % self.paused_line())
                if row.step == "api":
                    self.set_api(env.fake.base)
                else:
                    exp = dict(exp, attempts=2)     # one failed attempt, one success
                self.expect_published(exp)
            elif kind == "waits":
                out.check(d["state"] == "pending" and d["attempts"] == 0,
                          "expected pending with attempts 0 (a limit is no attempt), got %s "
                          "attempts %s" % (d["state"], d["attempts"]))
                out.check(exp["error"] in (d.get("error") or ""),
                          "the error should name %r: %r" % (exp["error"], d.get("error")))
                if d["state"] == "pending":
                    at = iso_time(d["next_attempt"])
                    if exp["minutes"] == "midnight":
                        out.check(at % 86400 == 0 and 0 < at - time.time() <= 86400,
                                  "should wait until 00:00 UTC, waits until %s"
                                  % d["next_attempt"])
                    else:
                        left = at - time.time()
                        out.check(left >= exp["minutes"] * 60 - 5, "should wait >= %d min, "
                                  "waits %.0f s" % (exp["minutes"], left))
                out.check(self.posts() == [], "nothing may be published")
            else:
                line = self.paused_line()
                out.seen = "PAUSED: %.160s" % line if line else out.seen
                if out.check(line is not None, "the account should be PAUSED; delivery %s "
                             "attempts %s error %r" % (d["state"], d["attempts"],
                                                       d.get("error"))):
                    for w in exp["words"]:
                        out.check(w in line, "the PAUSED line should say %r: %s" % (w, line))
                out.check(d["state"] == "pending", "the delivery should stay pending, is %s"
                          % d["state"])
                n = len(self.calls(row.step))
                out.check(n == 1, "the failing step should be called once, then silence; "
                          "called %d times" % n)
                out.check(self.posts() == [], "nothing may be published")
        elif kind == "failed":
            d = self.settle()
            out.seen = "%s attempts=%s error=%.140s" % (d["state"], d["attempts"],
                                                         d.get("error") or "")
            out.check(d["state"] == "failed", "expected failed, got %s (error %r)"
                      % (d["state"], d.get("error")))
            for w in exp["words"]:
                out.check(w in (d.get("error") or ""), "the error should say %r: %r"
                          % (w, d.get("error")))
            if d["state"] == "failed" and row.times > 0:
                out.check(self.posts() == [], "nothing may be published")
            if exp.get("commits") is not None:
                n = len(self.calls(COMMIT_STEP[row.net]))
                out.check(n <= exp["commits"], "at most %d commit calls, saw %d"
                          % (exp["commits"], n))
        elif kind == "capped":
            d = self.settle()
            n = len(self.calls(COMMIT_STEP[row.net]))
            out.seen = "%s attempts=%s commits=%d error=%.120s" % (
                d["state"], d["attempts"], n, d.get("error") or "")
            out.check(d["state"] in ("failed", "unknown"), "expected failed or unknown once "
                      "the attempts are used up, got %s (error %r)" % (d["state"], d.get("error")))
            out.check(n <= exp["commits"], "at most %d commit calls (retry.max_attempts), saw %d"
                      % (exp["commits"], n))
            out.check(len(self.posts()) <= 1, "at most one post")
        elif kind == "unknown":
            d = self.settle()
            out.seen = "%s attempts=%s error=%.140s" % (d["state"], d["attempts"],
                                                         d.get("error") or "")
            out.check(d["state"] == "unknown", "expected unknown, got %s (error %r)"
                      % (d["state"], d.get("error")))
            err = d.get("error") or ""
            for w in exp["words"]:
                out.check(w in err, "the error should say %r: %r" % (w, err))
            out.check(err.count(err[:40]) == 1, "the error repeats itself: %r" % err)
            n = len(self.calls(COMMIT_STEP[row.net]))
            out.check(n == exp["commits"], "undecidable: expected %d commit calls (never a "
                      "blind resend), saw %d" % (exp["commits"], n))
        elif kind == "container_published":
            d = self.settle()
            out.seen = "%s remote_id=%s" % (d["state"], d.get("remote_id"))
            out.check(d["state"] == "published", "expected published, got %s (%r)"
                      % (d["state"], d.get("error")))
            out.check((d.get("remote_id") or "").startswith("container:"),
                      "remote_id should name the container: %r" % d.get("remote_id"))
            out.check(self.calls("publish") == [], "media_publish must not be called")
        else:
            self.expect_published(exp)

    def expect_published(self, exp):
        out = self.out
        d = self.settle()
        seen = "%s attempts=%s" % (d["state"], d["attempts"])
        out.seen = (out.seen + " -> " if out.seen else "") + seen
        if not out.check(d["state"] == "published", "expected published, got %s (error %r)"
                         % (d["state"], d.get("error"))):
            return
        if exp.get("attempts") is not None:
            out.check(d["attempts"] == exp["attempts"], "expected %d attempts, saw %d"
                      % (exp["attempts"], d["attempts"]))
        posts = self.posts()
        if out.check(len(posts) == 1, "expected exactly one post, got %d" % len(posts)):
            out.check(d.get("remote_id") == posts[0]["id"], "remote_id %r is not the post %r"
                      % (d.get("remote_id"), posts[0]["id"]))
        if exp.get("commits") is not None:
            n = len(self.calls(COMMIT_STEP[self.net]))
            out.seen += " commits=%d" % n
            out.check(n == exp["commits"], "expected %d commit calls, saw %d"
                      % (exp["commits"], n))
        for step, want in (exp.get("calls") or {}).items():
            n = len(self.calls(step))
            out.seen += " %s=%d" % (step, n)
            out.check(n == want, "expected %d %s calls, saw %d" % (want, step, n))

    def finish(self):
        out, env = self.out, self.env
        posts = self.posts()
        out.dups = max(0, len(posts) - 1)
        out.check(out.dups == 0, "DUPLICATE: %d posts on %s for one delivery"
                  % (len(posts), self.net))
        logs = env.log() + "\n".join(env.outputs)
        m = SANITIZER.search(logs)
        if m:
            i = m.start()
            out.crash.append("sanitizer report: %s" % logs[max(0, i - 200):i + 600])
            out.problems.append("sanitizer report in the logs")
        out.leaks = env.leaked_token()
        out.check(out.leaks == [], "token leaked: %s" % out.leaks)
        out.log_tail = env.log()[-3000:]

    def go(self):
        t0 = time.time()
        try:
            self.setup()
            self.execute()
            self.finish()
        except Exception:
            self.out.problems.append("harness error: " + traceback.format_exc())
            if self.env is not None:
                self.out.log_tail = self.env.log()[-3000:]
        finally:
            if self.refusing is not None:
                self.refusing.close()
            if self.env is not None:
                try:
                    self.env.close()
                except Exception:
                    pass
            self.out.seconds = time.time() - t0
        return self.out


RESULTS = {}
_started = [None]


def setUpModule():
    _started[0] = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for out in pool.map(lambda r: Scenario(r).go(), ROWS):
            RESULTS[out.row.name] = out


def summary_line():
    outs = [RESULTS[r.name] for r in ROWS if r.name in RESULTS]
    return "fault matrix: %d scenarios, %d classified as expected, %d duplicates, %d crashes" % (
        len(outs), sum(1 for o in outs if o.ok), sum(o.dups for o in outs),
        sum(1 for o in outs if o.crash))


def tearDownModule():
    outs = [RESULTS[r.name] for r in ROWS if r.name in RESULTS]
    if os.environ.get("RITUAL_FAULT_TABLE"):
        for o in outs:
            sys.stdout.write("%-4s %s\n       seen: %s (%.1fs)%s\n" % (
                "ok" if o.ok else "FAIL", o.row.describe(), o.seen, o.seconds,
                "".join("\n       ! " + p.splitlines()[0] for p in o.problems)))
    hangs = sum(1 for o in outs if o.hang)
    if hangs:
        sys.stdout.write("fault matrix: %d scenario(s) where rituald --once did not exit\n"
                         % hangs)
    if _started[0]:
        sys.stdout.write("fault matrix: %.0f s with %d workers\n"
                         % (time.time() - _started[0], WORKERS))
    line = summary_line()
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    report = os.environ.get("RITUAL_FAULT_REPORT")
    if report:
        with open(report, "w") as f:
            f.write(line + "\n")


class FaultMatrix(unittest.TestCase):
    maxDiff = None


def _make_test(row):
    def test(self):
        out = RESULTS.get(row.name)
        self.assertIsNotNone(out, "row did not run")
        report = os.environ.get("RITUAL_LEAK_REPORT")
        if report:
            with open(report, "a") as f:
                f.write("%s %d\n" % (self.id(), len(out.leaks)))
        if not out.ok:
            self.fail("%s\n  seen: %s\n  %s\n--- rituald log (tail) ---\n%s" % (
                row.describe(), out.seen, "\n  ".join(out.problems), out.log_tail))
    test.__doc__ = row.describe() + ((" [" + row.note + "]") if row.note else "")
    return test


for _i, _row in enumerate(ROWS):
    setattr(FaultMatrix, "test_%03d_%s" % (_i, _row.name), _make_test(_row))


if __name__ == "__main__":
    unittest.main()
