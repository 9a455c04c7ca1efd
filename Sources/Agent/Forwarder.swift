import Cloud
import Foundation

/// Forwards TCP connections from one address:port to another: how an elastic IP reaches the
/// instance holding it. A thread accepts; two threads per connection copy bytes.
final class Forwarder: Sendable {
    let listenFD: Int32
    let target: (host: String, port: UInt16)

    init(from host: String, port: UInt16, to targetHost: String, targetPort: UInt16) throws {
        target = (targetHost, targetPort)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ForwarderError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.socketAddress(host, port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw ForwarderError("cannot listen on \(host):\(port): \(why)")
        }
        listenFD = fd
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func close() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        Glibc.close(listenFD)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listenFD, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.socketAddress(target.host, target.port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard upstream >= 0, connected == 0 else {
                Glibc.close(client)
                if upstream >= 0 { Glibc.close(upstream) }
                continue
            }
            let done = Countdown(2) {
                Glibc.close(client)
                Glibc.close(upstream)
            }
            Thread.detachNewThread { Self.pipe(from: client, to: upstream, done: done) }
            Thread.detachNewThread { Self.pipe(from: upstream, to: client, done: done) }
        }
    }

    private static func pipe(from source: Int32, to sink: Int32, done: Countdown) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        loop: while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var sent = 0
            while sent < n {
                let w = buffer.withUnsafeBytes { send(sink, $0.baseAddress! + sent, n - sent, Int32(MSG_NOSIGNAL)) }
                if w <= 0 { break loop }
                sent += w
            }
        }
        shutdown(sink, Int32(SHUT_WR))
        shutdown(source, Int32(SHUT_RD))
        done.tick()
    }

    static func socketAddress(_ host: String, _ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        return address
    }
}

struct ForwarderError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `action` once `count` ticks have arrived, from any thread.
final class Countdown: Sendable {
    private let remaining: Locked<Int>
    private let action: @Sendable () -> Void

    init(_ count: Int, action: @escaping @Sendable () -> Void) {
        remaining = Locked(count)
        self.action = action
    }

    func tick() {
        let fire = remaining.withLock { left in
            left -= 1
            return left == 0
        }
        if fire { action() }
    }
}
