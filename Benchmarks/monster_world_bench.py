"""Monster World on one moto_server: our recipe against a hand-written boto3 script
(Benchmarks/peers/monster_world_boto3.py), in the same run. Prints both wall times, both call
counts and the ratio (goal: ours <= 0.5x the peer's wall time).

Usage: .venv/bin/python Benchmarks/monster_world_bench.py path/to/recipe
The server listens on a free 127.0.0.1 port and is stopped by its PID at the end.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

RECIPE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/recipe")
HERE = os.path.dirname(os.path.abspath(__file__))
MOTO = os.path.join(os.path.dirname(sys.executable), "moto_server")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port):
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("moto_server did not start")


def main():
    port = free_port()
    server = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    home = tempfile.mkdtemp(prefix="recipe-mw-bench-")
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, RECIPE_HOME=home, AWS_ENDPOINT_URL=endpoint, AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="AKIAEXAMPLEBENCH", AWS_SECRET_ACCESS_KEY="bench")
    try:
        wait_listening(port)
        # moto loads its EC2 backend on the first call: pay that before timing either side
        subprocess.run([sys.executable, "-c", "import boto3, sys; boto3.client('ec2', endpoint_url=sys.argv[1]).describe_instances()",
                        endpoint], env=env, check=True)
        start = time.monotonic()
        ours = subprocess.run([RECIPE, "run", "Examples/monster-world/cluster.lua"], env=env, capture_output=True, text=True)
        wall = time.monotonic() - start
        if ours.returncode != 0:
            raise SystemExit(f"recipe run failed: {ours.stderr}")
        calls = int(re.search(r"ec2: (\d+) API calls", ours.stderr).group(1))
        peer = subprocess.run([sys.executable, os.path.join(HERE, "peers", "monster_world_boto3.py"), endpoint],
                              env=env, capture_output=True, text=True)
        if peer.returncode != 0:
            raise SystemExit(f"peer failed: {peer.stderr}")
        peer_wall, peer_calls = re.search(r"peer: ([\d.]+) s, (\d+) calls", peer.stdout).groups()
        peer_wall = float(peer_wall)
        print(f"monster-world: ours {wall:.2f} s, {calls} calls | boto3 peer {peer_wall:.2f} s, {peer_calls} calls | "
              f"wall ratio {wall / peer_wall:.2f}x (goal <= 0.5x), calls ratio {calls / int(peer_calls):.2f}x")
        subprocess.run([RECIPE, "destroy", "monster-world", "--yes"], env=env, capture_output=True)
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
