import Foundation

/// Encodes an `Encodable` record as the columns and values of a row, by its coding keys, the
/// reverse of `SQLRowDecoder`: a nil optional is left out (its column takes its default, an
/// `id` its next value), or with `nulls` written as NULL; a nested value is JSON text.
final class SQLRowEncoder: Encoder {
    private(set) var columns: [String] = []
    private(set) var values: [SQLValue] = []
    /// Whether a nil optional is a NULL column (a row replaced whole) rather than left out.
    let nulls: Bool
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    private init(nulls: Bool) { self.nulls = nulls }

    static func encode(_ record: some Encodable, nulls: Bool = false) throws -> (columns: [String], values: [SQLValue]) {
        let encoder = SQLRowEncoder(nulls: nulls)
        try record.encode(to: encoder)
        return (encoder.columns, encoder.values)
    }

    fileprivate func set(_ column: String, _ value: SQLValue) {
        if let index = columns.firstIndex(of: column) {
            values[index] = value
        } else {
            columns.append(column)
            values.append(value)
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Columns<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { preconditionFailure("a row is encoded by column") }
    func singleValueContainer() -> any SingleValueEncodingContainer { preconditionFailure("a row is encoded by column") }

    struct Columns<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: SQLRowEncoder
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil(forKey key: Key) { encoder.set(key.stringValue, .null) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            encoder.set(key.stringValue, try CellEncoder.value(of: value))
        }

        // a synthesized `encode(to:)` writes an optional through these: nil is NULL with `nulls`
        private mutating func present<T: Encodable>(_ value: T?, _ key: Key) throws {
            if let value { try encode(value, forKey: key) } else if encoder.nulls { encodeNil(forKey: key) }
        }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try present(value, key) }
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try present(value, key) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            preconditionFailure("a column holds one value")
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            preconditionFailure("a column holds one value")
        }

        mutating func superEncoder() -> any Encoder { encoder }
        mutating func superEncoder(forKey key: Key) -> any Encoder { encoder }
    }
}

/// One property's value as a cell.
final class CellEncoder: Encoder, SingleValueEncodingContainer {
    private(set) var value: SQLValue = .null
    private var nested = false
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func value(of value: some Encodable) throws -> SQLValue {
        switch value {
        case let date as Date: return .real(date.timeIntervalSince1970)
        case let data as Data: return .blob(Array(data))
        default: break
        }
        let encoder = CellEncoder()
        try value.encode(to: encoder)
        guard encoder.nested else { return encoder.value }
        // a struct or a list in one column: JSON text, sorted so the same value reads the same
        let json = JSONEncoder()
        json.outputFormatting = .sortedKeys
        return .text(String(decoding: try json.encode(value), as: UTF8.self))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        nested = true
        return KeyedEncodingContainer(Discarding<Key>())
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        nested = true
        return DiscardingList()
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func encodeNil() { value = .null }
    func encode(_ value: Bool) { self.value = .integer(value ? 1 : 0) }
    func encode(_ value: String) { self.value = .text(value) }
    func encode(_ value: Double) { self.value = .real(value) }
    func encode(_ value: Float) { self.value = .real(Double(value)) }
    func encode(_ value: Int) { self.value = .integer(Int64(value)) }
    func encode(_ value: Int8) { self.value = .integer(Int64(value)) }
    func encode(_ value: Int16) { self.value = .integer(Int64(value)) }
    func encode(_ value: Int32) { self.value = .integer(Int64(value)) }
    func encode(_ value: Int64) { self.value = .integer(value) }
    func encode(_ value: UInt) { self.value = .integer(Int64(truncatingIfNeeded: value)) }
    func encode(_ value: UInt8) { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt16) { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt32) { self.value = .integer(Int64(value)) }
    func encode(_ value: UInt64) { self.value = .integer(Int64(truncatingIfNeeded: value)) }
    func encode<T: Encodable>(_ value: T) throws { self.value = try Self.value(of: value) }

    /// What a nested value writes while `value(of:)` learns it is nested; JSON encodes it again.
    private struct Discarding<Key: CodingKey>: KeyedEncodingContainerProtocol {
        var codingPath: [any CodingKey] { [] }
        mutating func encodeNil(forKey key: Key) {}
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) {}
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Discarding<NestedKey>())
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { DiscardingList() }
        mutating func superEncoder() -> any Encoder { CellEncoder() }
        mutating func superEncoder(forKey key: Key) -> any Encoder { CellEncoder() }
    }

    private struct DiscardingList: UnkeyedEncodingContainer {
        var codingPath: [any CodingKey] { [] }
        var count: Int { 0 }
        mutating func encodeNil() {}
        mutating func encode<T: Encodable>(_ value: T) {}
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Discarding<NestedKey>())
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { DiscardingList() }
        mutating func superEncoder() -> any Encoder { CellEncoder() }
    }
}
