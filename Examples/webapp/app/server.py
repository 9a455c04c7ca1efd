"""The shop's web app: answers / with the instance id and /health with 200.

It binds $ADDRESS:$PORT, so every instance can use port 8000 on its own address.
Visits are counted in $ROOT/srv/data/visits, on the instance's volume.
"""
import http.server
import os
import pathlib

ADDRESS = os.environ.get("ADDRESS", "127.0.0.1")
PORT = int(os.environ.get("PORT", "8000"))
INSTANCE = os.environ.get("INSTANCE_ID", "unknown")
DATA = pathlib.Path(os.environ.get("ROOT", ".")) / "srv" / "data"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            self.reply(200, "ok\n")
        elif self.path == "/":
            self.count_visit()
            self.reply(200, INSTANCE + "\n")
        else:
            self.reply(404, "not found\n")

    def count_visit(self):
        try:
            visits = DATA / "visits"
            n = int(visits.read_text()) + 1 if visits.exists() else 1
            visits.write_text(str(n))
        except (OSError, ValueError):
            pass  # no volume attached, or a full one (the count was cut short): serve anyway

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass  # one line per request would fill the log


http.server.ThreadingHTTPServer.allow_reuse_address = True
http.server.ThreadingHTTPServer((ADDRESS, PORT), Handler).serve_forever()
