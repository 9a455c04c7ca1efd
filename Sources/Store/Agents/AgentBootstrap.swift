import Cloud
import Foundation

/// The user data a launch gives its instances: a shell script cloud-init runs at first boot. It
/// fetches the agent from the controller, checks its SHA-256, keeps the one-time bootstrap
/// secret for the agent to trade, and starts it as a systemd service (a plain background process
/// where systemd is absent). `PREFIX` puts the machine in a folder (a test's machine plays the
/// cloud); `INSTANCE_ID` stands for the instance metadata service. The hosts provider runs the
/// same script over SSH.
public struct AgentBootstrap: Sendable {
    public let secret: String
    /// The controller the agent is fetched from.
    public let controller: ControllerRecord
    /// The other controllers of the same state, which the agent turns to when that one stops answering.
    public let alternates: [ControllerRecord]
    public let heartbeat: Double

    public init(controller: ControllerRecord, alternates: [ControllerRecord] = [], heartbeat: Double) {
        self.secret = TokenSecret.generate(prefix: TokenSecret.bootstrapPrefix)
        self.controller = controller
        self.alternates = alternates.filter { $0.url != controller.url }
        self.heartbeat = heartbeat
    }

    /// `--controller`: every controller's URL, the fetching one first.
    var controllerList: String { ([controller] + alternates).map(\.url).joined(separator: ",") }
    /// What the agent trusts: the certificates of those on TLS, in one PEM file (curl reads them all).
    var certificates: String? {
        let pems = ([controller] + alternates).compactMap(\.certificate)
        return pems.isEmpty ? nil : pems.joined(separator: "\n")
    }

    public var userData: String {
        // a controller on TLS is trusted by its own certificate, which the user data carries
        let certificates = certificates
        let trust: ShellCommand = certificates == nil ? "" : #" --ca "$state/controller.pem""#
        let curlTrust: ShellCommand = certificates == nil ? "" : #" --cacert "$state/controller.pem""#
        let keepCertificate: ShellCommand = certificates.map { (pem: String) -> ShellCommand in
            "printf '%s' \(pem) > \"$state/controller.pem\""
        } ?? ":"
        let start: ShellCommand = """
            "$bin" --controller \(controllerList) --instance "$INSTANCE_ID" --state "$state" --root "${prefix:-/}" --heartbeat \(Self.seconds(heartbeat))\(trust)
            """
        let script: ShellCommand = """
            #!/bin/sh
            # ClusterRecipes: fetch this instance's agent from its controller, check it, start it.
            set -eu
            prefix="${PREFIX:-}"
            metadata="${METADATA_URL:-http://169.254.169.254/latest}"
            if [ -z "${INSTANCE_ID:-}" ]; then
              imds=$(curl -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$metadata/api/token" || true)
              INSTANCE_ID=$(curl -fsS -m 5 ${imds:+-H "X-aws-ec2-metadata-token: $imds"} "$metadata/meta-data/instance-id")
            fi
            state="$prefix/var/lib/recipe-agent"
            bin="$prefix/usr/local/bin/recipe-agent"
            mkdir -p "$state" "${bin%/*}" "$prefix/var/log"
            chmod 700 "$state"
            (umask 077 && printf '%s' \(secret) > "$state/bootstrap")
            \(keepCertificate)
            # an agent already there (copied by recipe register) is kept when it is the controller's
            if ! echo \((controller.agentSha256 ?? "unknown") + "  ")"$bin" | sha256sum -c --quiet - >/dev/null 2>&1; then
              curl -fsS\(curlTrust) --retry 30 --retry-connrefused --retry-delay 1 -o "$bin.new" \(controller.url + "/agent/v1/recipe-agent")
              echo \((controller.agentSha256 ?? "unknown") + "  ")"$bin.new" | sha256sum -c --quiet -
              chmod 755 "$bin.new" && mv "$bin.new" "$bin"
            fi
            if [ -z "$prefix" ] && [ -d /run/systemd/system ]; then
              printf '[Unit]\\nDescription=ClusterRecipes agent\\nAfter=network-online.target\\n[Service]\\nExecStart=%s\\nRestart=always\\n[Install]\\nWantedBy=multi-user.target\\n' \\
                "$(echo \(start))" > /etc/systemd/system/recipe-agent.service
              systemctl daemon-reload && systemctl enable --now recipe-agent
            else
              nohup \(start) >> "$prefix/var/log/recipe-agent.log" 2>&1 &
              echo $! > "$state/agent.pid"
            fi

            """
        return script.text
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
