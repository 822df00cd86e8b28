import ArgumentParser
import AssetEdits
import Foundation

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a render, record or rendition URL for a server that requires signatures.",
        discussion: """
            Prints URL with its query in canonical form (parameters in alphabetical order, values \
            normalised) and `s`, the signature, appended: the lowercase hex HMAC-SHA256, under the first \
            signing key, of the path, "?" and that canonical query. For a render URL (a path ending in \
            /render) the parameters are checked as the server checks them, so a URL it would refuse is \
            refused here. With signing on, the server also wants `s` (or the API token) on records \
            (/v1/assets/ID), renditions (/v1/assets/ID/renditions/NAME) and jobs.

            Keys come from ASSETPIPE_SIGNING_KEYS (comma-separated) and --signing-key-file (one per line), \
            as for the server; the first one signs.

            Examples:
              ASSETPIPE_SIGNING_KEYS=secret assetpipe sign '/v1/assets/3f2a…/render?w=400&fit=cover'
              assetpipe sign --signing-key-file keys.txt 'https://img.example.com/v1/assets/3f2a…/render?w=400'
              assetpipe sign '/v1/assets/3f2a…/renditions/preview'
            """)

    @Option(help: ArgumentHelp("A file of signing keys, one per line (lines starting with # are skipped).", valueName: "FILE"))
    var signingKeyFile: String?

    @Argument(help: ArgumentHelp("A render URL, or only its path and query.", valueName: "URL"))
    var url: String

    func run() throws {
        let signer: URLSigner
        do {
            guard let configured = try URLSigner.configured(keyFile: signingKeyFile) else {
                throw ValidationError("no signing key: set ASSETPIPE_SIGNING_KEYS or pass --signing-key-file FILE")
            }
            signer = configured
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("cannot read the signing keys: \(error)")
        }
        guard let components = URLComponents(string: url), !components.percentEncodedPath.isEmpty else {
            throw ValidationError("'\(url)' is not a URL or a path with a query")
        }
        let path = components.percentEncodedPath
        let canonical: String
        if path.hasSuffix("/render") {
            do {
                canonical = try RenderParameters(queryString: components.percentEncodedQuery ?? "").canonicalQuery
            } catch {
                throw ValidationError("bad render parameter \(error.description)")
            }
        } else {
            canonical = URLSigner.canonicalQuery(of: (components.queryItems ?? []).map { (name: $0.name, value: $0.value ?? "") })
        }
        let signature = signer.signature(path: path, canonicalQuery: canonical)
        var signed = components
        signed.percentEncodedQuery = (canonical.isEmpty ? "" : canonical + "&") + "\(RenderParameters.signatureParameter)=\(signature)"
        Terminal.standardOutput.write((signed.string ?? url) + "\n")
    }
}
