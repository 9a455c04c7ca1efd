"""Rolling deploys behind HAProxy under load: 3 and 30 web instances, batch 1 and 25%, then a rollback.
A load generator sends 200 requests/s to the load balancer for the whole rollout and counts
failed requests (goal: 0). Prints the deploy wall time, the requests and the failures.

Usage: python3 Benchmarks/deploy_bench.py path/to/recipe
Everything runs on loopback; every cluster is destroyed and its agents killed by PID at the end.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from benchlib import teardown

RECIPE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/recipe")
STDLIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Stdlib")

SERVER = """import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"VERSION\\n"
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer.allow_reuse_address = True
http.server.ThreadingHTTPServer((os.environ["ADDRESS"], int(os.environ["PORT"])), H).serve_forever()
"""

RECIPE_TEXT = """local haproxy = require "haproxy"
cluster "bench" {
  apps = { shop = { source = "git+file:REPO", ref = "v1", start = "python3 server.py", port = 8000, health = "/" } },
  layers = {
    web = { count = arg.web, apps = { "shop" } },
    lb = { count = 1, services = { haproxy = haproxy.service { listen = 8080 } },
           on = haproxy.hooks { listen = 8080, backend = "web", port = 8000, health = "/" } },
  },
}
"""


def git(repo, *args):
    subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True)


def commit(repo, version):
    with open(os.path.join(repo, "server.py"), "w") as f:
        f.write(SERVER.replace("VERSION", version))
    git(repo, "add", ".")
    git(repo, "-c", "user.email=bench@example", "-c", "user.name=bench", "commit", "-qm", version)
    git(repo, "tag", "-f", version)


class Load:
    """200 requests per second, each on its own short connection, until stopped."""

    def __init__(self, url, rate=200):
        self.url, self.rate = url, rate
        self.sent = self.failed = 0
        self.versions = {}
        self.lock = threading.Lock()
        self.running = True
        self.threads = [threading.Thread(target=self.loop, args=(i,)) for i in range(8)]

    def loop(self, index):
        interval = 8 / self.rate
        next_at = time.monotonic() + index * interval / 8
        while self.running:
            time.sleep(max(0, next_at - time.monotonic()))
            next_at += interval
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    body = response.read().decode().strip()
                    ok = response.status == 200
            except Exception:
                body, ok = None, False
            with self.lock:
                self.sent += 1
                if not ok:
                    self.failed += 1
                else:
                    self.versions[body] = self.versions.get(body, 0) + 1

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        for t in self.threads:
            t.join()


def measure(web, batches):
    home = tempfile.mkdtemp(prefix="recipe-deploy-bench-")
    env = dict(os.environ, RECIPE_HOME=home, RECIPE_STDLIB=STDLIB)
    agents = []
    try:
        repo = os.path.join(home, "repo")
        os.makedirs(repo)
        git(repo, "init", "-q", "-b", "main")
        commit(repo, "v1")
        commit(repo, "v2")
        recipe = os.path.join(home, "bench.lua")
        with open(recipe, "w") as f:
            f.write(RECIPE_TEXT.replace("REPO", repo))
        run = subprocess.run([RECIPE, "run", recipe, f"web={web}"], env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"recipe run failed: {run.stderr}")
        status = json.loads(subprocess.run([RECIPE, "status", "bench", "--json"], env=env, capture_output=True, text=True).stdout)
        instances = status["clusters"][0]["instances"]
        agents = [i["agent_pid"] for i in instances]
        lb = next(i for i in instances if i["layer"] == "lb")["private_ip"]
        time.sleep(2)  # HAProxy's first health checks
        ref = "v1"
        steps = [("deploy", batch) for batch in batches] + [("rollback", "1")]
        for command, batch in steps:
            ref = "v2" if ref == "v1" else "v1"
            args = ["deploy", "bench", "shop", "--ref", ref] if command == "deploy" else ["rollback", "bench", "shop"]
            with Load(f"http://{lb}:8080/") as load:
                time.sleep(1)
                start = time.monotonic()
                done = subprocess.run([RECIPE, *args, "--batch", batch], env=env, capture_output=True, text=True)
                wall = time.monotonic() - start
                time.sleep(1)
            if done.returncode != 0:
                raise SystemExit(f"{command} failed: {done.stderr}")
            print(f"{command:<8} web={web:<3} batch={batch:<4} wall {wall:6.2f} s   requests {load.sent:5d}   "
                  f"failed {load.failed} (goal 0)   answers {dict(sorted(load.versions.items()))}")
    finally:
        teardown(RECIPE, env, "bench", agents, home)


if __name__ == "__main__":
    measure(3, ["1", "25%"])
    measure(30, ["1", "25%"])
