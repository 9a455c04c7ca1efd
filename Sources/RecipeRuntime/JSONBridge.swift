import Engine
import LuaKit

/// Plain data between Lua tables and the JSON the Store keeps.
enum JSONBridge {
    static func json(_ value: LuaValue, _ what: String) throws -> JSONValue {
        switch value {
        case .nil: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .table(let t):
            if t.fields.isEmpty && !t.array.isEmpty { return .array(try t.array.map { try json($0, what) }) }
            guard t.array.isEmpty else { throw PrimitiveError("\(what): a table is either a list or a map, not both") }
            return .object(try t.fields.mapValues { try json($0, what) })
        case .function, .opaque:
            throw PrimitiveError("\(what): a \(value.typeName) cannot be stored (plain data only)")
        }
    }

    static func lua(_ value: JSONValue) -> LuaValue {
        switch value {
        case .null: return .nil
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .number(let d): return .number(d)
        case .string(let s): return .string(s)
        case .array(let a): return .table(LuaTable(array: a.map(lua)))
        case .object(let o): return .table(LuaTable(fields: o.mapValues(lua)))
        }
    }
}
