import ArgumentParser
import Cloud

/// Command-line arguments that are names or ids, checked by their kind's rule (Toolkit's
/// `Names`) before the command touches anything: `@Argument(transform: NameArgument.of(.cluster))`.
enum NameArgument {
    static func of(_ kind: NameKind) -> @Sendable (String) throws -> String {
        { value in
            if let problem = Names.problem(value, as: kind) { throw ValidationError(problem) }
            return value
        }
    }
}
