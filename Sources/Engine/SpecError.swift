/// A bad field of a declaration: the message, and the path of keys that leads to the field
/// (`["layers", "web", "count"]`, list entries by position), so the recipe runtime can name the
/// line where the field is written.
public struct SpecError: Error, CustomStringConvertible, Sendable {
    public var path: [String]
    public var message: String

    public init(_ message: String, at path: [String] = []) {
        self.message = message
        self.path = path
    }

    public var description: String { message }

    /// Runs `body` for the field at `keys`: an error from it is about that field, or about one
    /// below it when it already names a path.
    public static func at<T>(_ keys: String..., body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SpecError {
            throw SpecError(error.message, at: keys + error.path)
        } catch {
            throw SpecError("\(error)", at: keys)
        }
    }
}
