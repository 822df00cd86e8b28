import AssetEdits
import AssetFuzz
import Testing

/// A bounded run of every fuzz target (`make fuzz` runs a long one): the
/// parsers of outside input meet generated and mutated inputs and keep
/// their properties. A trap here ends the test process; the input is
/// found again with `fuzz TARGET --seed 1 --trace`.
@Suite struct FuzzTargetTests {
    /// Inputs per target: one to five seconds each in a debug build.
    static let iterations: [String: Int] = [
        "render-query": 8_000, "signature": 2_000, "json-body": 3_000, "job-payload": 3_000, "pipeline-yaml": 2_000,
        "exif": 2_000, "xmp": 2_000, "iptc": 5_000, "icc": 4_000, "find-query": 5_000, "ignore-file": 5_000, "config-file": 5_000,
        "analyzer-answer": 5_000, "s3-answer": 5_000, "upload-form": 5_000,
        "source-settings": 5_000,
    ]

    @Test(arguments: FuzzTargets.all().map(\.name))
    func propertiesHold(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let report = FuzzEngine.run(target, iterations: Self.iterations[name] ?? 2_000, seed: 20_241_202)
        #expect(report.failure == nil, "\(name): \(report.failure?.message ?? "") for \"\(escaped(report.failingInput ?? []))\"")
        #expect(report.iterations == (Self.iterations[name] ?? 2_000))
        // A generator that makes nothing the parser accepts tests only its error paths.
        #expect(report.accepted > 0, "\(name) accepted none of \(report.iterations) inputs")
        #expect(report.refused > 0, "\(name) refused none of \(report.iterations) inputs")
    }

    @Test func everyTargetHasAName() {
        let names = FuzzTargets.all().map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.contains("render-query"))
    }

    /// The generator spells the vocabulary out; the parser must know every name it uses.
    @Test(arguments: RenderQueryTarget.parameterNames)
    func theGeneratorsParameterNamesAreTheParsers(name: String) {
        do {
            _ = try RenderParameters(query: [(name: name, value: "")])
        } catch {
            #expect(error.code != .unknownParameter, "\(name) is not a render parameter")
        }
    }

    @Test func aRunIsTheSameForTheSameSeed() throws {
        let target = try #require(FuzzTargets.named("render-query"))
        let first = FuzzEngine.run(target, iterations: 500, seed: 7)
        let second = FuzzEngine.run(target, iterations: 500, seed: 7)
        #expect(first.accepted == second.accepted && first.refused == second.refused)
    }

    @Test func escapingShowsEveryByte() {
        #expect(escaped(Array("a\"\\\n".utf8)) == #"a\"\\\n"#)
        #expect(escaped([0x00, 0xFF, 0xEF, 0xBC, 0x90]) == #"\u{0}\xff\u{ff10}"#)
    }
}
