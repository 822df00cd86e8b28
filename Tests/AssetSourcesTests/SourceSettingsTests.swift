import AssetCatalog
import AssetObjectStore
import AssetSources
import Foundation
import TestSupport
import Testing

/// A source's own settings file: parsed, merged over the environment by
/// group, refused without repeating a value, and the client of each object
/// chosen by the source that holds it.
@Suite struct SourceSettingsTests {
    static let environment = ["AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
                              "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "HOME": "/root"]

    /// A settings file with `text`, mode `mode`, in a folder of its own.
    static func file(_ text: String, mode: Int = 0o600) throws -> String {
        let folder = try Package.temporaryDirectory("source-settings")
        let path = folder + "/settings.toml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test func aFilesKeyPairReplacesTheEnvironmentsAndItsTokenToo() throws {
        let path = try Self.file("""
            # the client's bucket on R2
            AWS_ACCESS_KEY_ID = "FILEKEY"
            AWS_SECRET_ACCESS_KEY = 'file-secret'   # a literal string
            AWS_ENDPOINT_URL = "https://account.r2.cloudflarestorage.com"
            """)
        let configuration = try SourceSettings.configuration(for: CatalogSource(name: "r2", location: "s3://b/", settings: path),
                                                             environment: Self.environment)
        #expect(configuration.credentials == S3Credentials(accessKeyID: "FILEKEY", secretAccessKey: "file-secret", sessionToken: nil),
                "the environment's session token belongs to the environment's key pair")
        #expect(configuration.endpoint == S3Endpoint(secure: true, host: "account.r2.cloudflarestorage.com"))
        #expect(configuration.region == "us-east-1", "a group the file leaves out comes from the environment")
    }

    @Test func aSourceWithoutAFileUsesTheEnvironment() throws {
        let configuration = try SourceSettings.configuration(for: CatalogSource(name: "a", location: "s3://b/"), environment: Self.environment)
        #expect(configuration.credentials.accessKeyID == "ENVKEY" && configuration.credentials.sessionToken == "env-token")
    }

    @Test func anEndpointNameReplacesBothOfTheEnvironments() {
        let merged = SourceSettings.merged(["AWS_ENDPOINT_URL": "http://file:1"],
                                           over: ["AWS_ENDPOINT_URL_S3": "http://env:2", "AWS_ENDPOINT_URL": "http://env:3", "PATH": "/bin"])
        #expect(merged == ["AWS_ENDPOINT_URL": "http://file:1", "PATH": "/bin"])
    }

    @Test(arguments: [
        ("AWS_PROFILE = \"wJalrSECRET\"\n", "line 1: AWS_PROFILE is not a setting"),
        ("AWS_SECRET_ACCESS_KEY = wJalrSECRET\n", "line 1, column 25"),
        ("AWS_SECRET_ACCESS_KEY = \"wJalr\\SECRET\"\n", "unknown escape"),
        ("\n\nAWS_SECRET_ACCESS_KEY = \"wJalrSECRET\n", "line 3"),
        ("[default]\nAWS_SECRET_ACCESS_KEY = \"wJalrSECRET\"\n", "[default] section"),
        ("AWS_SECRET_ACCESS_KEY = [\"wJalrSECRET\"]\n", "is a \"string\""),
    ])
    func aBadFileIsRefusedWithItsLineAndNeverItsValues(text: String, expected: String) throws {
        let path = try Self.file(text)
        do {
            _ = try SourceSettings.read(path)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(error.message.contains(path))
            #expect(!error.message.contains("wJalr"), "a refusal repeats a value: \(error.message)")
        }
    }

    @Test func aFileOthersMayChangeIsRefused() throws {
        let path = try Self.file("AWS_REGION = \"eu-west-1\"\n", mode: 0o664)
        let refusal = #expect(throws: S3Error.self) { try SourceSettings.read(path) }
        #expect(refusal?.message.contains("chmod go-w") == true, "\(String(describing: refusal))")
        let readable = try Self.file("AWS_REGION = \"eu-west-1\"\n", mode: 0o644)
        #expect(try SourceSettings.read(readable) == ["AWS_REGION": "eu-west-1"])
        #expect(SourceSettings.othersCanRead(readable))
        #expect(!SourceSettings.othersCanRead(try Self.file("", mode: 0o600)))
    }

    @Test func eachObjectIsReadWithTheClientOfTheSourceThatHoldsIt() throws {
        let data = try Package.temporaryDirectory("source-clients")
        let catalog = try Catalog(dataDirectory: data)
        let outer = try Self.file("AWS_ENDPOINT_URL = \"http://outer:1\"\n")
        let inner = try Self.file("AWS_ENDPOINT_URL = \"http://inner:2\"\n")
        try catalog.addSource(CatalogSource(name: "outer", location: "s3://b/", settings: outer))
        try catalog.addSource(CatalogSource(name: "inner", location: "s3://b/deep/", settings: inner))
        try catalog.addSource(CatalogSource(name: "plain", location: "s3://c/"))
        let clients = SourceClients(catalog: catalog, environment: Self.environment)
        #expect(try clients.client(forObjectAt: "s3://b/deep/x.jpg").configuration.endpoint.host == "inner", "the longest location wins")
        #expect(try clients.client(forObjectAt: "s3://b/x.jpg").configuration.endpoint.host == "outer")
        #expect(try clients.client(forObjectAt: "s3://c/x.jpg").configuration.endpoint.host == "127.0.0.1")
        #expect(try clients.client(forObjectAt: "s3://elsewhere/x.jpg").configuration.endpoint.host == "127.0.0.1", "no source: the environment")

        // Rotated keys: the file changes, the next client has them.
        let first = try clients.client(forObjectAt: "s3://b/x.jpg")
        #expect(try clients.client(forObjectAt: "s3://b/x.jpg") === first, "an unchanged file keeps its client")
        try Data("AWS_ENDPOINT_URL = \"http://outer:1\"\nAWS_ACCESS_KEY_ID = \"ROTATED\"\nAWS_SECRET_ACCESS_KEY = \"new\"\n".utf8)
            .write(to: URL(fileURLWithPath: outer))
        #expect(try clients.client(forObjectAt: "s3://b/x.jpg").configuration.credentials.accessKeyID == "ROTATED")
    }

    @Test func aMissingFileFailsItsSourceOnly() throws {
        let data = try Package.temporaryDirectory("source-clients-missing")
        let catalog = try Catalog(dataDirectory: data)
        try catalog.addSource(CatalogSource(name: "gone", location: "s3://b/", settings: data + "/nothing-here.toml"))
        let clients = SourceClients(catalog: catalog, environment: Self.environment)
        do {
            _ = try clients.client(forObjectAt: "s3://b/x.jpg")
            Issue.record("a missing settings file gave a client")
        } catch {
            #expect(error.message.contains("nothing-here.toml") && error.message.contains("No such file"), "\(error.message)")
        }
        #expect(try clients.client(forObjectAt: "s3://other/x.jpg").configuration.credentials.accessKeyID == "ENVKEY")
    }

    @Test func aSettingsFileIsOnlyForAnAbsoluteS3Source() throws {
        let data = try Package.temporaryDirectory("source-settings-catalog")
        let catalog = try Catalog(dataDirectory: data)
        #expect(throws: CatalogError.self) { try catalog.addSource(CatalogSource(name: "f", location: data, settings: "/etc/x.toml")) }
        #expect(throws: CatalogError.self) { try catalog.addSource(CatalogSource(name: "r", location: "s3://b/", settings: "x.toml")) }
        try catalog.addSource(CatalogSource(name: "s", location: "s3://b/", settings: "/etc/x.toml"))
        #expect(try catalog.sources() == [CatalogSource(name: "s", location: "s3://b/", settings: "/etc/x.toml")])
    }
}
