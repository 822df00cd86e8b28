import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `POST /v1/uploads` and `assetpipe upload`, with curl (raw bodies and
/// forms it writes itself) and Python sockets as clients, sha256sum and
/// vipsheader saying what the files are, botocore what the bucket holds.
@Suite struct UploadTests {
    static let token = "upload-test-token"
    static let first = Package.sample("photos/camera-gps-north.jpg")
    static let second = Package.sample("photos/odd-exif.jpg")

    /// serve on a new catalog in `data`, with the test token, quiet.
    static func server(_ data: String, _ arguments: [String], environment: [String: String] = [:]) throws -> TestServer {
        try TestServer(["--init", "--data", data, "--log-level", "warning"] + arguments,
                       environment: environment.merging(["ASSETPIPE_API_TOKEN": token]) { $1 })
    }

    @Test func uploadsAreStreamedPlacedUnderTheirPolicyAndQueued() throws {
        let data = try Package.temporaryDirectory("uploads")
        let server = try Self.server(data, ["--workers", "1"])
        defer { server.stop() }
        let area = data + "/uploads"
        let sha = try Oracle.sha256sum(Self.first)

        #expect(try server.curl("/v1/uploads?destination=a.jpg", ["--data-binary", "@" + Self.first]).status == 401)
        let created = try server.curl("/v1/uploads?destination=shoots/cat.jpg&sha256=\(sha)",
                                      ["-H", "Content-Type: image/jpeg", "--data-binary", "@" + Self.first], token: Self.token)
        #expect(created.status == 202, "\(created.body)")
        let answer = try #require(created.json)
        let assetID = try #require(answer["asset_id"] as? String)
        let jobID = try #require(answer["job_id"] as? String)
        #expect(answer["destination"] as? String == "shoots/cat.jpg" && answer["source"] as? String == "uploads")
        #expect(try answer["sha256"] as? String == sha && answer["size"] as? Int == (try Oracle.size(Self.first)))
        #expect(try Oracle.sha256sum(area + "/shoots/cat.jpg") == sha)
        #expect(try server.waitForJob(jobID, token: Self.token) == "succeeded")
        let asset = try #require(try server.curl("/v1/assets/\(assetID)", [], token: Self.token).json, "the asset the answer named")
        #expect(asset["sha256"] as? String == sha)
        #expect(try asset["width"] as? Int == (try Oracle.vipsheaderInt("width", Self.first)))

        // reject (the default) never overwrites, and names the asset there.
        let refused = try server.curl("/v1/uploads?destination=shoots/cat.jpg", ["--data-binary", "@" + Self.second], token: Self.token)
        #expect(refused.status == 409 && refused.body.contains(assetID), "\(refused.body)")
        #expect(try Oracle.sha256sum(area + "/shoots/cat.jpg") == sha)

        let renamed = try server.curl("/v1/uploads?destination=shoots/cat.jpg&on_conflict=rename", ["--data-binary", "@" + Self.second],
                                      token: Self.token)
        #expect(renamed.status == 202 && renamed.json?["destination"] as? String == "shoots/cat_1.jpg", "\(renamed.body)")
        #expect(renamed.json?["asset_id"] as? String != assetID)

        let versioned = try server.curl("/v1/uploads?destination=shoots/cat.jpg&on_conflict=version", ["--data-binary", "@" + Self.second],
                                        token: Self.token)
        #expect(versioned.status == 202 && versioned.json?["asset_id"] as? String == assetID, "\(versioned.body)")
        #expect(try server.waitForJob(versioned.json?["job_id"] as? String ?? "", token: Self.token) == "succeeded")
        let next = try server.curl("/v1/assets/\(assetID)", [], token: Self.token).json
        #expect(try next?["version"] as? Int == 2 && next?["sha256"] as? String == (try Oracle.sha256sum(Self.second)), "\(next ?? [:])")

        // A form, as curl writes it: its fields, or the file part's name (a name, never a path).
        let form = try server.curl("/v1/uploads", ["-F", "destination=forms/dog.jpg", "-F", "file=@\(Self.first);type=image/jpeg"],
                                   token: Self.token)
        #expect(form.status == 202 && form.json?["destination"] as? String == "forms/dog.jpg", "\(form.body)")
        #expect(try Oracle.sha256sum(area + "/forms/dog.jpg") == sha)
        let named = try server.curl("/v1/uploads", ["-F", "on_conflict=rename", "-F", "file=@\(Self.first);filename=../../evil.jpg"],
                                    token: Self.token)
        #expect(named.status == 202 && named.json?["destination"] as? String == "evil.jpg", "\(named.body)")

        // Refusals keep nothing.
        let mismatch = try server.curl("/v1/uploads?destination=bad/sum.jpg&sha256=\(String(repeating: "0", count: 64))",
                                       ["--data-binary", "@" + Self.first], token: Self.token)
        #expect(mismatch.status == 422 && mismatch.json.flatMap { ($0["error"] as? [String: Any])?["code"] as? String } == "checksum_mismatch")
        #expect(try server.curl("/v1/uploads?destination=../x.jpg", ["--data-binary", "@" + Self.first], token: Self.token).status == 400)
        #expect(try server.curl("/v1/uploads", ["--data-binary", "@" + Self.first], token: Self.token).status == 400)
        #expect(!FileManager.default.fileExists(atPath: area + "/bad"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: area + "/.partial").isEmpty)
    }

    /// A client that sends `sent` of `declared` bytes, waits `pause` seconds, then hangs up.
    static let halfClient = """
        import socket, sys, time
        port, declared, sent, pause, token = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
        s = socket.create_connection(('127.0.0.1', port))
        s.sendall(('POST /v1/uploads?destination=cut/off.bin HTTP/1.1\\r\\nHost: localhost\\r\\nAuthorization: Bearer %s\\r\\n'
                   'Content-Length: %d\\r\\n\\r\\n' % (token, declared)).encode())
        s.sendall(b'x' * sent)
        print('sent', flush=True)
        time.sleep(pause)
        s.close()
        """

    @Test func limitsAndCutOffUploadsLeaveNothingBehind() throws {
        let data = try Package.temporaryDirectory("upload-limits")
        let server = try Self.server(data, ["--upload-limit", "3MB"])
        defer { server.stop() }
        let area = data + "/uploads"
        let big = data + "/big.bin"
        try Data(repeating: 7, count: 4_000_000).write(to: URL(fileURLWithPath: big))
        let declared = try server.curl("/v1/uploads?destination=big.bin", ["--data-binary", "@" + big], token: Self.token)
        #expect(declared.status == 413, "\(declared.body)")
        let chunked = try server.curl("/v1/uploads?destination=big.bin", ["-H", "Transfer-Encoding: chunked", "--data-binary", "@" + big],
                                      token: Self.token)
        #expect(chunked.status == 413, "\(chunked.body)")

        // Mid-body, the file is only in the spool; hung up, not even there.
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["python3", "-c", Self.halfClient, "\(server.port)", "2000000", "1200000", "3", Self.token]
        let output = Pipe()
        client.standardOutput = output
        try client.run()
        _ = output.fileHandleForReading.availableData
        Thread.sleep(forTimeInterval: 1)
        let during = (try? FileManager.default.contentsOfDirectory(atPath: area + "/.partial")) ?? []
        #expect(during.count == 1 && during.allSatisfy { $0.hasPrefix(".upload-") }, "\(during)")
        #expect(!FileManager.default.fileExists(atPath: area + "/cut/off.bin"))
        client.waitUntilExit()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !((try? FileManager.default.contentsOfDirectory(atPath: area + "/.partial")) ?? []).isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: area + "/.partial").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: area + "/cut"))
        #expect(try server.curl("/healthz", []).status == 200)
    }

    /// A client that asks `Expect: 100-continue` (curl does for every body
    /// over 1 MiB) and holds its body until the server answers: serve says
    /// `100 Continue` at once, then takes the body; without the token it
    /// still ends with 401. Python's socket is the client, so nothing
    /// between hides the exchange.
    static let expectingClient = """
        import socket, sys
        port, token, body = int(sys.argv[1]), sys.argv[2], b'x' * 2000000
        s = socket.create_connection(('127.0.0.1', port))
        s.settimeout(5)
        auth = f'Authorization: Bearer {token}\\r\\n' if token else ''
        s.sendall(f'POST /v1/uploads?destination=expect/x.bin HTTP/1.1\\r\\nHost: localhost\\r\\n{auth}'
                  f'Content-Length: {len(body)}\\r\\nExpect: 100-continue\\r\\n\\r\\n'.encode())
        first = b''
        while b'\\r\\n\\r\\n' not in first:
            chunk = s.recv(4096)
            if not chunk:
                break
            first += chunk
        interim, _, rest = first.partition(b'\\r\\n\\r\\n')
        s.sendall(body)
        final = rest
        while b'\\r\\n' not in final:
            chunk = s.recv(4096)
            if not chunk:
                break
            final += chunk
        print(interim.split(b'\\r\\n')[0].decode() + '|' + final.split(b'\\r\\n')[0].decode())
        """

    @Test func aClientThatExpects100ContinueIsToldToGoOn() throws {
        let data = try Package.temporaryDirectory("uploads-expect")
        let server = try Self.server(data, [])
        defer { server.stop() }
        let accepted = try Command.run("python3", ["-c", Self.expectingClient, "\(server.port)", Self.token], timeout: 60)
        #expect(accepted.output.trimmingCharacters(in: .whitespacesAndNewlines) == "HTTP/1.1 100 Continue|HTTP/1.1 202 Accepted",
                "\(accepted.summary) \(accepted.output)")
        #expect(try Oracle.size(data + "/uploads/expect/x.bin") == 2_000_000)
        let refused = try Command.run("python3", ["-c", Self.expectingClient, "\(server.port)", ""], timeout: 60)
        #expect(refused.output.hasSuffix("|HTTP/1.1 401 Unauthorized\n"), "\(refused.summary) \(refused.output)")
    }
}

/// Uploads into S3: serve's --uploads s3://… and `upload --to` an S3
/// source, against SeaweedFS, botocore listing the bucket.
@Suite(.enabled(if: TestS3.url != nil, "set ASSETPIPE_TEST_S3_URL (make test starts SeaweedFS)"))
struct S3UploadTests {
    static var s3Environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": TestS3.accessKey, "AWS_SECRET_ACCESS_KEY": TestS3.secretKey, "AWS_ENDPOINT_URL": TestS3.url ?? "",
         "AWS_REGION": "us-east-1", "ASSETPIPE_S3_ADDRESSING": "path"]
    }

    static func assetpipe(_ arguments: [String]) throws -> CommandResult {
        try Command.run("/usr/bin/env", s3Environment.map { "\($0.key)=\($0.value)" } + [AssetPipe.binary] + arguments, timeout: 300)
    }

    static func objects(_ bucket: String) throws -> [String: [String: Any]] {
        try BackupTests.bucket("objects", bucket) as? [String: [String: Any]] ?? [:]
    }

    @Test func serveUploadsIntoABucketThatIsASource() throws {
        let bucket = TestS3.bucketName("uploads")
        _ = try BackupTests.bucket("create", bucket)
        let data = try Package.temporaryDirectory("s3-uploads")
        let server = try UploadTests.server(data, ["--workers", "1", "--uploads", "s3://\(bucket)/incoming"], environment: Self.s3Environment)
        defer { server.stop() }
        let sha = try Oracle.sha256sum(UploadTests.first)
        let created = try server.curl("/v1/uploads?destination=shoots/cat.jpg", ["--data-binary", "@" + UploadTests.first],
                                      token: UploadTests.token)
        #expect(created.status == 202, "\(created.body)")
        #expect(try Self.objects(bucket)["incoming/shoots/cat.jpg"]?["sha256"] as? String == sha)
        #expect(try server.waitForJob(created.json?["job_id"] as? String ?? "", token: UploadTests.token) == "succeeded")
        let asset = try server.curl("/v1/assets/\(created.json?["asset_id"] as? String ?? "")", [], token: UploadTests.token).json
        #expect(asset?["sha256"] as? String == sha && asset?["path"] as? String == "s3://\(bucket)/incoming/shoots/cat.jpg", "\(asset ?? [:])")
        let refused = try server.curl("/v1/uploads?destination=shoots/cat.jpg", ["--data-binary", "@" + UploadTests.second],
                                      token: UploadTests.token)
        #expect(refused.status == 409, "\(refused.body)")
        #expect(try Self.objects(bucket)["incoming/shoots/cat.jpg"]?["sha256"] as? String == sha, "not overwritten")
        server.stop()

        let sources = try AssetPipe.run(["sources", "list", "--data", data, "--json"])
        #expect(sources.output.contains(#""location":"s3://\#(bucket)/incoming/""#) && sources.output.contains(#""name":"uploads""#),
                "\(sources.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/upload-spool").isEmpty, "no spool file outlives its upload")
    }

    /// A source with its own settings file is reached with the file's
    /// endpoint and keys by every door (serve's uploads and its worker,
    /// sync, work, upload), though the environment's keys are wrong; the
    /// same bucket without the file is refused, and no secret is printed.
    @Test func aSourceWithItsOwnSettingsFileIsReachedWithTheFilesKeys() throws {
        let bucket = TestS3.bucketName("settings")
        _ = try BackupTests.bucket("create", bucket)
        let data = try Package.temporaryDirectory("s3-source-settings")
        let settings = data + "/client.toml"
        try Data("""
            # the client's bucket: its own server and keys
            AWS_ENDPOINT_URL = "\(TestS3.url ?? "")"
            AWS_ACCESS_KEY_ID = "\(TestS3.accessKey)"
            AWS_SECRET_ACCESS_KEY = "\(TestS3.secretKey)"
            ASSETPIPE_S3_ADDRESSING = "path"
            """.utf8).write(to: URL(fileURLWithPath: settings))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: settings)
        // Keys that the server refuses, and an endpoint where nothing listens.
        let wrong = ["AWS_ACCESS_KEY_ID": "WRONGKEY", "AWS_SECRET_ACCESS_KEY": "wrong-secret-value", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
                     "AWS_REGION": "us-east-1", "ASSETPIPE_S3_ADDRESSING": "path"]
        func run(_ arguments: [String]) throws -> CommandResult {
            try Command.run("/usr/bin/env", wrong.map { "\($0.key)=\($0.value)" } + [AssetPipe.binary] + arguments, timeout: 300)
        }
        #expect(try run(["sources", "add", "--data", data, "client", "s3://\(bucket)/in", "--settings", settings]).status == 0)
        #expect(try run(["sources", "add", "--data", data, "plain", "s3://\(bucket)/plain"]).status == 0)
        let listed = try run(["sources", "list", "--data", data, "--json"])
        #expect(listed.output.contains(#""settings":"\#(settings)""#) && !listed.output.contains(TestS3.secretKey), "\(listed.output)")

        // serve: an upload into the area the source names, processed by its worker from the bucket.
        let server = try UploadTests.server(data, ["--workers", "1", "--uploads", "s3://\(bucket)/in"], environment: wrong)
        defer { server.stop() }
        let created = try server.curl("/v1/uploads?destination=cat.jpg", ["--data-binary", "@" + UploadTests.first], token: UploadTests.token)
        #expect(created.status == 202 && created.json?["source"] as? String == "client", "\(created.body)")
        #expect(try server.waitForJob(created.json?["job_id"] as? String ?? "", token: UploadTests.token) == "succeeded")
        server.stop()

        // upload, sync and work from the command line.
        let uploaded = try run(["upload", "--data", data, "--to", "client:cli", UploadTests.second])
        #expect(uploaded.status == 0, "\(uploaded.summary)")
        let synced = try run(["sync", "--data", data, "client", "--json"])
        #expect(synced.status == 0 && synced.output.contains(#""listed":2"#), "\(synced.summary)")
        #expect(try run(["work", "--data", data, "--until-empty", "--log-level", "warning"]).status == 0)
        let objects = try Self.objects(bucket)
        let found = try AssetPipe.records(in: try AssetPipe.run(["find", "--data", data, "--json", "path : \"s3://\(bucket)/in\""]).stdout)
        let byPath = Dictionary(uniqueKeysWithValues: found.compactMap { record in (record["path"] as? String).map { ($0, record) } })
        for key in ["in/cat.jpg", "in/cli/odd-exif.jpg"] {
            #expect(byPath["s3://\(bucket)/\(key)"]?["status"] as? String == "processed", "\(key): \(byPath.keys.sorted())")
            #expect(byPath["s3://\(bucket)/\(key)"]?["sha256"] as? String == objects[key]?["sha256"] as? String, "\(key)")
        }

        // The same bucket without the file: the environment's keys, refused, and nothing secret printed.
        let refused = try run(["sync", "--data", data, "plain"])
        #expect(refused.status != 0, "\(refused.summary)")
        #expect(!refused.output.contains("wrong-secret-value") && !refused.stderr.contains("wrong-secret-value"))
        #expect(!refused.stderr.contains(TestS3.secretKey), "\(refused.summary)")
    }

    /// Multipart uploads the bucket holds unfinished (none should outlive a refused or cut-off upload).
    static func unfinished(_ bucket: String) throws -> Int {
        let script = """
            import json, sys, botocore.config, botocore.session
            client = botocore.session.get_session().create_client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
                aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], config=botocore.config.Config(s3={'addressing_style': 'path'}))
            print(json.dumps({'count': len(client.list_multipart_uploads(Bucket=sys.argv[4]).get('Uploads', []))}))
            """
        let answer = try OraclePython.json(script, [TestS3.url ?? "", TestS3.accessKey, TestS3.secretKey, bucket]) as? [String: Int]
        return answer?["count"] ?? -1
    }

    /// A body of several parts goes up while it streams in: whole when
    /// complete, nothing when its checksum fails or it is cut off.
    @Test func aLargeBodyGoesUpInPartsAsItArrives() throws {
        let bucket = TestS3.bucketName("stream")
        _ = try BackupTests.bucket("create", bucket)
        let data = try Package.temporaryDirectory("s3-stream")
        let server = try UploadTests.server(data, ["--uploads", "s3://\(bucket)/in"], environment: Self.s3Environment)
        defer { server.stop() }
        let big = data + "/big.bin"
        let bytes = (0..<40_000_000).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        try Data(bytes).write(to: URL(fileURLWithPath: big))
        let sha = try Oracle.sha256sum(big)
        let sent = try server.curl("/v1/uploads?destination=big.bin&sha256=\(sha)", ["-X", "POST", "-T", big], token: UploadTests.token)
        #expect(sent.status == 202 && sent.json?["size"] as? Int == 40_000_000, "\(sent.body)")
        let object = try #require(try Self.objects(bucket)["in/big.bin"])
        #expect(object["sha256"] as? String == sha, "the object is the body, byte for byte")
        // A multipart object's ETag ends in its part count: 40 MB in 16 MiB parts is three.
        let etags = try #require(try SyncTests.bucket(bucket, "etags") as? [String: String])
        #expect(etags["in/big.bin"]?.hasSuffix("-3") == true, "sent in parts: \(etags)")
        let chunked = try server.curl("/v1/uploads?destination=chunked.bin", ["-X", "POST", "-H", "Transfer-Encoding: chunked", "-T", big],
                                      token: UploadTests.token)
        #expect(chunked.status == 202, "\(chunked.body)")
        #expect(try Self.objects(bucket)["in/chunked.bin"]?["sha256"] as? String == sha, "a body of unknown length too")

        let wrong = try server.curl("/v1/uploads?destination=wrong.bin&sha256=\(String(repeating: "a", count: 64))", ["-X", "POST", "-T", big],
                                    token: UploadTests.token)
        #expect(wrong.status == 422, "\(wrong.body)")
        let refused = try server.curl("/v1/uploads?destination=big.bin", ["-X", "POST", "-T", big], token: UploadTests.token)
        #expect(refused.status == 409, "\(refused.body)")
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["python3", "-c", UploadTests.halfClient.replacingOccurrences(of: "cut/off.bin", with: "cut.bin"),
                            "\(server.port)", "40000000", "20000000", "1", UploadTests.token]
        client.standardOutput = FileHandle.nullDevice
        try client.run()
        client.waitUntilExit()
        Thread.sleep(forTimeInterval: 2)
        #expect(Set(try Self.objects(bucket).keys) == ["in/big.bin", "in/chunked.bin"], "nothing of the refused or cut-off bodies")
        #expect(try Self.unfinished(bucket) == 0, "their parts were aborted")
        #expect(try FileManager.default.contentsOfDirectory(atPath: data + "/upload-spool").isEmpty)
    }

    @Test func uploadCopiesIntoFolderAndBucketSourcesAndQueues() throws {
        let bucket = TestS3.bucketName("cli-uploads")
        _ = try BackupTests.bucket("create", bucket)
        let scratch = try TemporaryDirectory("cli-upload")
        defer { scratch.remove() }
        let data = scratch("data"), folder = scratch("shoots")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(try AssetPipe.run(["sources", "add", "--data", data, "shoots", folder]).status == 0)
        #expect(try Self.assetpipe(["sources", "add", "--data", data, "archive", "s3://\(bucket)/cli"]).status == 0)

        let uploaded = try Self.assetpipe(["upload", "--data", data, "--to", "shoots:2026/dec", "--json", UploadTests.first, UploadTests.second])
        #expect(uploaded.status == 0, "\(uploaded.summary)")
        let lines = uploaded.output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.compactMap { $0["destination"] as? String }.sorted() == ["2026/dec/camera-gps-north.jpg", "2026/dec/odd-exif.jpg"])
        let real = try #require(URL(fileURLWithPath: folder).resolvingSymlinksInPath().path as String?)
        #expect(try Oracle.sha256sum(real + "/2026/dec/camera-gps-north.jpg") == (try Oracle.sha256sum(UploadTests.first)))
        #expect(FileManager.default.fileExists(atPath: UploadTests.first), "the file stays where it is")

        let again = try Self.assetpipe(["upload", "--data", data, "--to", "shoots:2026/dec", UploadTests.first])
        #expect(again.status == 1 && again.stderr.contains("nothing was overwritten"), "\(again.summary)")
        let renamed = try Self.assetpipe(["upload", "--data", data, "--to", "shoots:2026/dec", "--on-conflict", "rename", "--json", UploadTests.first])
        #expect(renamed.status == 0 && renamed.output.contains("2026/dec/camera-gps-north_1.jpg"), "\(renamed.summary)")

        let put = try Self.assetpipe(["upload", "--data", data, "--to", "archive", "--json", UploadTests.first])
        #expect(put.status == 0, "\(put.summary)")
        #expect(try Self.objects(bucket)["cli/camera-gps-north.jpg"]?["sha256"] as? String == (try Oracle.sha256sum(UploadTests.first)))

        let worked = try Self.assetpipe(["work", "--data", data, "--until-empty"])
        #expect(worked.status == 0, "\(worked.summary)")
        for line in lines {
            let id = try #require(line["asset_id"] as? String)
            let shown = try AssetPipe.run(["show", "--data", data, "--json", id])
            #expect(shown.status == 0 && shown.output.contains(line["origin"] as? String ?? "?"), "\(shown.summary) \(shown.output.prefix(300))")
        }
        let putID = try #require((try JSONSerialization.jsonObject(with: put.stdout) as? [String: Any])?["asset_id"] as? String)
        let s3Asset = try AssetPipe.run(["show", "--data", data, "--json", putID])
        #expect(s3Asset.output.contains("s3://\(bucket)/cli/camera-gps-north.jpg"), "\(s3Asset.summary)")
        let plan = try Self.assetpipe(["sync", "--data", data, "archive", "--dry-run", "--json"])
        #expect(plan.output.contains(#""unchanged":1"#) && plan.output.contains(#""added":0"#), "a sync after the upload finds nothing new: \(plan.output)")
    }
}
