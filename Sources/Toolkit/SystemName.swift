import Foundation

/// This machine's `uname`: the kernel's name and the architecture (`Linux`, `x86_64`).
public enum SystemName {
    public static var system: String { field(\.sysname) }
    public static var machine: String { field(\.machine) }

    private static func field<T>(_ path: KeyPath<utsname, T>) -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: name[keyPath: path]) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
