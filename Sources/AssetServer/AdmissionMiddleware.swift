import Hummingbird

/// Applies `AccessControl.admit` (allowed hosts, cross-origin writes) to
/// every request before its route, so no route can forget it.
struct AdmissionMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: AccessControl

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            try access.admit(request)
        } catch {
            return error.response
        }
        return try await next(request, context)
    }
}
