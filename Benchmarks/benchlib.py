"""What the benchmarks share: stopping everything a run started."""
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
