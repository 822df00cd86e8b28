import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output streams, and whether a person is watching them.
enum Terminal {
    struct Stream: Sendable {
        let handle: FileHandle
        let descriptor: Int32

        func write(_ text: String) {
            handle.write(Data(text.utf8))
        }

        var isInteractive: Bool { isatty(descriptor) == 1 }
    }

    static let standardOutput = Stream(handle: .standardOutput, descriptor: STDOUT_FILENO)
    static let standardError = Stream(handle: .standardError, descriptor: STDERR_FILENO)
}
