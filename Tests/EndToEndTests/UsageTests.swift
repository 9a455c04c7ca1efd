import Foundation
import Testing
import TestSupport

/// Issue 13, point 5: `recipe usage` on the local provider counts a running instance's hours at
/// no cost, prints JSON and CSV, and refuses bad input by name.
@Suite struct UsageTests {
    struct Document: Decodable {
        struct Line: Decodable {
            var key: String
            var instanceSeconds: Int64
            var instanceHours: String
            var costUSD: String?
        }
        var by: String
        var pricesAsOf: String?
        var rows: [Line]
        var total: Line
    }

    @Test func aLocalClusterCountsHoursAtNoCostInEveryShape() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("metered.lua", #"cluster "metered" { layers = { web = { count = 1 } } }"#)
        let run = try h.recipe(["run", recipe])
        #expect(run.code == 0, "\(run.stderr)")
        usleep(1_200_000)  // at least a whole second of running

        let json = try h.recipe(["usage", "--cluster", "metered", "--since", "2000-01-01", "--json"])
        #expect(json.code == 0, "\(json.stderr)")
        let document = try JSONDecoder().decode(Document.self, from: Data(json.stdout.utf8))
        #expect(document.by == "cluster" && document.pricesAsOf == "2026-11-01")
        #expect(document.rows.map(\.key) == ["metered"])
        #expect(document.total.instanceSeconds > 0 && document.total.costUSD == "0.000000", "\(json.stdout)")

        let csv = try h.recipe(["usage", "--since", "2000-01-01", "--by", "cause", "--csv"])
        #expect(csv.code == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "cause,instance_seconds,instance_hours,volume_gb_months,cost_usd")
        #expect(lines.dropFirst().first?.hasPrefix("declared,") == true, "\(csv.stdout)")
        #expect(lines.last?.hasPrefix("total,") == true && lines.last?.hasSuffix(",0.000000,0.000000") == true, "\(csv.stdout)")

        let table = try h.recipe(["usage", "--since", "2000-01-01", "--by", "layer"])
        #expect(table.code == 0 && table.stdout.contains("metered/web") && table.stdout.contains("$0.000000"), "\(table.stdout)")
        let user = try h.recipe(["usage", "--since", "2000-01-01", "--by", "user", "--json"])
        #expect(try JSONDecoder().decode(Document.self, from: Data(user.stdout.utf8)).rows.first?.key == "owner")
    }

    /// EC2 (moto_server) reports its launches, ends and volumes to the state, so its hours are
    /// counted at the instance type's price in its region, and stop counting once it is destroyed.
    @Test func anEC2ClusterIsCountedAtItsTypesPriceUntilDestroyed() async throws {
        let moto = try await MotoServer()
        defer { moto.stop() }
        let h = try Harness()
        h.cleanupEnvironment = moto.environment
        defer { h.cleanup() }
        let recipe = try h.write("billed.lua", """
            cluster "billed" {
              provider = "ec2",
              layers = { web = { count = 2, image = "ami-12c6146b", instance_type = "t3.small",
                                 volumes = { data = { size_gb = 10, mount = "/srv/data" } } } },
            }
            """)
        let run = try h.recipe(["run", recipe], environment: moto.environment)
        #expect(run.code == 0, "\(run.stderr)")
        usleep(1_200_000)
        let destroyed = try h.recipe(["destroy", "billed", "--yes"], environment: moto.environment)
        #expect(destroyed.code == 0, "\(destroyed.stderr)")
        let first = try h.recipe(["usage", "--cluster", "billed", "--since", "2000-01-01", "--by", "instance_type", "--json"])
        #expect(first.code == 0, "\(first.stderr)")
        let document = try JSONDecoder().decode(Document.self, from: Data(first.stdout.utf8))
        let small = try #require(document.rows.first { $0.key.hasPrefix("t3.small") }, "\(first.stdout)")
        #expect(small.instanceSeconds >= 2, "two instances, a second each at least: \(first.stdout)")
        #expect(small.costUSD.map { $0 != "0.000000" } == true, "t3.small has a price: \(first.stdout)")
        usleep(1_100_000)
        let later = try h.recipe(["usage", "--cluster", "billed", "--since", "2000-01-01", "--by", "instance_type", "--json"])
        let again = try JSONDecoder().decode(Document.self, from: Data(later.stdout.utf8))
        #expect(again.total.instanceSeconds == document.total.instanceSeconds, "a destroyed cluster's hours stop: \(later.stdout)")
    }

    @Test func badInputIsRefusedByName() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let prices = try h.write("prices.csv", "kind,region,name,usd\ninstance,us-east-1,t3.micro,0.0104\ninstance,us-east-1,t3.small,lots\n")
        let cases: [([String], String)] = [
            (["--month", "2026-13"], "--month: '2026-13' is not a month such as 2026-11"),
            (["--since", "2026-11-05", "--until", "2026-11-01"], "--since 2026-11-05T00:00:00Z is not before --until 2026-11-01T00:00:00Z"),
            (["--since", "last tuesday"], "--since: 'last tuesday' is not a UTC date"),
            (["--month", "2026-11", "--since", "2026-11-01"], "--month and --since/--until: choose one"),
            (["--by", "colour"], "--by: 'colour' is not one of cluster, layer, user, cause, instance_type"),
            (["--prices", prices], "\(prices):3: 'lots' is not a price in USD"),
            (["--cluster", "nowhere"], "no cluster named nowhere"),
        ]
        for (arguments, message) in cases {
            let out = try h.recipe(["usage"] + arguments)
            #expect(out.code == 1, "\(arguments)")
            #expect(out.stderr.contains(message), "\(arguments): \(out.stderr)")
            #expect(out.stdout.isEmpty, "\(arguments)")
        }
    }
}
