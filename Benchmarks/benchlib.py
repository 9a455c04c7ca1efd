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
