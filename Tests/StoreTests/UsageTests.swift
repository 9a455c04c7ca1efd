import Cloud
import Foundation
import Testing
@testable import Store

/// Accounting from a hand-made November 2026 timeline, to the second and the micro-dollar (issue 13, point 5).
@Suite struct UsageTests {
    static func at(_ text: String) -> Date { Usage.instant(text)! }

    static func event(_ time: String, _ kind: String, _ subject: String, cluster: String = "shop", actor: String = "cli:alice",
                      _ tags: UsageTags = UsageTags()) -> Event {
        Event(actor: actor, cluster: cluster, kind: kind, subject: subject, detail: tags.appended(to: subject), time: at(time))
    }

    static func ec2(_ cause: String, _ layer: String, _ type: String) -> UsageTags {
        UsageTags(cause: cause, layer: layer, instanceType: type, region: "us-east-1", provider: "ec2")
    }

    static let timeline: [Event] = [
        event("2026-10-31T22:00", "instance.launched", "i-3", ec2("declared", "db", "m5.large")),
        event("2026-11-01T10:00", "instance.launched", "i-1", ec2("declared", "web", "t3.micro")),
        event("2026-11-01T10:00", "volume.created", "vol-1",
              UsageTags(cause: "declared", region: "us-east-1", provider: "ec2", sizeGB: 100)),
        event("2026-11-02T00:00", "instance.launched", "i-5", actor: "cli:bob", ec2("manual", "web", "x9.huge")),
        event("2026-11-02T01:07", "instance.terminated", "i-5", actor: "cli:bob"),
        event("2026-11-03T14:30", "instance.launched", "i-2", actor: "scheduler", ec2("autoscale", "web", "t3.micro")),
        event("2026-11-04T00:00", "instance.launched", "i-9", cluster: "dev",
              UsageTags(cause: "declared", layer: "app", provider: "local")),
        event("2026-11-04T02:30", "instance.terminated", "i-9", cluster: "dev"),
        event("2026-11-05T14:30", "instance.stopped", "i-2", actor: "scheduler"),
        event("2026-11-06T00:00", "instance.started", "i-2", actor: "cli:bob", UsageTags(cause: "manual")),
        event("2026-11-10T08:00", "instance.terminated", "i-3", actor: "scheduler"),
        event("2026-11-10T08:15", "instance.launched", "i-4", actor: "scheduler", ec2("heal", "db", "m5.large")),
        event("2026-11-16T10:00", "volume.deleted", "vol-1"),
        event("2026-11-20T10:00", "instance.terminated", "i-1"),
        event("2026-11-20T10:00", "instance.terminated", "i-4"),
    ]

    static let prices = try! PriceTable(csv: """
        # as of 2026-11-01
        kind,region,name,usd
        instance,us-east-1,t3.micro,0.0104
        instance,us-east-1,m5.large,0.096
        volume,us-east-1,gp3,0.08
        """, name: "test.csv")

    func report(_ by: Usage.Dimension, since: String = "2026-11-01", until: String = "2026-12-01",
                now: String = "2027-01-01") -> Usage.Report {
        Usage.report(events: Self.timeline, since: Self.at(since), until: Self.at(until), now: Self.at(now), by: by, prices: Self.prices)
    }

    /// Hours and minutes in seconds.
    func hm(_ hours: Int64, _ minutes: Int64 = 0) -> Int64 { (hours * 60 + minutes) * 60 }

    func row(_ report: Usage.Report, _ key: String) -> Usage.Row? { report.rows.first { $0.key == key } }

    @Test func eachHourIsAttributedToItsCauseAndTheTotalsAddUp() throws {
        let r = report(.cause)
        #expect(r.rows.map(\.key) == ["autoscale", "declared", "heal", "manual"])
        let declared = try #require(row(r, "declared"))
        #expect(declared.instanceSeconds == hm(680) + 9000)  // i-1, i-3 clipped to Nov 1, dev's local i-9
        #expect(declared.cost == 30_246_400)  // t3.micro 456 h, m5.large 224 h, 50 GB-months of gp3
        #expect(declared.volumeMicroGBMonths == 50_000_000)
        #expect(row(r, "autoscale")?.instanceSeconds == hm(48))
        #expect(row(r, "autoscale")?.cost == 499_200)
        #expect(row(r, "heal")?.instanceSeconds == hm(241, 45))
        #expect(row(r, "heal")?.cost == 23_208_000)
        let manual = try #require(row(r, "manual"))
        #expect(manual.instanceSeconds == hm(601, 7))  // i-2 restarted, running to the month's end; i-5
        #expect(manual.cost == nil && manual.costMicros == 6_240_000)
        #expect(r.total.instanceSeconds == r.rows.map(\.instanceSeconds).reduce(0, +))
        #expect(r.total.instanceSeconds == 5_664_120)
        #expect(r.total.costMicros == 60_193_600 && r.total.cost == nil)
        #expect(r.warnings == ["no price for instance type x9.huge in us-east-1: its hours are counted, its cost is unknown"])
    }

    @Test func groupingByUserLayerAndTypeCountsTheSameHours() {
        for by in Usage.Dimension.allCases {
            #expect(report(by).total.instanceSeconds == 5_664_120, "by \(by)")
            #expect(report(by).total.costMicros == 60_193_600, "by \(by)")
        }
        let users = report(.user)
        #expect(users.rows.map(\.key) == ["cli:alice", "cli:bob", "scheduler"])
        #expect(row(users, "cli:bob")?.instanceSeconds == hm(601, 7))
        let types = report(.instanceType)
        #expect(row(types, "t3.micro")?.instanceSeconds == hm(1104))
        #expect(row(types, "volume:gp3")?.volumeMicroGBMonths == 50_000_000)
        #expect(row(report(.layer), "dev/app")?.cost == 0)  // local hours cost nothing
        #expect(report(.cluster).rows.map(\.key) == ["dev", "shop"])
    }

    @Test func aWindowClipsIntervalsAndWhatRunsCountsUpToNow() {
        // Nov 10 00:00 .. Nov 11 00:00: i-1 and i-2 all day, i-3 to 08:00, i-4 from 08:15.
        let day = report(.cluster, since: "2026-11-10", until: "2026-11-11")
        #expect(row(day, "shop")?.instanceSeconds == hm(71, 45))
        // The same month seen on Nov 25 12:00: i-2 counts to then, not to Dec 1.
        let early = report(.cause, now: "2026-11-25T12:00")
        #expect(row(early, "manual")?.instanceSeconds == hm(469, 7))
        // Nothing before the window or after it counts.
        #expect(report(.cluster, since: "2026-10-01", until: "2026-10-31").rows.isEmpty)
    }

    @Test func aVolumeCrossingAMonthIsSplitAtItsBoundary() {
        let events = [Self.event("2026-10-16T00:00", "volume.created", "vol-9", UsageTags(region: "us-east-1", provider: "ec2", sizeGB: 31)),
                      Self.event("2026-11-16T00:00", "volume.deleted", "vol-9")]
        let r = Usage.report(events: events, since: Self.at("2026-10-01"), until: Self.at("2026-12-01"), now: Self.at("2027-01-01"),
                             by: .cluster, prices: Self.prices)
        // 16 of October's 31 days × 31 GB = 16 GB-months; 15 of November's 30 × 31 GB = 15.5.
        #expect(r.total.volumeMicroGBMonths == 31_500_000)
        #expect(r.total.cost == 2_520_000)
        #expect(Usage.Report.line(r.total).volumeGBMonths == "31.500000")
    }

    @Test func tagsRoundTripThroughADetailAndLeaveItsTextFirst() {
        let tags = UsageTags(cause: "heal", layer: "web", instanceType: "t3.micro", region: "eu-west-1", provider: "ec2", sizeGB: 8)
        let detail = tags.appended(to: "web-1 at 10.0.0.5")
        #expect(detail == "web-1 at 10.0.0.5 [usage cause=heal layer=web type=t3.micro region=eu-west-1 provider=ec2 gb=8]")
        #expect(UsageTags(detail: detail) == tags)
        #expect(UsageTags(detail: "web-1 at 10.0.0.5") == UsageTags())
        #expect(UsageTags().appended(to: "x") == "x")
        #expect(Usage.sizeFromDetail("data-web-1, 20 GB from snap-1") == 20)
    }

    @Test func thePriceFileIsReadExactlyAndABadLineIsNamed() throws {
        #expect(PriceTable.micros("0.0104") == 10_400 && PriceTable.micros("12") == 12_000_000)
        for bad in ["", "-1", "1e3", "0.1234567", ".5", "abc", "1.2.3"] { #expect(PriceTable.micros(bad) == nil, "\(bad)") }
        #expect(Self.prices.asOf == "2026-11-01")
        #expect(PriceTable.dollars(60_193_600) == "60.193600" && PriceTable.dollars(5) == "0.000005")
        let cases = [("kind,region,name,usd\ninstance,us-east-1,t3.micro,cheap", "p.csv:2: 'cheap' is not a price in USD such as 0.0104"),
                     ("# x\nregion,type,usd\n", "p.csv:2: the header must be kind,region,name,usd, got 'region,type,usd'"),
                     ("kind,region,name,usd\n\nvm,us-east-1,t3.micro,1", "p.csv:3: kind must be instance or volume, got 'vm'"),
                     ("kind,region,name,usd\ninstance,us-east-1,1", "p.csv:2: expected 4 fields (kind,region,name,usd), got 3"),
                     ("# nothing", "p.csv: no header line kind,region,name,usd")]
        for (text, message) in cases {
            #expect(throws: PriceTable.ParseError(description: message)) { try PriceTable(csv: text, name: "p.csv") }
        }
    }

    @Test func theShippedPriceFileParsesAndCoversTheCommonTypes() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Stdlib/prices/ec2-on-demand.csv")
        let table = try PriceTable.load(url)
        #expect(table.asOf == "2026-11-01")
        for region in ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"] {
            for type in ["t2.micro", "t3.xlarge", "t3a.small", "m5.large", "m6i.2xlarge", "c5.xlarge", "c6i.large", "r5.2xlarge"] {
                #expect(table.hourly(type: type, region: region) != nil, "\(type) in \(region)")
            }
            #expect(table.monthly(volume: "gp3", region: region) != nil && table.monthly(volume: "gp2", region: region) != nil)
        }
        #expect(table.hourly(type: "t3.micro", region: "us-east-1") == 10_400)
    }

    @Test func monthsAndInstantsParseInUTC() {
        #expect(Usage.month("2026-11")?.0 == Self.at("2026-11-01T00:00:00Z"))
        #expect(Usage.month("2026-02")?.1 == Self.at("2026-03-01"))
        for bad in ["2026-13", "2026-1", "26-11", "2026/11", "november"] { #expect(Usage.month(bad) == nil, "\(bad)") }
        #expect(Usage.instant("2026-11-03T10:00") == Date(timeIntervalSince1970: 1_793_700_000))
        #expect(Usage.instant("2026-11-03T10:00:00Z") == Date(timeIntervalSince1970: 1_793_700_000))
        #expect(Usage.instant("yesterday") == nil)
    }
}
