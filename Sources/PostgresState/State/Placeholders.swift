import Foundation
import Synchronization

/// The seam's `?` placeholders as PostgreSQL's `$1, $2, …`, outside quoted text and names. Each
/// statement is translated once and kept: the dispatcher sends the same few every few milliseconds.
enum Placeholders {
    private static let translated = Mutex<[String: String]>([:])

    static func numbered(_ sql: String) -> String {
        if let known = translated.withLock({ $0[sql] }) { return known }
        let result = translate(sql)
        translated.withLock { cache in
            if cache.count > 4096 { cache.removeAll() }
            cache[sql] = result
        }
        return result
    }

    static func translate(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var quote: Character?
        var number = 0
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        return out
    }
}
