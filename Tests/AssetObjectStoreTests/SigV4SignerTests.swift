import AssetObjectStore
import Foundation
import TestSupport
import Testing

/// Our SigV4 signatures against botocore's own S3 signer (S3SigV4Auth, the
/// code every AWS SDK for Python request goes through), on the same
/// requests at the same instant: keys that need encoding, queries, ports,
/// virtual hosts, session tokens, untidy header values.
@Suite struct SigV4SignerTests {
    static let oracle = """
        import base64, datetime, json, sys
        from unittest import mock
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        cases = json.load(open(sys.argv[1]))
        instant = datetime.datetime(2026, 12, 7, 13, 5, 9)
        out = []
        for case in cases:
            credentials = Credentials(case['key'], case['secret'], case.get('token'))
            request = AWSRequest(method=case['method'], url=case['url'], headers=case['headers'], data=base64.b64decode(case['body']))
            with mock.patch.object(botocore.auth, 'get_current_datetime', return_value=instant):
                botocore.auth.S3SigV4Auth(credentials, 's3', case['region']).add_auth(request)
            out.append({'authorization': request.headers['Authorization'], 'date': request.headers['X-Amz-Date'],
                        'sha256': request.headers['X-Amz-Content-SHA256']})
        print(json.dumps(out))
        """

    struct Case {
        var method: String
        var endpoint: String
        var bucket: String
        var key: String
        var query: [(name: String, value: String)] = []
        var headers: [(name: String, value: String)] = []
        var body: [UInt8] = []
        var addressing = S3Configuration.Addressing.path
        var region = "us-east-1"
        var token: String?
    }

    static let cases: [Case] = [
        Case(method: "GET", endpoint: "http://127.0.0.1:8333", bucket: "photos", key: "2026/beach.jpg"),
        Case(method: "PUT", endpoint: "http://127.0.0.1:8333", bucket: "photos", key: "a b/c+d=e&f~g_h.jpg",
             headers: [("Content-Type", "image/jpeg"), ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==")], body: Array("hello".utf8)),
        Case(method: "PUT", endpoint: "https://s3.eu-west-3.amazonaws.com", bucket: "dam-originals", key: "Zürich/été 2026/Ωmega.heic",
             headers: [("content-type", "  text/plain;   charset=utf-8 ")], body: Array(repeating: 7, count: 1000),
             addressing: .virtual, region: "eu-west-3"),
        Case(method: "GET", endpoint: "http://localhost:9000", bucket: "media", key: "",
             query: [("list-type", "2"), ("prefix", "folder/sub dir/"), ("continuation-token", "1/AbC+dEf=="), ("max-keys", "17"),
                     ("encoding-type", "url")]),
        Case(method: "POST", endpoint: "http://127.0.0.1:8333", bucket: "photos", key: "big.mov", query: [("uploads", "")],
             headers: [("Content-Type", "video/quicktime")]),
        Case(method: "PUT", endpoint: "http://127.0.0.1:8333", bucket: "photos", key: "big.mov",
             query: [("uploadId", "VXBsb2FkIElE/+x=="), ("partNumber", "12")], body: Array(repeating: 0x41, count: 4096)),
        Case(method: "DELETE", endpoint: "https://s3.us-east-1.amazonaws.com", bucket: "temp-bucket", key: "x",
             addressing: .virtual, token: "FwoGZXIvYXdzEXAMPLE//token+with=chars"),
        Case(method: "HEAD", endpoint: "http://[::1]:8333", bucket: "photos", key: "deep/path/with//double/slash.png"),
    ]

    @Test func signaturesAreBotocores() throws {
        let instant = Date(timeIntervalSince1970: 1_796_648_709) // 2026-12-07 13:05:09 UTC
        #expect(SigV4Signer.timestamp(instant) == "20261207T130509Z")
        let credentials = S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        var ours: [(authorization: String, date: String, sha256: String)] = []
        var described: [[String: Any]] = []
        for test in Self.cases {
            var case_credentials = credentials
            case_credentials.sessionToken = test.token
            let configuration = S3Configuration(endpoint: try S3Endpoint(parsing: test.endpoint), region: test.region,
                                                credentials: case_credentials, addressing: test.addressing)
            let signed = configuration.signedRequest(method: test.method, bucket: test.bucket, key: test.key, query: test.query,
                                                     headers: test.headers, body: test.body, at: instant)
            let headers = Dictionary(signed.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
            ours.append((headers["authorization"] ?? "", headers["x-amz-date"] ?? "", headers["x-amz-content-sha256"] ?? ""))
            // botocore gets the URL we send and the headers we set (it adds its own x-amz-* and host).
            var given = Dictionary(test.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
            if let token = test.token { given["X-Amz-Security-Token"] = token }
            var entry: [String: Any] = ["method": test.method, "url": signed.url, "headers": given, "region": test.region,
                                        "key": credentials.accessKeyID, "secret": credentials.secretAccessKey,
                                        "body": Data(test.body).base64EncodedString()]
            if let token = test.token { entry["token"] = token }
            described.append(entry)
        }
        let scratch = try TemporaryDirectory("sigv4")
        defer { scratch.remove() }
        try JSONSerialization.data(withJSONObject: described).write(to: URL(fileURLWithPath: scratch("cases.json")))
        let theirs = try #require(try OraclePython.json(Self.oracle, [scratch("cases.json")]) as? [[String: String]])
        #expect(theirs.count == Self.cases.count)
        for (index, (mine, botocore)) in zip(ours, theirs).enumerated() {
            let test = Self.cases[index]
            #expect(mine.date == botocore["date"], "case \(index)")
            #expect(mine.sha256 == botocore["sha256"], "case \(index)")
            #expect(mine.authorization == botocore["authorization"], "case \(index): \(test.method) \(test.bucket)/\(test.key)")
        }
    }

    @Test func descriptionsHoldNoSecret() {
        let credentials = S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "very-secret-value", sessionToken: "session-secret")
        #expect(!"\(credentials)".contains("secret-value"))
        #expect(!"\(credentials)".contains("session-secret"))
        #expect("\(credentials)".contains("AKIDEXAMPLE"))
    }

    @Test func environmentIsReadAsTheAWSToolsReadIt() throws {
        let configuration = try S3Configuration.fromEnvironment([
            "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "eu-central-1",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        ])
        #expect(configuration.region == "eu-central-1")
        #expect(configuration.endpoint == S3Endpoint(secure: false, host: "127.0.0.1", port: 9000))
        #expect(try S3Configuration.fromEnvironment(["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"]).endpoint
            == S3Endpoint.aws(region: "us-east-1"))
        let missing = #expect(throws: S3Error.self) { try S3Configuration.fromEnvironment(["AWS_ACCESS_KEY_ID": "k"]) }
        #expect(missing?.message.contains("AWS_SECRET_ACCESS_KEY") == true)
        let badEndpoint = #expect(throws: S3Error.self) {
            try S3Configuration.fromEnvironment(["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_ENDPOINT_URL": "s3.example.com/x"])
        }
        #expect(badEndpoint?.code == .configuration)
        let badStyle = #expect(throws: S3Error.self) {
            try S3Configuration.fromEnvironment(["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "ASSETPIPE_S3_ADDRESSING": "dns"])
        }
        #expect(badStyle?.message.contains("auto, path or virtual") == true)
    }

    @Test func bucketURLsAndNames() throws {
        let bucket = try S3Bucket(url: "s3://dam-store/renditions")
        #expect(bucket.name == "dam-store" && bucket.prefix == "renditions/")
        #expect(try S3Bucket(url: "s3://dam-store").prefix == "")
        #expect(try S3Bucket(url: "s3://dam-store/a/b/").prefix == "a/b/")
        for bad in ["s3://", "s3://UPPER", "s3://ab", "s3://a_b", "s3://192.168.1.1", "s3://-x-", "http://bucket/x", "s3://a..b"] {
            #expect(throws: S3Error.self, "\(bad)") { try S3Bucket(url: bad) }
        }
    }

    @Test func objectURLsAndTheNamesOfTheirLocalCopies() {
        #expect(S3Bucket.object(at: "s3://dam/in/cat.jpg").map { [$0.bucket, $0.key] } == ["dam", "in/cat.jpg"])
        for notAnObject in ["s3://dam/", "s3://dam", "s3:///key", "s3://dam/in/", "/data/cat.jpg", "http://dam/cat.jpg"] {
            #expect(S3Bucket.object(at: notAnObject) == nil, "\(notAnObject)")
        }
        #expect(S3Bucket.fileName(ofKey: "in/shoots/cat.jpg") == "cat.jpg")
        // A key may end in a dot-name; a copy named so would be a folder, or climb out of its own.
        #expect(S3Bucket.fileName(ofKey: "in/..") == "object" && S3Bucket.fileName(ofKey: "in/.") == "object")
        #expect(S3Bucket.fileName(ofKey: "..") == "object")
    }

    @Test func automaticAddressingIsVirtualOnlyOnAWSForDNSNames() throws {
        let credentials = S3Credentials(accessKeyID: "k", secretAccessKey: "s")
        let aws = S3Configuration(endpoint: .aws(region: "us-east-1"), region: "us-east-1", credentials: credentials)
        #expect(aws.signedRequest(method: "GET", bucket: "photos", key: "a.jpg").url == "https://photos.s3.us-east-1.amazonaws.com/a.jpg")
        // A dotted name does not match AWS's wildcard certificate.
        #expect(aws.signedRequest(method: "GET", bucket: "my.photos", key: "a.jpg").url == "https://s3.us-east-1.amazonaws.com/my.photos/a.jpg")
        let local = S3Configuration(endpoint: try S3Endpoint(parsing: "http://127.0.0.1:8333"), region: "us-east-1", credentials: credentials)
        #expect(local.signedRequest(method: "GET", bucket: "photos", key: "a b.jpg").url == "http://127.0.0.1:8333/photos/a%20b.jpg")
    }

    @Test func backoffIsCappedAndJittered() {
        let policy = RetryPolicy(attempts: 5, base: .milliseconds(100), cap: .seconds(1))
        #expect(policy.delay(after: 1, random: 1) == .milliseconds(100))
        #expect(policy.delay(after: 3, random: 1) == .milliseconds(400))
        #expect(policy.delay(after: 30, random: 1) == .seconds(1))
        #expect(policy.delay(after: 3, random: 0) == .zero)
    }
}
