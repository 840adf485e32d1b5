"""A real SMTP server on 127.0.0.1 for the mail tests (issue 10).

Debian's python3-aiosmtpd (aiosmtpd.controller.Controller): run it with
/usr/bin/python3. Every message accepted is saved in FOLDER as N.eml (the
bytes received) and N.json (the envelope: mail_from, rcpt_tos, the AUTH
login used, if any).

    /usr/bin/python3 tests/fake/smtp_sink.py --dir FOLDER --port-file FILE
        [--user U --password-file P]

The answer to DATA is read from FOLDER/mode at each message: absent or
"ok" accepts; "451" or "554" (any 4xx/5xx code) refuses with that code
and saves nothing; the test rewrites the file to move the server on.
--user/--password-file: AUTH PLAIN/LOGIN required (over plain TCP: the
server is loopback only) with that user and the password in the file.
"""
import argparse
import json
import os
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.n = 0
        self.lock = threading.Lock()

    def mode(self):
        try:
            with open(os.path.join(self.folder, "mode")) as f:
                return f.read().strip() or "ok"
        except FileNotFoundError:
            return "ok"

    async def handle_DATA(self, server, session, envelope):
        mode = self.mode()
        if mode != "ok":
            return "%s refused by the test's mode file" % mode
        with self.lock:
            self.n += 1
            n = self.n
        base = os.path.join(self.folder, "%d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from,
                       "rcpt_tos": envelope.rcpt_tos,
                       "login": session.auth_data if session.authenticated
                       else None}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password-file")
    a = ap.parse_args()
    kw = {}
    if a.user:
        with open(a.password_file) as f:
            want = f.read().strip()

        def auth(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and data.login.decode() == a.user
                  and data.password.decode() == want)
            return AuthResult(success=ok, handled=False,
                              auth_data=data.login.decode() if ok else None)
        kw = {"authenticator": auth, "auth_required": True,
              "auth_require_tls": False}
    # aiosmtpd 1.4 connects to its own port once started: it needs a real one
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = Controller(Sink(a.dir), hostname="127.0.0.1", port=port, **kw)
    c.start()
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(a.port_file + ".tmp", a.port_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    c.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
