"""The APScheduler 3 peer of make bench: how an APScheduler user would
schedule Facebook Page posts.

    python3 bench/peers/aps_poster.py --db jobs.sqlite --graph URL/v25.0 POSTS.json

POSTS.json: [{"id": "...", "page": "...", "token": "...", "message": "...",
"at": unix_seconds}, ...]. Each post becomes one 'date' job in a
SQLAlchemy job store on SQLite, run by APScheduler's default thread pool
(10 threads), with every other setting at its default (misfire_grace_time 1 s,
coalesce on). The job does the same Graph call as ritual: POST
/PAGE_ID/feed with message and access_token, with Python's HTTP client.
Prints "ready" once the scheduler has started. Runs until SIGTERM.
"""
import argparse
import datetime
import json
import logging
import signal
import sys
import urllib.parse
import urllib.request

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler


def publish(graph, page, token, message):
    data = urllib.parse.urlencode({"message": message, "access_token": token}).encode()
    with urllib.request.urlopen(graph + "/" + page + "/feed", data=data, timeout=30) as r:
        return json.loads(r.read())["id"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--graph", required=True)
    ap.add_argument("posts")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sched = BlockingScheduler(jobstores={"default": SQLAlchemyJobStore(url="sqlite:///" + a.db)})
    with open(a.posts) as f:
        posts = json.load(f)
    for p in posts:
        sched.add_job(publish, "date", id=p["id"], replace_existing=True,
                      run_date=datetime.datetime.fromtimestamp(p["at"], datetime.timezone.utc),
                      args=[a.graph, p["page"], p["token"], p["message"]])
    signal.signal(signal.SIGTERM, lambda *_: sched.shutdown(wait=False))
    sched.add_listener(lambda ev: None)
    print("ready", flush=True)
    sched.start()


if __name__ == "__main__":
    main()
