"""The machines behind a moto_server (see MotoMachines.swift): every running instance with user
data is booted as cloud-init would boot it, by running its user data with sh, in a folder of its
own (PREFIX) with its id in INSTANCE_ID (the metadata service's part). An instance that stops or
ends is switched off: every process of its machine is killed, as the machine going away would.
Runs until killed.

Usage: moto_machines.py ENDPOINT FOLDER ACCESS_KEY SECRET_KEY
       moto_machines.py --power-off FOLDER      (every machine in FOLDER, then exits)
       moto_machines.py --loopback-subnet ENDPOINT ACCESS_KEY SECRET_KEY N   (prints its id)
"""
import base64
import os
import signal
import subprocess
import sys
import time

DOWN = ("stopping", "stopped", "shutting-down", "terminated")


def machine_processes(machine):
    """The PIDs whose environment puts them on this machine: the agent and what it started
    (PREFIX from the user data, ROOT from the agent)."""
    marks = (f"PREFIX={machine}".encode(), f"ROOT={machine}".encode())
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                variables = f.read().split(b"\0")
        except OSError:
            continue  # gone already, or a kernel thread
        if any(mark in variables for mark in marks):
            pids.append(int(name))
    return pids


def power_off(machine):
    """SIGKILL to every process of the machine, until none is left (a fork in flight shows up
    on the next look)."""
    for _ in range(20):
        pids = machine_processes(machine)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)


def machines(folder):
    """Every machine's folder, booted or still booting."""
    if not os.path.isdir(folder):
        return []
    return [os.path.join(folder, name) for name in os.listdir(folder) if os.path.isdir(os.path.join(folder, name))]


def boot(ec2, folder, instance):
    value = ec2.describe_instance_attribute(InstanceId=instance, Attribute="userData").get("UserData", {}).get("Value")
    if not value:
        return
    machine = os.path.join(folder, instance)
    os.makedirs(machine, exist_ok=True)
    script = os.path.join(machine, "user-data")
    with open(script, "wb") as f:
        f.write(base64.b64decode(value))
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "HOME", "TZ")}
    env.update(PREFIX=machine, INSTANCE_ID=instance)
    with open(os.path.join(machine, "cloud-init-output.log"), "wb") as log:
        # waited for: the script ends once it has started the agent in the background
        subprocess.run(["sh", script], env=env, stdout=log, stderr=subprocess.STDOUT, timeout=120)
    with open(os.path.join(folder, "booted"), "a") as f:
        f.write(instance + "\n")


def client(endpoint, key, secret):
    import boto3

    return boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)


def loopback_subnet(endpoint, key, secret, n):
    """A VPC 127.N.0.0/16 with one subnet 127.N.1.0/24: its instances' private addresses are loopback ones."""
    ec2 = client(endpoint, key, secret)
    vpc = ec2.create_vpc(CidrBlock=f"127.{n}.0.0/16")["Vpc"]["VpcId"]
    print(ec2.create_subnet(VpcId=vpc, CidrBlock=f"127.{n}.1.0/24")["Subnet"]["SubnetId"])


def watch(endpoint, folder, key, secret):
    ec2 = client(endpoint, key, secret)
    seen, off = set(), set()
    while True:
        try:
            pages = ec2.get_paginator("describe_instances").paginate()
            states = {i["InstanceId"]: i["State"]["Name"] for page in pages for r in page["Reservations"] for i in r["Instances"]}
            for instance, state in states.items():
                if state == "running" and instance not in seen:
                    seen.add(instance)
                    boot(ec2, folder, instance)
            for instance in seen - off:
                if states.get(instance, "terminated") in DOWN:
                    off.add(instance)
                    power_off(os.path.join(folder, instance))
        except Exception as error:  # moto busy, an instance gone between two calls: look again
            print(f"moto_machines: {error}", file=sys.stderr, flush=True)
        time.sleep(0.2)


if __name__ == "__main__":
    if sys.argv[1] == "--power-off":
        for machine in machines(sys.argv[2]):
            power_off(machine)
    elif sys.argv[1] == "--loopback-subnet":
        loopback_subnet(*sys.argv[2:6])
    else:
        watch(*sys.argv[1:5])
