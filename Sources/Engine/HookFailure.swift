/// One hook that failed during an apply: which, on which instance, and its error as the user
/// should see it (`path/recipe.lua:LINE: message`).
public struct HookFailure: Sendable, Equatable {
    public var kind: HookKind
    public var cluster: String
    public var instance: String
    public var message: String

    public init(kind: HookKind, cluster: String, instance: String, message: String) {
        self.kind = kind
        self.cluster = cluster
        self.instance = instance
        self.message = message
    }

    /// `shop: setup failed on web-1: recipes/shop.lua:12: no disk`.
    public var line: String { "\(cluster): \(kind.rawValue) failed on \(instance): \(message)" }
}
