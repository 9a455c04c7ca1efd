import Cloud
import Testing

/// `ssh://user@host[:port][/root]`, the one rule for a host's URL (recipe register and provider.hosts).
struct HostAddressTests {
    @Test func partsAndDefaults() throws {
        let plain = try HostAddress(parsing: "ssh://root@10.0.0.5")
        #expect(plain == HostAddress(user: "root", host: "10.0.0.5", port: 22, root: "/"))
        #expect(plain.description == "ssh://root@10.0.0.5" && plain.destination == "root@10.0.0.5")
        let full = try HostAddress(parsing: "ssh://deploy@db-1.example.org:2222/srv/machine/")
        #expect(full == HostAddress(user: "deploy", host: "db-1.example.org", port: 2222, root: "/srv/machine"))
        #expect(full.description == "ssh://deploy@db-1.example.org:2222/srv/machine")
        let six = try HostAddress(parsing: "ssh://root@[fd00::5]:2200")
        #expect(six.host == "fd00::5" && six.port == 2200 && six.description == "ssh://root@[fd00::5]:2200")
    }

    @Test(arguments: [
        ("root@10.0.0.5", "not an ssh:// URL"),
        ("ssh://10.0.0.5", "no user"),
        ("ssh://root@10.0.0.5:0", "the port is not a number from 1 to 65535"),
        ("ssh://root@10.0.0.5:ssh", "the port is not a number from 1 to 65535"),
        ("ssh://-oProxyCommand=x@h", "the user is not a login name"),
        ("ssh://root@-oProxyCommand=x", "the host is not a name or an address"),
        ("ssh://root@h;reboot", "the host is not a name or an address"),
        ("ssh://root@h/srv/../etc", "the root may not climb with .."),
    ])
    func badURLsAreRefusedWithTheReason(url: String, reason: String) {
        #expect {
            try HostAddress(parsing: url)
        } throws: { error in
            "\(error)" == "host \(url): \(reason) (expected ssh://user@host[:port][/root])"
        }
    }
}
