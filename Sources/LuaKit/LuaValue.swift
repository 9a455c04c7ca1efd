/// A Lua value that can cross from the VM into Swift tasks and back.
///
/// Functions and userdata stay inside the VM; a `LuaValue` carries plain data only.
public enum LuaValue: Sendable, Equatable, CustomStringConvertible {
    case `nil`
    case bool(Bool)
    case int(Int64)
    case number(Double)
    case string(String)
    case table(LuaTable)
    /// A Lua function, kept alive in the VM's registry; callable through `LuaCallbacks`.
    case function(LuaFunction)
    /// A value Swift cannot hold (function, thread, userdata), named by its Lua type.
    case opaque(String)

    public var description: String {
        switch self {
        case .nil: return "nil"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .number(let d): return String(d)
        case .string(let s): return s
        case .table: return "table"
        case .function: return "function"
        case .opaque(let t): return t
        }
    }

    /// The Lua type name, as `type()` would print it.
    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "boolean"
        case .int, .number: return "number"
        case .string: return "string"
        case .table: return "table"
        case .function: return "function"
        case .opaque(let t): return t
        }
    }

    public var isNil: Bool { if case .nil = self { return true }; return false }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }

    public var tableValue: LuaTable? { if case .table(let t) = self { return t }; return nil }

    public var functionValue: LuaFunction? { if case .function(let f) = self { return f }; return nil }

    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }

    /// An integer, also from a float with no fractional part (Lua's own rule for `3.0`).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .number(let d) where d.rounded() == d && abs(d) < 9.0e18: return Int64(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    public subscript(key: String) -> LuaValue {
        tableValue?.fields[key] ?? .nil
    }
}

extension LuaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(nilLiteral: ()) { self = .nil }
}

/// A Lua table as Swift sees it: the sequence part and the string-keyed fields.
/// Keys of other types are dropped when a table crosses into Swift.
public struct LuaTable: Sendable, Equatable {
    public var array: [LuaValue]
    public var fields: [String: LuaValue]

    public init(array: [LuaValue] = [], fields: [String: LuaValue] = [:]) {
        self.array = array
        self.fields = fields
    }

    public subscript(key: String) -> LuaValue {
        get { fields[key] ?? .nil }
        set { fields[key] = newValue.isNil ? nil : newValue }
    }
}

/// A reference to a Lua function of one VM (a registry slot). Only meaningful to that VM.
public struct LuaFunction: Sendable, Hashable {
    public let ref: Int32
}
