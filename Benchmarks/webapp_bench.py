"""`recipe run Examples/webapp/cluster.lua` with 3 and 30 web instances on a fresh home each:
wall time, peak RSS of the CLI, and RSS of one idle agent (goal <= 25 MB, one runs per instance).

Usage: python3 Benchmarks/webapp_bench.py path/to/recipe
Everything runs on loopback; every process started is stopped by destroy, then by PID.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from benchlib import teardown

RECIPE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/recipe")


def recipe(home, *args, check=True):
    env = dict(os.environ, RECIPE_HOME=home)
    return subprocess.run([RECIPE, *args], env=env, capture_output=True, text=True, check=check)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(web):
    home = tempfile.mkdtemp(prefix="recipe-bench-")
    agents = []
    try:
        start = time.monotonic()
        proc = subprocess.Popen([RECIPE, "run", "Examples/webapp/cluster.lua", f"web={web}"],
                                env=dict(os.environ, RECIPE_HOME=home),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        if status != 0:
            raise SystemExit(f"recipe run failed: {proc.stderr.read().decode()}")
        shop = json.loads(recipe(home, "status", "shop", "--json").stdout)["clusters"][0]
        agents = [i["agent_pid"] for i in shop["instances"]]
        time.sleep(3)  # let the agents settle into their idle heartbeat loop
        web_agents = [i["agent_pid"] for i in shop["instances"] if i["layer"] == "web"]
        idle = [rss_kb(pid) for pid in web_agents]
        print(f"webapp web={web:<3} wall {wall:6.2f} s   CLI peak RSS {usage.ru_maxrss / 1024:6.1f} MB   "
              f"idle agent RSS median {sorted(idle)[len(idle) // 2] / 1024:5.1f} MB, max {max(idle) / 1024:5.1f} MB "
              f"(goal <= 25 MB)   instances {len(shop['instances'])}")
    finally:
        teardown(RECIPE, dict(os.environ, RECIPE_HOME=home), "shop", agents, home)


if __name__ == "__main__":
    for count in (3, 30):
        measure(count)
