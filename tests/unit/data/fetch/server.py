#!/usr/bin/env python3
"""A small HTTP(S) server for tests/unit/test_fetch.c (Python stdlib only).

Serves the files of --dir with an ETag and a Last-Modified header and
answers If-None-Match / If-Modified-Since with 304. Query parameters make
it misbehave on purpose; "for the first N hits" counts requests with the
exact same request target, so each test uses its own query string:

  status=CODE&count=N  answer CODE for the first N hits (default: always);
                       retry_after=S adds a Retry-After header
  /r/K/PATH            302 to /r/K-1/PATH, and /r/0/PATH to /PATH (the
                       query is kept)
  loop=1               302 to itself forever (a fresh target each time)
  location=URL         302 to URL
  truncate=N           first N hits: full Content-Length, half the body,
                       then close
  reset=N              first N hits: half the body, then a TCP reset
  stall=N              first N hits: 100 bytes of the body, then stall_s
                       seconds of silence (default 5)
  noetag=1, nolm=1     leave out ETag / Last-Modified

It binds 127.0.0.1 port 0 and writes "HTTP_PORT [HTTPS_PORT]" to
--port-file (atomically, by rename) once it accepts connections. With
--cert and --key a second, TLS listener is started. It exits when its
parent process goes away, so a crashed test leaves nothing behind.
"""

import argparse
import email.utils
import http.server
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

HITS = {}
HITS_LOCK = threading.Lock()


def hit(target):
    with HITS_LOCK:
        HITS[target] = HITS.get(target, 0) + 1
        return HITS[target]


def etag_of(st):
    return '"%x-%x"' % (st.st_size, st.st_mtime_ns)


def etag_matches(header, etag):
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == "*" or tag == etag:
            return True
    return False


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "arca-test-server"
    root = "."

    def log_message(self, fmt, *args):
        pass

    def send_small(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location):
        self.send_small(302, b"moved\n", [("Location", location)])

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        n = hit(self.path)

        if "status" in q and n <= int(q.get("count", "1000000000")):
            hdrs = []
            if "retry_after" in q:
                hdrs.append(("Retry-After", q["retry_after"]))
            self.send_small(int(q["status"]),
                            b"error %s\n" % q["status"].encode(), hdrs)
            return
        if "location" in q:
            self.redirect(q["location"])
            return
        if q.get("loop"):
            q["i"] = str(n)
            self.redirect(url.path + "?" + urllib.parse.urlencode(q))
            return
        parts = url.path.split("/", 3)
        if len(parts) == 4 and parts[1] == "r":
            k = int(parts[2])
            loc = "/r/%d/%s" % (k - 1, parts[3]) if k > 0 else "/" + parts[3]
            self.redirect(loc + ("?" + url.query if url.query else ""))
            return

        rel = urllib.parse.unquote(url.path).lstrip("/")
        if ".." in rel.split("/"):
            self.send_small(403, b"forbidden\n")
            return
        path = os.path.join(self.root, rel)
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                body = f.read()
        except OSError:
            self.send_small(404, b"not found\n")
            return

        validators = []
        etag = None if q.get("noetag") else etag_of(st)
        lm = None if q.get("nolm") else \
            email.utils.formatdate(st.st_mtime, usegmt=True)
        if etag:
            validators.append(("ETag", etag))
        if lm:
            validators.append(("Last-Modified", lm))

        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if inm is not None:
            if etag and etag_matches(inm, etag):
                self.send_small(304, b"", validators)
                return
        elif ims is not None and lm:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError):
                since = None
            if since is not None and int(st.st_mtime) <= since:
                self.send_small(304, b"", validators)
                return

        misbehave = None
        for mode in ("truncate", "reset", "stall"):
            if mode in q and n <= int(q[mode]):
                misbehave = mode
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        for k, v in validators:
            self.send_header(k, v)
        self.end_headers()
        if not misbehave:
            self.wfile.write(body)
            return
        # A stall starts after a few bytes, so the client's average speed
        # drops below any sensible low-speed limit at once.
        self.wfile.write(body[:100] if misbehave == "stall"
                         else body[:len(body) // 2])
        self.wfile.flush()
        self.close_connection = True
        if misbehave == "stall":
            time.sleep(float(q.get("stall_s", "5")))
        elif misbehave == "reset":
            # SO_LINGER with a zero timeout: close() sends RST, not FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    tls = None

    def finish_request(self, request, client_address):
        # The TLS handshake runs in the request's thread, so a client that
        # rejects the certificate cannot stall the accept loop.
        if self.tls:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # clients that hang up mid-response are expected here


def watch_parent(ppid):
    while os.getppid() == ppid:
        time.sleep(0.5)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()

    Handler.root = args.dir
    servers = [Server(("127.0.0.1", 0), Handler)]
    if args.cert:
        tls = Server(("127.0.0.1", 0), Handler)
        tls.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.tls.load_cert_chain(args.cert, args.key)
        servers.append(tls)
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    threading.Thread(target=watch_parent, args=(os.getppid(),),
                     daemon=True).start()

    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(" ".join(str(s.server_address[1]) for s in servers) + "\n")
    os.rename(tmp, args.port_file)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
