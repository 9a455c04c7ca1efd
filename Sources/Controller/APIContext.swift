import Hummingbird

/// The request context of every route: Hummingbird's core, and room for recipes' uploads.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// A recipe uploaded to plan or run may be large; nothing else comes near this.
    public var maxUploadSize: Int { 4 << 20 }
}
