"""Forwards HTTP requests to 127.0.0.1:TARGET, but answers a share of them (seeded, so runs
repeat) with 503 RequestLimitExceeded without forwarding them: a throttled request never
reaches the server, as with a real endpoint.

Usage: python3 throttle_proxy.py PORT TARGET SHARE SEED
"""
import http.client
import http.server
import random
import sys

PORT, TARGET, SHARE, SEED = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rng = random.Random(SEED)
THROTTLED = (b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>'
             b'<Message>Request limit exceeded.</Message></Error></Errors><RequestID>proxy</RequestID></Response>')


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if rng.random() < SHARE:
            return self.answer(503, THROTTLED, "text/xml")
        upstream = http.client.HTTPConnection("127.0.0.1", TARGET, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = self.headers["Host"]
        upstream.request("POST", self.path, body, headers)
        response = upstream.getresponse()
        self.answer(response.status, response.read(), response.getheader("Content-Type", "text/xml"))

    def answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Proxy).serve_forever()
