import AssetObjectStore
import Crypto
import Foundation
import TestSupport
import Testing

/// The client against a real S3 implementation (SeaweedFS, scripts/test-s3),
/// with botocore as the oracle of what the bucket holds, and
/// scripts/s3-fault-proxy in front of it for throttling, failures and a
/// server that dies mid-upload.
@Suite(.enabled(if: TestS3.url != nil, "set ASSETPIPE_TEST_S3_URL (make test starts SeaweedFS)"))
struct S3ClientTests {
    /// What botocore sees in a bucket: `list BUCKET`, `sha256 BUCKET KEY`, `uploads BUCKET`.
    static let oracle = """
        import hashlib, json, sys
        import botocore.config, botocore.session
        url, command, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
        client = botocore.session.get_session().create_client(
            's3', endpoint_url=url, region_name='us-east-1', aws_access_key_id=sys.argv[-2], aws_secret_access_key=sys.argv[-1],
            config=botocore.config.Config(s3={'addressing_style': 'path'}))
        if command == 'list':
            found, token = [], None
            while True:
                page = client.list_objects_v2(Bucket=bucket, **({'ContinuationToken': token} if token else {}))
                found += [{'key': o['Key'], 'size': o['Size'], 'etag': o['ETag'].strip('"')} for o in page.get('Contents', [])]
                if not page.get('IsTruncated'):
                    break
                token = page['NextContinuationToken']
            print(json.dumps(found))
        elif command == 'sha256':
            body = client.get_object(Bucket=bucket, Key=sys.argv[4])['Body'].read()
            print(json.dumps({'sha256': hashlib.sha256(body).hexdigest(), 'size': len(body)}))
        elif command == 'put_encoded':
            client.put_object(Bucket=bucket, Key=sys.argv[4], Body=open(sys.argv[5], 'rb').read(), ContentEncoding=sys.argv[6])
            print('{}')
        elif command == 'uploads':
            print(json.dumps([u['Key'] for u in client.list_multipart_uploads(Bucket=bucket).get('Uploads', [])]))
        """

    static func botocore(_ command: String, _ bucket: String, _ extra: [String] = [], url: String? = nil,
                         secret: String = TestS3.secretKey) throws -> Any {
        try OraclePython.json(oracle, [url ?? TestS3.url ?? "", command, bucket] + extra + [TestS3.accessKey, secret])
    }

    static func configuration(url: String? = nil, secret: String = TestS3.secretKey, retry: RetryPolicy = RetryPolicy(),
                              parts: Bool = false) throws -> S3Configuration {
        let mebibyte: Int64 = 1024 * 1024
        return S3Configuration(endpoint: try S3Endpoint(parsing: url ?? TestS3.url ?? ""), region: "us-east-1",
                               credentials: S3Credentials(accessKeyID: TestS3.accessKey, secretAccessKey: secret),
                               addressing: .path, retry: retry, multipartThreshold: parts ? 5 * mebibyte : 64 * mebibyte,
                               partSize: 5 * mebibyte, partConcurrency: 2)
    }

    static func newBucket(_ label: String) async throws -> (S3Client, String) {
        let client = S3Client(configuration: try configuration())
        let bucket = TestS3.bucketName(label)
        try await client.createBucket(bucket)
        return (client, bucket)
    }

    /// Pseudo-random bytes, so a part boundary or an offset error changes the hash.
    static func writeFile(_ path: String, size: Int, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var words = [UInt64](repeating: 0, count: (size + 7) / 8)
        for index in words.indices { words[index] = generator.next() }
        let bytes = words.withUnsafeBytes { Data($0.prefix(size)) }
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    @Test func putGetListAndDeleteAreWhatBotocoreSees() async throws {
        let (client, bucket) = try await Self.newBucket("objects")
        let scratch = try TemporaryDirectory("s3")
        defer { scratch.remove() }
        try Self.writeFile(scratch("photo.jpg"), size: 300_001, seed: 1)
        let keys = ["photo.jpg", "folder/sub dir/é tè.png", "a+b=c&d%e~f.txt", "deep/one/two/three/four.bin", "Ω/日本語.heic"]
        var etags: [String: String] = [:]
        etags[keys[0]] = try await client.putObject(bucket: bucket, key: keys[0], file: scratch("photo.jpg"), contentType: "image/jpeg")
        for (index, key) in keys.enumerated().dropFirst() {
            etags[key] = try await client.putObject(bucket: bucket, key: key, bytes: Array("object \(index)".utf8))
        }

        let listed = try #require(try Self.botocore("list", bucket) as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["key"] as? String }) == Set(keys))
        for entry in listed {
            let key = try #require(entry["key"] as? String)
            #expect(entry["etag"] as? String == etags[key], "\(key)")
        }
        let ours = try await client.listObjects(bucket: bucket, pageSize: 2)
        #expect(ours.map(\.key) == listed.compactMap { $0["key"] as? String }, "our pages of 2 are botocore's listing, in its order")
        #expect(ours.map(\.size) == listed.compactMap { ($0["size"] as? NSNumber)?.int64Value })
        #expect(try await client.listObjects(bucket: bucket, prefix: "folder/").map(\.key) == ["folder/sub dir/é tè.png"])

        let head = try #require(try await client.headObject(bucket: bucket, key: keys[0]))
        #expect(head.size == 300_001 && head.etag == etags[keys[0]])
        #expect(try await client.headObject(bucket: bucket, key: "no/such/key") == nil)

        let copy = try await client.getObject(bucket: bucket, key: keys[0], to: scratch("copy.jpg"))
        #expect(copy.size == 300_001)
        #expect(try Oracle.sha256sum(scratch("copy.jpg")) == Oracle.sha256sum(scratch("photo.jpg")))
        #expect(try await client.getObject(bucket: bucket, key: keys[4]) == Array("object 4".utf8))

        try await client.deleteObject(bucket: bucket, key: keys[1])
        try await client.deleteObject(bucket: bucket, key: "never/was")
        let after = try #require(try Self.botocore("list", bucket) as? [[String: Any]])
        #expect(Set(after.compactMap { $0["key"] as? String }) == Set(keys).subtracting([keys[1]]))
    }

    @Test func aMissingObjectIsNotFoundAndLeavesNoFile() async throws {
        let (client, bucket) = try await Self.newBucket("missing")
        let scratch = try TemporaryDirectory("s3")
        defer { scratch.remove() }
        let error = await #expect(throws: S3Error.self) { try await client.getObject(bucket: bucket, key: "nope.jpg", to: scratch("nope.jpg")) }
        #expect(error?.code == .notFound)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
        let noBucket = await #expect(throws: S3Error.self) { try await client.listPage(bucket: "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())") }
        #expect(noBucket?.code == .notFound)
    }

    @Test func aLargeFileGoesUpInPartsAndComesBackWhole() async throws {
        let client = S3Client(configuration: try Self.configuration(parts: true))
        let bucket = TestS3.bucketName("parts")
        try await client.createBucket(bucket)
        let scratch = try TemporaryDirectory("s3")
        defer { scratch.remove() }
        let size = 12 * 1024 * 1024 + 123
        try Self.writeFile(scratch("movie.mov"), size: size, seed: 2)
        let etag = try await client.putObject(bucket: bucket, key: "videos/movie.mov", file: scratch("movie.mov"), contentType: "video/quicktime")
        #expect(etag.hasSuffix("-3"), "three parts of 5 MiB: \(etag)")

        let seen = try #require(try Self.botocore("sha256", bucket, ["videos/movie.mov"]) as? [String: Any])
        #expect(seen["sha256"] as? String == (try Oracle.sha256sum(scratch("movie.mov"))))
        #expect((seen["size"] as? NSNumber)?.intValue == size)
        let listed = try #require(try Self.botocore("list", bucket) as? [[String: Any]])
        #expect(listed.first?["etag"] as? String == etag)

        try await client.getObject(bucket: bucket, key: "videos/movie.mov", to: scratch("back.mov"))
        #expect(try Oracle.sha256sum(scratch("back.mov")) == Oracle.sha256sum(scratch("movie.mov")))
    }

    @Test func slowDownIsRetriedWithBackoffUntilTheRetriesRunOut() async throws {
        let (plain, bucket) = try await Self.newBucket("slowdown")
        let proxy = try S3FaultProxy(upstream: try #require(TestS3.url))
        let retry = RetryPolicy(attempts: 4, base: .milliseconds(50), cap: .milliseconds(200))
        let client = S3Client(configuration: try Self.configuration(url: proxy.url, retry: retry))

        try proxy.arm(["slowdown": 3])
        try await client.putObject(bucket: bucket, key: "a.txt", bytes: Array("after three 503s".utf8))
        let statuses = try proxy.requests().map { "\($0["status"] ?? "")" }
        #expect(statuses == ["503", "503", "503", "200"])
        #expect(try await plain.getObject(bucket: bucket, key: "a.txt") == Array("after three 503s".utf8))

        try proxy.arm(["slowdown": 4])
        let error = await #expect(throws: S3Error.self) { try await client.putObject(bucket: bucket, key: "b.txt", bytes: [1]) }
        #expect(error?.code == .throttled)
        #expect(error?.message.contains("SlowDown") == true)
        #expect(try await plain.headObject(bucket: bucket, key: "b.txt") == nil)

        try proxy.arm(["error": 2])
        try await client.putObject(bucket: bucket, key: "c.txt", bytes: [2])
        #expect(try proxy.requests().suffix(3).map { "\($0["status"] ?? "")" } == ["500", "500", "200"])
    }

    @Test(arguments: [["fail_parts": true], ["cut_part": 2]] as [[String: any Sendable]])
    func aFailedMultipartUploadIsAbortedAndLeavesNothing(fault: [String: any Sendable]) async throws {
        let (plain, bucket) = try await Self.newBucket("abort")
        let proxy = try S3FaultProxy(upstream: try #require(TestS3.url))
        let retry = RetryPolicy(attempts: 3, base: .milliseconds(20), cap: .milliseconds(50))
        let client = S3Client(configuration: try Self.configuration(url: proxy.url, retry: retry, parts: true))
        let scratch = try TemporaryDirectory("s3")
        defer { scratch.remove() }
        try Self.writeFile(scratch("big.bin"), size: 11 * 1024 * 1024, seed: 3)

        try proxy.arm(fault)
        let error = await #expect(throws: S3Error.self) { try await client.putObject(bucket: bucket, key: "big.bin", file: scratch("big.bin")) }
        #expect(error.map { [.server, .network].contains($0.code) } == true, "\(String(describing: error))")
        let requests = try proxy.requests()
        #expect(requests.contains { $0["method"] as? String == "DELETE" && ($0["query"] as? String ?? "").contains("uploadId=") },
                "the upload was aborted")
        #expect(try await plain.headObject(bucket: bucket, key: "big.bin") == nil)
        #expect((try Self.botocore("uploads", bucket) as? [String]) == [], "no upload is left open on the server")
        #expect((try Self.botocore("list", bucket) as? [[String: Any]])?.isEmpty == true)
    }

    @Test func badCredentialsAreAClearErrorWithoutTheSecret() async throws {
        let (_, bucket) = try await Self.newBucket("credentials")
        let secret = "wrong-secret-\(UUID().uuidString)"
        let wrongSecret = S3Client(configuration: try Self.configuration(secret: secret))
        let error = await #expect(throws: S3Error.self) { try await wrongSecret.putObject(bucket: bucket, key: "x", bytes: [1]) }
        #expect(error?.code == .credentials, "\(String(describing: error))")
        #expect(error?.message.contains("AWS_SECRET_ACCESS_KEY") == true)
        #expect(error.map { !"\($0)".contains(secret) && !$0.message.contains(secret) } == true)

        var unknown = try Self.configuration()
        unknown.credentials = S3Credentials(accessKeyID: "no-such-key", secretAccessKey: secret)
        let unknownError = await #expect(throws: S3Error.self) { try await S3Client(configuration: unknown).listPage(bucket: bucket) }
        #expect(unknownError?.code == .credentials, "\(String(describing: unknownError))")
        #expect(unknownError.map { !$0.message.contains(secret) } == true)
    }

    /// An object stored gzip-encoded (a pre-compressed SVG, a log) comes
    /// back as its bytes: the client never decompresses, so its size and
    /// MD5 hold and the catalog's SHA-256 is the object's.
    @Test func anEncodedObjectComesBackAsItsBytes() async throws {
        let (client, bucket) = try await Self.newBucket("encoded")
        let folder = try Package.temporaryDirectory("s3-encoded")
        let plain = folder + "/plain.txt"
        try Data(String(repeating: "assetpipe ", count: 10_000).utf8).write(to: URL(fileURLWithPath: plain))
        let gzip = try Command.run("gzip", ["-k", "-9", plain])
        #expect(gzip.status == 0, "\(gzip.summary)")
        try Self.botocore("put_encoded", bucket, ["drawing.svgz", plain + ".gz", "gzip"])
        let copy = folder + "/copy.svgz"
        let object = try await client.getObject(bucket: bucket, key: "drawing.svgz", to: copy)
        let stored = try #require(try Self.botocore("sha256", bucket, ["drawing.svgz"]) as? [String: Any])
        #expect(try Oracle.sha256sum(copy) == stored["sha256"] as? String && object.size == stored["size"] as? Int64 ?? -1,
                "\(stored)")
    }

    /// A refused connection is a network error that names the endpoint
    /// (how soon is not asserted: timings are for benchmarks, and a loaded
    /// test run stretches them).
    @Test func anUnreachableEndpointIsANetworkError() async throws {
        let client = S3Client(configuration: try Self.configuration(url: "http://127.0.0.1:1"))
        let error = await #expect(throws: S3Error.self) { try await client.listPage(bucket: "nowhere") }
        #expect(error?.code == .network && error?.message.contains("127.0.0.1:1") == true, "\(String(describing: error))")
    }
}
