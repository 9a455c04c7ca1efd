/// The providers a program knows, by kind: built by the executable (or a test) and handed to the
/// engine, which never names a provider itself. Adding a provider is one `register` call.
public final class ProviderRegistry: Sendable {
    /// What a factory is given: the cluster's provider settings and who acts.
    public struct Request: Sendable, Hashable {
        public var kind: String
        /// The recipe's `provider = { ... }` settings besides kind (region, endpoint, ...).
        public var options: [String: String]
        /// Recorded in the events the provider writes.
        public var actor: String

        public init(kind: String, options: [String: String] = [:], actor: String) {
            self.kind = kind
            self.options = options
            self.actor = actor
        }
    }

    public typealias Factory = @Sendable (Request) throws -> any CloudProvider

    private struct Entry: Sendable {
        var capabilities: ProviderCapabilities
        var factory: Factory
    }

    private let entries = Locked<[String: Entry]>([:])
    /// One provider per request, so a run reuses its caches and call counts.
    private let made = Locked<[Request: any CloudProvider]>([:])
    /// The kind a cluster gets when its recipe names none.
    public let defaultKind: String

    public init(defaultKind: String = "local") { self.defaultKind = defaultKind }

    public func register(_ kind: String, capabilities: ProviderCapabilities, factory: @escaping Factory) {
        entries.withLock { $0[kind] = Entry(capabilities: capabilities, factory: factory) }
    }

    /// Every registered kind, sorted.
    public var kinds: [String] { entries.value.keys.sorted() }

    public func capabilities(of kind: String) -> ProviderCapabilities? { entries.value[kind]?.capabilities }

    /// The provider for these settings, made once.
    public func provider(_ request: Request) throws -> any CloudProvider {
        if let existing = made.value[request] { return existing }
        guard let entry = entries.value[request.kind] else {
            throw CloudError("provider '\(request.kind)' is not known (known: \(kinds.joined(separator: ", ")))")
        }
        let provider = try entry.factory(request)
        return made.withLock { cache in
            if let raced = cache[request] { return raced }
            cache[request] = provider
            return provider
        }
    }

    /// Every provider made so far (for their call counts).
    public var providers: [any CloudProvider] { Array(made.value.values) }
}
