#if LIBFUZZER
import AssetFuzz
import Foundation

/// The libFuzzer build (`make fuzz`, `-DLIBFUZZER -sanitize=fuzzer`):
/// `fuzz TARGET [libFuzzer flags] [CORPUS...]` fuzzes one target with
/// coverage guidance; a trap or a failed property is a crash libFuzzer
/// saves as `crash-*`, which `fuzz TARGET --replay FILE` (the plain build)
/// runs again.
enum LibFuzzerEntry {
    /// The target `LLVMFuzzerTestOneInput` runs; set once, before libFuzzer starts.
    nonisolated(unsafe) static var target: (any FuzzTarget)?

    static func main() {
        var arguments = CommandLine.arguments
        guard arguments.count > 1, let target = FuzzTargets.named(arguments[1]) else {
            let names = FuzzTargets.all().map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: fuzz TARGET [libFuzzer flags] [CORPUS...]; targets: \(names)\n".utf8))
            exit(2)
        }
        Self.target = target
        arguments.remove(at: 1)
        if let corpus = arguments.dropFirst().first(where: { !$0.hasPrefix("-") }) { fillIfEmpty(corpus, target) }
        // libFuzzer parses and may keep argv: C strings that live as long as the process.
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var argc = Int32(arguments.count)
        argv.withUnsafeMutableBufferPointer { buffer in
            guard var base = buffer.baseAddress else { return }
            exit(LLVMFuzzerRunDriver(&argc, &base, fuzzOneInput))
        }
    }

    /// An empty corpus folder gets the target's seeds and a thousand inputs
    /// from its grammar, so that coverage guidance starts from real structure.
    static func fillIfEmpty(_ folder: String, _ target: any FuzzTarget) {
        guard let existing = try? FileManager.default.contentsOfDirectory(atPath: folder), existing.isEmpty else { return }
        var random = FuzzRandom(seed: 1)
        let inputs = target.seeds + (0..<1000).map { _ in target.generate(&random) }
        for (index, input) in inputs.enumerated() {
            FileManager.default.createFile(atPath: "\(folder)/seed-\(index)", contents: Data(input))
        }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// libFuzzer's entry: one input through the chosen target; a failed
/// property traps, so that libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let target = LibFuzzerEntry.target else { return 0 }
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if case .failure(let failure) = FuzzEngine.replay(target, input) {
        fatalError("\(target.name): \(failure.message)")
    }
    return 0
}
#endif
