import Cloud
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks an instance's services from this machine, where its loopback address is reachable:
/// a TCP connect for a port, one HTTP/1.0 request for a health URL. Each is bounded by `timeout`.
enum Probe {
    /// Why the check failed, or nil when it answers.
    static func failure(of check: ServiceCheck, at address: String, timeout: Double = 2) -> String? {
        switch check {
        case .port(_, let port):
            guard let fd = connect(address, port, timeout: timeout) else { return "\(check.subject) not listening" }
            close(fd)
            return nil
        case .http(_, let port, let path, let accepted):
            guard let fd = connect(address, port, timeout: timeout) else { return "\(check.subject) → connection refused" }
            defer { close(fd) }
            let request = Array("GET \(path) HTTP/1.0\r\nHost: \(address):\(port)\r\nConnection: close\r\n\r\n".utf8)
            let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == request.count else { return "\(check.subject) → could not send the request" }
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1024)
            while answer.count < 4096 {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 { return "\(check.subject) → no answer within \(Int(timeout)) s" }
                if n == 0 { break }
                answer += buffer[0..<n]
            }
            let text = String(decoding: answer, as: UTF8.self)
            let parts = text.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1].prefix(3)) else {
                return "\(check.subject) → connection closed without an HTTP answer"
            }
            if accepted.contains(code) { return nil }
            return "\(check.subject) → \(code)" + (firstBodyLine(text).map { ": " + $0 } ?? "")
        }
    }

    /// The body's first non-empty line, cut to 80 characters: what the service said was wrong.
    private static func firstBodyLine(_ response: String) -> String? {
        guard let split = response.range(of: "\r\n\r\n") ?? response.range(of: "\n\n") else { return nil }
        let line = response[split.upperBound...].split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) }
        return line.map { String($0.trimmingCharacters(in: .whitespaces).prefix(80)) }
    }

    /// A connected socket, or nil when nothing listens (refused, unreachable, or no answer in time).
    private static func connect(_ address: String, _ port: Int, timeout: Double) -> Int32? {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: .init((timeout - timeout.rounded(.down)) * 1_000_000))
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, size)  // bounds connect too
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        guard inet_pton(AF_INET, address, &target.sin_addr) == 1 else { close(fd); return nil }
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #if canImport(Glibc)
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #else
                Darwin.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                #endif
            }
        }
        guard connected == 0 else { close(fd); return nil }
        return fd
    }
}
