import Foundation

/// Decodes a `Decodable` record from a row of the state, by its coding keys as column names (the
/// way GRDB decoded the Store's records before the seam): dates from seconds since 1970, booleans
/// from 0 or 1, an enum from its raw value, and a nested value (a struct, an array) from JSON text.
/// A column the row lacks decodes as nil, so `SELECT *` and a narrower list both work.
struct SQLRowDecoder: Decoder {
    let row: SQLRow
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<Record: Decodable>(_ type: Record.Type, from row: SQLRow) throws -> Record {
        try Record(from: SQLRowDecoder(row: row))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Columns<Key>(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "a row is not a list"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "a row is not one value"))
    }

    /// The row's columns by name.
    struct Columns<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: SQLRow
        var codingPath: [any CodingKey] { [] }
        var allKeys: [Key] { row.columns.compactMap(Key.init(stringValue:)) }

        func contains(_ key: Key) -> Bool { row.columns.contains(key.stringValue.lowercased()) }
        func decodeNil(forKey key: Key) throws -> Bool { row[key.stringValue].isNull }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try CellDecoder(value: row[key.stringValue], codingPath: [key]).decodeValue(type)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch(type, .init(codingPath: [key], debugDescription: "a column holds one value"))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: [key], debugDescription: "a column holds one value"))
        }

        func superDecoder() throws -> any Decoder { SQLRowDecoder(row: row) }
        func superDecoder(forKey key: Key) throws -> any Decoder { SQLRowDecoder(row: row) }
    }
}

/// One column's value, as the record's property type asks for it.
struct CellDecoder: Decoder, SingleValueDecodingContainer {
    let value: SQLValue
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if type == Date.self {
            guard let date = value.date else { throw mismatch(type) }
            return date as! T
        }
        if type == Data.self {
            guard case .blob(let bytes) = value else { return Data((value.string ?? "").utf8) as! T }
            return Data(bytes) as! T
        }
        do {
            return try T(from: self)
        } catch is NestedValue {
            // a struct or a list in one column: stored as JSON text
            guard let text = value.string else { throw mismatch(type) }
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        }
    }

    /// Asked for by a value that is not one cell: `decodeValue` reads it as JSON instead.
    struct NestedValue: Error {}

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> { throw NestedValue() }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw NestedValue() }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try cast(value.int64.map { $0 != 0 }, type) }
    func decode(_ type: String.Type) throws -> String { try cast(value.string, type) }
    func decode(_ type: Double.Type) throws -> Double { try cast(value.double, type) }
    func decode(_ type: Float.Type) throws -> Float { try cast(value.double.map(Float.init), type) }
    func decode(_ type: Int.Type) throws -> Int { try cast(value.int, type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try cast(value.int64.flatMap { Int8(exactly: $0) }, type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try cast(value.int64.flatMap { Int16(exactly: $0) }, type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try cast(value.int64.flatMap { Int32(exactly: $0) }, type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try cast(value.int64, type) }
    func decode(_ type: UInt.Type) throws -> UInt { try cast(value.int64.flatMap { UInt(exactly: $0) }, type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try cast(value.int64.flatMap { UInt8(exactly: $0) }, type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try cast(value.int64.flatMap { UInt16(exactly: $0) }, type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try cast(value.int64.flatMap { UInt32(exactly: $0) }, type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try cast(value.int64.flatMap { UInt64(exactly: $0) }, type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }

    private func cast<T>(_ decoded: T?, _ type: T.Type) throws -> T {
        guard let decoded else { throw mismatch(type) }
        return decoded
    }

    private func mismatch(_ type: Any.Type) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "the state holds \(value) here"))
    }
}
