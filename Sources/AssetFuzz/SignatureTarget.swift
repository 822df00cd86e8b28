import AssetEdits
import Foundation

/// A signed render URL's query (`w=400&s=...`) as the render route checks
/// it with signing on, and the signing keys as `serve` reads them.
///
/// Properties, for every input:
/// - checking never traps, whatever `s` holds (fullwidth digits, `%00`,
///   63 or 65 digits, ...);
/// - `s` verifies exactly when it is the HMAC of the path and canonical
///   query under one of the keys, in lowercase hex (uppercase and mixed case
///   are the same digits and verify too); anything else is refused;
/// - `ASSETPIPE_SIGNING_KEYS` set to the input never traps, and a signer it
///   gives signs what it then verifies.
public struct SignatureTarget: FuzzTarget {
    public let name = "signature"
    static let path = RenderQueryTarget.path
    static let keys = ["fuzz-new-key", "fuzz-old-key"]
    let signer: URLSigner?
    let singleKeySigners: [URLSigner]

    public init() {
        signer = URLSigner(keys: Self.keys)
        singleKeySigners = Self.keys.compactMap { URLSigner(keys: [$0]) }
    }

    public var seeds: [[UInt8]] {
        var seeds = ["s=", "w=400&s=" + String(repeating: "0", count: 64), "s=" + String(repeating: "０", count: 64),
                     "s=" + String(repeating: "%EF%BC%90", count: 64), "s=%00", "w=1&s=" + String(repeating: "f", count: 63)]
        if let first = singleKeySigners.first, let parameters = try? RenderParameters(queryString: "w=400&fit=cover") {
            seeds.append("fit=cover&w=400&s=" + first.signature(path: Self.path, parameters: parameters))
        }
        return seeds.map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] {
        RenderQueryGrammar.dictionary + ["s=", "０", "%EF%BC%90", "%00", "A", "F", "g", "%30"].map { Array($0.utf8) }
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        var pairs = RenderQueryGrammar.pairs(&random).filter { $0.name != RenderParameters.signatureParameter }
        if random.chance(0.5) {
            pairs = pairs.filter { !$0.value.isEmpty && RenderVocabulary.names.contains($0.name) }.prefix(3).map { $0 }
        }
        let parameters = (try? RenderParameters(query: pairs)) ?? RenderParameters()
        let signer = random.pick(singleKeySigners)
        var signature = signer?.signature(path: Self.path, parameters: parameters) ?? ""
        switch random.below(12) {
        case 0: signature = signature.uppercased()
        case 1: // one digit changed
            var digits = Array(signature.utf8)
            if !digits.isEmpty {
                let at = random.below(digits.count)
                digits[at] = Array("0123456789abcdef".utf8)[random.below(16)]
            }
            signature = String(decoding: digits, as: UTF8.self)
        case 2: signature = String(signature.map { $0.isNumber ? Self.fullwidth($0) : $0 })
        case 3: signature = String(repeating: "０", count: 64)
        case 4: signature = String(signature.dropLast(1 + random.below(4)))
        case 5: signature += random.pick(["0", "\u{0}", "%00", "０", " ", "\u{301}"]) ?? "0"
        case 6: signature = String(signature.prefix(32)) + "\u{0}" + String(signature.dropFirst(33))
        case 7: signature = RenderVocabulary.junk(&random)
        case 8: signature = String(signature.map { random.chance(0.5) ? Character($0.uppercased()) : $0 })
        default: break
        }
        pairs.insert((RenderParameters.signatureParameter, signature), at: random.below(pairs.count + 1))
        return Array(RenderQueryGrammar.queryString(pairs, &random).utf8)
    }

    static func fullwidth(_ digit: Character) -> Character {
        guard let value = digit.wholeNumberValue, let scalar = Unicode.Scalar(0xFF10 + UInt32(value)) else { return digit }
        return Character(scalar)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let query = String(decoding: input, as: UTF8.self)
        try checkKeyVariable(query)
        guard let signer else { throw PropertyFailure("the fuzz signing keys were refused") }
        let parameters: RenderParameters
        do {
            parameters = try RenderParameters(queryString: query)
        } catch {
            return .refused
        }
        guard let signature = RenderQueryGrammar.decodedPairs(query).first(where: { $0.name == RenderParameters.signatureParameter })?.value else {
            return .refused
        }
        let valid = signer.isValid(signature, path: Self.path, parameters: parameters)
        let expected = singleKeySigners.map { $0.signature(path: Self.path, parameters: parameters) }
        if expected.contains(where: { $0.utf8.elementsEqual(signature.utf8) }) {
            guard valid else { throw PropertyFailure("the right signature \(signature) is refused") }
        } else if signature.utf8.allSatisfy({ $0 < 0x80 }), expected.contains(where: { $0.utf8.elementsEqual(signature.lowercased().utf8) }) {
            guard valid else { throw PropertyFailure("the right signature in uppercase \(signature) is refused") }
        } else if valid {
            throw PropertyFailure("the wrong signature \(escaped(Array(signature.utf8))) verifies")
        }
        return valid ? .accepted : .refused
    }

    /// The input as `ASSETPIPE_SIGNING_KEYS`: no trap, and what it gives signs and verifies.
    func checkKeyVariable(_ text: String) throws(PropertyFailure) {
        guard let configured = try? URLSigner.configured(environment: ["ASSETPIPE_SIGNING_KEYS": text]) else { return }
        let signature = configured.signature(path: Self.path, parameters: RenderParameters())
        guard configured.isValid(signature, path: Self.path, parameters: RenderParameters()) else {
            throw PropertyFailure("a signer from ASSETPIPE_SIGNING_KEYS does not verify its own signature")
        }
    }
}
