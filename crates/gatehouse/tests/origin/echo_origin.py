"""An origin for end-to-end tests: answers every request with 200 and a JSON description of what
it received (method, path, headers, body), so tests can see exactly what the gateway forwarded.
Prints {"port": N} on stdout once listening on 127.0.0.1 (port 0: the OS picks)."""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        headers = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        payload = json.dumps(
            {"method": self.command, "path": self.path, "headers": headers, "body": body}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
server.daemon_threads = True
print(json.dumps({"port": server.server_address[1]}), flush=True)
server.serve_forever()
