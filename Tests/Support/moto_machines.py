"""The machines behind a moto_server (see MotoMachines.swift): every running instance with user
data is booted as cloud-init would boot it, by running its user data with sh, in a folder of its
own (PREFIX) with its id in INSTANCE_ID (the metadata service's part). Runs until killed.

Usage: moto_machines.py ENDPOINT FOLDER ACCESS_KEY SECRET_KEY
"""
import base64
import os
import subprocess
import sys
import time

import boto3

endpoint, folder, key, secret = sys.argv[1:5]
ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
booted = set()
while True:
    try:
        pages = ec2.get_paginator("describe_instances").paginate(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])
        running = [i["InstanceId"] for page in pages for r in page["Reservations"] for i in r["Instances"]]
        for instance in running:
            if instance in booted:
                continue
            booted.add(instance)
            value = ec2.describe_instance_attribute(InstanceId=instance, Attribute="userData").get("UserData", {}).get("Value")
            if not value:
                continue
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
    except Exception as error:  # moto busy, an instance gone between two calls: look again
        print(f"moto_machines: {error}", file=sys.stderr, flush=True)
    time.sleep(0.2)
