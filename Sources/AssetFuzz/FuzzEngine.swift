import Foundation

/// One parser of outside input under test: how to make inputs for it, and
/// what must hold for every input it is given.
///
/// Inputs are bytes, whatever the parser reads, so that any input can be
/// saved, escaped, replayed from a file and handed over by libFuzzer.
public protocol FuzzTarget: Sendable {
    /// The name on the command line, e.g. `render-query`.
    var name: String { get }
    /// Inputs to start mutating from (real files' blobs, the shipped pipelines, ...).
    var seeds: [[UInt8]] { get }
    /// Tokens the byte mutator splices in: the parser's keywords and boundary values.
    var dictionary: [[UInt8]] { get }
    /// A fresh input built from the parser's grammar.
    func generate(_ random: inout FuzzRandom) -> [UInt8]
    /// Runs one input through the parser and checks the properties: whether
    /// the parser took it, or a `PropertyFailure` saying what broke.
    func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict
}

/// What the parser made of one input.
public enum Verdict: Sendable, Equatable {
    /// Parsed, and every property held.
    case accepted
    /// Refused with an error, as it should be for input it cannot use.
    case refused
}

/// A property that did not hold: the input broke the parser without trapping.
public struct PropertyFailure: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// What one run of a target did.
public struct FuzzReport: Sendable {
    public var target: String
    public var iterations = 0
    public var accepted = 0
    public var refused = 0
    public var seconds = 0.0
    /// The input that took longest, and how long.
    public var slowestSeconds = 0.0
    public var slowestInput: [UInt8] = []
    /// The first property that failed, and the input that broke it; the run stops there.
    public var failure: PropertyFailure?
    public var failingInput: [UInt8]?

    public var iterationsPerSecond: Double { seconds > 0 ? Double(iterations) / seconds : 0 }
}

/// SplitMix64: small, fast and seeded, so a run with the same seed makes
/// the same inputs and a failure reproduces.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `chance` (0–1).
    mutating func chance(_ chance: Double) -> Bool {
        Double.random(in: 0..<1, using: &self) < chance
    }

    mutating func below(_ bound: Int) -> Int {
        bound <= 1 ? 0 : Int.random(in: 0..<bound, using: &self)
    }

    mutating func pick<Element>(_ elements: [Element]) -> Element? {
        elements.isEmpty ? nil : elements[below(elements.count)]
    }

    /// One of `elements`, or `fallback` when there are none.
    mutating func pick<Element>(_ elements: [Element], else fallback: Element) -> Element {
        pick(elements) ?? fallback
    }
}

/// Runs a target: inputs generated from its grammar, and mutations of its
/// seeds and of inputs it accepted, one after another in this process.
public enum FuzzEngine {
    /// Inputs grow by mutation; past this they are cut, so one run stays fast.
    public static let maxInputSize = 64 * 1024

    /// Runs `iterations` inputs from `seed`. `trace`, when given, sees each
    /// input before it runs (a trap ends the process; the last one traced
    /// is the culprit).
    public static func run(_ target: any FuzzTarget, iterations: Int, seed: UInt64,
                           trace: (@Sendable ([UInt8]) -> Void)? = nil) -> FuzzReport {
        var random = FuzzRandom(seed: seed)
        var report = FuzzReport(target: target.name)
        let mutator = ByteMutator(dictionary: target.dictionary)
        // Seeds, then accepted inputs, replacing at random once full.
        var pool = Array(target.seeds.filter { $0.count <= maxInputSize }.prefix(4096))
        let poolLimit = max(512, pool.count)
        let clock = ContinuousClock()
        let start = clock.now
        while report.iterations < iterations {
            let input: [UInt8]
            if pool.isEmpty || random.chance(0.4) {
                input = Array(target.generate(&random).prefix(maxInputSize))
            } else {
                let base = pool[random.below(pool.count)]
                let other = pool[random.below(pool.count)]
                input = Array(mutator.mutate(base, splicing: other, &random).prefix(maxInputSize))
            }
            trace?(input)
            let before = clock.now
            let verdict: Verdict
            do {
                verdict = try target.run(input)
            } catch {
                report.iterations += 1
                report.failure = error
                report.failingInput = input
                break
            }
            let elapsed = seconds(clock.now - before)
            if elapsed > report.slowestSeconds {
                report.slowestSeconds = elapsed
                report.slowestInput = input
            }
            report.iterations += 1
            switch verdict {
            case .accepted:
                report.accepted += 1
                if pool.count < poolLimit {
                    pool.append(input)
                } else if random.chance(0.05) {
                    pool[random.below(pool.count)] = input
                }
            case .refused:
                report.refused += 1
                // A few refused inputs stay too: the near misses are worth mutating.
                if pool.count < poolLimit, random.chance(0.01) { pool.append(input) }
            }
        }
        report.seconds = seconds(clock.now - start)
        return report
    }

    /// Runs one input, as `--replay` and libFuzzer do.
    public static func replay(_ target: any FuzzTarget, _ input: [UInt8]) -> Result<Verdict, PropertyFailure> {
        do {
            return .success(try target.run(input))
        } catch {
            return .failure(error)
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        let (whole, attoseconds) = duration.components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}

/// Bytes as a Swift string literal's body: printable ASCII as is, `\n`,
/// `\t`, `\\`, `\"`, other Unicode scalars as `\u{...}` and bytes that are
/// not UTF-8 as `\x..`, so a failing input can be read and pasted into a test.
public func escaped(_ bytes: [UInt8]) -> String {
    var result = ""
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        if byte < 0x80 {
            switch byte {
            case UInt8(ascii: "\\"): result += "\\\\"
            case UInt8(ascii: "\""): result += "\\\""
            case 0x0A: result += "\\n"
            case 0x09: result += "\\t"
            case 0x0D: result += "\\r"
            case 0x20..<0x7F: result.unicodeScalars.append(Unicode.Scalar(byte))
            default: result += "\\u{\(String(byte, radix: 16))}"
            }
            index += 1
            continue
        }
        // One UTF-8 sequence, if it is one.
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
        if length > 1, index + length <= bytes.count,
           let text = String(validating: bytes[index..<index + length], as: UTF8.self), let scalar = text.unicodeScalars.first {
            result += "\\u{\(String(scalar.value, radix: 16))}"
            index += length
        } else {
            result += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            index += 1
        }
    }
    return result
}
