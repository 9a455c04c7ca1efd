"""recipe serve under load. Prints:
- event -> hook start latency, p50 and p99, with the rate the producer achieved, stepping the rate
  up until p99 exceeds 20 ms, then the goal rate (5,000/s) held for 30 s three times (--holds=N;
  the median p99 is the figure, as this machine is shared); the largest rate sustained (and the
  same for a peer binary, if one is given, in the same run);
- lateness of 10,000 every("10s") timers, p50 and p99 (goal p99 <= 50 ms);
- heal time of Examples/webapp over 5 kill -9s of a web agent, median and worst (anchors:
  OpsWorks declared an instance failed after about 5 minutes, Kubernetes evicts pods from a lost
  node after about 5 minutes);
- the scheduler's RSS with 1,000 instances reporting metrics every second.

Events and the 1,000 instances' heartbeats are written by this script straight into the state's
SQLite file, with the same statements the CLI and the agents use: 1,000 real agents would not
fit on the machine. Everything runs on loopback; every process started is killed by its PID.

With --postgres: the event steps only, first on SQLite (the peer, in the same run), then with the
state on a PostgreSQL of the benchmark's own (benchlib.Postgres, a fresh database a step), where
the events are appended as the Store appends them there (under the event log's append lock, so
ids commit in order). The goal there is 2,000/s. The server runs with synchronous_commit=off: a
commit does not wait for its WAL flush, as SQLite's WAL with synchronous=NORMAL (the Store's)
does not sync a commit either; the figures are of the scheduler, not of this machine's disk.
It needs psycopg (`make venv` installs it; run with .venv/bin/python3).

Usage: python3 Benchmarks/serve_bench.py path/to/recipe [path/to/peer/recipe] [--events-only] [--holds=N] [--postgres]
"""
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import Postgres, load, percentile, teardown

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
EVENTS_ONLY = "--events-only" in sys.argv
POSTGRES = "--postgres" in sys.argv
# how many times the goal rate is held for 30 s (the median is the figure)
HOLDS = int(next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--holds=")), "3"))
RECIPE = os.path.abspath(ARGS[0] if ARGS else ".build/release/recipe")
# an earlier build (say main's release) stepped the same way in the same run, for comparison
PEER = os.path.abspath(ARGS[1]) if len(ARGS) > 1 and ARGS[1] else None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STDLIB = os.path.join(ROOT, "Stdlib")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


class Serve:
    """recipe serve in its own home; stopped by its PID."""

    def __init__(self, home, *recipes, binary=None, database=None):
        self.env = dict(os.environ, RECIPE_HOME=home, RECIPE_STDLIB=STDLIB)
        if database:
            self.env["RECIPE_DATABASE_URL"] = database
        self.log = open(os.path.join(home, "serve.log"), "ab")
        self.process = subprocess.Popen([binary or RECIPE, "serve", *recipes], env=self.env, stdout=self.log, stderr=self.log)
        path = os.path.join(home, "serve.log")
        for _ in range(200):
            with open(path) as f:
                if "hosting" in f.read():
                    return
            time.sleep(0.05)
        raise SystemExit("recipe serve did not start: " + open(path).read())

    def stop(self):
        self.process.kill()
        self.process.wait()


def db(home):
    connection = sqlite3.connect(os.path.join(home, "state.db"), timeout=30, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def cpu_seconds(pid):
    """User + system CPU time of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def produce(con, rate, seconds):
    """Appends bench.event rows at `rate` a second for `seconds`: every millisecond, the events due
    by then in one transaction (one transaction per event would cost this shared machine more CPU
    than the scheduler under test). Each row's time is taken as it is written. Returns how many
    were written and the rate achieved."""
    # as the Store sets them for the CLI and the agents (Store.checkpointPages)
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA wal_autocheckpoint=10000")

    def write(first, last):
        con.execute("BEGIN")
        con.executemany("INSERT INTO events(time, actor, cluster, kind, subject, detail, result) "
                        "VALUES (?, 'bench', 'bench', 'bench.event', NULL, ?, 'ok')",
                        ((time.time(), str(n)) for n in range(first, last)))
        con.execute("COMMIT")
    return paced(rate, seconds, write)


def paced(rate, seconds, write):
    """Calls `write(first, last)` every millisecond with the events due by then (numbered from 0)
    for `seconds`; returns how many were written and the rate achieved."""
    start = time.monotonic()
    sent = 0
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        target = min(int(elapsed * rate) + 1, int(seconds * rate))
        if target > sent:
            write(sent, target)
            sent = target
        time.sleep(0.001)
    return sent, sent / (time.monotonic() - start)


# the event log's append lock as the Store takes it on PostgreSQL (PostgresStatements.appendLock)
APPEND_LOCK = "pg_advisory_xact_lock(1919221762, hashtext('events'))"


def produce_postgres(con, rate, seconds):
    """`produce` on PostgreSQL: the events due each millisecond in one transaction that first takes
    the event log's append lock, as the Store's appends do, so their ids commit in order."""
    with con.cursor() as cursor:
        def write(first, last):
            with con.transaction():
                cursor.execute(f"SELECT {APPEND_LOCK}")
                cursor.executemany("INSERT INTO events(time, actor, cluster, kind, subject, detail, result) "
                                   "VALUES (%s, 'bench', 'bench', 'bench.event', NULL, %s, 'ok')",
                                   [(time.time(), str(n)) for n in range(first, last)])
        return paced(rate, seconds, write)


class Steps:
    """Where each step's state goes: a fresh home (SQLite), or with `postgres` a fresh database
    on that server too."""

    def __init__(self, postgres=None):
        self.postgres, self.count = postgres, 0

    def database(self):
        if not self.postgres:
            return None
        import psycopg
        self.count += 1
        with psycopg.connect(self.postgres.url, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE step{self.count}")
        return self.postgres.database(f"step{self.count}")

    def connect(self, home, database):
        if not database:
            return db(home)
        import psycopg
        return psycopg.connect(database, autocommit=True)


def event_latency(recipe_binary, rate, seconds, label, steps=Steps()):
    """One step: events at `rate` for `seconds` into a fresh home (and database) served by
    `recipe_binary`; the event -> hook start latency of every run, from the hook-run rows. Returns
    True when every event got its run, started, with p99 <= 20 ms and the producer achieved the
    rate, and the p99."""
    home = tempfile.mkdtemp(prefix="recipe-serve-bench-")
    recipe = os.path.join(home, "hooks.lua")
    with open(recipe, "w") as f:
        f.write('on("bench.event", function(e) end)\n')
    database = steps.database()
    serve = Serve(home, recipe, binary=recipe_binary, database=database)
    try:
        con = steps.connect(home, database)
        cpu = cpu_seconds(serve.process.pid)
        sent, achieved = (produce_postgres if database else produce)(con, rate, seconds)
        # drain: until every run started, or 10 s (a backlog that needs longer has failed anyway)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            started = con.execute("SELECT COUNT(*) FROM hookRuns WHERE startedAt IS NOT NULL").fetchone()[0]
            if started >= sent:
                break
            time.sleep(0.1)
        cpu = cpu_seconds(serve.process.pid) - cpu
        rows = con.execute("SELECT r.startedAt - e.time FROM hookRuns r JOIN events e ON e.id = r.eventID "
                           "WHERE e.kind = 'bench.event' AND r.attempt = 1 AND r.startedAt IS NOT NULL").fetchall()
        done = con.execute("SELECT COUNT(*) FROM hookRuns WHERE state = 'ok'").fetchone()[0]
        latencies = [r[0] * 1000 for r in rows]
        p50 = percentile(latencies, 50) if latencies else float("inf")
        p99 = percentile(latencies, 99) if latencies else float("inf")
        ok = len(latencies) == sent and p99 <= 20 and achieved >= 0.98 * rate
        print(f"serve [{label}]: {rate} events/s for {seconds} s: producer achieved {achieved:.0f}/s ({sent} events); "
              f"{len(latencies)} runs started, {done} ok; event -> hook start p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
              f"scheduler CPU {cpu / seconds * 100:.0f}% of a core, RSS {rss_mb(serve.process.pid):.1f} MB; "
              f"{'sustained' if ok else 'NOT sustained'}; {load()}", flush=True)
        return ok, p99
    finally:
        serve.stop()
        teardown(recipe_binary, serve.env, "bench", [], home)


def sustained_rate(recipe_binary, label, rates=(500, 1000, 2000, 3000, 5000, 7500, 10000, 15000), step=10, goal=5000, steps=Steps()):
    """Steps the rate up (`step` s each) until two steps in a row fail (one stall on this shared
    machine can fail a step that the next rate passes; every step is printed); then holds the goal
    rate, and the largest rate sustained when it is above the goal, for 30 s. Prints the largest
    rate sustained."""
    best, failed = 0, 0
    for rate in rates:
        if event_latency(recipe_binary, rate, step, label, steps)[0]:
            best, failed = rate, 0
        else:
            failed += 1
            if failed == 2:
                break
    # the goal rate (HOLDS times: this machine is shared, so the typical run is the median), and
    # the largest sustained above it, held for 30 s
    held = []
    tries = [event_latency(recipe_binary, goal, 30, label, steps) for _ in range(HOLDS)]
    p99s = sorted(p99 for _, p99 in tries)
    held.append(f"{goal}/s {sum(ok for ok, _ in tries)} of {len(tries)} sustained, p99 typical {p99s[len(p99s) // 2]:.1f} ms "
                f"(all: {', '.join(f'{p:.1f}' for p in p99s)} ms)")
    if best > goal:
        held.append(f"{best}/s {'sustained' if event_latency(recipe_binary, best, 30, label, steps)[0] else 'NOT sustained'}")
    print(f"serve [{label}]: largest rate sustained with event -> hook start p99 <= 20 ms: {best} events/s in {step} s steps; "
          f"held for 30 s: {', '.join(held) or 'nothing (below the goal)'} (goal {goal}/s); {load()}",
          flush=True)


def on_postgres():
    """The event steps on SQLite, then on PostgreSQL, in the same run."""
    sustained_rate(RECIPE, "this build, sqlite")
    server = Postgres(synchronous_commit="off")
    try:
        sustained_rate(RECIPE, "this build, postgres", goal=2000, steps=Steps(server))
    finally:
        server.stop()


def timer_lateness(count=10000, interval=10, seconds=25):
    home = tempfile.mkdtemp(prefix="recipe-serve-bench-")
    recipe = os.path.join(home, "timers.lua")
    with open(recipe, "w") as f:
        f.write(f'for i = 1, {count} do every("{interval}s", function(e) end) end\n')
    serve = Serve(home, recipe)
    try:
        time.sleep(seconds)
        con = db(home)
        rows = con.execute("SELECT startedAt - dueAt FROM hookRuns WHERE trigger = 'timer' AND startedAt IS NOT NULL").fetchall()
        lateness = [r[0] * 1000 for r in rows]
        print(f"serve: {count} every(\"{interval}s\") timers over {seconds} s: {len(lateness)} runs, lateness "
              f"p50 {percentile(lateness, 50):.1f} ms, p99 {percentile(lateness, 99):.1f} ms (goal p99 <= 50 ms); "
              f"scheduler RSS {rss_mb(serve.process.pid):.1f} MB")
    finally:
        serve.stop()
        teardown(RECIPE, serve.env, "bench", [], home)


def status(env, cluster):
    out = subprocess.run([RECIPE, "status", cluster, "--json"], env=env, capture_output=True, text=True).stdout
    return {i["name"]: i for i in json.loads(out)["clusters"][0]["instances"]}


def answers(ip):
    try:
        with urllib.request.urlopen(f"http://{ip}:8000/", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def heal_time(kills=5):
    home = tempfile.mkdtemp(prefix="recipe-serve-bench-")
    env = dict(os.environ, RECIPE_HOME=home, RECIPE_STDLIB=STDLIB)
    run = subprocess.run([RECIPE, "run", os.path.join(ROOT, "Examples/webapp/cluster.lua")], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit("webapp did not boot: " + run.stderr)
    serve = Serve(home)
    times = []
    try:
        for n in range(kills):
            name = f"web-{n % 3 + 1}"
            victim = status(env, "shop")[name]
            start = time.monotonic()
            os.kill(victim["agent_pid"], 9)
            while time.monotonic() - start < 60:
                now = status(env, "shop").get(name)
                if now and now["id"] != victim["id"] and now["state"] == "online" and answers(now["private_ip"]):
                    times.append(time.monotonic() - start)
                    break
                time.sleep(0.05)
            else:
                raise SystemExit(f"{name} was not healed within 60 s")
        print(f"serve: heal of a kill -9'd web agent, {kills} kills: median {statistics.median(times):.2f} s, "
              f"worst {max(times):.2f} s (OpsWorks: ~300 s, Kubernetes: ~300 s)")
    finally:
        serve.stop()
        agents = [i["agent_pid"] for i in status(env, "shop").values()]
        teardown(RECIPE, env, "shop", agents, home)


def rss_with_fleet(instances=1000, seconds=20):
    home = tempfile.mkdtemp(prefix="recipe-serve-bench-")
    env = dict(os.environ, RECIPE_HOME=home, RECIPE_STDLIB=STDLIB)
    recipe = os.path.join(home, "fleet.lua")
    with open(recipe, "w") as f:
        f.write('cluster "fleet" { layers = { web = { count = 0 } } }\n'
                'when{ cluster = "fleet", layer = "web", metric = "cpu", stat = "p95", above = 90, sustain = "10s" }'
                '(function(a) log.warn("hot: %s", a.detail) end)\n')
    subprocess.run([RECIPE, "run", recipe], env=env, capture_output=True, check=True)
    con = db(home)
    now = time.time()
    # online instances whose "agent" is this script: its pid is alive, it heartbeats every second
    for i in range(instances):
        con.execute("INSERT INTO instances(id, cluster, layer, name, state, privateIP, agentPID, lastHeartbeat, services, createdAt) "
                    "VALUES (?, 'fleet', 'web', ?, 'online', ?, ?, ?, '[]', ?)",
                    (f"i-fleet{i:05d}", f"web-{i + 1}", f"127.250.{i // 250}.{i % 250 + 1}", os.getpid(), now, now))
    serve = Serve(home, recipe)
    try:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            t = time.time()
            con.execute("BEGIN")
            for i in range(instances):
                con.execute("UPDATE instances SET lastHeartbeat = ?, cpuPercent = ? WHERE id = ?", (t, 20.0, f"i-fleet{i:05d}"))
                con.execute("INSERT INTO metrics(instanceID, time, name, value) VALUES (?, ?, 'cpu', ?), (?, ?, 'memory', ?)",
                            (f"i-fleet{i:05d}", t, 20.0, f"i-fleet{i:05d}", t, 25e6))
            con.execute("COMMIT")
            time.sleep(max(0, 1 - (time.time() - t)))
        failed = con.execute("SELECT COUNT(*) FROM events WHERE kind = 'instance.failed'").fetchone()[0]
        print(f"serve: {instances} instances reporting cpu and memory every second for {seconds} s: "
              f"scheduler RSS {rss_mb(serve.process.pid):.1f} MB, {failed} false failures")
    finally:
        serve.stop()
        con.execute("DELETE FROM instances WHERE cluster = 'fleet'")
        teardown(RECIPE, env, "fleet", [], home)


if __name__ == "__main__":
    if POSTGRES:
        on_postgres()
        sys.exit(0)
    sustained_rate(RECIPE, "this build")
    if PEER:
        sustained_rate(PEER, "peer " + PEER)
    if EVENTS_ONLY:
        sys.exit(0)
    timer_lateness()
    heal_time()
    rss_with_fleet()
