import Foundation
import Testing

/// The agent's supervision: crashed services come back, metrics reach the Store.
@Suite struct ServiceTests {
    @Test func crashedServiceIsRestartedAndRecorded() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua", "web=1"]).code == 0)
        let web = try #require(try h.status("shop").instances.first { $0.name == "web-1" })
        #expect(Harness.eventually(timeout: 5) { Harness.get("http://\(web.private_ip):8000/health") != nil } != nil)
        let agent = try #require(web.agent_pid)
        let app = try #require(WebappTests.children(of: agent).first)

        kill(app, SIGKILL)
        let back = Harness.eventually(timeout: 5) {
            let now = WebappTests.children(of: agent)
            return !now.isEmpty && !now.contains(app) && Harness.get("http://\(web.private_ip):8000/health") == "ok\n"
        }
        #expect(back != nil, "the app was not restarted")
        let events = try h.recipe(["events", "--cluster", "shop", "--kind", "service.exited"]).stdout
        #expect(events.contains("web-1/app-shop") && events.contains("killed by signal 9"), "\(events)")
    }

    @Test func agentsReportMemoryAndCPU() throws {
        let h = try Harness()
        defer { h.cleanup() }
        #expect(try h.recipe(["run", "Examples/webapp/cluster.lua", "web=1"]).code == 0)
        let sampled = try Harness.eventually(timeout: 4) {
            let output = try h.recipe(["status", "shop", "--json"]).stdout
            return output.contains("\"memory_bytes\" : ") && !output.contains("\"memory_bytes\" : null")
                && output.contains("\"cpu_percent\" : ")
        }
        #expect(sampled != nil)
        let raw = try h.recipe(["status", "shop", "--json"]).stdout
        #expect(raw.contains("\"public_ip\" : null"), "absent values are written as null")
    }
}
