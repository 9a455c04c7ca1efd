import Hummingbird
import Store

/// Runs every request the router answers, the API's and the console's pages alike, on the
/// `BlockingCallExecutor` (the Store's calls wait on PostgreSQL there, not on the cooperative pool).
struct BlockingCallsMiddleware: RouterMiddleware {
    typealias Context = APIContext
    let executor: BlockingCallExecutor

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        try await withTaskExecutorPreference(executor) { try await next(request, context) }
    }
}
