import NIOPosix

/// Runs blocking work (libvips, a catalog read) on NIO's thread pool, off
/// the cooperative threads that serve requests.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(body)
}
