import AssetEdits
import Foundation
import TestSupport
import Testing

/// Signatures checked against openssl's HMAC-SHA256 of the documented message.
@Suite struct URLSignerTests {
    let path = "/v1/assets/3f2a9c1e/render"

    @Test func theSignatureIsTheHMACOfThePathAndCanonicalQuery() throws {
        let signer = try #require(URLSigner(keys: ["first-key"]))
        let parameters = try RenderParameters(queryString: "w=400&fit=cover&txt=Hi%20there")
        let expected = try Oracle.hmacSHA256(key: "first-key", message: path + "?fit=cover&txt=Hi%20there&w=400")
        #expect(signer.signature(path: path, parameters: parameters) == expected)
        #expect(signer.isValid(expected, path: path, parameters: parameters))
        #expect(signer.isValid(expected.uppercased(), path: path, parameters: parameters))
        // No parameters: the message is the path and a lone "?".
        #expect(signer.signature(path: path, parameters: RenderParameters())
                    == (try Oracle.hmacSHA256(key: "first-key", message: path + "?")))
    }

    @Test func anyChangeBreaksTheSignature() throws {
        let signer = try #require(URLSigner(keys: ["first-key"]))
        let parameters = try RenderParameters(queryString: "w=400")
        let signature = signer.signature(path: path, parameters: parameters)
        #expect(!signer.isValid(signature, path: path, parameters: try RenderParameters(queryString: "w=401")))
        #expect(!signer.isValid(signature, path: "/v1/assets/other/render", parameters: parameters))
        #expect(!signer.isValid(String(signature.dropLast()) + (signature.hasSuffix("0") ? "1" : "0"), path: path, parameters: parameters))
        #expect(!signer.isValid("", path: path, parameters: parameters))
        #expect(!signer.isValid("not hex", path: path, parameters: parameters))
    }

    @Test func twoKeysAreAcceptedDuringARotation() throws {
        let parameters = try RenderParameters(queryString: "h=300")
        let old = try #require(URLSigner(keys: ["old-key"])).signature(path: path, parameters: parameters)
        let rotating = try #require(URLSigner(keys: ["new-key", "old-key"]))
        #expect(rotating.isValid(old, path: path, parameters: parameters))
        #expect(rotating.signature(path: path, parameters: parameters)
                    == (try Oracle.hmacSHA256(key: "new-key", message: path + "?h=300")))
        let retired = try #require(URLSigner(keys: ["new-key"]))
        #expect(!retired.isValid(old, path: path, parameters: parameters))
    }

    @Test func keysComeFromTheEnvironmentAndAFile() throws {
        let file = try Package.temporaryDirectory("keys") + "/keys"
        try "# rotated 2026-12\nfile-key\n\n".write(toFile: file, atomically: true, encoding: .utf8)
        let signer = try #require(try URLSigner.configured(environment: ["ASSETPIPE_SIGNING_KEYS": " env-key , "], keyFile: file))
        let parameters = try RenderParameters(queryString: "w=10")
        let byFile = try #require(URLSigner(keys: ["file-key"])).signature(path: path, parameters: parameters)
        #expect(signer.isValid(byFile, path: path, parameters: parameters))
        #expect(signer.signature(path: path, parameters: parameters)
                    == (try Oracle.hmacSHA256(key: "env-key", message: path + "?w=10")))
        #expect(try URLSigner.configured(environment: [:]) == nil)
        #expect(URLSigner(keys: ["", "  "]) == nil)
    }
}
