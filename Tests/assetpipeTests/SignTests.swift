import Foundation
import TestSupport
import Testing

/// `assetpipe sign`: the URL comes back canonical, with `s` equal to
/// openssl's HMAC-SHA256 of the path, "?" and that query.
@Suite struct SignTests {
    private func sign(_ url: String, keys: String?) throws -> CommandResult {
        let environment = keys.map { "ASSETPIPE_SIGNING_KEYS=\($0)" } ?? "ASSETPIPE_SIGNING_KEYS="
        return try Command.run("/usr/bin/env", [environment, AssetPipe.binary, "sign", url])
    }

    @Test func aPathIsSignedOverItsCanonicalQuery() throws {
        let result = try sign("/v1/assets/3f2a/render?w=400&fit=COVER&txt=Hi%20there", keys: "new-key,old-key")
        #expect(result.status == 0, "\(result.summary)")
        let canonical = "/v1/assets/3f2a/render?fit=cover&txt=Hi%20there&w=400"
        let signature = try Oracle.hmacSHA256(key: "new-key", message: canonical)
        #expect(result.output == canonical + "&s=" + signature + "\n")
    }

    @Test func aFullURLKeepsItsSchemeAndHost() throws {
        let result = try sign("https://img.example.com:8443/v1/assets/3f2a/render", keys: "k")
        let signature = try Oracle.hmacSHA256(key: "k", message: "/v1/assets/3f2a/render?")
        #expect(result.output == "https://img.example.com:8443/v1/assets/3f2a/render?s=\(signature)\n", "\(result.summary)")
    }

    @Test func withoutAKeyOrWithABadParameterItRefusesAndSaysWhy() throws {
        let noKey = try sign("/v1/assets/3f2a/render?w=400", keys: nil)
        #expect(noKey.status == 2 && noKey.stderr.contains("ASSETPIPE_SIGNING_KEYS"), "\(noKey.summary)")
        let bad = try sign("/v1/assets/3f2a/render?w=0", keys: "k")
        #expect(bad.status == 2 && bad.stderr.contains("w:") && bad.output.isEmpty, "\(bad.summary)")
    }
}
