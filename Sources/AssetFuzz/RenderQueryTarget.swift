import AssetEdits
import Foundation

/// `GET /v1/assets/{id}/render?QUERY` without the HTTP: the query string
/// through the parser, the canonicaliser, the signer and the renderer's
/// planning, as the route runs them.
///
/// Properties, for every input:
/// - parsing never traps; a query with an unknown or repeated name is refused;
/// - an accepted query's canonical form parses to an equal value and is its
///   own canonical form (idempotent), names sorted, only unreserved
///   characters and escapes;
/// - the canonical form signed verifies, under the signing key and under a
///   second key during a rotation; a signature with one digit changed, cut
///   short or for another path does not;
/// - planning (`Renderer.longSideNeeded`) and costing (`Renderer.check`)
///   never trap, for upright sizes from 1 × 1 to 100000 × 1 and beyond;
///   a plan asks for a long side from 1 to the source's, and a render that
///   passes the check costs no more than the limit.
public struct RenderQueryTarget: FuzzTarget {
    public let name = "render-query"
    static let path = "/v1/assets/0f8fad5b-d9cb-469f-a165-70867728950e/render"
    let signer: URLSigner?
    let rotatedSigner: URLSigner?
    let renderer = Renderer()

    /// The parameter names the generator uses (a test checks the parser knows each).
    public static let parameterNames = RenderVocabulary.names

    public init() {
        signer = URLSigner(keys: ["fuzz-signing-key"])
        rotatedSigner = URLSigner(keys: ["fuzz-new-key", "fuzz-signing-key"])
    }

    public var seeds: [[UInt8]] {
        [
            "", "w=400", "w=400&h=300&fit=cover", "rect=10,20,300,200&rot=90&flip=hv&w=100", "blur=2.5&px=8&bg=%23FFF",
            "txt=Hello%20world&txt-size=48&txt-color=ffffffcc&txt-align=top-left&txt-font=sans%20bold",
            "mark=0f8fad5b&mark-w=100&mark-alpha=50&mark-pad=0&mark-align=center", "fm=webp&q=80&dpr=2",
            "gravity=attention&fit=cover&w=1&h=8192", "bg=%EF%BC%90%EF%BC%90%EF%BC%90", "rect=9223372036854775807,0,1,1",
            "blur=100&dpr=2&w=2000&h=2000&fit=fill", "txt=%3Cspan%20font%3D%22sans%20200%22%3Ex%3C%2Fspan%3E&txt-size=512&dpr=4",
        ].map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] { RenderQueryGrammar.dictionary }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        Array(RenderQueryGrammar.generate(&random).utf8)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        // The server sees the query as text; bytes that are not UTF-8 arrive replaced.
        let query = String(decoding: input, as: UTF8.self)
        let parameters: RenderParameters
        do {
            parameters = try RenderParameters(queryString: query)
        } catch {
            return .refused
        }
        try Self.checkNamesWereKnownAndSingle(query)
        try Self.checkCanonicalForm(of: parameters, from: query)
        try checkSignatures(parameters, seed: input)
        try checkPlanning(parameters, seed: input)
        return .accepted
    }

    /// An accepted query named only known parameters (or `s`), each once.
    static func checkNamesWereKnownAndSingle(_ query: String) throws(PropertyFailure) {
        var seen = Set<String>()
        for (name, _) in RenderQueryGrammar.decodedPairs(query) where name != RenderParameters.signatureParameter {
            guard RenderVocabulary.names.contains(name) else {
                throw PropertyFailure("accepted the unknown parameter \(escaped(Array(name.utf8)))")
            }
            guard seen.insert(name).inserted else {
                throw PropertyFailure("accepted \(escaped(Array(name.utf8))) given twice")
            }
        }
    }

    /// The canonical form parses back to the same value and is stable.
    static func checkCanonicalForm(of parameters: RenderParameters, from query: String) throws(PropertyFailure) {
        let canonical = parameters.canonicalQuery
        let reparsed: RenderParameters
        do {
            reparsed = try RenderParameters(queryString: canonical)
        } catch {
            throw PropertyFailure("the canonical form \(escaped(Array(canonical.utf8))) does not parse: \(error)")
        }
        guard reparsed == parameters else {
            throw PropertyFailure("the canonical form \(escaped(Array(canonical.utf8))) parses to a different value: "
                                  + "\(parameters) became \(reparsed)")
        }
        let again = reparsed.canonicalQuery
        guard again == canonical else {
            throw PropertyFailure("the canonical form is not stable: \(escaped(Array(canonical.utf8))) became \(escaped(Array(again.utf8)))")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%=&".utf8)
        guard canonical.utf8.allSatisfy(allowed.contains) else {
            throw PropertyFailure("the canonical form \(escaped(Array(canonical.utf8))) has characters a URL must escape")
        }
        let names = canonical.split(separator: "&").map { $0.prefix { $0 != "=" } }
        guard names == names.sorted(), Set(names).count == names.count else {
            throw PropertyFailure("the canonical form \(escaped(Array(canonical.utf8))) does not list each name once in order")
        }
    }

    func checkSignatures(_ parameters: RenderParameters, seed: [UInt8]) throws(PropertyFailure) {
        guard let signer, let rotatedSigner else { throw PropertyFailure("the fuzz signing keys were refused") }
        let path = Self.path
        let signature = signer.signature(path: path, parameters: parameters)
        // `checkCanonicalForm` showed the canonical URL parses to `parameters`.
        let canonical = parameters
        guard signature.utf8.count == 64, signature.utf8.allSatisfy({ Self.lowercaseHex.contains($0) }) else {
            throw PropertyFailure("the signature \(signature) is not 64 lowercase hex digits")
        }
        guard signer.isValid(signature, path: path, parameters: canonical) else {
            throw PropertyFailure("the signature of the canonical form does not verify")
        }
        guard rotatedSigner.isValid(signature, path: path, parameters: canonical) else {
            throw PropertyFailure("a signature under the old key does not verify during a rotation")
        }
        // One digit changed, at a place the input chooses.
        var digits = Array(signature.utf8)
        let position = Int(Self.hash(seed) % 64)
        digits[position] = digits[position] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        for wrong in [String(decoding: digits, as: UTF8.self), String(signature.dropLast()), signature + "0", ""] {
            guard !signer.isValid(wrong, path: path, parameters: canonical) else {
                throw PropertyFailure("the changed signature \(wrong) verifies")
            }
        }
        guard !signer.isValid(signature, path: path + "x", parameters: canonical) else {
            throw PropertyFailure("the signature verifies for another path")
        }
    }

    /// Upright sizes a source may have: the smallest, the thinnest, camera
    /// sizes, libvips's largest header values, and two chosen by the input.
    func checkPlanning(_ parameters: RenderParameters, seed: [UInt8]) throws(PropertyFailure) {
        let hash = Self.hash(seed)
        let sizes: [(width: Int, height: Int)] = [
            (1, 1), (100_000, 1), (1, 100_000), (4000, 3000), (3000, 4000), (8192, 8192), (10_000, 10_000),
            (Int(Int32.max), Int(Int32.max)), (Int(Int32.max), 1),
            (1 + Int(hash % 20_000), 1 + Int((hash >> 20) % 20_000)), (1 + Int((hash >> 40) % 300), 1 + Int((hash >> 50) % 300)),
        ]
        for (index, size) in sizes.enumerated() {
            let longSide: Int
            do {
                longSide = try renderer.longSideNeeded(from: size, parameters)
            } catch {
                continue // refused for this source: a crop past its edge, an output over the limits
            }
            guard longSide >= 1, longSide <= max(size.width, size.height) else {
                throw PropertyFailure("planning \(size.width) × \(size.height) asks for a long side of \(longSide)")
            }
            // The cost check `serve` makes before a render and a saved edit.
            let cost: RenderCost
            do {
                cost = try renderer.check(from: size, parameters, sourceHasAlpha: (hash >> index) & 1 == 1)
            } catch {
                continue // too costly
            }
            guard cost.total >= 0, cost.total <= renderer.limits.maxWork else {
                throw PropertyFailure("a render of \(size.width) × \(size.height) passed the cost check at \(cost)")
            }
        }
    }

    static let lowercaseHex = Set("0123456789abcdef".utf8)

    /// FNV-1a: a choice made by the input, so a replay makes the same one.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
