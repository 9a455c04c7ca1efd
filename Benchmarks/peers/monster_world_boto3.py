"""Monster World the way a hand-written boto3 script builds it: one call per resource, and a
separate tagging call for each. The peer of `recipe run Examples/monster-world/cluster.lua`.

Usage: python3 monster_world_boto3.py ENDPOINT [APPS]  (AWS_* variables give region and keys)
Prints: peer: <seconds> s, <calls> calls
"""
import sys
import time

import boto3

ENDPOINT = sys.argv[1]
APPS = int(sys.argv[2]) if len(sys.argv) > 2 else 130
IMAGE = "ami-12c6146b"
CLUSTER = "monster-world-peer"

calls = 0


def count(**_):
    global calls
    calls += 1


ec2 = boto3.client("ec2", endpoint_url=ENDPOINT)
ec2.meta.events.register("before-send.ec2.*", count)


def tag(resource, **extra):
    tags = [{"Key": "cluster", "Value": CLUSTER}] + [{"Key": k, "Value": v} for k, v in extra.items()]
    ec2.create_tags(Resources=[resource], Tags=tags)


start = time.monotonic()
groups = {}
for layer in ("lb", "app", "db"):
    groups[layer] = ec2.create_security_group(GroupName=f"{CLUSTER}-{layer}", Description=f"{CLUSTER} {layer}")["GroupId"]
    tag(groups[layer], layer=layer)
for port in (80, 443):
    ec2.authorize_security_group_ingress(GroupId=groups["lb"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
ec2.authorize_security_group_ingress(GroupId=groups["app"], IpPermissions=[
    {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": groups["lb"]}]}])
ec2.authorize_security_group_ingress(GroupId=groups["db"], IpPermissions=[
    {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": groups["app"]}]}])


def launch(name, layer, instance_type, group=None):
    args = {"ImageId": IMAGE, "MinCount": 1, "MaxCount": 1, "InstanceType": instance_type}
    if group:
        args["SecurityGroupIds"] = [group]
    instance = ec2.run_instances(**args)["Instances"][0]
    tag(instance["InstanceId"], layer=layer, Name=name)
    return instance


def volume(instance, name, device):
    vol = ec2.create_volume(Size=100, AvailabilityZone=instance["Placement"]["AvailabilityZone"])["VolumeId"]
    tag(vol, Name=name)
    ec2.attach_volume(VolumeId=vol, InstanceId=instance["InstanceId"], Device=device)


lb = launch("lb-1", "lb", "c5.large", groups["lb"])
for i in range(1, APPS + 1):
    launch(f"app-{i}", "app", "c5.xlarge", groups["app"])
for i in (1, 2):
    db = launch(f"db-{i}", "db", "r5.2xlarge", groups["db"])
    volume(db, f"db-{i}:data", "/dev/sdf")
    volume(db, f"db-{i}:binlog", "/dev/sdg")
for i in range(1, 5):
    slave = launch(f"slave-{i}", "slave", "r5.xlarge")
    volume(slave, f"slave-{i}:data", "/dev/sdf")
address = ec2.allocate_address(Domain="vpc")
tag(address["AllocationId"])
ec2.associate_address(AllocationId=address["AllocationId"], InstanceId=lb["InstanceId"])

print(f"peer: {time.monotonic() - start:.2f} s, {calls} calls")
