"""The web console's pages under load, for "the console's pages answer in p99 <= 50 ms with 30
instances". Prints, for each page in PAGES (signed in like a browser, with the session cookie):
- p50 and p99 over REQUESTS requests at 1 client (sequential keep-alive) and at 4 concurrent
  clients, with the requests/s each got, and its p99 as a ratio to the peer's; or "not served (404)"
  (or the redirect's status) for a page this build does not have yet, which is skipped;
- the peer, in the same run and at the same loads: GET /api/v1/clusters/shop with a bearer token,
  the JSON the cluster page is built from;
- for the slowest page, the concurrency stepped 1 .. 32 clients to where p99 passes 50 ms.

The home is a memory-provider cluster `shop` of 30 instances (27 web, 2 lb, 1 db), 500 app.tick
events POSTed through the API and cpu and memory samples pushed with `recipe metrics put` (the only
push path: the CLI, into the store, stamped now; the API only reads them), so the pages have data.
The clients are this script (asyncio, raw HTTP/1.1 on loopback), on the same cores as the server:
every figure includes their cost, and the load average is printed with each line. The server is
stopped by its PID; the home is removed.

Usage: python3 Benchmarks/console_bench.py path/to/recipe [--quick]
"""
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from benchlib import load, percentile

PAGES = ["/clusters", "/clusters/shop", "/clusters/shop/events", "/clusters/shop/deploys",
         "/clusters/shop/graphs?range=1h", "/clusters/shop/graphs?range=24h", "/clusters/shop/graphs?range=30d",
         "/clusters/shop/usage", "/clusters/shop/plan", "/users"]
PEER = "/api/v1/clusters/shop"
GOAL = 50  # ms, p99
SHOP = ('cluster "shop" { provider = { kind = "memory" }, '
        'layers = { web = { count = 27 }, lb = { count = 2 }, db = { count = 1 } } }\n')

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
QUICK = "--quick" in sys.argv
RECIPE = os.path.abspath(ARGS[0] if ARGS else ".build/release/recipe")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUESTS = 100 if QUICK else 300  # per page and load
SAMPLE_ROUNDS = 1 if QUICK else 5  # cpu and memory samples per instance


def plural(clients):
    return f"{clients} client{'s' if clients > 1 else ''}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A fresh home with the 30-instance `shop` and an admin token, served by `recipe serve` on a free port."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="recipe-console-bench-")
        self.env = dict(os.environ, RECIPE_HOME=os.path.join(self.dir, "home"), RECIPE_STDLIB=os.path.join(ROOT, "Stdlib"))
        self.process = None
        try:
            self.start()
        except BaseException:
            self.stop()
            raise

    def start(self):
        path = os.path.join(self.dir, "shop.lua")
        with open(path, "w") as f:
            f.write(SHOP)
        self.recipe("run", path)
        self.recipe("user", "add", "root", "--admin")
        self.token = self.recipe("token", "create", "root").strip()
        instances = [line.split()[0] for line in self.recipe("status", "shop").splitlines()[1:] if line.startswith("  ")]
        for n in range(SAMPLE_ROUNDS):
            for instance in instances:
                self.recipe("metrics", "put", "shop", instance, "cpu", str(20 + (n * 7 + len(instance)) % 60))
                self.recipe("metrics", "put", "shop", instance, "memory", str(300 + n * 11))
        self.port = free_port()
        self.log = os.path.join(self.dir, "serve.log")
        with open(self.log, "w") as log:
            self.process = subprocess.Popen([RECIPE, "serve", "--listen", f"127.0.0.1:{self.port}"], env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while socket.socket().connect_ex(("127.0.0.1", self.port)) != 0:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("recipe serve did not listen: " + open(self.log).read())
            time.sleep(0.1)

    def recipe(self, *arguments):
        done = subprocess.run([RECIPE, *arguments], env=self.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"recipe {' '.join(arguments)} failed: {done.stderr}")
        return done.stdout

    def stop(self):
        if self.process:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Connection:
    """One keep-alive HTTP/1.1 connection sending `headers` (a cookie or a bearer token) on each request."""

    def __init__(self, port, headers=""):
        self.port, self.headers = port, headers

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        return self

    def close(self):
        self.writer.close()

    async def request(self, method, path, body=None, type="application/json"):
        data = b"" if body is None else body.encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.headers}"
        if body is not None:
            head += f"Content-Type: {type}\r\n"
        self.writer.write(f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data)
        status = int((await self.reader.readline()).split()[1])
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            return status, headers, await self.reader.readexactly(int(headers["content-length"]))
        data = b""  # chunked
        while (size := int((await self.reader.readline()).strip(), 16)) != 0:
            data += (await self.reader.readexactly(size + 2))[:-2]
        await self.reader.readline()
        return status, headers, data


async def closed_loop(port, headers, path, clients, count):
    """`count` GETs of `path` shared by `clients` connections, each asking again as soon as answered."""
    latencies, errors, left = [], [0], [count]
    connections = [await Connection(port, headers).open() for _ in range(clients)]

    async def client(connection):
        while left[0] > 0:
            left[0] -= 1
            start = time.perf_counter()
            status, _, _ = await connection.request("GET", path)
            latencies.append((time.perf_counter() - start) * 1000)
            errors[0] += status != 200

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    rate = len(latencies) / (time.perf_counter() - start)
    for c in connections:
        c.close()
    return latencies, rate, errors[0]


async def two_loads(port, headers, path):
    """(p99 at 1 client, p99 at 4 clients, the figures as printed)."""
    await closed_loop(port, headers, path, 2, 20)  # warm up: the first renders load templates and caches
    text, p99s = [], []
    for clients in (1, 4):
        latencies, rate, errors = await closed_loop(port, headers, path, clients, REQUESTS)
        p99s.append(percentile(latencies, 99))
        text.append(f"{plural(clients)}: p50 {percentile(latencies, 50):.1f} ms "
                    f"p99 {p99s[-1]:.1f} ms ({rate:.0f} req/s{f', {errors} not 200' if errors else ''})")
    return p99s[0], p99s[1], "  ".join(text)


async def seed_events(port, token):
    connection = await Connection(port, f"Authorization: Bearer {token}\r\n").open()
    for n in range(500):
        status, _, body = await connection.request("POST", "/api/v1/clusters/shop/events",
                                                   json.dumps({"kind": "app.tick", "detail": f"tick {n}"}))
        if status != 201:
            raise SystemExit(f"POST /api/v1/clusters/shop/events: {status} {body[:200]}")
    connection.close()


async def sign_in(port, token):
    """The session cookie a browser gets from the sign-in form."""
    first = await Connection(port).open()
    _, form_headers, form = await first.request("GET", "/signin")
    first.close()
    form_cookie = re.search(r"recipe_signin=([^;]+)", form_headers.get("set-cookie", "")).group(1)
    csrf = re.search(rb'name="csrf" value="([^"]+)"', form).group(1).decode()
    connection = await Connection(port, f"Cookie: recipe_signin={form_cookie}\r\n").open()
    status, headers, body = await connection.request("POST", "/signin", f"token={token}&csrf={csrf}", "application/x-www-form-urlencoded")
    connection.close()
    found = re.search(r"recipe_session=([^;]+)", headers.get("set-cookie", ""))
    if status != 303 or not found:
        raise SystemExit(f"POST /signin: {status} {body[:200]}")
    return f"Cookie: recipe_session={found.group(1)}\r\n"


async def bench(server):
    port, bearer = server.port, f"Authorization: Bearer {server.token}\r\n"
    await seed_events(port, server.token)
    status, _, body = await (await Connection(port, bearer).open()).request("GET", PEER)
    if status != 200 or len(json.loads(body)["clusters"][0]["instances"]) != 30:
        raise SystemExit(f"GET {PEER}: {status} {body[:200]}")
    cookie = await sign_in(port, server.token)
    print(f"console: shop has 30 instances, 500 app.tick events, {SAMPLE_ROUNDS * 60} metric samples; "
          f"{REQUESTS} requests per page and load; {load()}", flush=True)
    peer1, peer4, text = await two_loads(port, bearer, PEER)
    print(f"api [peer] GET {PEER}  {text}  (bearer token; {load()})", flush=True)

    measured = {}
    for page in PAGES:
        try:
            probe = await Connection(port, cookie).open()
            status, headers, _ = await probe.request("GET", page)
            probe.close()
            if status != 200:
                where = f" -> {headers['location']}" if "location" in headers else ""
                print(f"console GET {page}  not served ({status}{where})", flush=True)
                continue
            p1, p4, text = await two_loads(port, cookie, page)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as error:
            print(f"console GET {page}  error: {error!r}", flush=True)
            continue
        measured[page] = max(p1, p4)
        verdict = "ok" if measured[page] <= GOAL else "OVER"
        print(f"console GET {page}  {text}  (goal p99 <= {GOAL} ms: {verdict}; p99 x{p1 / peer1:.1f} / x{p4 / peer4:.1f} "
              f"the API's JSON at 1 / 4 clients; {load()})", flush=True)
    if not measured:
        print("console: no page answered 200; nothing to measure", flush=True)
        return

    # the break point: the slowest page, its concurrency stepped until p99 passes the goal
    slowest = max(measured, key=measured.get)
    passed = None
    for clients in (1, 2, 4, 8, 16, 32):
        latencies, rate, errors = await closed_loop(port, cookie, slowest, clients, max(REQUESTS, 10 * clients))
        p99 = percentile(latencies, 99)
        print(f"console GET {slowest}  {plural(clients)}: p50 {percentile(latencies, 50):.1f} ms p99 {p99:.1f} ms "
              f"({rate:.0f} req/s{f', {errors} not 200' if errors else ''}); {load()}", flush=True)
        if p99 > GOAL:
            passed = clients
            break
    print(f"console GET {slowest} (the slowest page): p99 passes {GOAL} ms at "
          f"{f'{passed} clients' if passed else 'more than 32 clients'}; {load()}", flush=True)
    worst = max(measured.values())
    print(f"console: {len(measured)} of {len(PAGES)} pages served; worst p99 {worst:.1f} ms "
          f"({'meets' if worst <= GOAL else 'MISSES'} p99 <= {GOAL} ms with 30 instances)", flush=True)


if __name__ == "__main__":
    server = Server()
    try:
        asyncio.run(bench(server))
    finally:
        server.stop()
