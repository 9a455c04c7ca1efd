import Cloud
import Foundation
import Store

extension RemoteAgent {
    /// What each of the machine's services wrote since the last beat (whole lines, at most
    /// `ServiceLogMirror.chunkLimit` bytes a service), to the controller's copy; the offsets move
    /// on once the controller has it, so a beat it missed is sent with the next.
    func shipLogs() {
        guard let services = machine.withLock({ $0?.services.map(\.name) }), !services.isEmpty else { return }
        let offsetsFile = state.appendingPathComponent("shipped-logs")
        // read from the file once, at the first beat after a start; kept in memory after
        var offsets = shipped.withLock { known in
            if known == nil { known = Self.offsets(in: offsetsFile) }
            return known ?? [:]
        }
        var chunks: [AgentDocuments.ServiceLogChunk] = []
        for name in services {
            let file = root.appendingPathComponent("var/log/\(name).log")
            guard let output = ServiceOutput.read(file, service: name, from: offsets[name] ?? 0, tail: ServiceLogMirror.chunkLimit),
                  output.end != offsets[name] ?? 0 else { continue }
            chunks.append(AgentDocuments.ServiceLogChunk(service: name, text: output.text))
            offsets[name] = output.end
        }
        guard !chunks.isEmpty else { return }
        do {
            _ = try link.send("POST", "/agent/v1/logs", AgentDocuments.ServiceLogs(chunks: chunks), timeout: max(2, interval))
        } catch let refusal as ControllerLink.Refusal where refusal.status < 500 {
            log.line("service logs refused: \(refusal)")  // sending them again would not help
        } catch {
            return  // the controller is away: the next beat sends them
        }
        shipped.withLock { $0 = offsets }
        try? Data(offsets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined().utf8).write(to: offsetsFile, options: .atomic)
    }

    /// `NAME OFFSET` lines, as `shipLogs` keeps them.
    static func offsets(in file: URL) -> [String: Int64] {
        let lines = ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n")
        return Dictionary(lines.compactMap { line -> (String, Int64)? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let offset = Int64(parts[1]) else { return nil }
            return (String(parts[0]), offset)
        }) { first, _ in first }
    }
}
