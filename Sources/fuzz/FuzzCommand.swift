import AssetFuzz
import Foundation

/// `fuzz TARGET|all [--iterations N] [--seed S] [--trace]`, `fuzz TARGET --replay FILE`,
/// `fuzz --list`: runs the fuzz targets of AssetFuzz in this process.
///
/// Built with `-DLIBFUZZER -sanitize=fuzzer` it is instead a libFuzzer
/// driver: `fuzz TARGET [libFuzzer flags] [CORPUS...]` (see LibFuzzerEntry.swift).
@main
struct FuzzCommand {
    static let usage = """
        usage: fuzz TARGET|all [--iterations N] [--seed S] [--trace]
               fuzz TARGET --replay FILE
               fuzz --list
        Runs generated and mutated inputs through a parser of outside input and checks its properties.
          --iterations N  inputs per target (default 100000); `all` gives the slow targets fewer, and says so
          --seed S        the generator's seed (default 1): the same seed makes the same inputs
          --trace         print each input to stderr before running it (the last one printed is the one that trapped)
          --replay FILE   run the bytes of FILE once, as the target's input
        Exit status: 0 when every property held, 1 when one failed (the input is printed and saved), 2 on a usage error.
        """

    static func main() {
        #if LIBFUZZER
        LibFuzzerEntry.main()
        #else
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch parse(arguments) {
        case .failure(let message):
            FileHandle.standardError.write(Data("fuzz: \(message)\n\(usage)\n".utf8))
            exit(2)
        case .success(let options):
            exit(run(options))
        }
        #endif
    }

    struct Options {
        var target = ""
        var iterations: Int?
        var seed: UInt64 = 1
        var trace = false
        var replay: String?
        var list = false
    }

    static func parse(_ arguments: [String]) -> Result<Options, UsageErrorMessage> {
        var options = Options()
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--iterations":
                guard let value = remaining.popFirst().flatMap({ Int($0) }), value >= 0 else {
                    return .failure(UsageErrorMessage("--iterations needs a whole number from 0"))
                }
                options.iterations = value
            case "--seed":
                guard let value = remaining.popFirst().flatMap({ UInt64($0) }) else {
                    return .failure(UsageErrorMessage("--seed needs a whole number from 0"))
                }
                options.seed = value
            case "--trace": options.trace = true
            case "--replay":
                guard let value = remaining.popFirst() else { return .failure(UsageErrorMessage("--replay needs a file")) }
                options.replay = value
            case "--list": options.list = true
            case "-h", "--help":
                print(usage)
                exit(0)
            default:
                guard !argument.hasPrefix("-"), options.target.isEmpty else {
                    return .failure(UsageErrorMessage("unexpected argument '\(argument)'"))
                }
                options.target = argument
            }
        }
        if options.list { return .success(options) }
        guard !options.target.isEmpty else { return .failure(UsageErrorMessage("name a target, or `all`")) }
        guard options.target == "all" || FuzzTargets.named(options.target) != nil else {
            return .failure(UsageErrorMessage("unknown target '\(options.target)'; known: all, "
                                              + FuzzTargets.all().map(\.name).joined(separator: ", ")))
        }
        if options.replay != nil, options.target == "all" { return .failure(UsageErrorMessage("--replay needs one target, not all")) }
        return .success(options)
    }

    struct UsageErrorMessage: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func run(_ options: Options) -> Int32 {
        if options.list {
            for target in FuzzTargets.all() { print(target.name) }
            return 0
        }
        if let replay = options.replay {
            return self.replay(options.target, file: replay)
        }
        let targets: [any FuzzTarget]
        if options.target == "all" {
            targets = FuzzTargets.all()
        } else if let target = FuzzTargets.named(options.target) {
            targets = [target]
        } else {
            targets = []
        }
        let requested = options.iterations ?? 100_000
        var failed = false
        for target in targets {
            var iterations = requested
            var note = ""
            if options.target == "all", let cap = FuzzTargets.cap(for: target.name), cap < requested {
                iterations = cap
                note = "  (capped at \(cap) of \(requested) in `all`: a slow parser)"
            }
            var trace: (@Sendable ([UInt8]) -> Void)?
            if options.trace {
                let name = target.name
                trace = { input in FileHandle.standardError.write(Data("\(name): \(escaped(input))\n".utf8)) }
            }
            let report = FuzzEngine.run(target, iterations: iterations, seed: options.seed, trace: trace)
            print(line(report) + note)
            if let failure = report.failure, let input = report.failingInput {
                failed = true
                let saved = save(input, target: target.name)
                print("""
                      FAILED \(target.name) after \(report.iterations) inputs (seed \(options.seed)): \(failure.message)
                        input: "\(escaped(input))"
                        saved: \(saved ?? "(could not save)") — rerun with: fuzz \(target.name) --replay \(saved ?? "FILE")
                      """)
            }
        }
        return failed ? 1 : 0
    }

    static func line(_ report: FuzzReport) -> String {
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        return pad(report.target, 14) + pad("\(report.iterations) iterations", 20) + pad("accepted \(report.accepted)", 18)
            + pad("refused \(report.refused)", 17) + pad(String(format: "%.1f s", report.seconds), 10)
            + pad(String(format: "%.0f/s", report.iterationsPerSecond), 10)
            + String(format: "slowest %.1f ms", report.slowestSeconds * 1000)
    }

    static func replay(_ name: String, file: String) -> Int32 {
        guard let target = FuzzTargets.named(name), let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("fuzz: cannot read \(file)\n".utf8))
            return 2
        }
        let input = Array(data)
        print("\(name): \"\(escaped(input))\"")
        switch FuzzEngine.replay(target, input) {
        case .success(let verdict):
            print("\(verdict == .accepted ? "accepted" : "refused"); every property held")
            return 0
        case .failure(let failure):
            print("FAILED: \(failure.message)")
            return 1
        }
    }

    /// The failing input's bytes in the temporary folder, for `--replay`.
    static func save(_ input: [UInt8], target: String) -> String? {
        let path = FileManager.default.temporaryDirectory.path + "/fuzz-\(target)-\(ProcessInfo.processInfo.processIdentifier).input"
        return FileManager.default.createFile(atPath: path, contents: Data(input)) ? path : nil
    }
}
