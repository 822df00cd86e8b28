import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `backup` and the workers' backups against a real S3 server (SeaweedFS),
/// with botocore saying what the bucket holds and sha256sum what the
/// originals are: each version once under `<id>/v<version>/<name>` with its
/// SHA-256 as metadata, nothing copied twice, changed files refused, new
/// versions from `work` backed up as they are made, deletes not propagated.
@Suite(.enabled(if: TestS3.url != nil, "set ASSETPIPE_TEST_S3_URL (make test starts SeaweedFS)"))
struct BackupTests {
    static let oracle = """
        import hashlib, json, sys
        import botocore.config, botocore.session
        url, command, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
        client = botocore.session.get_session().create_client(
            's3', endpoint_url=url, region_name='us-east-1', aws_access_key_id=sys.argv[4], aws_secret_access_key=sys.argv[5],
            config=botocore.config.Config(s3={'addressing_style': 'path'}))
        if command == 'create':
            client.create_bucket(Bucket=bucket)
            print('{}')
        elif command == 'objects':
            found = {}
            for page in client.get_paginator('list_objects_v2').paginate(Bucket=bucket):
                for entry in page.get('Contents', []):
                    obj = client.get_object(Bucket=bucket, Key=entry['Key'])
                    found[entry['Key']] = {'sha256': hashlib.sha256(obj['Body'].read()).hexdigest(), 'metadata': obj['Metadata']}
            print(json.dumps(found))
        """

    static func bucket(_ command: String, _ name: String) throws -> Any {
        try OraclePython.json(oracle, [TestS3.url ?? "", command, name, TestS3.accessKey, TestS3.secretKey])
    }

    /// The binary with the test server's AWS variables.
    static func assetpipe(_ arguments: [String], secret: String = TestS3.secretKey) throws -> CommandResult {
        try Command.run("/usr/bin/env", ["AWS_ACCESS_KEY_ID=\(TestS3.accessKey)", "AWS_SECRET_ACCESS_KEY=\(secret)",
                                         "AWS_ENDPOINT_URL=\(TestS3.url ?? "")", "AWS_REGION=us-east-1", "ASSETPIPE_S3_ADDRESSING=path",
                                         AssetPipe.binary] + arguments, timeout: 300)
    }

    @Test func originalsAreBackedUpOnceAndNeverDeleted() throws {
        let name = TestS3.bucketName("backup")
        _ = try Self.bucket("create", name)
        let backup = "s3://\(name)/originals"
        let scratch = try TemporaryDirectory("backup")
        defer { scratch.remove() }
        let folder = scratch("in")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let samples = ["photos/camera-gps-north.jpg", "photos/odd-exif.jpg", "formats/alpha.png", "formats/gray.jpg"]
        let files = ["a.jpg", "b.jpg", "c.png", "d.jpg"]
        for (sample, file) in zip(samples.prefix(3), files) {
            try FileManager.default.copyItem(atPath: Package.sample(sample), toPath: folder + "/" + file)
        }
        let data = scratch("data")
        let first = try AssetPipe.process([folder], data: data)
        #expect(first.result.status == 0, "\(first.result.summary)")
        let ids = Dictionary(uniqueKeysWithValues: first.records.compactMap { record in
            (record["name"] as? String).flatMap { name in (record["id"] as? String).map { (name, $0) } }
        })
        #expect(ids.count == 3)

        let filled = try Self.assetpipe(["backup", "--data", data, "--backup", backup, "--all", "--json"])
        #expect(filled.status == 0, "\(filled.summary)")
        let summary = try #require(try JSONSerialization.jsonObject(with: filled.stdout) as? [String: Any])
        #expect(summary["copied"] as? Int == 3 && summary["present"] as? Int == 0, "\(summary)")
        var objects = try #require(try Self.bucket("objects", name) as? [String: [String: Any]])
        #expect(objects.count == 3)
        for file in files.prefix(3) {
            let sha = try Oracle.sha256sum(folder + "/" + file)
            let key = "originals/\(ids[file] ?? "")/v1-\(sha.prefix(16))/\(file)"
            let object = try #require(objects[key], "\(key) in \(objects.keys.sorted())")
            #expect(object["sha256"] as? String == sha, "the bytes of \(file)")
            #expect((object["metadata"] as? [String: String])?["sha256"] == sha)
            #expect((object["metadata"] as? [String: String])?["asset-id"] == ids[file])
        }

        let again = try Self.assetpipe(["backup", "--data", data, "--backup", backup, "--all", "--json"])
        let second = try #require(try JSONSerialization.jsonObject(with: again.stdout) as? [String: Any])
        #expect(second["copied"] as? Int == 0 && second["present"] as? Int == 3, "nothing is copied twice: \(second)")

        // A file changed since it was catalogued is refused, with the way out.
        try FileManager.default.copyItem(atPath: Package.sample(samples[3]), toPath: folder + "/d.jpg")
        let added = try AssetPipe.process([folder + "/d.jpg"], data: data)
        let dID = try #require(added.records.first?["id"] as? String)
        try Data(contentsOf: URL(fileURLWithPath: Package.sample(samples[0]))).write(to: URL(fileURLWithPath: folder + "/d.jpg"))
        let refused = try Self.assetpipe(["backup", "--data", data, "--backup", backup, dID])
        #expect(refused.status == 1, "\(refused.summary)")
        #expect(refused.stderr.contains("changed since version 1 was catalogued") && refused.stderr.contains("--refresh"), "\(refused.stderr)")

        // The worker backs up each new reading it makes: d's refresh (new bytes, a key of their own) and a new file.
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: folder + "/e.jpg")
        #expect(try AssetPipe.run(["enqueue", "--data", data, "--refresh", dID]).status == 0)
        #expect(try AssetPipe.run(["enqueue", "--data", data, folder + "/e.jpg"]).status == 0)
        let worked = try Self.assetpipe(["work", "--data", data, "--until-empty", "--backup", backup])
        #expect(worked.status == 0, "\(worked.summary)")
        objects = try #require(try Self.bucket("objects", name) as? [String: [String: Any]])
        let dSHA = try Oracle.sha256sum(folder + "/d.jpg")
        let refreshed = try #require(objects["originals/\(dID)/v1-\(dSHA.prefix(16))/d.jpg"], "\(objects.keys.sorted())")
        #expect(refreshed["sha256"] as? String == dSHA)
        #expect(objects.keys.contains { $0.hasSuffix("/e.jpg") }, "\(objects.keys.sorted())")
        #expect(objects.count == 5)

        // A deleted asset keeps its backup.
        try FileManager.default.removeItem(atPath: folder + "/b.jpg")
        #expect(try AssetPipe.run(["enqueue", "--data", data, "--delete", ids["b.jpg"] ?? ""]).status == 0)
        #expect(try Self.assetpipe(["work", "--data", data, "--until-empty", "--backup", backup]).status == 0)
        objects = try #require(try Self.bucket("objects", name) as? [String: [String: Any]])
        #expect(objects.keys.contains { $0.hasPrefix("originals/\(ids["b.jpg"] ?? "")/v1-") }, "deletes do not propagate")

        // Wrong credentials: a clear error, and the secret is not in it.
        let secret = "not-the-secret-\(UUID().uuidString)"
        let denied = try Self.assetpipe(["backup", "--data", data, "--backup", backup, "--all"], secret: secret)
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("refuses the credentials") && !denied.stderr.contains(secret) && !denied.output.contains(secret),
                "\(denied.stderr)")
    }

    @Test func processBacksUpWhatItCatalogues() throws {
        let name = TestS3.bucketName("process-backup")
        _ = try Self.bucket("create", name)
        let scratch = try TemporaryDirectory("process-backup")
        defer { scratch.remove() }
        let file = Package.sample("photos/camera-gps-north.jpg")
        let run = try Self.assetpipe(["process", "--data", scratch("data"), "--backup", "s3://\(name)/", file])
        #expect(run.status == 0, "\(run.summary)")
        #expect(run.output.contains("backup to s3://\(name)/: 1 copied, 0 already there"), "\(run.output)")
        let objects = try #require(try Self.bucket("objects", name) as? [String: [String: Any]])
        let sha = try Oracle.sha256sum(file)
        #expect(objects.count == 1)
        #expect(objects.first?.key.hasSuffix("/v1-\(sha.prefix(16))/camera-gps-north.jpg") == true, "\(objects.keys.sorted())")
        #expect(objects.first?.value["sha256"] as? String == sha)

        // Forced again: the same bytes are there already.
        let again = try Self.assetpipe(["process", "--data", scratch("data"), "--force", "--backup", "s3://\(name)/", file])
        #expect(again.output.contains("0 copied, 1 already there"), "\(again.output)")
        // A bucket that does not exist: the assets are catalogued all the same, and the failure said.
        let missing = try Self.assetpipe(["process", "--data", scratch("data2"), "--backup", "s3://no-such-\(name)/", file])
        #expect(missing.status == 0, "\(missing.summary)")
        #expect(missing.stderr.contains("warning: backup:") && missing.output.contains("1 failed"), "\(missing.summary)")
    }

    /// An original that is an object (here uploaded into an S3 source) is
    /// got from its bucket, checked against its SHA-256 and backed up.
    @Test func anOriginalInABucketIsBackedUp() throws {
        let origins = TestS3.bucketName("backup-origins"), backups = TestS3.bucketName("backup-of-objects")
        _ = try Self.bucket("create", origins)
        _ = try Self.bucket("create", backups)
        let scratch = try TemporaryDirectory("backup-objects")
        defer { scratch.remove() }
        let file = Package.sample("photos/camera-gps-north.jpg")
        #expect(try Self.assetpipe(["sources", "add", "--data", scratch("data"), "objects", "s3://\(origins)/o/"]).status == 0)
        let uploaded = try Self.assetpipe(["upload", "--data", scratch("data"), "--to", "objects", file])
        #expect(uploaded.status == 0, "\(uploaded.summary)")
        #expect(try Self.assetpipe(["work", "--data", scratch("data"), "--until-empty", "--log-level", "warning"]).status == 0)
        let run = try Self.assetpipe(["backup", "--data", scratch("data"), "--backup", "s3://\(backups)/", "--all"])
        #expect(run.status == 0 && run.output.contains("1 copied"), "\(run.summary)")
        let objects = try #require(try Self.bucket("objects", backups) as? [String: [String: Any]])
        let sha = try Oracle.sha256sum(file)
        #expect(objects.count == 1 && objects.first?.value["sha256"] as? String == sha, "\(objects)")
    }

    /// serve's workers back up what they catalogue, and /metrics counts it.
    @Test func serveCountsBackupsInItsMetrics() throws {
        let name = TestS3.bucketName("metrics-backup")
        _ = try Self.bucket("create", name)
        let data = try Package.temporaryDirectory("backup-metrics")
        let port = try #require(Int(try Command.run("python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
            .output.trimmingCharacters(in: .whitespacesAndNewlines)))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        server.arguments = ["serve", "--init", "--data", data, "--port", "\(port)", "--workers", "1", "--log-level", "warning",
                            "--backup", "s3://\(name)/"]
        server.environment = ProcessInfo.processInfo.environment.merging([
            "AWS_ACCESS_KEY_ID": TestS3.accessKey, "AWS_SECRET_ACCESS_KEY": TestS3.secretKey, "AWS_ENDPOINT_URL": TestS3.url ?? "",
            "AWS_REGION": "us-east-1", "ASSETPIPE_S3_ADDRESSING": "path",
        ]) { $1 }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        #expect(try AssetPipe.run(["enqueue", "--data", data, Package.sample("photos/camera-gps-north.jpg")]).status == 0)
        let deadline = Date().addingTimeInterval(60)
        var metrics = ""
        while Date() < deadline, !metrics.contains(#"assetpipe_backup_copies_total{result="copied"} 1"#) {
            Thread.sleep(forTimeInterval: 0.2)
            metrics = (try? Command.run("curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(port)/metrics"]).output) ?? ""
        }
        #expect(metrics.contains(#"assetpipe_backup_copies_total{result="copied"} 1"#), "\(metrics.split(separator: "\n").filter { $0.contains("backup") })")
        #expect(metrics.contains("assetpipe_backup_lag_seconds_count 1"), "\(metrics.split(separator: "\n").filter { $0.contains("backup") })")
        #expect((try Self.bucket("objects", name) as? [String: Any])?.count == 1)
        server.terminate()
        server.waitUntilExit()
    }
}
