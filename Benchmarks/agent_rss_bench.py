"""Idle RSS of one agent on each link, side by side in one run: a local instance's agent (its
link is the home's Store) and an EC2 instance's (its link is the controller), the latter booted
from its own user data as cloud-init would, on a moto_server, in a folder of its own.

Usage: .venv/bin/python Benchmarks/agent_rss_bench.py path/to/recipe
Goal: idle <= 20 MB on either link (moonshot 15 MB). Private is what one more agent costs
(RssAnon: its own heap and stacks); the rest is pages of files: the agent binary (Swift's runtime
and Foundation linked in by `make release`), libc, libstdc++, libsqlite3, libcurl and its TLS.
Both agents here map the same binary, so pages both touch stay resident in each.
Everything is on loopback; every process started is stopped by destroy, then by its PID.
"""
import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import boto3

from benchlib import teardown

RECIPE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/recipe")
MOTO = os.path.join(os.path.dirname(sys.executable), "moto_server")
# seconds each agent idles before it is measured: two heartbeats on the remote link (an agent hands
# its start-up pages back after its second), then long enough to see that the figure holds
IDLE = (10, 60)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mb(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value.split()[0] if value.split() else "0"
    return int(fields["VmRSS"]) / 1024, int(fields.get("RssAnon", 0)) / 1024


def heaviest_files(pid, count=6):
    """The mapped files that hold most of the resident pages, largest first: where the RSS is."""
    by_file, current = {}, "[anonymous]"
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+$", fields[0]):
                current = os.path.basename(fields[5]) if len(fields) > 5 else "[anonymous]"
            elif fields[0] == "Rss:":
                by_file[current] = by_file.get(current, 0) + int(fields[1])
    heaviest = sorted(by_file.items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{name} {kb / 1024:.1f}" for name, kb in heaviest)


def wait(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise SystemExit(f"agent_rss_bench: {what} within {seconds} s")


def local_agent(home):
    env = dict(os.environ, RECIPE_HOME=home)
    recipe = os.path.join(home, "solo.lua")
    with open(recipe, "w") as f:
        f.write('cluster "solo" { layers = { web = { count = 1 } } }\n')
    subprocess.run([RECIPE, "run", recipe], env=env, check=True, capture_output=True)
    status = subprocess.run([RECIPE, "status", "solo", "--json"], env=env, check=True, capture_output=True, text=True).stdout
    return int(re.search(r'"agent_pid" : (\d+)', status).group(1))


def main():
    home = tempfile.mkdtemp(prefix="recipe-rss-bench-")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    aws = dict(AWS_ENDPOINT_URL=endpoint, AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
               AWS_ACCESS_KEY_ID="AKIAEXAMPLEBENCH", AWS_SECRET_ACCESS_KEY="bench")
    env = dict(os.environ, RECIPE_HOME=os.path.join(home, "home"), **aws)
    moto = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    serve = None
    pids = []
    try:
        wait(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 20, "moto_server did not listen")
        log = open(os.path.join(home, "serve.log"), "w")
        serve = subprocess.Popen([RECIPE, "serve", "--listen", "127.0.0.1:0"], env=env, stdout=log, stderr=subprocess.STDOUT)
        wait(lambda: "API on" in open(log.name).read(), 20, "recipe serve did not listen")
        fleet = os.path.join(home, "fleet.lua")
        with open(fleet, "w") as f:
            f.write('cluster "fleet" { provider = "ec2", layers = { web = { count = 1, image = "ami-12c6146b" } } }\n')
        subprocess.run([RECIPE, "run", fleet], env=env, check=True, capture_output=True)
        ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="AKIAEXAMPLEBENCH", aws_secret_access_key="bench")
        instance = ec2.describe_instances()["Reservations"][0]["Instances"][0]["InstanceId"]
        user_data = base64.b64decode(ec2.describe_instance_attribute(InstanceId=instance, Attribute="userData")["UserData"]["Value"])
        machine = os.path.join(home, "machines", instance)
        os.makedirs(machine)
        script = os.path.join(machine, "user-data")
        with open(script, "wb") as f:
            f.write(user_data)
        subprocess.run(["sh", script], env=dict(PATH=os.environ["PATH"], PREFIX=machine, INSTANCE_ID=instance), check=True,
                       capture_output=True)
        pid_file = os.path.join(machine, "var/lib/recipe-agent/agent.pid")
        remote = int(wait(lambda: os.path.exists(pid_file) and open(pid_file).read().strip(), 10, "the user data started no agent"))
        pids.append(remote)
        wait(lambda: "registered" in open(os.path.join(machine, "var/log/recipe-agent.log")).read(), 20, "the agent did not register")
        local = local_agent(env["RECIPE_HOME"])
        pids.append(local)
        started = time.monotonic()
        for idle in IDLE:
            time.sleep(max(0, started + idle - time.monotonic()))
            for name, pid in (("local link (the Store)   ", local), ("remote link (controller)", remote)):
                rss, private = memory_mb(pid)
                print(f"agent {name} idle {idle:2d} s: RSS {rss:5.1f} MB, private {private:4.1f} MB  (goal <= 20 MB, moonshot 15 MB)")
                print(f"    resident by file (MB): {heaviest_files(pid)}")
    finally:
        if serve:
            serve.kill()
            serve.wait()
        teardown(RECIPE, env, "solo", pids, os.path.join(home, "ignored"))
        subprocess.run([RECIPE, "destroy", "fleet", "--yes"], env=env, capture_output=True)
        moto.kill()
        moto.wait()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
