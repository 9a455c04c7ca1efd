"""`recipe plan` of a 1,000-instance local spec (10 layers of 100, each instance with a volume,
layer-to-layer firewall rules): wall time of the whole command, median of 5, on a fresh home.

Usage: python3 Benchmarks/plan_bench.py path/to/recipe
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RECIPE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/recipe")

SPEC = """
local layers, firewall = {}, {}
for i = 1, 10 do
  local name = "tier" .. i
  layers[name] = { count = 100, volumes = { data = { size_gb = 10, mount = "/srv/data" } } }
  firewall[name] = { { port = 8000 + i, from = i == 1 and "0.0.0.0/0" or ("tier" .. (i - 1)) } }
end
cluster "thousand" { layers = layers, firewall = firewall }
"""


def main():
    home = tempfile.mkdtemp(prefix="recipe-plan-bench-")
    try:
        recipe = os.path.join(home, "thousand.lua")
        with open(recipe, "w") as f:
            f.write(SPEC)
        env = dict(os.environ, RECIPE_HOME=home)
        times, lines = [], 0
        for _ in range(5):
            start = time.monotonic()
            out = subprocess.run([RECIPE, "plan", recipe], env=env, capture_output=True, text=True)
            times.append(time.monotonic() - start)
            if out.returncode != 2:
                raise SystemExit(f"plan exited {out.returncode}: {out.stderr}")
            lines = len(out.stdout.splitlines())
        summary = out.stdout.strip().splitlines()[-1]
        print(f"plan 1000 instances: median {statistics.median(times) * 1000:.0f} ms, "
              f"best {min(times) * 1000:.0f} ms over 5 runs ({lines} plan lines; {summary})")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
