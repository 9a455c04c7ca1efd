import Cloud

extension Engine {
    /// A cluster's elastic addresses as its provider sees them, each with the instance holding it.
    public func listAddresses(cluster: String) async throws -> [Address] {
        try await provider(for: cluster).describe(cluster: cluster).addresses
    }
}
