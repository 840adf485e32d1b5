"""fast_graph: a minimal Graph API server for make bench, many connections at once.

fakeapi.py is a faithful fake, one request at a time; measuring throughput
against it would measure it. This server knows one call, Facebook's text
post, and answers it after a set delay with as many connections open as the
clients like (asyncio, one task per connection, HTTP/1.1 keep-alive):

    POST /vNN.N/PAGE_ID/feed   (form: message, optional access_token; or a
                                Bearer token)  -> 200 {"id": "PAGE_ID_N"}
                                after --delay seconds

It records, for each such request, the wall time (time.time()) at which its
request line arrived, the page and the message. Control (not recorded, no
delay):

    GET    /_fast/requests     the records, a JSON list of {t, page, message, inflight}
                               (inflight: text posts in flight at arrival, this one included)
    DELETE /_fast/requests     forget them
    POST   /_fast/config       {"delay": seconds, "page_delays": {"PAGE_ID": seconds}}
                               (page_delays: these pages answer after their own delay;
                               a key left out keeps its value)
    anything else              404 {"error": {...}}, recorded with page null

Usage: python3 tests/fake/fast_graph.py --port 0 --port-file FILE [--delay 0.2]
The port is written to FILE (temp + rename) once listening. Standard library
only; 127.0.0.1 only; tokens are never printed.
"""
import argparse
import asyncio
import json
import os
import re
import time
import urllib.parse

FEED = re.compile(r"^/v\d+\.\d+/([^/?]+)/feed(?:\?.*)?$")


class Server:
    def __init__(self, delay):
        self.delay = delay
        self.page_delays = {}
        self.records = []
        self.seq = 0
        self.inflight = 0

    async def handle(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                t = time.time()
                try:
                    method, target, _ = line.decode("latin-1").split(" ", 2)
                except ValueError:
                    break
                length = 0
                close = False
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    k = k.strip().lower()
                    if k == "content-length":
                        length = int(v.strip())
                    elif k == "connection" and v.strip().lower() == "close":
                        close = True
                    elif k == "expect" and "100-continue" in v.lower():
                        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = await reader.readexactly(length) if length else b""
                status, out = await self.route(method, target, body, t)
                data = json.dumps(out).encode()
                writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n%s\r\n"
                             % (status, b"OK" if status == 200 else b"Not Found", len(data),
                                b"Connection: close\r\n" if close else b"") + data)
                await writer.drain()
                if close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def route(self, method, target, body, t):
        path = target.split("?", 1)[0]
        if path == "/_fast/requests":
            if method == "DELETE":
                self.records = []
                return 200, {"ok": True}
            return 200, self.records
        if path == "/_fast/config" and method == "POST":
            cfg = json.loads(body or b"{}")
            self.delay = float(cfg.get("delay", self.delay))
            self.page_delays = {str(k): float(v)
                                for k, v in cfg.get("page_delays", self.page_delays).items()}
            return 200, {"delay": self.delay, "page_delays": self.page_delays}
        m = FEED.match(target)
        if method == "POST" and m:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            self.inflight += 1
            self.records.append({"t": t, "page": m.group(1), "inflight": self.inflight,
                                 "message": form.get("message", [""])[0]})
            try:
                delay = self.page_delays.get(m.group(1), self.delay)
                if delay > 0:
                    await asyncio.sleep(delay)
            finally:
                self.inflight -= 1
            self.seq += 1
            return 200, {"id": "%s_%d" % (m.group(1), self.seq)}
        self.records.append({"t": t, "page": None, "message": method + " " + path})
        return 404, {"error": {"message": "Unknown path", "type": "GraphMethodException",
                               "code": 100}}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--delay", type=float, default=0.0)
    a = ap.parse_args()
    srv = Server(a.delay)
    server = await asyncio.start_server(srv.handle, "127.0.0.1", a.port, backlog=4096,
                                        limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)
    print("fast_graph listening on 127.0.0.1:%d" % port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
