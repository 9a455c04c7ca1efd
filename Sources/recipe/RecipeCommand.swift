import ArgumentParser

struct RecipeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recipe",
        abstract: "A cluster manager you script in Lua.",
        version: RecipeVersion.current,
        subcommands: [RunCommand.self, PlanCommand.self, DeployCommand.self, RollbackCommand.self, ReleasesCommand.self, UndeployCommand.self, ScaleCommand.self, StatusCommand.self, ServeCommand.self, EmitCommand.self, MetricsCommand.self, EventsCommand.self, LogsCommand.self, UsageCommand.self, VolumesCommand.self, SnapshotsCommand.self, VolumeCommand.self, SnapshotCommand.self, DestroyCommand.self, SecretCommand.self, UserCommand.self, GrantCommand.self, TokenCommand.self, LoginCommand.self, LogoutCommand.self, StateCommand.self, AgentsCommand.self, AgentCommand.self, RegisterCommand.self, CookbookCommand.self])
}

/// Options every command shares.
struct HomeOptions: ParsableArguments {
    @Option(name: .long, help: "State folder (default: $RECIPE_HOME, else ~/.recipe).")
    var home: String?

    @Option(name: .long, help: "A PostgreSQL several controllers share, as postgres://USER@HOST:PORT/DATABASE (default: $RECIPE_DATABASE_URL, else the home's SQLite file).")
    var database: String?
}
