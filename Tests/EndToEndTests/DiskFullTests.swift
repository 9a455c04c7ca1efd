import Foundation
import Testing

/// Issue 18, points 1 and 2: agents outlive the state, and logs and snapshots keep to a budget.
/// Each test's home is a tmpfs of its own in a private mount namespace (`Harness(disk:)`), so it
/// can be filled or made immutable without touching the machine's mounts; the agents, HAProxy
/// and every service live in that namespace.
@Suite(.serialized) struct DiskFullTests {
    /// When each instance last heartbeat, by name.
    static func beats(_ h: Harness, _ cluster: String) -> [String: Date] {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let instances = (try? h.status(cluster).instances) ?? []
        return Dictionary(uniqueKeysWithValues: instances.compactMap { i in i.last_heartbeat.flatMap(iso.date).map { (i.name, $0) } })
    }

    /// Seconds until every instance of `names` heartbeat after `since`; nil past `timeout`.
    static func heartbeatsBack(_ h: Harness, _ cluster: String, _ names: [String], since: Date, timeout: Double = 10) -> Double? {
        Harness.eventually(timeout: timeout) {
            let beats = beats(h, cluster)
            return names.allSatisfy { beats[$0].map { $0 > since } ?? false }
        }
    }

    func log(_ h: Harness, _ instance: StatusDocument.Instance, _ name: String) -> String {
        let url = h.inside(h.home.appendingPathComponent("local/instances/\(instance.id)/var/log/\(name)"))
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    @Test func point1_aFullHomeForThirtySecondsUnderLoadFailsNoRequestAndEveryAgentLives() throws {
        let h = try Harness(disk: "96m")
        defer { h.cleanup() }
        let run = try h.recipe(["run", "Examples/webapp/cluster.lua"])
        #expect(run.code == 0, "\(run.stdout)\(run.stderr)")
        let instances = try h.status("shop").instances
        let lb = try #require(instances.first { $0.name == "lb-1" })
        #expect(Harness.eventually(timeout: 10) { Harness.get("http://\(lb.private_ip):8080/") != nil } != nil)
        let agents = instances.map { ($0.name, $0.agent_pid ?? 0) }

        let load = LoadGenerator(url: "http://\(lb.private_ip):8080/", perSecond: 50)
        // the WAL emptied first, as a TRUNCATE checkpoint leaves it: the agents' next commits need
        // new space (a WAL with room left in it takes their heartbeats a while even on a full disk)
        let state = h.home.appendingPathComponent("state.db").path
        #expect(try h.sh("python3 -c \"import sqlite3; print(sqlite3.connect('\(state)', timeout=10).execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone())\" | grep -q '^(0, 0, 0)'") == 0)
        // dd stops at ENOSPC: nothing is left on the home's disk
        try h.sh("dd if=/dev/zero of='\(h.home.path)/fill' bs=1M 2>/dev/null")
        let full = try h.recipe(["status"])
        #expect(full.stdout.contains("home \(h.home.path): 100% full"), "status says the home is full: \(full.stdout)\(full.stderr)")
        var dead: Set<String> = []
        let filled = Date()
        while Date().timeIntervalSince(filled) < 30 {
            for (name, pid) in agents where !Harness.isAlive(pid) { dead.insert(name) }
            usleep(250_000)
        }
        #expect(dead.isEmpty, "every agent lives through 30 s of a full disk; gone: \(dead.sorted())")

        try h.sh("rm -f '\(h.home.path)/fill'")
        let freed = Date()
        let back = Self.heartbeatsBack(h, "shop", instances.map(\.name), since: freed)
        for instance in instances {
            // the agent's log is on the full disk too: its lines wait and are written once there is room
            let text = log(h, instance, "agent.log")
            #expect(text.contains("cannot write the state (database or disk is full") && text.contains("the state takes writes again"),
                    "\(instance.name) met the full disk and said so: \(text)")
        }
        #expect(back != nil && back! <= 3, "heartbeats back within 3 s of the space freed (took \(back.map { String(format: "%.1f s", $0) } ?? "over 10 s"))")
        let result = load.stop()
        #expect(result.failures.isEmpty, "\(result.failures.count) of \(result.sent) requests failed: \(Set(result.failures))")
        // one request at a time: on a loaded machine slow answers lower the rate below 50/s
        #expect(result.sent >= 1_000, "the load ran: \(result.sent) requests")
        print("disk full 30 s: \(result.sent) requests, \(result.failures.count) failed; heartbeats back \(back.map { String(format: "%.2f", $0) } ?? "-") s after freeing")
        #expect(try h.status("shop").instances.allSatisfy { $0.health == "healthy" })
        let late = try h.recipe(["events", "--cluster", "shop", "--kind", "agent.state_unwritable"]).stdout
        #expect(late.contains("could not write the state for"), "each agent records the outage once it can: \(late)")
        #expect(!(try h.recipe(["status"]).stdout.contains("% full")), "no warning once there is room")
    }

    @Test func point1_underServeAFullDiskIsNotTakenForDeadAgentsNothingIsHealed() throws {
        let h = try Harness(disk: "96m")
        defer { h.cleanup() }
        let run = try h.recipe(["run", "Examples/webapp/cluster.lua", "web=2"])
        #expect(run.code == 0, "\(run.stdout)\(run.stderr)")
        let serve = try h.serve(["Examples/webapp/cluster.lua"])
        let instances = try h.status("shop").instances
        let state = h.home.appendingPathComponent("state.db").path
        #expect(try h.sh("python3 -c \"import sqlite3; sqlite3.connect('\(state)', timeout=10).execute('PRAGMA wal_checkpoint(TRUNCATE)')\"") == 0)
        try h.sh("dd if=/dev/zero of='\(h.home.path)/fill' bs=1M 2>/dev/null")
        sleep(8)  // well past the 3 s of silence heal waits for
        try h.sh("rm -f '\(h.home.path)/fill'")
        let back = Self.heartbeatsBack(h, "shop", instances.map(\.name), since: Date())
        #expect(back != nil && back! <= 3, "heartbeats back within 3 s (took \(back.map { String(format: "%.1f s", $0) } ?? "over 10 s"))")
        sleep(4)
        let now = try h.status("shop").instances
        #expect(Set(now.map(\.id)) == Set(instances.map(\.id)), "no instance was replaced: \(now.map(\.name))")
        for instance in instances { #expect(Harness.isAlive(instance.agent_pid ?? 0), "\(instance.name)'s agent lives") }
        let failed = try h.recipe(["events", "--cluster", "shop", "--kind", "instance.failed"]).stdout
        #expect(!failed.contains("instance.failed"), "a full disk is not a lost instance: \(failed)")
        #expect(serve.isRunning, "recipe serve lives through the full disk: \((try? String(contentsOf: h.home.deletingLastPathComponent().appendingPathComponent("serve.log"), encoding: .utf8)) ?? "")")
        h.stop(serve)
    }

    /// Another process holds the state's write lock for 8 s under `recipe serve`: no agent can
    /// report, and that is the state's outage, not lost instances.
    @Test func point1_underServeAHeldLockIsNotTakenForDeadAgents() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let recipe = try h.write("frozen.lua", Self.twoFileServers)
        #expect(try h.recipe(["run", recipe]).code == 0)
        let serve = try h.serve([recipe])
        let instances = try h.status("frozen").instances
        let state = h.home.appendingPathComponent("state.db").path
        let held = try h.background(["python3", "-c", "import sqlite3, time; c = sqlite3.connect('\(state)', isolation_level=None); c.execute('BEGIN IMMEDIATE'); open('\(state).held', 'w').close(); time.sleep(8)"])
        #expect(Harness.eventually(timeout: 5) { FileManager.default.fileExists(atPath: state + ".held") } != nil)
        held.waitUntilExit()
        let back = Self.heartbeatsBack(h, "frozen", instances.map(\.name), since: Date())
        #expect(back != nil && back! <= 3, "heartbeats back within 3 s (took \(back.map { String(format: "%.1f s", $0) } ?? "over 10 s"))")
        sleep(4)
        let failed = try h.recipe(["events", "--cluster", "frozen", "--kind", "instance.failed"]).stdout
        #expect(!failed.contains("instance.failed"), "a held lock is not a lost instance: \(failed)")
        #expect(serve.isRunning)
        h.stop(serve)
    }

    /// Kills the first service of `agent` and answers whether it is back (a new process that answers `url`) within 8 s.
    func killedServiceComesBack(_ agent: pid_t, url: String) -> Bool {
        guard let service = WebappTests.children(of: agent).first else { return false }
        kill(service, SIGKILL)
        return Harness.eventually(timeout: 8) {
            let now = WebappTests.children(of: agent)
            return !now.isEmpty && !now.contains(service) && Harness.get(url) != nil
        } != nil
    }

    static let twoFileServers = """
        cluster "frozen" {
          layers = { web = { count = 2, services = { files = { command = "python3 -m http.server --bind $ADDRESS 9200", port = 9200 } } } },
        }
        """

    @Test func point1_anImmutableOrLockedStateStopsNoAgentAndEachReportsAgainOnceItIsWritable() throws {
        let h = try Harness(disk: "64m")
        defer { h.cleanup() }
        let run = try h.recipe(["run", try h.write("frozen.lua", Self.twoFileServers)])
        #expect(run.code == 0, "\(run.stdout)\(run.stderr)")
        let instances = try h.status("frozen").instances
        let web1 = try #require(instances.first { $0.name == "web-1" })
        let agent = try #require(web1.agent_pid)
        let url = "http://\(web1.private_ip):9200/"
        #expect(Harness.eventually(timeout: 10) { Harness.get(url) != nil } != nil)

        // immutable (chattr +i works on tmpfs): not even root may open these for writing now. The
        // agents' connections were opened before and the kernel lets them write on; a command
        // that opens the state meanwhile must fail cleanly, not crash
        #expect(try h.sh("cd '\(h.home.path)' && chattr +i state.db state.db-wal state.db-shm") == 0)
        #expect(killedServiceComesBack(agent, url: url), "the agent still supervises: the killed service is back")
        let status = try h.recipe(["status"])
        #expect(!status.signalled, "status on an immutable state ends by itself: \(status.stderr)")
        sleep(2)
        for instance in instances {
            #expect(Harness.isAlive(instance.agent_pid ?? 0), "\(instance.name)'s agent lives (no SQLite I/O error, no Bus error ends it)")
        }
        #expect(try h.sh("cd '\(h.home.path)' && chattr -i state.db state.db-wal state.db-shm") == 0)
        let writable = Date()
        let back = Self.heartbeatsBack(h, "frozen", instances.map(\.name), since: writable)
        #expect(back != nil && back! <= 3, "heartbeats fresh within 3 s of chattr -i (took \(back.map { String(format: "%.1f s", $0) } ?? "over 10 s"))")

        // locked: another process holds the write lock for 8 s, so every agent write fails (busy)
        let lock = h.home.appendingPathComponent("state.db").path
        let held = try h.background(["python3", "-c", "import sqlite3, time; c = sqlite3.connect('\(lock)', isolation_level=None); c.execute('BEGIN IMMEDIATE'); open('\(lock).held', 'w').close(); time.sleep(8)"])
        #expect(Harness.eventually(timeout: 5) { FileManager.default.fileExists(atPath: h.inside(URL(fileURLWithPath: lock + ".held")).path) } != nil)
        #expect(killedServiceComesBack(agent, url: url), "the agent supervises while the state is locked")
        held.waitUntilExit()
        let unlocked = Date()
        for instance in instances {
            #expect(Harness.isAlive(instance.agent_pid ?? 0), "\(instance.name)'s agent lives through the lock")
            #expect(log(h, instance, "agent.log").contains("cannot write the state (database is locked"), "\(instance.name) met the lock and said so: \(log(h, instance, "agent.log"))")
        }
        let again = Self.heartbeatsBack(h, "frozen", instances.map(\.name), since: unlocked)
        #expect(again != nil && again! <= 3, "heartbeats back within 3 s of the lock's release (took \(again.map { String(format: "%.1f s", $0) } ?? "over 10 s"))")
        print("immutable state: heartbeats fresh \(back.map { String(format: "%.2f", $0) } ?? "-") s after chattr -i; locked 8 s: back \(again.map { String(format: "%.2f", $0) } ?? "-") s after release")
        let exited = try h.recipe(["events", "--cluster", "frozen", "--kind", "service.exited"]).stdout
        #expect(exited.split(separator: "\n").filter { $0.contains("web-1/files") && $0.contains("killed by signal 9") }.count == 2,
                "both exits it saw are recorded, the one under the lock late: \(exited)")
        #expect(try h.recipe(["events", "--cluster", "frozen", "--kind", "agent.state_unwritable"]).stdout.contains("could not write the state for"))
    }

    @Test func point1_aDamagedStateStopsNoAgentAndTheirReportsResumeOnceItIsRepaired() throws {
        let h = try Harness()
        defer { h.cleanup() }
        let run = try h.recipe(["run", try h.write("frozen.lua", Self.twoFileServers)])
        #expect(run.code == 0, "\(run.stdout)\(run.stderr)")
        let instances = try h.status("frozen").instances
        let web1 = try #require(instances.first { $0.name == "web-1" })
        let url = "http://\(web1.private_ip):9200/"
        #expect(Harness.eventually(timeout: 10) { Harness.get(url) != nil } != nil)

        // its header overwritten: no connection can read it (`file is not a database`)
        let state = h.home.appendingPathComponent("state.db")
        let header = try FileHandle(forReadingFrom: state).read(upToCount: 100) ?? Data()
        func overwrite(_ bytes: Data) throws {
            let handle = try FileHandle(forWritingTo: state)
            try handle.write(contentsOf: bytes)
            try handle.close()
        }
        try overwrite(Data(repeating: 0x58, count: 100))
        #expect(killedServiceComesBack(try #require(web1.agent_pid), url: url), "the agent supervises on a damaged state")
        sleep(2)
        for instance in instances {
            #expect(Harness.isAlive(instance.agent_pid ?? 0), "\(instance.name)'s agent lives on a damaged state")
        }
        // (a running agent's connection reads the header from its WAL, so it may not even notice;
        // a new command does, and refuses the file)
        #expect(try h.recipe(["status"]).stderr.contains("is not a state this tool can read"))

        try overwrite(header)
        let repaired = Date()
        let back = Self.heartbeatsBack(h, "frozen", instances.map(\.name), since: repaired)
        #expect(back != nil && back! <= 3, "every agent reports again within 3 s of the repair (took \(back.map { String(format: "%.1f s", $0) } ?? "over 10 s"))")
        print("damaged then repaired state: heartbeats back \(back.map { String(format: "%.2f", $0) } ?? "-") s after the repair")
        #expect(try h.recipe(["state", "check"]).stdout.contains("state.db: ok"))
    }

    @Test func point2_aChattyServiceCannotFillTheDiskItsLogIsCutWithAMarker() throws {
        let h = try Harness(disk: "64m")
        defer { h.cleanup() }
        // about 4 MB a second: 12 s of it would take most of the disk
        let recipe = try h.write("chatty.lua", """
            cluster "chatty" {
              layers = { web = { count = 1, services = { talker = { command = "while :; do head -c 200000 /dev/zero | tr '\\\\0' x; echo; sleep 0.05; done" } } } },
            }
            """)
        let run = try h.recipe(["run", recipe], environment: ["RECIPE_LOG_MAX": "1m"])
        #expect(run.code == 0, "\(run.stdout)\(run.stderr)")
        let web = try #require(try h.status("chatty").instances.first)
        sleep(12)
        let folder = h.inside(h.home.appendingPathComponent("local/instances/\(web.id)/var/log"))
        func size(_ name: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path))?[.size] as? Int) ?? -1 }
        let current = size("talker.log"), older = size("talker.log.1")
        #expect(current >= 0 && current < 3 << 20, "the log stays near its 1 MB bound (checked 4 times a second): \(current) bytes")
        #expect(older > 1 << 20 && older < 3 << 20, "the part before is kept once: \(older) bytes")
        // the cut empties the file, then writes the marker: a look between the two, or a line the
        // service wrote in between, shows no marker at the head, so it is looked at again
        let marker = "recipe-agent: talker.log passed 1 MB; the part before is in talker.log.1"
        var head = ""
        let marked = Harness.eventually(timeout: 3) {
            let handle = try? FileHandle(forReadingFrom: folder.appendingPathComponent("talker.log"))
            defer { try? handle?.close() }
            head = String(decoding: handle?.readData(ofLength: 300) ?? Data(), as: UTF8.self)
            return head.contains(marker)
        }
        #expect(marked != nil, "no marker at the head of the log: \(head.prefix(120))")
        let status = try h.recipe(["status", "--json"]).stdout
        struct Home: Decodable { var home: Disk; struct Disk: Decodable { var used_percent: Double; var near_full: Bool } }
        let disk = try JSONDecoder().decode(Home.self, from: Data(status.utf8)).home
        #expect(disk.used_percent < 40 && !disk.near_full, "the disk did not fill: \(disk.used_percent)% used")
        print("chatty service, 12 s at about 4 MB/s, RECIPE_LOG_MAX=1m: talker.log \(current) bytes, talker.log.1 \(older) bytes, home \(disk.used_percent)% used")
        #expect(Harness.isAlive(web.agent_pid ?? 0))
    }

    @Test func point2_aSnapshotWithoutRoomIsRefusedOneThatFailsIsRemovedAndTheOthersStayAsTheyWere() throws {
        let h = try Harness(disk: "64m")
        defer { h.cleanup() }
        let cluster = try h.write("snaps.lua", """
            cluster "snaps" { layers = { db = { count = 1, volumes = { data = { size_gb = 1, mount = "/srv/data" } } } } }
            """)
        #expect(try h.recipe(["run", cluster]).code == 0)
        let db = try #require(try h.status("snaps").instances.first)
        // 4 MB that do not compress
        #expect(try h.sh("head -c 4000000 /dev/urandom > '\(h.home.path)/local/instances/\(db.id)/srv/data/blob'") == 0)
        let snap = try h.write("snap.lua", "volume.list{ cluster = \"snaps\" }[1]:snapshot()\n")
        let first = try h.recipe(["run", snap])
        #expect(first.code == 0, "\(first.stderr)")
        let folder = h.inside(h.home.appendingPathComponent("local/snapshots"))
        let before = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(before.count == 1, "\(before)")

        // a file that keeps growing while tar reads it makes the snapshot fail midway: nothing of it stays
        let grow = "\(h.home.path)/local/instances/\(db.id)/srv/data/grow"
        let writer = try h.background(["sh", "-c", "while :; do head -c 4096 /dev/urandom >> '\(grow)'; done"])
        usleep(300_000)
        let failed = try h.recipe(["run", snap])
        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
        try h.sh("rm -f '\(grow)'")
        #expect(failed.code != 0 && failed.stderr.contains("failed and was removed"), "\(failed.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == before, "no partial archive of the failed one")

        // leave about 5 MB: less than the volume's 4 MB and the 8 MB reserve, and under 10 % of the disk
        #expect(try h.sh("fallocate -l $(( $(df --output=avail -B1 '\(h.home.path)' | tail -1) - 5000000 )) '\(h.home.path)/fill'") == 0)
        let refused = try h.recipe(["run", snap])
        #expect(refused.code != 0 && refused.stderr.contains("refused") && refused.stderr.contains("nothing was written"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == before, "no partial archive, the first one untouched")
        let listed = try h.recipe(["snapshots", "snaps"]).stdout
        #expect(listed.split(separator: "\n").filter { $0.contains("snap-") }.count == 1, "\(listed)")
        let status = try h.recipe(["status"]).stdout
        #expect(status.contains("home \(h.home.path): ") && status.contains("% full ("), "status warns of the near-full home: \(status)")

        // a copy of the state has the same care
        try h.sh("dd if=/dev/zero of='\(h.home.path)/fill2' bs=1M 2>/dev/null")
        let copy = try h.recipe(["state", "backup"])
        #expect(copy.code == 1 && copy.stderr.contains("nothing was written"), "\(copy.stderr)")
        let backups = h.inside(h.home.appendingPathComponent("backups")).path
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: backups)) ?? []).isEmpty, "no partial copy")

        // an instance root that is a mount of its own is reported apart
        let root = h.home.appendingPathComponent("local/instances/\(db.id)").path
        #expect(try h.sh("rm -f '\(h.home.path)/fill' '\(h.home.path)/fill2' && mount -t tmpfs -o size=1m recipe-e2e-root '\(root)' && fallocate -l 1m '\(root)/fill'") == 0)
        defer { _ = try? h.sh("umount '\(root)'") }
        let own = try h.recipe(["status"]).stdout
        #expect(own.contains("  disk of db-1 \(root): 100% full (0 KB free)") && !own.contains("home \(h.home.path)"), "\(own)")
    }
}
