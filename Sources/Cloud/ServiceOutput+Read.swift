import Foundation

/// Reading services' logs: a folder of `NAME.log` files (an instance's var/log, or the
/// controller's mirror of a remote agent's), each from an offset a reader kept or as a tail.
extension ServiceOutput {
    /// Every service's log in `folder` (`agent.log` is the agent's own and not a service's).
    public static func read(folder: URL, from offsets: [String: Int64], tail: Int) -> [ServiceOutput] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".log") && $0 != "agent.log" }.sorted()
        return names.compactMap { name in
            read(folder.appendingPathComponent(name), service: String(name.dropLast(4)), from: offsets[String(name.dropLast(4))],
                 tail: max(1, tail))
        }
    }

    /// The whole lines of `file` from `offset` (or its last `tail` bytes), at most `tail` bytes of them.
    public static func read(_ file: URL, service: String, from offset: Int64?, tail: Int) -> ServiceOutput? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
              let size = (attributes[.size] as? NSNumber)?.int64Value,
              let handle = try? FileHandle(forReadingFrom: file) else { return nil }
        defer { try? handle.close() }
        let modified = attributes[.modificationDate] as? Date ?? Date()
        // a log shorter than the offset was trimmed (LogBound): what is in it now is all new
        let from = offset.map { $0 > size ? 0 : $0 } ?? max(0, size - Int64(tail))
        let start = max(from, size - Int64(tail))
        guard start < size, (try? handle.seek(toOffset: UInt64(start))) != nil,
              var bytes = try? handle.read(upToCount: Int(size - start)) else {
            return ServiceOutput(service: service, text: "", end: from, modified: modified)
        }
        var skipped = 0
        // started inside a line (a tail, or output cut to the bound): from the next line on
        if start > 0, start != from || offset == nil {
            let before = (try? handle.seek(toOffset: UInt64(start - 1))).flatMap { try? handle.read(upToCount: 1) }
            if before != Data("\n".utf8), let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                skipped = newline - bytes.startIndex + 1
                bytes = bytes.subdata(in: newline + 1..<bytes.endIndex)
            }
        }
        // a line still being written waits for the next read, unless it alone fills the bound
        var kept = bytes
        if let last = bytes.lastIndex(of: UInt8(ascii: "\n")) {
            kept = bytes.subdata(in: bytes.startIndex..<last + 1)
        } else if bytes.count < tail {
            kept = Data()
        }
        return ServiceOutput(service: service, text: String(decoding: kept, as: UTF8.self),
                             end: start + Int64(skipped + kept.count), modified: modified)
    }
}
