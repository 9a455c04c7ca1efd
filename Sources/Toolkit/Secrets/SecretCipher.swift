import Crypto
import Foundation

/// AES-256-GCM from swift-crypto: a secret's value sealed with the home's key, its name bound in
/// as authenticated data so a ciphertext copied under another name does not open.
public struct SecretCipher: Sendable {
    // the bytes, not a SymmetricKey: that type is not Sendable on Linux
    let keyBytes: Data
    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(key: Data) throws {
        guard key.count == 32 else { throw CloudError("secret key: expected 32 bytes, found \(key.count)") }
        keyBytes = key
    }

    /// A fresh random 256-bit key.
    public static func newKey() -> Data {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
    }

    /// Nonce, ciphertext and tag in one blob (a new random nonce each time).
    public func seal(_ value: String, name: String) throws -> Data {
        let box = try AES.GCM.seal(Data(value.utf8), using: key, authenticating: Data(name.utf8))
        guard let combined = box.combined else { throw CloudError("secret \(name): could not seal") }
        return combined
    }

    public func open(_ blob: Data, name: String) throws -> String {
        do {
            let box = try AES.GCM.SealedBox(combined: blob)
            let clear = try AES.GCM.open(box, using: key, authenticating: Data(name.utf8))
            return String(decoding: clear, as: UTF8.self)
        } catch {
            throw CloudError("secret \(name): cannot be decrypted with this home's key (tampered, or sealed with another key)")
        }
    }
}
