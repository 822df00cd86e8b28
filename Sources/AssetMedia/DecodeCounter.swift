import Synchronization

/// Counts the file decodes (`Image.decode`) made while it is the task's
/// `current`: how a test proves that a path decodes once. Task-local, so
/// tests running side by side do not count each other's decodes.
public final class DecodeCounter: Sendable {
    @TaskLocal public static var current: DecodeCounter?

    private let decodes = Atomic<Int>(0)

    public init() {}

    public var count: Int { decodes.load(ordering: .relaxed) }

    func add() {
        decodes.add(1, ordering: .relaxed)
    }
}
