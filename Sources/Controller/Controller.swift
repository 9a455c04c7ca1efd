import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL

/// `recipe serve`'s HTTP face: the API on `--listen`, with TLS when given a certificate.
public struct Controller: Sendable {
    public let api: API
    public let options: ControllerOptions

    public init(api: API, options: ControllerOptions) {
        self.api = api
        self.options = options
    }

    /// Serves until the task is cancelled; `ready` is told the address once it listens.
    public func run(ready: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        let configuration = ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: "recipe")
        var logger = Logger(label: "recipe.controller")
        logger.logLevel = .warning
        let options = self.options
        // port 0 asks the system for a free one: what is told is the port it gave
        let onRunning: @Sendable (any Channel) async -> Void = { channel in
            var bound = options
            if let port = channel.localAddress?.port { bound.port = port }
            ready(bound.url)
        }
        if let certificate = options.tlsCertificate, let key = options.tlsKey {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            let app = Application(router: try api.router(secure: true), server: try .tls(.http1(), tlsConfiguration: tls),
                                  configuration: configuration, onServerRunning: onRunning, logger: logger)
            try await app.run()
        } else {
            let app = Application(router: try api.router(), configuration: configuration, onServerRunning: onRunning, logger: logger)
            try await app.run()
        }
    }
}
