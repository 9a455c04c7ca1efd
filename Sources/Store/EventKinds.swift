/// The one catalogue of event kinds: what the tool itself records, by family, and the one rule a
/// kind must follow. `emit`, `recipe emit` and `on` all check through it, so a typo in a built-in
/// family (`on("instance.faild")`) is caught where it is written, while recipes stay free to
/// record kinds of their own families (`app.ready`, `backup.done`).
public enum EventKinds {
    /// Built-in kinds and what each means.
    public static let catalogue: [String: String] = [
        "instance.launched": "an instance was launched", "instance.started": "a stopped instance was started",
        "instance.stopped": "an instance was stopped", "instance.terminated": "an instance was terminated",
        "instance.online": "an instance finished setup and deploy and serves", "instance.failed": "an instance was lost or stopped answering",
        "volume.created": "a volume was made", "volume.attached": "a volume was attached", "volume.detached": "a volume was detached",
        "volume.deleted": "a volume was removed", "snapshot.created": "a snapshot was taken", "snapshot.deleted": "a snapshot was removed",
        "address.allocated": "an elastic address was allocated", "address.associated": "an elastic address moved",
        "address.released": "an elastic address was let go", "address.forward": "an agent forwards an elastic address",
        "image.created": "an image of an instance was made", "file.written": "a file was written on an instance",
        "firewall.changed": "firewall rules changed", "user.changed": "a user a recipe declares on its cluster changed (key, sudo, role)",
        "user.added": "a user who may reach the API was added", "user.removed": "a user was removed, their tokens revoked and grants dropped",
        "grant.changed": "a user's level on a cluster changed (detail: old -> new)",
        "token.created": "a token was made for a user (its id only; never the secret)", "token.revoked": "a token was revoked",
        "console.signed_in": "someone signed in to the console with a token", "console.signed_out": "someone signed out of the console",
        "cluster.converged": "a cluster was converged to its declaration", "cluster.destroyed": "a cluster was destroyed",
        "command.run": "a command a recipe or hook ran on an instance (run())",
        "command.internal": "a command the tool ran for its own work (deploy steps, cookbooks' service control)",
        "hook.setup": "a setup hook ran", "hook.configure": "a configure hook ran", "hook.deploy": "a deploy hook ran",
        "hook.undeploy": "an undeploy hook ran", "hook.shutdown": "a shutdown hook ran", "hook.drain": "a drain hook ran",
        "hook.ready": "a ready hook ran", "hook.failed": "a scheduled hook failed", "hook.log": "a scheduled hook logged a line",
        "hook.loop": "an event from a chain of hooks feeding each other deeper than serve's --max-hook-depth was refused (detail: the chain)",
        "hook.throttled": "a cluster's hooks emitted more than serve's --emit-rate in a second (detail: how many were dropped)",
        "deploy.started": "a deploy began", "deploy.finished": "a deploy finished", "deploy.failed": "a deploy or rollback failed",
        "deploy.rolledback": "a rollback finished, or the next command rolled back an interrupted deploy", "deploy.undeployed": "an app was undeployed",
        "agent.registered": "an instance's agent traded its one-time bootstrap secret for its token (subject: the instance id)",
        "agent.refused": "an agent's registration was refused: an unknown instance, a wrong or spent bootstrap secret",
        "agent.state_unwritable": "an agent could not write the state for a while (a full disk, a read-only, locked or damaged file) and delivered its reports late",
        "service.exited": "a service exited", "service.failed": "a service kept failing", "service.restarted": "a service was restarted",
        "serve.started": "recipe serve started", "serve.reloaded": "recipe serve loaded a changed recipe",
        "serve.load_failed": "a recipe failed to load under recipe serve",
        "serve.unloaded": "recipe serve stopped hosting a recipe whose clusters were destroyed",
        "alarm.fired": "a when{} threshold was crossed for its sustain", "alert.sent": "an alert reached its webhook",
        "alert.failed": "an alert could not be delivered",
        "lock.broken": "a cluster lock whose holder died was broken by the next command",
        "secret.set": "a secret was set (its name only is recorded)", "secret.removed": "a secret was removed",
        "api.refused": "the API refused a change: no good token (401) or not enough rights (403); subject: the route, detail: why",
        "controller.started": "recipe serve began to answer the API (detail: its address)",
    ]

    /// Kinds `recipe events` leaves out unless asked for (`--all`, or `--kind` naming them):
    /// the engine's own bookkeeping, which would bury what users did.
    public static let hiddenByDefault: Set<String> = ["command.internal"]

    /// The families the tool records into: a kind of one of them must be in the catalogue.
    public static var builtInFamilies: Set<String> { Set(catalogue.keys.map(family)) }

    public static func family(_ kind: String) -> String { String(kind.prefix { $0 != "." }) }

    /// Why `kind` cannot be recorded (nil when it can): dotted lower-case words of letters,
    /// digits, `_` and `-`, and, in a built-in family, a kind the catalogue has.
    public static func problem(with kind: String) -> String? {
        let parts = kind.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isWordCharacter) }) else {
            return "'\(kind)' is not a dotted event kind such as app.ready (lower-case words joined by dots)"
        }
        return unknownInFamily(kind)
    }

    /// Why `pattern` cannot be subscribed to (nil when it can): a kind as above, or `FAMILY.*`.
    public static func problem(withPattern pattern: String) -> String? {
        if pattern.hasSuffix(".*") {
            let family = pattern.dropLast(2)
            guard !family.isEmpty, !family.contains("."), family.allSatisfy(isWordCharacter) else {
                return "'\(pattern)' is not an event family such as deploy.*"
            }
            return nil
        }
        return problem(with: pattern)
    }

    private static func unknownInFamily(_ kind: String) -> String? {
        let family = family(kind)
        guard builtInFamilies.contains(family), catalogue[kind] == nil else { return nil }
        let known = catalogue.keys.filter { $0.hasPrefix(family + ".") }.sorted().joined(separator: ", ")
        return "'\(kind)' is not an event kind of the \(family) family (known: \(known))"
    }

    private static func isWordCharacter(_ c: Character) -> Bool {
        c.isLowercase || c.isNumber || c == "_" || c == "-"
    }
}
