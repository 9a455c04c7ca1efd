// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ClusterRecipes",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "recipe", targets: ["recipe"]),
        .executable(name: "recipe-agent", targets: ["recipe-agent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
    ],
    targets: [
        // Lua 5.4 from Debian's liblua5.4-dev.
        .systemLibrary(name: "CLua", pkgConfig: "lua5.4", providers: [.apt(["liblua5.4-dev"])]),
        // C trampolines: the only place a Lua error is raised or a coroutine yields.
        .target(name: "CLuaShim", dependencies: ["CLua"]),
        // fork/exec with process groups and parent-death signals, signal waiting.
        .target(name: "CProcess"),
        // libcurl for the remote agent's link to its controller (HTTP and HTTPS, Debian's libcurl4),
        // opened with dlopen when that link starts: local agents never map it.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "LuaKit", dependencies: ["CLua", "CLuaShim"]),
        // What providers and the engine share: running tools, digests, process liveness, the lock box.
        .target(name: "Toolkit", dependencies: ["CProcess", .product(name: "Crypto", package: "swift-crypto")]),
        // The provider-neutral model, the CloudProvider protocol and the ProviderRegistry.
        .target(name: "Cloud", dependencies: ["Toolkit"]),
        .target(name: "Store", dependencies: ["Cloud", .product(name: "GRDB", package: "GRDB.swift")]),
        // The embedded provider; it owns its inventory tables in the home's database.
        .target(name: "LocalCloud", dependencies: ["Cloud", "Store", .product(name: "GRDB", package: "GRDB.swift")]),
        // In memory, with an injected clock and faults: the fast test tier and what-if runs.
        .target(name: "MemoryCloud", dependencies: ["Cloud", "Store"]),
        .target(name: "Agent", dependencies: ["Store", "LocalCloud", "CCurl"]),
        .target(name: "EC2", dependencies: ["Cloud", "Store", .product(name: "Crypto", package: "swift-crypto")]),
        // Machines you already have, over the system's OpenSSH client.
        .target(name: "Hosts", dependencies: ["Cloud", "Store"]),
        // Providers are plugged in by the executable (ProviderRegistry): the engine names none.
        .target(name: "Engine", dependencies: ["Cloud", "Store"]),
        // Shared cookbooks: versions, sources, the lock file and its digests (issue 17).
        .target(name: "Cookbooks", dependencies: ["LuaKit", "Toolkit"]),
        .target(name: "RecipeRuntime", dependencies: ["LuaKit", "Engine", "Cloud", "Store", "Cookbooks"]),
        // recipe serve: hooks on events, timers and metric thresholds, durable in the Store.
        .target(name: "Scheduler", dependencies: ["RecipeRuntime", "Engine", "LuaKit", "Cloud", "Store"]),
        // recipe serve's HTTP face: the API under /api/v1, every route through Access.decide.
        .target(name: "Controller", dependencies: [
            "RecipeRuntime", "Engine", "Store", "Cloud", "LuaKit",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Mustache", package: "swift-mustache"),
        ], resources: [
            .embedInCode("openapi.json"),
            // the console's templates and stylesheet, served by the controller itself
            .embedInCode("Console/Templates/layout.mustache"), .embedInCode("Console/Templates/signin.mustache"),
            .embedInCode("Console/Templates/clusters.mustache"), .embedInCode("Console/Templates/cluster.mustache"),
            .embedInCode("Console/Templates/problem.mustache"), .embedInCode("Console/Templates/events.mustache"),
            .embedInCode("Console/Templates/clusternav.mustache"), .embedInCode("Console/Templates/deploys.mustache"),
            .embedInCode("Console/Templates/graphs.mustache"), .embedInCode("Console/Templates/usage.mustache"),
            .embedInCode("Console/Templates/users.mustache"), .embedInCode("Console/Templates/plan.mustache"),
            .embedInCode("Console/console.css"), .embedInCode("Console/console.js"),
        ]),
        .executableTarget(name: "recipe", dependencies: [
            "RecipeRuntime", "Scheduler", "Controller", "Engine", "Agent", "Store", "LocalCloud", "EC2", "Hosts", "MemoryCloud", "CProcess", "Cookbooks", "PostgresState",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "recipe-agent", dependencies: ["Agent"]),
        // The shared state of several controllers on PostgreSQL (issue 16): who leads, and the
        // Store's tables on the engine-neutral seam (StateDatabase).
        .target(name: "PostgresState", dependencies: [
            "Store",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "bridge-bench", dependencies: ["LuaKit"], path: "Benchmarks/BridgeBench"),
        // What a synchronous Store call costs on PostgreSQL (issue 16), beside SQLite, and the
        // scheduler's Store calls on both engines.
        .executableTarget(name: "postgres-bench", dependencies: [
            "PostgresState", "Store", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
        ], path: "Benchmarks/PostgresBench"),
        .testTarget(name: "LuaKitTests", dependencies: ["LuaKit"]),
        .testTarget(name: "CookbookVersionTests", dependencies: ["Cookbooks"]),
        // Real servers for tests: moto_server (EC2-compatible) and a throttling proxy in front of it.
        .target(name: "TestSupport", dependencies: ["EC2", "Cloud"], path: "Tests/Support", exclude: ["throttle_proxy.py", "moto_machines.py"]),
        .testTarget(name: "EC2Tests", dependencies: ["EC2", "Cloud", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "Cloud", "LocalCloud", "Agent", "PostgresState", "TestSupport"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine"]),
        // The fast tier: planner, apply, primitives, Lua bindings and scheduler pieces on the memory provider.
        .testTarget(name: "InProcessTests", dependencies: [
            "Engine", "MemoryCloud", "RecipeRuntime", "Scheduler", "Store", "Cloud", "LuaKit", "Controller",
        ]),
        // Against a real PostgreSQL the test starts (Tests/Support/PostgresServer).
        .testTarget(name: "PostgresTests", dependencies: ["PostgresState", "Store", "LocalCloud", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Store", "EC2", "Hosts", "LocalCloud", "TestSupport", "PostgresState"]),
    ]
)
