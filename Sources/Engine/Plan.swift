import Cloud

/// What converging a cluster would do: readable steps for people, and the work for `apply`.
public struct Plan: Sendable {
    public enum Action: String, Codable, Sendable {
        case add = "+", change = "~", destroy = "-"
    }

    /// One line of `recipe plan`.
    public struct Step: Codable, Sendable, Equatable {
        public var action: Action
        /// instance, volume, address, firewall, user, app
        public var kind: String
        public var name: String
        public var detail: String?

        public var line: String {
            "\(action.rawValue) \(kind) \(name)" + (detail.map { action == .change ? ": \($0)" : " (\($0))" } ?? "")
        }
    }

    /// A slot to fill: launch `spec`, after removing `replacing` (a lost instance) if any.
    public struct Launch: Sendable {
        public var spec: InstanceSpec
        public var replacing: Instance?
    }

    public var cluster: String
    public var steps: [Step] = []
    /// The inventory the plan was computed from: apply starts from it instead of reading again.
    public var inventory = Inventory()

    // The work, in apply order.
    public var terminations: [Instance] = []
    public var launches: [Launch] = []
    public var starts: [Instance] = []
    /// Instances that are up but not online (setup failed, or a run died before it finished).
    public var setups: [Instance] = []
    /// Existing instances missing a volume or an address.
    public var repairs: [Instance] = []
    public var accessChanged = false
    /// Apps whose declaration changed since the last apply, with what it was: deployed again, rolling.
    public var redeploys: [String: AppSpec] = [:]
    /// Apps whose rollout was interrupted: true to finish it (it deploys the declared ref), false to roll it back.
    /// Apply settles them first, so the rest of the plan starts from one release everywhere.
    public var unfinished: [String: Bool] = [:]

    public var adds: Int { steps.filter { $0.action == .add }.count }
    public var changes: Int { steps.filter { $0.action == .change }.count }
    public var destroys: Int { steps.filter { $0.action == .destroy }.count }
    public var isEmpty: Bool { steps.isEmpty }

    public var summary: String { Self.summary(adds: adds, changes: changes, destroys: destroys) }

    /// `Plan: 2 to add, 0 to change, 1 to destroy.`, also for a plan known only by its counts (the API's).
    public static func summary(adds: Int, changes: Int, destroys: Int) -> String {
        "Plan: \(adds) to add, \(changes) to change, \(destroys) to destroy."
    }

    /// Whether instances join or leave: then every online instance is configured again.
    public var membershipChanges: Bool { !terminations.isEmpty || !launches.isEmpty || !starts.isEmpty || !setups.isEmpty }

    mutating func add(_ action: Action, _ kind: String, _ name: String, _ detail: String? = nil) {
        steps.append(Step(action: action, kind: kind, name: name, detail: detail))
    }
}
