import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--store s3://…`: renditions written to a bucket by `process` and by
/// workers, read back by `serve`, removed with their asset; a job whose
/// writes fail halfway retries and leaves no object the catalog does not
/// name. botocore says what the bucket holds, vipsheader what the files are.
@Suite(.enabled(if: TestS3.url != nil, "set ASSETPIPE_TEST_S3_URL (make test starts SeaweedFS)"))
struct S3StoreTests {
    static func environment(endpoint: String? = nil) -> [String: String] {
        S3UploadTests.s3Environment.merging(["AWS_ENDPOINT_URL": endpoint ?? TestS3.url ?? ""]) { $1 }
    }

    static func assetpipe(_ arguments: [String], endpoint: String? = nil) throws -> CommandResult {
        try Command.run("/usr/bin/env", environment(endpoint: endpoint).map { "\($0.key)=\($0.value)" } + [AssetPipe.binary] + arguments,
                        timeout: 300)
    }

    /// The record's rendition paths, as keys under `prefix`.
    static func keys(of record: Record, prefix: String) -> Set<String> {
        Set(((record["renditions"] as? [[String: Any]]) ?? []).compactMap { ($0["path"] as? String).map { prefix + $0 } })
    }

    @Test func renditionsLiveInTheBucketAndServeReadsThem() throws {
        let bucket = TestS3.bucketName("store")
        _ = try BackupTests.bucket("create", bucket)
        let data = try Package.temporaryDirectory("s3-store")
        let store = "s3://\(bucket)/r"
        let photo = Package.sample("photos/camera-gps-north.jpg")
        let processed = try Self.assetpipe(["process", "--data", data, "--store", store, "--json", photo])
        #expect(processed.status == 0, "\(processed.summary)")
        let record = try #require(try AssetPipe.records(in: processed.stdout).first)
        let id = try #require(record["id"] as? String)
        let expected = Self.keys(of: record, prefix: "r/")
        #expect(expected.count >= 3, "\(record["renditions"] ?? "none")")
        let objects = try S3UploadTests.objects(bucket)
        #expect(Set(objects.keys) == expected, "the bucket holds exactly the record's renditions")
        #expect(!FileManager.default.fileExists(atPath: data + "/renditions"), "nothing written locally")

        let server = try TestServer(["--data", data, "--store", store, "--log-level", "warning"], environment: Self.environment())
        defer { server.stop() }
        let thumb = data + "/thumb.out"
        let got = try Command.run("curl", ["-s", "-o", thumb, "-w", "%{http_code}", server.base + "/v1/assets/\(id)/renditions/thumb"])
        #expect(got.output == "200")
        #expect(try Oracle.sha256sum(thumb) == objects.first(where: { $0.key.hasSuffix("/thumb.webp") || $0.key.contains("/thumb.") })?.value["sha256"] as? String)
        let rendered = data + "/render.out"
        let render = try Command.run("curl", ["-s", "-o", rendered, "-w", "%{http_code}", server.base + "/v1/assets/\(id)/render?w=120&fm=png"])
        #expect(render.output == "200")
        #expect(try Oracle.vipsheaderInt("width", rendered) == 120, "rendered from the rendition read from the bucket")
        server.stop()

        #expect(try Self.assetpipe(["enqueue", "--data", data, "--store", store, "--delete", id]).status == 0)
        #expect(try Self.assetpipe(["work", "--data", data, "--store", store, "--until-empty", "--log-level", "warning"]).status == 0)
        #expect(try S3UploadTests.objects(bucket).isEmpty, "a deleted asset's renditions go with it")
    }

    @Test func aJobWhoseWritesFailHalfwayRetriesAndLeavesNoOrphans() throws {
        let bucket = TestS3.bucketName("store-fail")
        _ = try BackupTests.bucket("create", bucket)
        let proxy = try S3FaultProxy(upstream: TestS3.url ?? "")
        let data = try Package.temporaryDirectory("s3-store-fail")
        let store = "s3://\(bucket)/r"
        #expect(try Self.assetpipe(["enqueue", "--data", data, "--store", store, Package.sample("photos/odd-exif.jpg")]).status == 0)
        // Two renditions go up, then the server fails every try of the third: the attempt fails after writing.
        try proxy.arm(["pass": 2, "error": 5])
        let worked = try Self.assetpipe(["work", "--data", data, "--store", store, "--until-empty", "--log-level", "warning"], endpoint: proxy.url)
        #expect(worked.status == 0, "\(worked.summary)")
        let job = try #require(try AssetPipe.records(in: try AssetPipe.run(["jobs", "--data", data, "--json"]).stdout).first)
        #expect(job["state"] as? String == "succeeded" && (job["attempts"] as? Int ?? 0) >= 2, "\(job)")
        #expect(try proxy.requests().contains { $0["status"] as? Int == 500 && $0["method"] as? String == "PUT" })
        let lastError = job["last_error"] as? [String: Any]
        #expect((lastError?["message"] as? String ?? "").contains("InternalError") || (lastError?["message"] as? String ?? "").contains("500"),
                "the failed attempt's error says what the server answered: \(lastError ?? [:])")
        let shown = try AssetPipe.run(["show", "--data", data, "--store", store, "--json", job["asset_id"] as? String ?? "?"])
        try #require(shown.status == 0, "\(shown.summary) \(job)")
        let record = try #require(try JSONSerialization.jsonObject(with: shown.stdout) as? [String: Any], "\(shown.summary)")
        #expect(Set(try S3UploadTests.objects(bucket).keys) == Self.keys(of: record, prefix: "r/"), "every object is one the record names")
    }

    /// An original that is an object (an upload into a bucket area) is read
    /// from the bucket by `serve`'s renders and by edit jobs; an edit's image
    /// goes to the store's bucket, so a second edit (of the edited version)
    /// reads it back from there. botocore says what the bucket holds.
    @Test func originalsInABucketAreRenderedAndEditedIntoTheStore() throws {
        let bucket = TestS3.bucketName("store-edits")
        _ = try BackupTests.bucket("create", bucket)
        let data = try Package.temporaryDirectory("s3-store-edits")
        let server = try UploadTests.server(data, ["--workers", "1", "--uploads", "s3://\(bucket)/in", "--store", "s3://\(bucket)/r",
                                                   "--no-rendition-sources"], environment: Self.environment())
        defer { server.stop() }
        let token = UploadTests.token
        let created = try server.curl("/v1/uploads?destination=cat.jpg", ["--data-binary", "@" + UploadTests.first], token: token)
        try #require(created.status == 202, "\(created.body)")
        let id = try #require(created.json?["asset_id"] as? String)
        #expect(try server.waitForJob(created.json?["job_id"] as? String ?? "", token: token) == "succeeded")

        // Renditions are off as sources: the render reads the object itself.
        let rendered = data + "/render.png"
        let render = try Command.run("curl", ["-s", "-o", rendered, "-w", "%{http_code}", server.base + "/v1/assets/\(id)/render?w=200&fm=png"])
        #expect(render.output == "200")
        #expect(try Oracle.vipsheaderInt("width", rendered) == 200)

        for width in [300, 100] {
            let queued = try server.curl("/v1/assets/\(id)/edits", ["-X", "POST", "-H", "Content-Type: application/json",
                                                                   "-d", #"{"ops": {"w": \#(width)}}"#], token: token)
            #expect(try server.waitForJob(queued.json?["id"] as? String ?? "", token: token) == "succeeded", "\(queued.body)")
            let asset = try #require(try server.curl("/v1/assets/\(id)", [], token: token).json)
            let origin = asset["origin"] as? String ?? ""
            #expect(origin.hasPrefix("s3://\(bucket)/r/edits/\(id)/") && asset["width"] as? Int == width, "\(asset)")
            let key = String(origin.dropFirst("s3://\(bucket)/".count))
            #expect(try S3UploadTests.objects(bucket)[key]?["sha256"] as? String == asset["sha256"] as? String,
                    "the edited version is the object the record names")
        }
        #expect(!FileManager.default.fileExists(atPath: data + "/edits"), "no edit kept locally")
    }
}
