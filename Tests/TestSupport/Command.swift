import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished child process left behind.
public struct CommandResult: Sendable {
    /// Exit status, or the signal number when `killedBySignal`.
    public let status: Int32
    public let killedBySignal: Bool
    /// True when the process ran past its time limit and was killed.
    public let timedOut: Bool
    public let stdout: Data
    public let stderrData: Data

    public var output: String { String(decoding: stdout, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrData, as: UTF8.self) }

    /// One line for failure messages.
    public var summary: String {
        "status \(status)\(killedBySignal ? " (signal)" : "")\(timedOut ? " TIMED OUT" : ""); stderr: \(stderr.prefix(2000))"
    }
}

/// Runs outside programs (the built binary and the oracles) and captures what they print.
public enum Command {
    public typealias Result = CommandResult

    /// Runs `executable` (an absolute path, or a name looked up on PATH) with
    /// `arguments`, stdin from /dev/null, and waits at most `timeout` seconds;
    /// a process still running then is killed and reported as `timedOut`.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                    timeout: Double = 60) throws -> CommandResult {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()

        // Drain both pipes on their own threads, so a chatty child never blocks on a full pipe.
        let stdout = Drain(out.fileHandleForReading)
        let stderr = Drain(err.fileHandleForReading)

        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
        }
        return CommandResult(
            status: process.terminationStatus,
            killedBySignal: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut,
            stdout: stdout.result(),
            stderrData: stderr.result())
    }
}

/// Reads a file handle to its end on a thread of its own.
private final class Drain: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            let bytes = handle.readDataToEndOfFile()
            lock.lock(); data = bytes; lock.unlock()
            done.signal()
        }
        thread.start()
    }

    func result() -> Data {
        done.wait()
        lock.lock(); defer { lock.unlock() }
        return data
    }
}

/// A helper script run for the length of a test (scripts/test-analyzer,
/// scripts/s3-fault-proxy): it prints its port on its first line and exits
/// when its stdin closes, which `stop()` does (and the test process's death).
public final class PortPrintingScript: @unchecked Sendable {
    public let port: Int
    private let process: Process
    private let input = Pipe()

    public init(_ script: String, _ arguments: [String], quiet: Bool = false) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Package.root + "/scripts/" + script] + arguments
        let out = Pipe()
        process.standardOutput = out
        if quiet { process.standardError = FileHandle.nullDevice }
        process.standardInput = input
        try process.run()
        // Byte by byte, so nothing after the port is lost.
        var line: [UInt8] = []
        while let byte = try out.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            try? input.fileHandleForWriting.close()
            throw TestFailure("scripts/\(script) printed no port (is python3 installed?)")
        }
        self.port = port
    }

    public func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
