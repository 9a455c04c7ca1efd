import Store
import Testing

/// The one rule for event kinds, shared by emit, recipe emit and on().
@Suite struct EventKindsTests {
    @Test(arguments: ["app.ready", "backup.done", "deploy.finished", "my-app.cache_warm.done", "instance.failed"])
    func dottedKindsOfOwnFamiliesOrCataloguedOnesAreAccepted(kind: String) {
        #expect(EventKinds.problem(with: kind) == nil)
    }

    @Test(arguments: ["ready", "app..ready", ".ready", "app.", "App.Ready", "app.re ady"])
    func malformedKindsAreRefusedWithTheRule(kind: String) {
        #expect(EventKinds.problem(with: kind)?.contains("dotted event kind") == true)
    }

    @Test func aTypoInABuiltInFamilyNamesTheKnownKinds() throws {
        let problem = try #require(EventKinds.problem(with: "instance.faild"))
        #expect(problem.contains("instance.failed") && problem.contains("instance.launched"))
    }

    @Test func familiesAreSubscribedToWithAStar() {
        #expect(EventKinds.problem(withPattern: "deploy.*") == nil)
        #expect(EventKinds.problem(withPattern: "*.failed") != nil)
        #expect(EventKinds.problem(withPattern: "deploy.fail") != nil)
    }
}
