import CLua
import CLuaShim

extension LuaVM {
    /// The value at `index` of `state`, converted deeply (tables up to 32 levels).
    public func value(at index: Int32, in state: OpaquePointer) -> LuaValue {
        value(at: lua_absindex(state, index), in: state, depth: 0)
    }

    private func value(at index: Int32, in state: OpaquePointer, depth: Int) -> LuaValue {
        let type = lua_type(state, index)
        switch type {
        case LUA_TNIL, LUA_TNONE:
            return .nil
        case LUA_TBOOLEAN:
            return .bool(lua_toboolean(state, index) != 0)
        case LUA_TNUMBER:
            return lua_isinteger(state, index) != 0 ? .int(lua_tointegerx(state, index, nil)) : .number(lua_tonumberx(state, index, nil))
        case LUA_TSTRING:
            return .string(string(at: index, in: state))
        case LUA_TTABLE where depth < 32:
            if let sealed = sealed(at: index, in: state) { return .string(sealed) }
            return .table(table(at: index, in: state, depth: depth + 1))
        case LUA_TFUNCTION:
            lua_pushvalue(state, index)
            return .function(LuaFunction(ref: cr_ref(state)))
        default:
            return .opaque(String(cString: lua_typename(state, type)))
        }
    }

    /// An opaque value (a secret) is a table whose metatable holds its text for Swift at
    /// `__sealed`: it crosses as that text, which Lua code cannot read. Raw access only.
    private func sealed(at index: Int32, in state: OpaquePointer) -> String? {
        guard lua_checkstack(state, 2) != 0, luaL_getmetafield(state, index, "__sealed") != LUA_TNIL else { return nil }
        defer { cr_pop(state, 1) }
        return lua_type(state, -1) == LUA_TSTRING ? string(at: -1, in: state) : nil
    }

    /// The string at `index`; only call it on strings (on numbers Lua converts in place).
    func string(at index: Int32, in state: OpaquePointer) -> String {
        var length = 0
        guard let bytes = cr_tostring(state, index, &length) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: length), as: UTF8.self)
    }

    /// Raw traversal: no metamethod runs, so nothing can raise through this Swift frame.
    private func table(at index: Int32, in state: OpaquePointer, depth: Int) -> LuaTable {
        var result = LuaTable()
        var numbered: [Int64: LuaValue] = [:]
        guard lua_checkstack(state, 4) != 0 else { return result }
        lua_pushnil(state)
        while lua_next(state, index) != 0 {
            let keyType = lua_type(state, -2)
            if keyType == LUA_TSTRING {
                result.fields[string(at: -2, in: state)] = value(at: lua_absindex(state, -1), in: state, depth: depth)
            } else if keyType == LUA_TNUMBER, cr_isinteger(state, -2) != 0 {
                numbered[cr_tointeger(state, -2)] = value(at: lua_absindex(state, -1), in: state, depth: depth)
            }
            cr_pop(state, 1)
        }
        var next: Int64 = 1
        while let element = numbered[next] {
            result.array.append(element)
            next += 1
        }
        return result
    }

    /// Pushes `value` onto `state` with raw sets only.
    public func push(_ value: LuaValue, on state: OpaquePointer) {
        guard lua_checkstack(state, 4) != 0 else { return }
        switch value {
        case .nil, .opaque:
            lua_pushnil(state)
        case .function(let f):
            cr_getref(state, f.ref)
        case .bool(let b):
            lua_pushboolean(state, b ? 1 : 0)
        case .int(let i):
            lua_pushinteger(state, i)
        case .number(let d):
            lua_pushnumber(state, d)
        case .string(var s):
            s.withUTF8 { bytes in _ = lua_pushlstring(state, bytes.baseAddress, bytes.count) }
        case .table(let t):
            lua_createtable(state, Int32(clamping: t.array.count), Int32(clamping: t.fields.count))
            for (offset, element) in t.array.enumerated() {
                push(element, on: state)
                lua_rawseti(state, -2, Int64(offset + 1))
            }
            for (key, element) in t.fields {
                push(.string(key), on: state)
                push(element, on: state)
                lua_rawset(state, -3)
            }
        }
    }
}
