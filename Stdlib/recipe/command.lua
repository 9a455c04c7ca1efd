---
-- Commands on instances: shell commands, files and app rollouts. Each is recorded in the event
-- log (the command and its exit code, not its output); a command's output is in the instance's
-- logs (`recipe logs`), and in the log of the hook that ran it.
-- @module commands
local prim, use = ...
local core = use "core"
local secrets = use "secret"

---
-- Runs a shell command in an instance's root folder (`$ROOT`), through its agent.
-- @param target an instance, its id, or its name (`web-1`, in the cluster declared last)
-- @param cmd the command, run by `sh -c`
-- @param options optional `{ timeout = SECONDS [, internal = true] }`: the timeout is 300 by
-- default; `internal` records the command as `command.internal` (a cookbook's own machinery,
-- hidden by `recipe events` unless asked for with `--all` or `--kind command`)
-- @return `{ code, stdout, stderr }`; a command that fails is not an error, check `code`
-- @usage
-- local r = run(e.instance, "mkdir -p srv/data && test -w srv/data")
-- if r.code ~= 0 then error("srv/data is not writable: " .. r.stderr) end
local function run(target, cmd, options)
  core.flush()
  local id, cluster = core.target(target)
  return prim.run(id, cmd, options or {}, cluster)
end

---
-- Writes a file inside an instance: `/etc/app.conf` lands at `$ROOT/etc/app.conf`.
-- @param target an instance, its id, or its name (`web-1`, in the cluster declared last)
-- @param path an absolute path inside the instance, without `..`
-- @param contents the file's text
-- @usage
-- write(e.instance, "/etc/app.conf", template(CONFIG, { port = 8000 }))
local function write(target, path, contents)
  core.flush()
  local id, cluster = core.target(target)
  prim.write(id, path, contents, cluster)
end

---
-- Rolls an app out to its layers' instances in batches, each health-checked before the next;
-- drain and ready hooks take every instance out of rotation while it restarts.
-- @param spec `{ app = NAME [, cluster = NAME, ref = REF, batch = N or "25%"] }`; the cluster
-- defaults to the one declared last
-- @return `{ release, sha, instances }`; a failed health check raises, naming the instance
-- @usage
-- deploy{ cluster = "shop", app = "shop", ref = "v2", batch = "25%" }
local function deploy(spec)
  core.flush()
  spec = spec or {}
  spec.cluster = core.cluster_of(spec)
  return prim.deploy(spec)
end

---
-- Shell text with a value in it, as one word: names, paths and other values go into a
-- command quoted (`run(i, "rm -rf " .. shell.quote(dir))`), never raw. The same quoting the
-- tool uses for its own commands.
-- @name shell.quote
-- @param value a string (a number is written as it reads), or a secret
-- @return the value as one single-quoted shell word; for a secret, a secret (quoted as its value
-- is put in) to pass to `template`
-- @usage
-- run(e.instance, "mkdir -p " .. shell.quote("srv/" .. e.app))
-- run(e.instance, template("mysql -p{{pw}}", { pw = shell.quote(secret("db")) }))
local function quote(value)
  local sealed = secrets.sealed_text(value)
  if sealed then return secrets.seal(prim.shell_quote(sealed)) end
  return prim.shell_quote(tostring(value))
end

return { run = run, write = write, deploy = deploy, shell = { quote = quote } }
