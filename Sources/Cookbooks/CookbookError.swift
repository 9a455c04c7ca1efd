/// What went wrong with a cookbook, its source, its manifest or the lock, in words a user can act on.
public struct CookbookError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
