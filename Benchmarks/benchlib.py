"""What the benchmarks share: percentiles, the load they ran at, and stopping everything a run started."""
import os
import shutil
import subprocess


def teardown(recipe, env, cluster, agents, home):
    """Destroys the cluster, kills any agent still there by its PID, and removes the home."""
    subprocess.run([recipe, "destroy", cluster, "--yes"], env=env, capture_output=True)
    for pid in agents:
        try:
            os.kill(pid, 9)
        except (ProcessLookupError, TypeError):
            pass
    shutil.rmtree(home, ignore_errors=True)


def percentile(values, p):
    """The p-th percentile (nearest rank); infinite for no values."""
    values = sorted(values)
    if not values:
        return float("inf")
    return values[min(len(values) - 1, max(0, int(round(p / 100 * len(values) + 0.5)) - 1))]


def load():
    return "load %.2f %.2f %.2f" % os.getloadavg()


class Postgres:
    """A PostgreSQL of the benchmark's own (Debian's binaries): initdb into a temporary folder, the
    server on 127.0.0.1 at a free port, trust for the `recipe` role on loopback; run as the
    `postgres` user when root (the server refuses root). Stopped by its PID (SIGQUIT). `settings`
    are the server's own (`-c name=value`)."""

    BIN = "/usr/lib/postgresql/15/bin"

    def __init__(self, **settings):
        import socket
        import tempfile
        import time
        self.folder = tempfile.mkdtemp(prefix="recipe-bench-pg-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        as_postgres = os.geteuid() == 0
        prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        if as_postgres:
            subprocess.run(["chown", "-R", "postgres:postgres", self.folder], check=True)
        data = os.path.join(self.folder, "data")
        subprocess.run(prefix + [f"{self.BIN}/initdb", "-D", data, "-U", "recipe", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"],
                       check=True, capture_output=True)
        self.process = subprocess.Popen(prefix + [f"{self.BIN}/postgres", "-D", data, "-h", "127.0.0.1", "-p", str(self.port),
                                                  "-k", self.folder, *[f"-c{k}={v}" for k, v in settings.items()]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            done = subprocess.run(prefix + [f"{self.BIN}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "recipe", "recipe"],
                                  capture_output=True, text=True)
            if done.returncode == 0:
                break
            time.sleep(0.1)
        else:
            self.stop()
            raise SystemExit("postgres did not start: " + done.stderr)
        self.url = self.database("recipe")

    def database(self, name):
        """The URL of database `name` on this server."""
        return f"postgres://recipe@127.0.0.1:{self.port}/{name}"

    def stop(self):
        try:
            with open(os.path.join(self.folder, "data", "postmaster.pid")) as f:
                os.kill(int(f.readline()), 3)
        except (OSError, ValueError):
            pass
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)
