#!/bin/sh
# make demo: the real rituald publishes the sample week (posts/sample-week)
# to Facebook, Instagram and LinkedIn, played by the local fake APIs on
# 127.0.0.1. No credentials, no internet; about fifteen seconds. Everything it makes is in ./demo/ (removed on the next run).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
RITUAL="$ROOT/$BUILD/ritual"
RITUALD="$ROOT/$BUILD/rituald"
DEMO="$ROOT/demo"
rm -rf "$DEMO"
mkdir -p "$DEMO"
cd "$DEMO"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

FAKE_PID=""
DAEMON_PID=""
cleanup() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null || true
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Throwaway tokens: the fake server accepts exactly these.
rand() { od -An -tx1 -N8 /dev/urandom | tr -d ' \n'; }
umask 077
FB_TOKEN="demo-fb-$(rand)"
IG_TOKEN="demo-ig-$(rand)"
LI_TOKEN="demo-li-$(rand)"
printf '%s\n' "$FB_TOKEN" > facebook.token
printf '%s\n' "$IG_TOKEN" > instagram.token
printf '%s\n' "$LI_TOKEN" > linkedin.token
umask 022
mkdir -p media    # the "web server" folder Instagram fetches images from

cat > fake.json <<JSON
{"facebook": {"pages": {"102030405060708": {"token": "$FB_TOKEN", "name": "Wellness Rituals"}}},
 "instagram": {"users": {"17841400000000000": {"token": "$IG_TOKEN", "username": "wellnessrituals",
                                               "login": "facebook", "polls_until_finished": 1}}},
 "linkedin": {"tokens": {"$LI_TOKEN": {"author": "urn:li:organization:5515715", "member": false,
              "scopes": ["w_organization_social", "r_organization_social"]}}, "polls_until_available": 1},
 "static": {"/media/": "$DEMO/media"}}
JSON

say "starting the fake Facebook, Instagram and LinkedIn APIs on 127.0.0.1"
python3 "$ROOT/tests/fake/fakeapi.py" --config fake.json --port 0 --port-file fake.port \
	--log fake-requests.jsonl 2> fake.err &
FAKE_PID=$!
i=0
while [ ! -s fake.port ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "the fake server did not start:"; cat fake.err; exit 1; }
	sleep 0.1
done
PORT=$(cat fake.port)
echo "listening on http://127.0.0.1:$PORT"

cat > ritual.conf <<CONF
// The demo's configuration: etc/ritual.conf.example documents every key.
timezone = "America/New_York";
database = "ritual.db";
business = { name = "Wellness Rituals"; website = "https://www.myrituals.me";
             booking_url = "https://www.myrituals.me/book-online"; phone = "407-535-2331"; };
schedule = { slots = [ "0 9 * * MON,WED,FRI", "30 17 * * TUE,THU" ]; min_gap = 0; };
media = { dir = "media"; url = "http://127.0.0.1:$PORT/media/"; };
accounts = (
  { name = "facebook"; network = "facebook"; page_id = "102030405060708";
    token_file = "facebook.token"; api = "http://127.0.0.1:$PORT/v25.0"; },
  { name = "instagram"; network = "instagram"; user_id = "17841400000000000";
    token_file = "instagram.token"; api = "http://127.0.0.1:$PORT/v25.0"; },
  { name = "linkedin"; network = "linkedin"; author = "urn:li:organization:5515715";
    token_file = "linkedin.token"; api = "http://127.0.0.1:$PORT"; }
);
CONF
export RITUAL_CONFIG="$DEMO/ritual.conf"

say "ritual check"
"$RITUAL" check --online

say "ritual import posts/sample-week   (each post takes the next free slot)"
"$RITUAL" import "$ROOT/posts/sample-week"

for acct in facebook instagram linkedin; do
	say "ritual preview 3 --account $acct   (exactly what will be sent)"
	"$RITUAL" preview 3 --account "$acct"
	echo
done

say "rituald is running; the owner moves each post to \"now\" and it goes out"
"$RITUALD" > rituald.log 2>&1 &
DAEMON_PID=$!
sleep 0.5
IDS=$("$RITUAL" list --json | python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))')
N=0
for id in $IDS; do
	"$RITUAL" reschedule "$id" now > /dev/null
	N=$((N + 3))
	sleep 1
done

# Show each publication as rituald logs it, until all N are out.
python3 - "$N" <<'PY'
import re, sys, time
want, seen, deadline = int(sys.argv[1]), 0, time.time() + 45
while seen < want and time.time() < deadline:
    with open("rituald.log") as f:
        lines = [l for l in f if "published post" in l or "[error]" in l]
    for l in lines[seen:]:
        m = re.search(r"published post (\d+) to (\w+) \(account (\S+)\): id (\S+) (\S+)", l)
        if m:
            print("  post %-3s -> %-9s id %-34s %s" % (m.group(1), m.group(2), m.group(4),
                                                       m.group(5)), flush=True)
        else:
            print("  " + l.strip(), flush=True)
    seen = len(lines)
    time.sleep(0.2)
sys.exit(0 if seen >= want else 1)
PY

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || true
DAEMON_PID=""

say "ritual list --all"
"$RITUAL" list --all

say "what the fake networks received"
python3 - "$PORT" <<'PY'
import json, sys, urllib.request
posts = json.load(urllib.request.urlopen("http://127.0.0.1:%s/_fake/posts" % sys.argv[1]))
for net in ("facebook", "instagram", "linkedin"):
    mine = [p for p in posts if p["network"] == net]
    texts = {p["raw_text"] for p in mine}
    print("  %-9s %d posts, %d distinct texts%s" % (net, len(mine), len(texts),
          ", none cut short" if net == "linkedin" and not any(p.get("truncated") for p in mine) else ""))
PY
echo "  hosted Instagram images left in demo/media: $(ls media | wc -l) (removed once published)"
echo
echo "Files are in demo/: ritual.conf, ritual.db, rituald.log, fake-requests.jsonl."
