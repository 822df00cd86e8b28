import Foundation
import TestSupport
import Testing

/// Sources and `sync`: objects (and files) added, changed and deleted
/// between two syncs become process, refresh and delete jobs, and once
/// `work` has run them the catalog holds exactly what the source holds,
/// checked against botocore (the bucket) and sha256sum (the bytes).
@Suite(.enabled(if: TestS3.url != nil, "set ASSETPIPE_TEST_S3_URL (make test starts SeaweedFS)"))
struct SyncTests {
    static let oracle = """
        import json, sys
        import botocore.config, botocore.session
        url, access, secret, bucket, command = sys.argv[1:6]
        client = botocore.session.get_session().create_client(
            's3', endpoint_url=url, region_name='us-east-1', aws_access_key_id=access, aws_secret_access_key=secret,
            config=botocore.config.Config(s3={'addressing_style': 'path'}))
        if command == 'create':
            client.create_bucket(Bucket=bucket)
        elif command == 'put':
            client.put_object(Bucket=bucket, Key=sys.argv[6], Body=open(sys.argv[7], 'rb').read())
        elif command == 'delete':
            client.delete_object(Bucket=bucket, Key=sys.argv[6])
        elif command == 'etags':
            found = {}
            for page in client.get_paginator('list_objects_v2').paginate(Bucket=bucket):
                found.update({o['Key']: o['ETag'].strip('"') for o in page.get('Contents', [])})
            print(json.dumps(found))
            sys.exit(0)
        print('{}')
        """

    @discardableResult
    static func bucket(_ name: String, _ command: String, _ extra: [String] = []) throws -> Any {
        try OraclePython.json(oracle, [TestS3.url ?? "", TestS3.accessKey, TestS3.secretKey, name, command] + extra)
    }

    static func assetpipe(_ arguments: [String], credentials: Bool = true) throws -> CommandResult {
        let environment = credentials
            ? ["AWS_ACCESS_KEY_ID=\(TestS3.accessKey)", "AWS_SECRET_ACCESS_KEY=\(TestS3.secretKey)", "AWS_ENDPOINT_URL=\(TestS3.url ?? "")",
               "AWS_REGION=us-east-1", "ASSETPIPE_S3_ADDRESSING=path"]
            : ["-u", "AWS_ACCESS_KEY_ID", "-u", "AWS_SECRET_ACCESS_KEY"]
        return try Command.run("/usr/bin/env", environment + [AssetPipe.binary] + arguments, timeout: 300)
    }

    static func json(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], "\(result.summary)")
    }

    /// Every asset under `folder`: path → record.
    static func catalogued(_ folder: String, data: String) throws -> [String: Record] {
        let found = try AssetPipe.run(["find", "--data", data, "--json", "--limit", "1000", "path : \"\(folder)\""])
        #expect(found.status == 0, "\(found.summary)")
        return Dictionary(uniqueKeysWithValues: try AssetPipe.records(in: found.stdout).compactMap { record in
            (record["path"] as? String).map { ($0, record) }
        })
    }

    @Test func anS3SourceIsSyncedIntoTheCatalog() throws {
        let name = TestS3.bucketName("sync")
        try Self.bucket(name, "create")
        let photos = ["camera-gps-north.jpg", "odd-exif.jpg", "camera-gps-south.jpg"].map { Package.sample("photos/" + $0) }
        try Self.bucket(name, "put", ["shoot/a.jpg", photos[0]])
        try Self.bucket(name, "put", ["shoot/deep/b.jpg", photos[1]])
        try Self.bucket(name, "put", ["shoot/gone.png", Package.sample("formats/alpha.png")])
        try Self.bucket(name, "put", ["elsewhere/x.jpg", photos[2]])
        let data = try Package.temporaryDirectory("sync-s3")
        #expect(try AssetPipe.run(["sources", "add", "--data", data, "archive", "s3://\(name)/shoot"]).status == 0)

        let first = try Self.json(try Self.assetpipe(["sync", "--data", data, "archive", "--json"]))
        #expect(first["listed"] as? Int == 3 && first["added"] as? Int == 3 && first["queued"] as? Int == 3, "\(first)")
        let worked = try Self.assetpipe(["work", "--data", data, "--until-empty", "--log-level", "warning"])
        #expect(worked.status == 0, "\(worked.summary)")
        var assets = try Self.catalogued("s3://\(name)/shoot", data: data)
        #expect(Set(assets.keys) == ["s3://\(name)/shoot/a.jpg", "s3://\(name)/shoot/deep/b.jpg", "s3://\(name)/shoot/gone.png"])
        var etags = try #require(try Self.bucket(name, "etags") as? [String: String])
        let a = try #require(assets["s3://\(name)/shoot/a.jpg"])
        #expect(a["status"] as? String == "processed" && a["name"] as? String == "a.jpg" && a["origin"] as? String == "s3://\(name)/shoot/a.jpg")
        #expect(a["sha256"] as? String == (try Oracle.sha256sum(photos[0])), "the bytes the pipeline read are the object's")
        #expect((a["origin_object"] as? [String: Any])?["etag"] as? String == etags["shoot/a.jpg"])
        #expect(a["width"] as? Int == (try Oracle.vipsheaderInt("width", photos[0])))

        // Nothing changed: nothing queued.
        let idle = try Self.json(try Self.assetpipe(["sync", "--data", data, "archive", "--json"]))
        #expect(idle["unchanged"] as? Int == 3 && idle["queued"] as? Int == 0, "\(idle)")

        // Changed, deleted, added.
        try Self.bucket(name, "put", ["shoot/a.jpg", photos[2]])
        try Self.bucket(name, "delete", ["shoot/gone.png"])
        try Self.bucket(name, "put", ["shoot/new.jpg", photos[1]])
        let dry = try Self.json(try Self.assetpipe(["sync", "--data", data, "archive", "--json", "--dry-run"]))
        #expect(dry["queued"] as? Int == 0 && dry["added"] as? Int == 1, "\(dry)")
        let second = try Self.json(try Self.assetpipe(["sync", "--data", data, "archive", "--json"]))
        #expect(second["added"] as? Int == 1 && second["changed"] as? Int == 1 && second["gone"] as? Int == 1
                && second["unchanged"] as? Int == 1 && second["queued"] as? Int == 3, "\(second)")
        let jobs = try AssetPipe.run(["jobs", "--data", data, "--json", "--state", "queued"])
        let kinds = try AssetPipe.records(in: jobs.stdout).compactMap { $0["kind"] as? String }.sorted()
        #expect(kinds == ["delete", "process", "refresh"], "\(jobs.summary)")
        #expect(try Self.assetpipe(["work", "--data", data, "--until-empty", "--log-level", "warning"]).status == 0)
        assets = try Self.catalogued("s3://\(name)/shoot", data: data)
        etags = try #require(try Self.bucket(name, "etags") as? [String: String])
        #expect(Set(assets.keys) == ["s3://\(name)/shoot/a.jpg", "s3://\(name)/shoot/deep/b.jpg", "s3://\(name)/shoot/new.jpg"])
        let refreshed = try #require(assets["s3://\(name)/shoot/a.jpg"])
        #expect(refreshed["id"] as? String == a["id"] as? String, "a changed object is the same asset, refreshed")
        #expect(refreshed["sha256"] as? String == (try Oracle.sha256sum(photos[2])))
        #expect((refreshed["origin_object"] as? [String: Any])?["etag"] as? String == etags["shoot/a.jpg"])
        let third = try Self.json(try Self.assetpipe(["sync", "--data", data, "archive", "--json"]))
        #expect(third["unchanged"] as? Int == 3 && third["queued"] as? Int == 0, "\(third)")
    }

    @Test func aWorkerWithoutCredentialsFailsTheJobSayingWhy() throws {
        let name = TestS3.bucketName("nocreds")
        try Self.bucket(name, "create")
        try Self.bucket(name, "put", ["a.jpg", Package.sample("photos/camera-gps-north.jpg")])
        let data = try Package.temporaryDirectory("sync-nocreds")
        #expect(try AssetPipe.run(["sources", "add", "--data", data, "b", "s3://\(name)"]).status == 0)
        #expect(try Self.json(try Self.assetpipe(["sync", "--data", data, "b", "--json"]))["queued"] as? Int == 1)
        _ = try Self.assetpipe(["work", "--data", data, "--until-empty", "--log-level", "warning"], credentials: false)
        let jobs = try AssetPipe.records(in: try AssetPipe.run(["jobs", "--data", data, "--json"]).stdout)
        let job = try #require(jobs.first)
        #expect(job["state"] as? String == "failed", "\(job)")
        let error = job["last_error"] as? [String: Any] ?? job["error"] as? [String: Any] ?? [:]
        #expect(error["reason"] as? String == "origin_refused", "\(job)")
        #expect((error["message"] as? String ?? "").contains("AWS_ACCESS_KEY_ID"), "\(job)")
        // Without credentials, sync says what to set.
        let refused = try Self.assetpipe(["sync", "--data", data, "b"], credentials: false)
        #expect(refused.status == 1 && refused.stderr.contains("AWS_ACCESS_KEY_ID"), "\(refused.summary)")
    }

    @Test func aFolderSourceIsSyncedAndAnEmptyFolderDeletesNothing() throws {
        let scratch = try TemporaryDirectory("sync-folder")
        defer { scratch.remove() }
        let folder = scratch("shoot")
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: folder + "/a.jpg")
        try FileManager.default.copyItem(atPath: Package.sample("photos/odd-exif.jpg"), toPath: folder + "/sub/b.jpg")
        let data = scratch("data")
        #expect(try AssetPipe.run(["sources", "add", "--data", data, "shoot", folder]).status == 0)
        let first = try Self.json(try AssetPipe.run(["sync", "--data", data, "shoot", "--json"]))
        #expect(first["added"] as? Int == 2, "\(first)")
        #expect(try AssetPipe.run(["work", "--data", data, "--until-empty", "--log-level", "warning"]).status == 0)
        let before = try Self.catalogued(folder, data: data)
        #expect(before.count == 2)

        try Data(contentsOf: URL(fileURLWithPath: Package.sample("photos/camera-gps-south.jpg"))).write(to: URL(fileURLWithPath: folder + "/a.jpg"))
        try FileManager.default.removeItem(atPath: folder + "/sub/b.jpg")
        try FileManager.default.copyItem(atPath: Package.sample("formats/alpha.png"), toPath: folder + "/c.png")
        let second = try Self.json(try AssetPipe.run(["sync", "--data", data, "shoot", "--json"]))
        #expect(second["added"] as? Int == 1 && second["changed"] as? Int == 1 && second["gone"] as? Int == 1, "\(second)")
        // Synced again before a worker ran: what the queue holds is not queued twice.
        let again = try Self.json(try AssetPipe.run(["sync", "--data", data, "shoot", "--json"]))
        #expect(again["queued"] as? Int == 0 && again["pending"] as? Int == 3, "\(again)")
        #expect(try AssetPipe.run(["work", "--data", data, "--until-empty", "--log-level", "warning"]).status == 0)
        let after = try Self.catalogued(folder, data: data)
        #expect(Set(after.keys) == [folder + "/a.jpg", folder + "/c.png"])
        #expect(after[folder + "/a.jpg"]?["sha256"] as? String == (try Oracle.sha256sum(folder + "/a.jpg")))
        #expect(after[folder + "/a.jpg"]?["id"] as? String == before[folder + "/a.jpg"]?["id"] as? String)

        // Emptied (as an unmounted share looks): nothing is deleted.
        try FileManager.default.removeItem(atPath: folder + "/a.jpg")
        try FileManager.default.removeItem(atPath: folder + "/c.png")
        let empty = try Self.json(try AssetPipe.run(["sync", "--data", data, "shoot", "--json"]))
        #expect(empty["gone"] as? Int == 0, "\(empty)")
    }

    /// `work --sync-every`: files added and removed while the worker runs
    /// are catalogued and deleted with no other command.
    @Test func aWorkerSyncsItsSourcesPeriodically() throws {
        let scratch = try TemporaryDirectory("sync-every")
        defer { scratch.remove() }
        let folder = scratch("drop"), data = scratch("data")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Package.sample("photos/camera-gps-north.jpg"), toPath: folder + "/a.jpg")
        #expect(try AssetPipe.run(["sources", "add", "--data", data, "drop", folder]).status == 0)
        let bad = try AssetPipe.run(["work", "--data", data, "--sync-every", "soon"])
        #expect(bad.status == 2 && bad.stderr.contains("--sync-every"), "\(bad.summary)")

        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: AssetPipe.binary)
        worker.arguments = ["work", "--data", data, "--sync-every", "1s", "--log-level", "warning"]
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        defer { if worker.isRunning { worker.terminate() } }
        func waitFor(_ paths: Set<String>) throws -> [String: Record] {
            let deadline = Date().addingTimeInterval(60)
            var found: [String: Record] = [:]
            repeat {
                found = try Self.catalogued(folder, data: data).filter { $0.value["status"] as? String == "processed" }
                if Set(found.keys) == paths { break }
                Thread.sleep(forTimeInterval: 0.5)
            } while Date() < deadline
            return found
        }
        #expect(Set(try waitFor([folder + "/a.jpg"]).keys) == [folder + "/a.jpg"], "the file there at start")
        try FileManager.default.copyItem(atPath: Package.sample("photos/odd-exif.jpg"), toPath: folder + "/b.jpg")
        let both = try waitFor([folder + "/a.jpg", folder + "/b.jpg"])
        #expect(both[folder + "/b.jpg"]?["sha256"] as? String == (try Oracle.sha256sum(folder + "/b.jpg")), "a file added while it runs")
        try FileManager.default.removeItem(atPath: folder + "/a.jpg")
        #expect(Set(try waitFor([folder + "/b.jpg"]).keys) == [folder + "/b.jpg"], "a file removed while it runs")
        worker.terminate()
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 0)
    }

    @Test func sourcesAreNamedOnceAndCheckedWhenAdded() throws {
        let data = try Package.temporaryDirectory("sources")
        let folder = try Package.temporaryDirectory("sources-folder")
        #expect(try AssetPipe.run(["sources", "add", "--data", data, "photos", folder]).status == 0)
        let twice = try AssetPipe.run(["sources", "add", "--data", data, "photos", "s3://other-bucket/x"])
        #expect(twice.status == 2 && twice.stderr.contains("a source named photos exists"), "\(twice.summary)")
        #expect(try AssetPipe.run(["sources", "add", "--data", data, "two words", folder]).status == 2)
        let badBucket = try AssetPipe.run(["sources", "add", "--data", data, "b", "s3://Bad_Bucket/x"])
        #expect(badBucket.status == 2 && badBucket.stderr.contains("is not a bucket name"), "\(badBucket.summary)")
        #expect(try AssetPipe.run(["sources", "add", "--data", data, "c", folder + "/missing"]).status == 2)
        #expect(try AssetPipe.run(["sources", "add", "--data", data, "archive", "s3://dam-archive/2024"]).status == 0)
        let listed = try AssetPipe.records(in: try AssetPipe.run(["sources", "list", "--data", data, "--json"]).stdout)
        #expect(listed.map { $0["name"] as? String } == ["archive", "photos"])
        #expect(listed.first?["location"] as? String == "s3://dam-archive/2024/")
        #expect(try AssetPipe.run(["sources", "remove", "--data", data, "photos"]).status == 0)
        #expect(try AssetPipe.run(["sources", "remove", "--data", data, "photos"]).status == 2)
        let unknown = try AssetPipe.run(["sync", "--data", data, "photos"])
        #expect(unknown.status == 1 && unknown.stderr.contains("there is no source photos"), "\(unknown.summary)")
    }
}
