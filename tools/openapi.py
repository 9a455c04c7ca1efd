"""The API's OpenAPI 3.1 document, Sources/Controller/openapi.json, written from the tables below.

The controller serves the committed file; a test holds every route of API.routes against it and
schemathesis holds the served answers against it. Change a route here and there together, then
run `python3 tools/openapi.py` (or `make docs`).
"""
import json
import os
S = lambda t, **k: dict(type=t, **k)
STR = S("string"); INT = S("integer"); BOOL = S("boolean"); NUM = S("number")
def nullable(t): return {"type": [t, "null"]}
def arr(x): return S("array", items=x)
def ref(n): return {"$ref": f"#/components/schemas/{n}"}
def obj(props, required=None, extra=False):
    o = {"type": "object", "properties": props, "additionalProperties": extra}
    o["required"] = sorted(props) if required is None else required
    return o
DATE = S("string", format="date-time")

schemas = {
 "Problem": obj({"status": INT, "error": STR}),
 "Instance": obj({"id": STR, "name": STR, "layer": STR, "state": STR, "private_ip": STR, "public_ip": nullable("string"),
    "health": STR, "last_heartbeat": nullable("string"), "agent_pid": nullable("integer"), "cpu_percent": nullable("number"),
    "memory_bytes": nullable("integer"), "urls": arr(STR)}),
 "Volume": obj({"id": STR, "name": STR, "size_gb": INT, "instance_id": nullable("string"), "mount": nullable("string")}),
 "Address": obj({"ip": STR, "instance_id": nullable("string")}),
 "UnfinishedDeploy": obj({"app": STR, "kind": STR, "release": STR, "ref": STR, "sha": STR, "state": STR, "source": STR,
    "from": STR, "on": arr(STR), "off": arr(STR), "gone": arr(STR), "drained": arr(STR)},
    required=["app", "kind", "release", "ref", "sha", "state", "source", "on", "off", "gone", "drained"]),
 "Cluster": obj({"name": STR, "provider": STR, "instances": arr(ref("Instance")), "volumes": arr(ref("Volume")),
    "addresses": arr(ref("Address")), "deploys": arr(ref("UnfinishedDeploy")), "disks": arr(STR)}),
 "HomeDisk": obj({"path": STR, "used_percent": NUM, "free_bytes": INT, "near_full": BOOL}),
 "StatusReport": obj({"clusters": arr(ref("Cluster")), "home": ref("HomeDisk")}, required=["clusters"]),
 "Event": obj({"id": INT, "time": DATE, "actor": STR, "cluster": STR, "kind": STR, "subject": STR, "detail": STR,
    "result": STR, "causeRun": INT, "causeEvent": INT, "depth": INT}, required=["id", "time", "actor", "kind", "result", "depth"]),
 "Emit": obj({"kind": S("string", description="A dotted kind such as app.ready"), "subject": STR, "detail": STR}, required=["kind"]),
 "Release": obj({"id": INT, "cluster": STR, "app": STR, "release": STR, "sha": STR, "ref": STR, "archive": STR,
    "createdAt": DATE, "state": S("string", enum=["current", "superseded", "failed", "undeployed", "interrupted"])},
    required=["cluster", "app", "release", "sha", "ref", "archive", "createdAt", "state"]),
 "FleetMember": obj({"name": STR, "release": STR, "reachable": BOOL}, required=["name", "reachable"]),
 "Releases": obj({"cluster": STR, "app": STR, "releases": arr(ref("Release")), "unfinished": ref("UnfinishedDeploy"),
    "fleet": arr(ref("FleetMember"))}, required=["cluster", "app", "releases", "fleet"]),
 "DeployRequest": obj({"ref": S("string", description="Branch, tag or commit (default: the app's ref)"),
    "batch": S("string", description="Instances per batch: a count, or a share such as 25%"),
    "steps": S("integer", description="Rollback: how many releases back")}, required=[]),
 "HookFailure": obj({"kind": STR, "cluster": STR, "instance": STR, "message": STR}),
 "Deployed": obj({"app": STR, "release": STR, "ref": STR, "sha": STR, "instances": arr(STR), "failures": arr(ref("HookFailure"))}),
 "Undeployed": obj({"app": STR, "instances": arr(STR)}),
 "InstanceChanged": obj({"cluster": STR, "instance": STR, "id": STR, "layer": STR, "done": S("string", enum=["stopped", "started"]),
    "failures": arr(ref("HookFailure"))}),
 "Snapshot": obj({"id": STR, "cluster": STR, "volumeID": STR, "sizeGB": INT, "sha256": STR, "bytes": INT, "createdAt": DATE}),
 "Destroyed": obj({"cluster": STR, "instances": INT, "volumes": INT, "addresses": INT, "deleted_snapshots": arr(STR), "kept_snapshots": arr(STR)}),
 "ScaleRequest": obj({"count": S("string", description="A count, or +N / -N from the recorded one", examples=["3", "+1"])}),
 "Converged": obj({"cluster": STR, "layer": STR, "count": INT, "changed": BOOL, "launched": arr(STR), "terminated": arr(STR),
    "online": arr(STR), "failures": arr(ref("HookFailure"))}, required=["cluster", "changed", "launched", "terminated", "online", "failures"]),
 "MetricSample": obj({"instance": STR, "time": NUM, "name": STR, "value": NUM}),
 "UsageLine": obj({"key": STR, "instanceSeconds": INT, "instanceHours": STR, "volumeGBMonths": STR, "costUSD": STR},
    required=["key", "instanceSeconds", "instanceHours", "volumeGBMonths"]),
 "Usage": obj({"since": STR, "until": STR, "by": STR, "pricesAsOf": STR, "rows": arr(ref("UsageLine")), "total": ref("UsageLine"),
    "warnings": arr(STR)}, required=["since", "until", "by", "rows", "total", "warnings"]),
 "Grant": obj({"cluster": STR, "level": S("string", enum=["deny", "show", "deploy", "manage"]), "ssh": BOOL, "sudo": BOOL, "declared": BOOL}),
 "GrantRequest": obj({"level": S("string", enum=["deny", "show", "deploy", "manage"]), "ssh": BOOL, "sudo": BOOL}, required=["level"]),
 "WhoAmI": obj({"actor": STR, "user": STR, "admin": BOOL, "read_only": BOOL, "grants": arr(ref("Grant"))}, required=["actor", "admin", "read_only", "grants"]),
 "User": obj({"name": STR, "admin": BOOL, "createdAt": DATE, "grants": arr(ref("Grant")), "tokens": INT}),
 "NewUser": obj({"name": STR, "admin": BOOL}, required=["name"]),
 "Token": obj({"id": STR, "user": STR, "last4": STR, "readOnly": BOOL, "state": S("string", enum=["active", "expired", "revoked"]),
    "createdAt": DATE, "expiresAt": DATE, "revokedAt": DATE}, required=["id", "user", "last4", "readOnly", "state", "createdAt"]),
 "NewToken": obj({"user": STR, "expires": S("string", description="90m, 12h, 30d, 8w or never (default 30d)"), "read_only": BOOL}, required=["user"]),
 "CreatedToken": obj({"secret": S("string", description="Shown here once; stored only as a hash"), "token": ref("Token")}),
 "Done": obj({"done": STR}),
 "SecretName": obj({"name": STR}),
 "PlanStep": obj({"action": S("string", enum=["+", "~", "-"]), "kind": STR, "name": STR, "detail": STR}, required=["action", "kind", "name"]),
 "PlannedCluster": obj({"name": STR, "add": INT, "change": INT, "destroy": INT, "steps": arr(ref("PlanStep")), "report": ref("Converged")},
    required=["name", "add", "change", "destroy", "steps"]),
 "RunResult": obj({"clusters": arr(ref("PlannedCluster")), "changes": BOOL, "output": arr(STR), "failures": arr(ref("HookFailure"))}),
 "CloneRequest": obj({"target": STR, "scale": S("number", exclusiveMinimum=0), "data": S("string", enum=["empty", "snapshot"])}, required=["target"]),
 "LogEntry": obj({"id": INT, "time": DATE, "cluster": STR, "instance": STR, "instanceID": STR,
    "kind": S("string", enum=["service", "hook", "deploy", "command"]), "source": STR, "run": INT, "text": STR, "exitCode": INT, "result": STR},
    required=["time", "cluster", "kind", "source", "text"]),
 "Logs": obj({"entries": arr(ref("LogEntry")), "warnings": arr(STR)}),
 "Registration": obj({"instance": STR, "bootstrap": S("string", description="The one-time secret the instance's user data holds"),
    "host": S("string", description="OS, architecture and host name")}, required=["instance", "bootstrap"]),
 "Registered": obj({"token": S("string", description="The agent's token, shown once"), "heartbeat": S("number", description="Seconds between heartbeats")}),
 "Heartbeat": obj({"cpu_percent": NUM, "memory_bytes": INT, "memory_percent": NUM, "load": NUM}),
 "AgentCommand": obj({"id": INT, "kind": S("string", enum=["run", "write", "fetch"]), "command": S("string", description="Shell text (run), the file's contents (write) or a release archive's name (fetch), secrets put in"),
    "path": STR, "timeout": NUM}, required=["id", "kind", "command", "timeout"]),
 "AgentCommands": obj({"commands": arr(ref("AgentCommand")), "stop": arr(INT)}),
 "Completion": obj({"code": INT, "stdout": STR, "stderr": STR, "stopped": BOOL}),
 "MachineUser": obj({"name": STR, "ssh_key": STR, "sudo": BOOL}),
 "MachineUsers": obj({"users": arr(ref("MachineUser"))}),
 "Service": obj({"name": STR, "command": STR, "port": INT, "health": STR, "env": S("object", additionalProperties=STR)}, required=["name", "command"]),
 "Machine": obj({"id": STR, "name": STR, "cluster": STR, "layer": STR, "address": STR, "services": arr(ref("Service"))}),
 "ServiceEvent": obj({"kind": S("string", pattern="^service\\."), "service": STR, "detail": STR, "result": STR}, required=["kind", "service", "result"]),
 "ServiceEvents": obj({"events": arr(ref("ServiceEvent"))}),
 "ServiceLogChunk": obj({"service": STR, "text": S("string", maxLength=65536)}, required=["service", "text"]),
 "ServiceLogs": obj({"chunks": arr(ref("ServiceLogChunk"))}),
 "Upload": obj({"source": S("string", description="The recipe's Lua text"), "name": S("string", description="Its file name, for error lines"),
    "arguments": S("object", additionalProperties=STR)}, required=["source"]),
}

NAME = STR
params = {
 "cluster": {"name": "cluster", "in": "path", "required": True, "schema": NAME},
 "app": {"name": "app", "in": "path", "required": True, "schema": NAME},
 "layer": {"name": "layer", "in": "path", "required": True, "schema": NAME},
 "user": {"name": "user", "in": "path", "required": True, "schema": NAME},
 "instance": {"name": "instance", "in": "path", "required": True, "schema": NAME, "description": "Its name (web-1) or id"},
 "volume": {"name": "volume", "in": "path", "required": True, "schema": STR, "description": "The volume's id"},
 "token": {"name": "token", "in": "path", "required": True, "schema": STR},
 "lock_timeout": {"name": "lock_timeout", "in": "query", "schema": S("integer", minimum=0), "description": "Seconds to wait for a cluster another command holds (default 0: 409 at once)"},
}
def q(name, schema, desc): return {"name": name, "in": "query", "schema": schema, "description": desc}
event_q = [q("kind", STR, "Kinds or families, comma-separated (deploy matches deploy.*)"), q("since", STR, "Only the last DURATION (30s, 10m, 2h, 1d)"),
  q("limit", S("integer", minimum=1), "Only the newest N (the stream: end after N)"), q("after", S("integer", minimum=0), "Only events after this id"),
  q("instance", STR, "Only events about this instance (name or id)"), q("actor", STR, "Only events by this actor"),
  q("all", S("string", enum=["true", "false"]), "Include command.internal")]
usage_q = [q("month", STR, "A calendar month, UTC: 2026-11"), q("since", STR, "From this UTC date"), q("until", STR, "Until this UTC date"),
  q("by", S("string", enum=["cluster", "layer", "user", "cause", "instance_type"]), "Group by")]

def resp(schema, code="200", desc="OK", ctype="application/json"):
    return {code: {"description": desc, "content": {ctype: {"schema": schema}}}}
def problems(*codes):
    words = {"400": "Bad request (a recipe's error names its file:line)", "401": "No good token", "403": "Not enough rights",
             "404": "No such cluster, app, layer, user or token", "409": "The cluster is locked by another command", "422": "Refused by the engine"}
    return {c: {"description": words[c], "content": {"application/json": {"schema": ref("Problem")}}} for c in codes}
def body(name): return {"required": False, "content": {"application/json": {"schema": ref(name)}}}
def body_req(name): return {"required": True, "content": {"application/json": {"schema": ref(name)}}}

READ = ("400", "401", "403", "404", "422")
CHANGE = ("400", "401", "403", "404", "409", "422")
paths = {}
def op(method, path, opid, summary, responses, parameters=(), request=None, security=True, errors=READ):
    o = {"operationId": opid, "summary": summary, "responses": {**responses, **problems(*errors)}}
    ps = [params[p] if isinstance(p, str) else p for p in parameters]
    if ps: o["parameters"] = ps
    if request: o["requestBody"] = request
    if not security: o["security"] = []
    paths.setdefault(path, {})[method] = o

op("get", "/api/v1/openapi.json", "openapi", "This document", {"200": {"description": "The OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}}, security=False, errors=())
op("get", "/api/v1/whoami", "whoami", "Who the token is: actor, admin, read-only, grants", resp(ref("WhoAmI")), errors=("401",))
op("get", "/api/v1/clusters", "listClusters", "Every cluster the caller may see, as recipe status --json", resp(ref("StatusReport")), errors=("401", "403"))
op("get", "/api/v1/clusters/{cluster}", "clusterStatus", "A cluster's status, as recipe status CLUSTER --json; at most a second old, and never older than the last event", resp(ref("StatusReport")), ["cluster"])
op("delete", "/api/v1/clusters/{cluster}", "destroyCluster", "Remove every instance, volume and address (manage)", resp(ref("Destroyed")),
   ["cluster", q("delete_snapshots", S("string", enum=["true", "false"]), "Delete its snapshots too"), "lock_timeout"], errors=CHANGE)
op("post", "/api/v1/clusters/{cluster}/layers/{layer}/scale", "scaleLayer", "Set a layer's count (manage)", resp(ref("Converged")),
   ["cluster", "layer", "lock_timeout"], body_req("ScaleRequest"), errors=CHANGE)
op("post", "/api/v1/clusters/{cluster}/instances/{instance}/stop", "stopInstance", "Stop an instance: drained, its shutdown hook, stopped (manage)",
   resp(ref("InstanceChanged")), ["cluster", "instance", "lock_timeout"], errors=CHANGE)
op("post", "/api/v1/clusters/{cluster}/instances/{instance}/start", "startInstance", "Start a stopped instance (manage)",
   resp(ref("InstanceChanged")), ["cluster", "instance", "lock_timeout"], errors=CHANGE)
op("post", "/api/v1/clusters/{cluster}/instances/{instance}/replace", "replaceInstance",
   "Terminate an instance and launch its slot again from the recorded declaration, its volumes reattached (manage)",
   resp(ref("Converged")), ["cluster", "instance", "lock_timeout"], errors=CHANGE)
op("post", "/api/v1/clusters/{cluster}/volumes/{volume}/snapshot", "snapshotVolume", "Take a snapshot of a volume (manage)",
   resp(ref("Snapshot"), "201", "Taken"), ["cluster", "volume", "lock_timeout"], errors=CHANGE)
op("get", "/api/v1/clusters/{cluster}/metrics", "metrics", "Metric samples, oldest first", resp(arr(ref("MetricSample"))),
   ["cluster", q("since", STR, "How far back (default 10m)"), q("layer", STR, "Only this layer"), q("name", STR, "Only this metric")])
op("get", "/api/v1/clusters/{cluster}/usage", "clusterUsage", "Instance-hours and cost of a cluster, as recipe usage --json", resp(ref("Usage")), ["cluster"] + usage_q)
op("get", "/api/v1/usage", "usage", "Instance-hours and cost of every cluster (admin)", resp(ref("Usage")), usage_q, errors=("400", "401", "403"))
op("get", "/api/v1/clusters/{cluster}/apps/{app}/releases", "releases", "An app's releases, newest first, and what each instance runs", resp(ref("Releases")), ["cluster", "app"])
op("post", "/api/v1/clusters/{cluster}/apps/{app}/deploy", "deploy", "Roll out a release in batches (deploy)", resp(ref("Deployed")), ["cluster", "app", "lock_timeout"], body("DeployRequest"), errors=CHANGE)
op("post", "/api/v1/clusters/{cluster}/apps/{app}/rollback", "rollback", "Go back to an earlier release (deploy)", resp(ref("Deployed")), ["cluster", "app", "lock_timeout"], body("DeployRequest"), errors=CHANGE)
op("post", "/api/v1/clusters/{cluster}/apps/{app}/undeploy", "undeploy", "Take an app off its instances (deploy)", resp(ref("Undeployed")), ["cluster", "app", "lock_timeout"], errors=CHANGE)
op("get", "/api/v1/clusters/{cluster}/events", "events", "The cluster's events, oldest first", resp(arr(ref("Event"))), ["cluster"] + event_q)
op("post", "/api/v1/clusters/{cluster}/events", "emit", "Record an event of your own, for hooks (manage)", resp(ref("Event"), "201", "Recorded"), ["cluster"], body_req("Emit"), errors=("400", "401", "403", "404", "422"))
paths.setdefault("/api/v1/clusters/{cluster}/events/stream", {})["get"] = {
  "operationId": "eventStream", "summary": "Server-Sent Events: the events after `after`, then each new one as it is recorded",
  "parameters": [params["cluster"]] + event_q,
  "responses": {"200": {"description": "id: the event's id; event: its kind; data: the event as JSON", "content": {"text/event-stream": {"schema": STR}}},
                **problems(*READ)}}
op("get", "/api/v1/clusters/{cluster}/logs", "logs", "Output of services, hook runs, commands and deploys, secrets masked, as recipe logs --json", resp(ref("Logs")),
   ["cluster", q("instance", STR, "One instance, by name or id"), q("kind", S("string", enum=["service", "hook", "deploy", "command"]), "Only this kind"),
    q("service", STR, "Only this service's output"), q("since", STR, "A duration back (10m) or a UTC date"),
    q("limit", S("integer", minimum=1, maximum=200), "The newest N (default and most: 200)")])
op("put", "/api/v1/clusters/{cluster}/grants/{user}", "grant", "Set a user's level on the cluster (manage)", resp(ref("Grant")), ["cluster", "user"], body_req("GrantRequest"), errors=("400", "401", "403", "404", "422"))
op("get", "/api/v1/users", "users", "Users, their grants and live tokens (admin)", resp(arr(ref("User"))), errors=("401", "403"))
op("post", "/api/v1/users", "addUser", "Add a user (admin)", resp(ref("User"), "201", "Added"), request=body_req("NewUser"), errors=("400", "401", "403", "422"))
op("delete", "/api/v1/users/{user}", "removeUser", "Remove a user: tokens revoked, grants dropped (admin)", resp(ref("Done")), ["user"], errors=("401", "403", "404", "422"))
op("get", "/api/v1/tokens", "tokens", "Tokens, never their secrets (admin)", resp(arr(ref("Token"))), [q("user", STR, "Only this user's")], errors=("401", "403"))
op("post", "/api/v1/tokens", "createToken", "Make a token; its secret is in this answer only (admin)", resp(ref("CreatedToken"), "201", "Made"), request=body_req("NewToken"), errors=("400", "401", "403", "404", "422"))
op("delete", "/api/v1/tokens/{token}", "revokeToken", "Revoke a token (admin)", resp(ref("Done")), ["token"], errors=("401", "403", "404", "422"))
op("get", "/api/v1/secrets", "secrets", "The secrets' names, never their values (admin)", resp(arr(ref("SecretName"))), errors=("401", "403"))
op("post", "/api/v1/clusters/{cluster}/plan", "planCluster", "Plan the recipe that declared the cluster (show)", resp(ref("RunResult")), ["cluster"], errors=CHANGE)
op("post", "/api/v1/clusters/{cluster}/run", "runCluster", "Run the recipe that declared the cluster (manage on every cluster it declares)", resp(ref("RunResult")), ["cluster", "lock_timeout"], errors=CHANGE)
op("post", "/api/v1/clusters/{cluster}/clone", "cloneCluster", "Clone with Recipes/clone.lua (manage)", resp(ref("RunResult")), ["cluster", "lock_timeout"], body_req("CloneRequest"), errors=CHANGE)
op("post", "/api/v1/recipes/plan", "planRecipe", "Plan an uploaded recipe (admin)", resp(ref("RunResult")), request=body_req("Upload"), errors=("400", "401", "403", "404", "409", "422"))
op("post", "/api/v1/recipes/run", "runRecipe", "Run an uploaded recipe (admin)", resp(ref("RunResult")), ["lock_timeout"], body_req("Upload"), errors=("400", "401", "403", "404", "409", "422"))

# The agents' routes: a remote agent's token (rca_…) speaks for its own instance only.
op("get", "/agent/v1/recipe-agent", "agentBinary", "The agent binary booting instances fetch (their user data checks its SHA-256)",
   {"200": {"description": "The executable", "content": {"application/octet-stream": {"schema": S("string", format="binary")}}}}, security=False, errors=("404",))
op("post", "/agent/v1/register", "registerAgent", "Trade an instance's one-time bootstrap secret for its agent's token", resp(ref("Registered"), "201", "Registered"),
   request=body_req("Registration"), security=False, errors=("400", "401"))
op("post", "/agent/v1/heartbeat", "agentHeartbeat", "The agent's heartbeat and samples (an agent's token)", {"204": {"description": "Recorded"}},
   request=body_req("Heartbeat"), errors=("400", "401", "403"))
op("get", "/agent/v1/commands", "agentCommands", "Long poll: the instance's next commands, each handed out once (an agent's token)", resp(ref("AgentCommands")),
   [q("wait", S("integer", minimum=0, maximum=30), "Seconds to wait for a command (default 0)")], errors=("400", "401", "403"))
op("get", "/agent/v1/users", "agentUsers", "Who may log in to the instance: their keys and sudo (an agent's token)", resp(ref("MachineUsers")),
   errors=("401", "403"))
op("post", "/agent/v1/commands/{id}", "completeCommand", "A command's outcome; told again, it changes nothing (an agent's token)", {"204": {"description": "Recorded"}},
   [{"name": "id", "in": "path", "required": True, "schema": INT}], body_req("Completion"), errors=("400", "401", "403", "404"))
op("get", "/agent/v1/machine", "agentMachine", "Who the agent is and the services it keeps running, secrets put in (an agent's token)", resp(ref("Machine")),
   errors=("401", "403", "404"))
op("post", "/agent/v1/events", "agentEvents", "What happened to the machine's services (an agent's token)", {"204": {"description": "Recorded"}},
   request=body_req("ServiceEvents"), errors=("400", "401", "403"))
op("post", "/agent/v1/logs", "agentLogs", "What the machine's services wrote since the last beat, for recipe logs (an agent's token)",
   {"204": {"description": "Kept"}}, request=body_req("ServiceLogs"), errors=("400", "401", "403"))
op("get", "/agent/v1/archives/{name}", "agentArchive", "A release archive of the agent's cluster, for a fetch command (an agent's token)",
   {"200": {"description": "The archive", "content": {"application/x-tar": {"schema": S("string", format="binary")}}}},
   [{"name": "name", "in": "path", "required": True, "schema": STR}], errors=("401", "403", "404"))

doc = {"openapi": "3.1.0",
  "info": {"title": "ClusterRecipes controller", "version": "1",
           "description": "recipe serve's API: the CLI's verbs over HTTP, and the agents' routes under /agent/v1. Every route but this document, the agent binary and registration needs `Authorization: Bearer TOKEN` (recipe token create USER); rights follow OpsWorks' levels per cluster (deny, show, deploy, manage) and admin. Errors are {status, error} with the CLI's words."},
  "servers": [{"url": "http://127.0.0.1:7070"}],
  "security": [{"bearer": []}],
  "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": schemas},
  "paths": paths}
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "Controller", "openapi.json"), "w").write(json.dumps(doc, indent=2) + "\n")
print(len(paths), sum(len(v) for v in paths.values()))
