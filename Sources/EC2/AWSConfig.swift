import Foundation

/// Access keys. Their description never shows the secret.
public struct AWSCredentials: Sendable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "credentials \(accessKeyID) (secret hidden)" }
}

/// Where and as whom to call EC2, resolved the way AWS tools do: the recipe's provider table,
/// then AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL, AWS_REGION / AWS_DEFAULT_REGION, the AWS_* keys,
/// then AWS_PROFILE's entries in ~/.aws/credentials and ~/.aws/config.
public struct AWSConfig: Sendable {
    public var region: String
    public var endpoint: URL
    public var credentials: AWSCredentials
    public var apiVersion: String

    public static let defaultAPIVersion = "2016-11-15"

    public init(region: String, endpoint: URL, credentials: AWSCredentials, apiVersion: String = defaultAPIVersion) {
        self.region = region
        self.endpoint = endpoint
        self.credentials = credentials
        self.apiVersion = apiVersion
    }

    public struct Overrides: Sendable {
        public var region: String?
        public var endpoint: String?
        public var apiVersion: String?
        public var profile: String?

        public init(region: String? = nil, endpoint: String? = nil, apiVersion: String? = nil, profile: String? = nil) {
            self.region = region
            self.endpoint = endpoint
            self.apiVersion = apiVersion
            self.profile = profile
        }
    }

    public static func resolve(_ overrides: Overrides = Overrides(),
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSConfig {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let profile = overrides.profile ?? environment["AWS_PROFILE"] ?? "default"
        let credentialsFile = IniFile(path: environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials")
        let configFile = IniFile(path: environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config")
        let profileSection = profile == "default" ? "default" : "profile \(profile)"
        func fromFiles(_ key: String) -> String? {
            credentialsFile.value(section: profile, key: key) ?? configFile.value(section: profileSection, key: key)
        }

        guard let region = overrides.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? fromFiles("region") else {
            throw AWSError.configuration("no region: set provider.region, AWS_REGION or a region in ~/.aws/config")
        }
        guard region.range(of: "^[a-z]{2,}(-[a-z0-9]+)+-[0-9]+$|^[a-z0-9-]+$", options: .regularExpression) != nil else {
            throw AWSError.configuration("region '\(region)' does not look like a region name (such as eu-west-1)")
        }
        let endpointText = overrides.endpoint ?? environment["AWS_ENDPOINT_URL_EC2"] ?? environment["AWS_ENDPOINT_URL"]
            ?? fromFiles("endpoint_url") ?? "https://ec2.\(region).amazonaws.com"
        guard let endpoint = URL(string: endpointText), let scheme = endpoint.scheme, ["http", "https"].contains(scheme),
              endpoint.host != nil
        else {
            throw AWSError.configuration("endpoint '\(endpointText)' is not an http(s) URL")
        }
        let key = environment["AWS_ACCESS_KEY_ID"] ?? fromFiles("aws_access_key_id")
        let secret = environment["AWS_SECRET_ACCESS_KEY"] ?? fromFiles("aws_secret_access_key")
        guard let key, let secret else {
            throw AWSError.configuration("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile in ~/.aws/credentials")
        }
        let token = environment["AWS_ACCESS_KEY_ID"] != nil ? environment["AWS_SESSION_TOKEN"] : fromFiles("aws_session_token")
        return AWSConfig(region: region, endpoint: endpoint,
                         credentials: AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token),
                         apiVersion: overrides.apiVersion ?? defaultAPIVersion)
    }
}

/// ~/.aws/credentials and ~/.aws/config: `[section]` then `key = value` lines.
struct IniFile {
    var sections: [String: [String: String]] = [:]

    init(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        var current = ""
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
            } else if let eq = line.firstIndex(of: "=") {
                sections[current, default: [:]][line[..<eq].trimmingCharacters(in: .whitespaces)] =
                    line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }
        }
    }

    func value(section: String, key: String) -> String? { sections[section]?[key] }
}
