#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) for dutybell's integration tests and benches.

Listens on --host/--port, writes each received message's raw bytes to <maildir>/NNNN.eml
(atomically: temp file + rename) and appends one JSON line per event (auth, rcpt_refused,
message) to --log. Recipients whose local part is `tempfail` get 451, `reject` get 550;
`dropdata` is accepted but the connection is cut after DATA without a final reply.
--tls-cert/--tls-key enable STARTTLS, or with --implicit-tls TLS from the first byte (SMTPS). AUTH (PLAIN, LOGIN) is offered even without TLS so a test
can prove a client did NOT send credentials; --user/--password set the accepted login.
Exits with status 3 and a clear message when aiosmtpd is not installed.
"""

import argparse
import asyncio
import json
import os
import ssl
import sys

try:
    from aiosmtpd.smtp import SMTP, AuthResult
except ImportError:
    sys.stderr.write(
        "smtp_server.py: Python package 'aiosmtpd' is missing; "
        "install it with `python3 -m pip install aiosmtpd` (.ci/setup does)\n"
    )
    sys.exit(3)


class Recorder:
    """Writes messages and events; shared by every connection."""

    def __init__(self, maildir, log_path):
        self.maildir = maildir
        self.log_path = log_path
        self.count = 0

    def log(self, **event):
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(event, ensure_ascii=False) + "\n")

    def store(self, raw):
        self.count += 1
        name = "%06d.eml" % self.count
        tmp = os.path.join(self.maildir, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(raw)
        os.rename(tmp, os.path.join(self.maildir, name))
        return name


class Handler:
    def __init__(self, recorder):
        self.rec = recorder
        # Sessions between MAIL and the end of DATA (or RSET): transactions in flight right now.
        self.active = set()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.active.add(id(session))
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RSET(self, server, session, envelope):
        self.active.discard(id(session))
        return "250 2.0.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "tempfail":
            self.rec.log(event="rcpt_refused", address=address, code=451)
            return "451 4.2.1 <%s>: mailbox busy, try again later" % address
        if local == "reject":
            self.rec.log(event="rcpt_refused", address=address, code=550)
            return "550 5.1.1 <%s>: recipient address rejected: user unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        in_flight = len(self.active)
        self.active.discard(id(session))
        if any(r.split("@", 1)[0].lower() == "dropdata" for r in envelope.rcpt_tos):
            self.rec.log(event="dropped_after_data", rcpt_tos=envelope.rcpt_tos)
            server.transport.abort()
            return "451 4.3.0 connection dropped"
        name = self.rec.store(envelope.original_content)
        self.rec.log(
            event="message",
            file=name,
            mail_from=envelope.mail_from,
            rcpt_tos=envelope.rcpt_tos,
            tls=session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
            peer=list(session.peer)[:2],
            in_flight=in_flight,
        )
        return "250 2.0.0 Ok: queued as %s" % name


def authenticator(recorder, user, password):
    def check(server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode("utf-8", "replace")
        ok = (user is None or login == user) and (
            password is None or auth_data.password.decode("utf-8", "replace") == password
        )
        recorder.log(event="auth", mechanism=mechanism, login=login, ok=ok)
        return AuthResult(success=ok, handled=False)

    return check


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--maildir", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--user")
    p.add_argument("--password")
    a = p.parse_args()

    os.makedirs(a.maildir, exist_ok=True)
    rec = Recorder(a.maildir, a.log)
    tls = None
    if a.tls_cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.tls_cert, a.tls_key)
    handler = Handler(rec)

    def factory():
        return SMTP(
            handler,
            hostname="smtp.test",
            tls_context=None if a.implicit_tls else tls,
            require_starttls=False,
            authenticator=authenticator(rec, a.user, a.password),
            auth_require_tls=False,
            decode_data=False,
        )

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(
            factory, host=a.host, port=a.port, ssl=tls if a.implicit_tls else None
        ))
    # With --port 0 the kernel picks a free port; report the one we got, so the harness never
    # races another process for a port it probed and released.
    port = server.sockets[0].getsockname()[1]
    sys.stderr.write("smtp_server.py: listening on %s:%d\n" % (a.host, port))
    sys.stderr.flush()
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
