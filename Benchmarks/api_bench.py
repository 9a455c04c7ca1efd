"""recipe serve's HTTP API under load. Prints:
- GET /api/v1/clusters/shop (a 30-instance memory-provider cluster, with a bearer token): p50 and
  p99 at 50 concurrent keep-alive clients as fast as they go, and the requests/s they got; then
  the concurrency stepped (1 .. 100 clients) to where p99 passes 10 ms; then a steady rate spread
  over 50 clients, stepped up until p99 passes 10 ms or the rate is not held (latency counted from
  when each request was due, so a server that falls behind shows it); the largest rate sustained;
- the same at 50 clients for GET /api/v1/openapi.json (a static answer, no token: the server's
  floor) and the wall time of the local `recipe status shop --json`, as peers in the same run;
- the event stream's delivery latency: 50 clients each holding GET /api/v1/clusters/shop/events/stream,
  app.tick events POSTed at a steady rate, latency from just before each POST was sent to each
  client reading it; p50 and p99 (goal p99 <= 50 ms), stepping the rate up to where it breaks.

The clients are this script (asyncio, raw HTTP/1.1 on loopback), on the same two cores as the
server: every figure includes their cost, and the load average is printed with each line. The
server is stopped by its PID; the home is removed.

With --postgres instead: the status route against either of two controllers on one PostgreSQL
(the leader and the standby), beside one controller on SQLite as the peer in the same run.

Usage: python3 Benchmarks/api_bench.py path/to/recipe [--quick] [--postgres]
"""
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import Postgres, load, percentile

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
QUICK = "--quick" in sys.argv
RECIPE = os.path.abspath(ARGS[0] if ARGS else ".build/release/recipe")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STDLIB = os.path.join(ROOT, "Stdlib")
STEP = 2 if QUICK else 5  # seconds a step holds its load


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """A fresh home with an admin token and the cluster `shop`, served by `recipe serve --listen 127.0.0.1:0`;
    with `database` (a PostgreSQL URL), the state is there and `standby()` starts a second controller on it."""

    def __init__(self, instances=30, database=None):
        self.home = tempfile.mkdtemp(prefix="recipe-api-bench-")
        self.env = dict(os.environ, RECIPE_HOME=self.home, RECIPE_STDLIB=STDLIB)
        if database:
            self.env["RECIPE_DATABASE_URL"] = database
        self.process, self.processes = None, []
        self.recipe("user", "add", "root", "--admin")
        self.token = self.recipe("token", "create", "root").strip()
        path = os.path.join(self.home, "shop.lua")
        with open(path, "w") as f:
            f.write('cluster "shop" { provider = { kind = "memory" }, layers = { web = { count = %d } } }\n' % instances)
        self.recipe("run", path)
        self.process, self.port = self.serve("serve.log")

    def serve(self, name):
        log = open(os.path.join(self.home, name), "w+")
        process = subprocess.Popen([RECIPE, "serve", "--listen", "127.0.0.1:0"], env=self.env, stdout=log, stderr=log)
        self.processes.append(process)
        for _ in range(200):
            log.seek(0)
            found = re.search(r"API on http://127\.0\.0\.1:(\d+)/api/v1", log.read())
            if found:
                return process, int(found.group(1))
            if process.poll() is not None:
                break
            time.sleep(0.05)
        log.seek(0)
        self.stop()
        raise SystemExit("recipe serve did not start: " + log.read())

    def standby(self):
        """A second controller on the same state: the port its API answers on, once it says it stands by."""
        process, port = self.serve("standby.log")
        for _ in range(200):
            with open(os.path.join(self.home, "standby.log")) as f:
                if "standing by" in f.read():
                    return process, port
            time.sleep(0.05)
        self.stop()
        raise SystemExit("the second controller never stood by")

    def recipe(self, *arguments):
        done = subprocess.run([RECIPE, *arguments], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"recipe {' '.join(arguments)} failed: {done.stderr}")
        return done.stdout

    def stop(self):
        for process in self.processes:
            process.kill()
            process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


class Connection:
    """One keep-alive HTTP/1.1 connection: a request, then its whole answer, in turn."""

    def __init__(self, port, token=None):
        self.port, self.token = port, token

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    def close(self):
        self.writer.close()

    def send(self, method, path, body=None):
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if self.token:
            head += f"Authorization: Bearer {self.token}\r\n"
        data = b"" if body is None else json.dumps(body).encode()
        if body is not None:
            head += "Content-Type: application/json\r\n"
        head += f"Content-Length: {len(data)}\r\n\r\n"
        self.writer.write(head.encode() + data)

    async def headers(self):
        status = int((await self.reader.readline()).split()[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                return status, headers
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()

    async def request(self, method, path, body=None):
        self.send(method, path, body)
        status, headers = await self.headers()
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        else:  # chunked
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        return status, data


async def closed_loop(port, token, path, clients, seconds):
    """`clients` connections each asking again as soon as answered, for `seconds`."""
    latencies, errors = [], [0]
    connections = [await Connection(port, token).open() for _ in range(clients)]
    end = time.perf_counter() + seconds

    async def client(connection):
        while time.perf_counter() < end:
            start = time.perf_counter()
            status, _ = await connection.request("GET", path)
            latencies.append((time.perf_counter() - start) * 1000)
            if status != 200:
                errors[0] += 1

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - start
    for c in connections:
        c.close()
    return latencies, len(latencies) / elapsed, errors[0]


async def open_loop(port, token, path, clients, rate, seconds):
    """`rate` requests a second spread over `clients` connections, each request due at its slot;
    latency runs from when it was due, so falling behind counts."""
    latencies, errors = [], [0]
    connections = [await Connection(port, token).open() for _ in range(clients)]
    interval = clients / rate
    begin = time.perf_counter() + 0.05

    async def client(n, connection):
        due = begin + n * interval / clients
        # a server far behind is not waited for past three times the step: what it missed counts against it
        while due < begin + seconds and time.perf_counter() < begin + 3 * seconds:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            status, _ = await connection.request("GET", path)
            latencies.append((time.perf_counter() - due) * 1000)
            if status != 200:
                errors[0] += 1
            due += interval

    await asyncio.gather(*(client(n, c) for n, c in enumerate(connections)))
    achieved = len(latencies) / max(seconds, time.perf_counter() - begin)
    for c in connections:
        c.close()
    return latencies, achieved, errors[0]


async def step_up(rates, held):
    """The largest rate `held(rate)` holds, stepping up; stops after two rates in a row that do not hold."""
    best, failed = 0, 0
    for rate in rates:
        if await held(rate):
            best, failed = rate, 0
        else:
            failed += 1
            if failed == 2:
                break
    return best


def figure(latencies):
    return f"p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms"


async def status_route(server):
    path, port, token = "/api/v1/clusters/shop", server.port, server.token
    status, body = await (await Connection(port, token).open()).request("GET", path)
    instances = len(json.loads(body)["clusters"][0]["instances"]) if status == 200 else 0
    if status != 200:
        raise SystemExit(f"GET {path}: {status} {body[:200]}")
    await closed_loop(port, token, path, 10, 1)  # warm up
    cpu = cpu_seconds(server.process.pid)
    latencies, rate, errors = await closed_loop(port, token, path, 50, STEP * 2)
    cpu = (cpu_seconds(server.process.pid) - cpu) / (STEP * 2) * 100
    print(f"api: GET {path} ({instances} instances, bearer token), 50 keep-alive clients flat out for {STEP * 2} s: "
          f"{rate:.0f} requests/s, {figure(latencies)}, {errors} not 200; server CPU {cpu:.0f}% of a core; {load()}", flush=True)
    peer, peer_rate, _ = await closed_loop(port, None, "/api/v1/openapi.json", 50, STEP * 2)
    print(f"api [peer]: GET /api/v1/openapi.json (static, no token), 50 keep-alive clients flat out for {STEP * 2} s: "
          f"{peer_rate:.0f} requests/s, {figure(peer)}; the status route does {rate / peer_rate * 100:.0f}% of the floor's rate; {load()}",
          flush=True)
    walls = []
    for _ in range(5 if QUICK else 10):
        start = time.perf_counter()
        subprocess.run([RECIPE, "status", "shop", "--json"], env=server.env, capture_output=True, check=True)
        walls.append((time.perf_counter() - start) * 1000)
    walls.sort()
    print(f"api [peer]: local `recipe status shop --json` wall time, {len(walls)} runs: median {walls[len(walls) // 2]:.1f} ms, "
          f"worst {walls[-1]:.1f} ms (one API answer at p50: {percentile(latencies, 50):.2f} ms under 50 clients); {load()}", flush=True)

    passed = None
    for clients in (1, 2, 5, 10, 20, 50, 100):
        latencies, rate, _ = await closed_loop(port, token, path, clients, STEP)
        p99 = percentile(latencies, 99)
        print(f"api: GET {path}, {clients} clients flat out: {rate:.0f} requests/s, {figure(latencies)}", flush=True)
        if p99 > 10 and passed is None:
            passed = clients
            break
    print(f"api: GET {path}: p99 passes 10 ms at {passed or 'more than 100'} clients flat out; {load()}", flush=True)

    best = await steady(port, token, path, "api", (250, 500, 1000, 1500, 2000, 3000, 4000, 6000, 8000))
    print(f"api: GET {path}: largest rate sustained over 50 keep-alive clients with p99 <= 10 ms: {best} requests/s "
          f"(goal: p99 <= 10 ms at 50 clients); {load()}", flush=True)


async def steady(port, token, path, label, rates):
    """Steady rates spread over 50 clients, stepped up: the largest held with p99 <= 10 ms (from when due)."""
    async def held(rate):
        latencies, achieved, errors = await open_loop(port, token, path, 50, rate, STEP)
        ok = percentile(latencies, 99) <= 10 and achieved >= 0.98 * rate and errors == 0
        print(f"{label}: GET {path}, {rate}/s over 50 clients for {STEP} s: achieved {achieved:.0f}/s, {figure(latencies)} "
              f"(from when due); {'sustained' if ok else 'NOT sustained'}; {load()}", flush=True)
        return ok

    return await step_up(rates, held)


async def stream_step(server, rate, seconds, clients=50):
    """`clients` streams held open; app.tick events POSTed at `rate` for `seconds`. Returns
    (latencies ms, deliveries expected, POST rate achieved)."""
    port, token, path = server.port, server.token, "/api/v1/clusters/shop/events/stream"
    connections = [await Connection(port, token).open() for _ in range(clients)]
    # after=<the newest id>: each stream starts from now, not the cluster's whole history
    poster = await Connection(port, token).open()
    status, body = await poster.request("GET", "/api/v1/clusters/shop/events?limit=1&all=true")
    after = json.loads(body)[-1]["id"] if status == 200 and json.loads(body) else 0
    for c in connections:
        c.send("GET", f"{path}?after={after}")
    for c in connections:
        status, _ = await c.headers()
        if status != 200:
            raise SystemExit(f"GET {path}: {status}")
    received = []  # (event id, time read)
    sent = {}  # event id -> time just before its POST was sent

    async def reader(c):
        while True:
            line = await c.reader.readline()
            if not line:
                return
            if line.startswith(b"id: "):
                received.append((int(line[4:]), time.perf_counter()))

    readers = [asyncio.ensure_future(reader(c)) for c in connections]
    await asyncio.sleep(0.2)  # every stream subscribed before the first event
    interval, count = 1 / rate, int(rate * seconds)
    begin = time.perf_counter()
    for n in range(count):
        delay = begin + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        start = time.perf_counter()
        status, body = await poster.request("POST", "/api/v1/clusters/shop/events", {"kind": "app.tick", "detail": str(n)})
        if status != 201:
            raise SystemExit(f"POST events: {status} {body[:200]}")
        sent[json.loads(body)["id"]] = start
    achieved = count / (time.perf_counter() - begin)
    deadline = time.perf_counter() + 2
    while len(received) < count * clients and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    for task in readers:
        task.cancel()
    for c in connections + [poster]:
        c.close()
    latencies = [(t - sent[i]) * 1000 for i, t in received if i in sent]
    return latencies, count * clients, achieved


async def event_stream(server):
    seconds = STEP

    async def held(rate):
        latencies, expected, achieved = await stream_step(server, rate, seconds)
        ok = len(latencies) == expected and percentile(latencies, 99) <= 50 and achieved >= 0.98 * rate
        print(f"api: event stream, 50 clients, {rate} app.tick/s POSTed for {seconds} s (POSTs achieved {achieved:.0f}/s): "
              f"{len(latencies)} of {expected} deliveries, POST sent -> client read {figure(latencies)}; "
              f"{'sustained' if ok else 'NOT sustained'}; {load()}", flush=True)
        return ok

    best = await step_up((10, 25, 50, 100, 200, 400, 800), held)
    print(f"api: event stream: largest rate delivered to 50 clients with p99 <= 50 ms: {best} events/s "
          f"({best * 50} deliveries/s; goal p99 <= 50 ms at 50 clients); {load()}", flush=True)


async def either_controller(label, port, token, pid):
    """The status route at 50 clients flat out, then the rate it sustains with p99 <= 10 ms."""
    path = "/api/v1/clusters/shop"
    await closed_loop(port, token, path, 10, 1)  # warm up
    cpu = cpu_seconds(pid)
    latencies, rate, errors = await closed_loop(port, token, path, 50, STEP * 2)
    cpu = (cpu_seconds(pid) - cpu) / (STEP * 2) * 100
    print(f"api {label}: GET {path}, 50 keep-alive clients flat out for {STEP * 2} s: {rate:.0f} requests/s, {figure(latencies)}, "
          f"{errors} not 200; server CPU {cpu:.0f}% of a core; {load()}", flush=True)
    best = await steady(port, token, path, f"api {label}", (250, 500, 1000, 1500, 2000, 3000, 4000))
    print(f"api {label}: GET {path}: largest rate sustained over 50 keep-alive clients with p99 <= 10 ms: {best} requests/s; {load()}",
          flush=True)


def postgres_controllers():
    """The same route on SQLite (the peer, in this run), then against either of two controllers on one PostgreSQL."""
    peer = Server()
    try:
        asyncio.run(either_controller("[peer: sqlite, one controller]", peer.port, peer.token, peer.process.pid))
    finally:
        peer.stop()
    database = Postgres()
    try:
        server = Server(database=database.url)
        try:
            standby, port = server.standby()
            asyncio.run(either_controller("[postgres, the leader]", server.port, server.token, server.process.pid))
            asyncio.run(either_controller("[postgres, the standby]", port, server.token, standby.pid))
        finally:
            server.stop()
    finally:
        database.stop()


if __name__ == "__main__":
    if "--postgres" in sys.argv:
        postgres_controllers()
        sys.exit(0)
    server = Server()
    try:
        asyncio.run(status_route(server))
        asyncio.run(event_stream(server))
    finally:
        server.stop()
