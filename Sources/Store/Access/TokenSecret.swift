import Foundation

/// A new token's secret: 32 random bytes, base64url without padding, after a prefix that says
/// what it is (so a leaked one is recognised by secret scanners and by people).
public enum TokenSecret {
    public static let prefix = "rcp_"
    /// An agent's token, and the one-time bootstrap secret it is traded for.
    public static let agentPrefix = "rca_"
    public static let bootstrapPrefix = "rcb_"
    /// A console session's cookie.
    public static let sessionPrefix = "rcs_"

    public static func generate(prefix: String = prefix) -> String {
        var generator = SystemRandomNumberGenerator()  // getrandom(2): cryptographically secure
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + base64url(Data(bytes))
    }

    /// A short random id to name a token by in listings and `recipe token revoke`.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "tok-" + (0..<4).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    static func base64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
