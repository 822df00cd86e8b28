import Foundation

/// The S3 server of the test run: SeaweedFS started by scripts/test-s3
/// (`make test` starts one for the whole suite and names it in
/// `ASSETPIPE_TEST_S3_URL`, with the access key below).
public enum TestS3 {
    public static let url: String? = ProcessInfo.processInfo.environment["ASSETPIPE_TEST_S3_URL"].flatMap { $0.isEmpty ? nil : $0 }
    public static let accessKey = "assetpipe-test"
    public static let secretKey = "assetpipe-test-secret"

    /// A bucket name of its own for each test: lowercase, unique.
    public static func bucketName(_ label: String) -> String {
        "\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    }
}

/// scripts/s3-fault-proxy in front of the test S3 server: forwards requests
/// or misbehaves as armed (`slowdown`, `error`, `fail_parts`, `cut_part`).
/// Stopped when the value is released.
public final class S3FaultProxy: @unchecked Sendable {
    public var port: Int { script.port }
    private let script: PortPrintingScript

    public init(upstream: String) throws {
        // Quiet: a connection it cuts on purpose ends its handler with a traceback.
        script = try PortPrintingScript("s3-fault-proxy", [upstream], quiet: true)
    }

    deinit {
        script.stop()
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    /// Arms faults for the requests to come.
    public func arm(_ faults: [String: Any]) throws {
        let result = try Command.run("curl", ["-sf", "-X", "POST", "--data-binary", String(decoding: try JSONSerialization.data(withJSONObject: faults), as: UTF8.self),
                                              url + "/__faults"])
        guard result.status == 0 else { throw TestFailure("cannot arm the fault proxy: \(result.summary)") }
    }

    /// The requests it saw: method, path, query, status (a number, or "cut").
    public func requests() throws -> [[String: Any]] {
        let result = try Command.run("curl", ["-sf", url + "/__log"])
        guard result.status == 0 else { throw TestFailure("cannot read the fault proxy's log: \(result.summary)") }
        return try result.output.split(separator: "\n").map { line in
            guard let entry = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestFailure("a log line of the fault proxy is no object")
            }
            return entry
        }
    }
}
