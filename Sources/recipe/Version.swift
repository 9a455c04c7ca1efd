/// The version `recipe --version` prints: the one place it is written.
enum RecipeVersion {
    static let current = "0.11.0"
}
