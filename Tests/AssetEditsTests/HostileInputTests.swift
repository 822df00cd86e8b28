import AssetEdits
import AssetMedia
import Foundation
import Synchronization
import TestSupport
import Testing

/// What a hostile client sends, each once observed to trap or stall the
/// server: now a clean refusal, and renders that stop when told to.
@Suite struct HostileInputTests {
    @Test(arguments: ["bg=%EF%BC%90%EF%BC%90%EF%BC%90", "txt-color=%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90",
                      "bg=%EF%BC%A1bc", "rect=9223372036854775807,0,1,1", "w=99999999999999999999", "dpr=nan", "blur=inf"])
    func outOfRangeAndLookalikeValuesAreRefusedOrPlanned(query: String) throws {
        // Fullwidth digits pass Character.isHexDigit; they must be refused, not trap.
        do {
            let parameters = try RenderParameters(queryString: query)
            // What parses must plan without trapping; a crop past the edge is refused there.
            #expect(throws: RenderError.self) { _ = try Renderer().check(from: (1200, 900), parameters) }
        } catch {
            #expect(error.code == .invalidValue)
        }
    }

    @Test func aSignatureOfFullwidthDigitsIsRefused() throws {
        let signer = try #require(URLSigner(keys: ["key"]))
        let fullwidthZeros = String(repeating: "\u{FF10}", count: 64)
        #expect(!signer.isValid(fullwidthZeros, path: "/v1/assets/a/render", parameters: RenderParameters()))
        #expect(!signer.isValid(String(repeating: "é", count: 32), path: "/v1/assets/a/render", parameters: RenderParameters()))
    }

    @Test func aCropWhoseEndOverflowsIsAParameterError() throws {
        let parameters = try RenderParameters(queryString: "rect=9223372036854775807,0,1,1")
        #expect {
            _ = try Renderer().check(from: (1200, 900), parameters)
        } throws: { error in
            guard case RenderError.parameter(let parameter) = error else { return false }
            return parameter.param == "rect"
        }
    }

    @Test(arguments: [
        "blur=100&dpr=2&w=2000&h=2000&fit=fill",
        "w=4000&h=4000&fit=fill&fm=avif",
        "txt=" + Array(repeating: "thirty", count: 30).joined(separator: "%20") + "&txt-size=512&dpr=4&w=1000",
    ])
    func expensiveRendersAreRefusedBeforeTheyStart(query: String) throws {
        let parameters = try RenderParameters(queryString: query)
        #expect {
            _ = try Renderer().check(from: (6000, 4000), parameters)
        } throws: { error in
            guard case RenderError.tooCostly = error else { return false }
            return true
        }
    }

    /// Found by the fuzzer: parts of a cost that each saturate at Int.max
    /// (a huge source, a large mark, a smart crop) once overflowed when added.
    @Test func costsOfHugeSourcesSaturateInsteadOfTrapping() throws {
        var limits = RenderLimits()
        limits.maxSourcePixels = .max
        let parameters = try RenderParameters(queryString: "w=100&h=100&fit=cover&gravity=attention&mark=m&px=4")
        #expect {
            _ = try Renderer(limits: limits).check(from: (Int.max / 2, Int.max / 2), parameters)
        } throws: { error in
            guard case RenderError.tooCostly = error else { return false }
            return true
        }
    }

    @Test func everydayRendersAreWithinTheLimit() throws {
        for query in ["w=400&h=300&fit=cover&fm=webp", "w=4096&fm=webp", "w=2000&blur=5", "w=1024&txt=Hello%20world&txt-size=64&dpr=2",
                      "w=1600&h=1600&fit=cover&gravity=attention", "w=1600&fm=avif", "w=6000&q=90", "w=2000&fm=png"] {
            let cost = try Renderer().check(from: (6000, 4000), try RenderParameters(queryString: query))
            #expect(cost.total <= RenderLimits().maxWork, "\(query): \(cost)")
        }
    }

    @Test func textIsPlainNotPangoMarkup() throws {
        // As markup this is a 200-pixel "A"; as text, a line of small characters.
        let query = "txt=" + RenderParameters.percentEncoded(#"<span font="sans 200">A</span>"#)
            + "&txt-size=12&txt-color=000000&txt-align=top-left&fm=png"
        let image = try Renderer().render(try SourceFile(path: RendererTests.white).open(), try RenderParameters(queryString: query))
        let path = try Package.temporaryDirectory("markup") + "/out.png"
        try Data(image.bytes).write(to: URL(fileURLWithPath: path))
        #expect(try RendererTests.darkest(path, x: 0, y: 0, width: 400, height: 40) < 100, "the text was not drawn")
        #expect(try RendererTests.darkest(path, x: 0, y: 60, width: 400, height: 240) == 255, "ink far below one line of 12 px text")
    }

    @Test func fontNamesCarryNoMarkupOrSizes() throws {
        #expect(throws: EditParameterError.self) { try RenderParameters(queryString: "txt-font=sans%3Cb%3E") }
        #expect(try RenderParameters(queryString: "txt-font=DejaVu%20Sans%2C%20bold").textFont == "DejaVu Sans, bold")
    }

    @Test func textLengthIsCountedInScalarsNotGraphemes() throws {
        // One grapheme of 600 scalars: "a" and 599 combining marks.
        let stacked = "a" + String(repeating: "\u{0301}", count: 599)
        #expect(stacked.count == 1)
        #expect(throws: EditParameterError.self) {
            try RenderParameters(queryString: "txt=" + RenderParameters.percentEncoded(stacked))
        }
    }

    @Test func aCancelledRenderStopsWithinASecond() throws {
        var limits = RenderLimits()
        limits.maxWork = .max
        // About 10 s of blur on one core; cancelled after 0.2 s.
        let parameters = try RenderParameters(queryString: "w=4000&h=3000&fit=fill&blur=60")
        let source = try SourceFile(path: RendererTests.quadrants).open()
        let cancellation = Cancellation()
        let cancelledAt = Mutex<ContinuousClock.Instant?>(nil)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) {
            cancelledAt.withLock { $0 = .now }
            cancellation.cancel()
        }
        #expect {
            _ = try cancellation.run { try Renderer(limits: limits).render(source, parameters) }
        } throws: { error in
            guard case RenderError.stopped = error else { return false }
            return true
        }
        // Measured from the cancellation, with room for a loaded CI machine
        // (the CI once took 1.04 s): a render that ignored it runs ~10 s.
        let stoppedAfter = cancelledAt.withLock { $0 }.map { $0.duration(to: .now) }
        #expect(stoppedAfter.map { $0 < .seconds(3) } == true, "the render went on \(String(describing: stoppedAfter)) after its cancellation")
    }

    /// libvips cannot stop a WebP or AVIF encoder once it runs: with too
    /// little time left before the deadline for its estimate, it never starts.
    @Test(arguments: ["fm=webp", "fm=avif"])
    func anEncoderThatCannotBeStoppedStartsOnlyWhenItFits(format: String) throws {
        let parameters = try RenderParameters(queryString: "w=1000&h=750&fit=fill&" + format)
        let source = try SourceFile(path: RendererTests.quadrants).open()
        let soon = ContinuousClock.now + .milliseconds(50)
        let started = ContinuousClock.now
        #expect {
            _ = try Renderer().render(source, parameters, deadline: soon)
        } throws: { error in
            guard case RenderError.stopped = error else { return false }
            return true
        }
        #expect(ContinuousClock.now - started < .seconds(1), "the encoder ran past its deadline")
        // Given the time, the same render is made.
        let rendered = try Renderer().render(source, parameters, deadline: .now + .seconds(600))
        #expect((rendered.width, rendered.height) == (1000, 750))
    }
}

/// Secrets files and variables are read strictly: a source that is given
/// but holds nothing refuses to start, never turns signing or auth off.
@Suite struct SecretsTests {
    @Test func commentsAreDroppedAfterTrimming() {
        #expect(Secrets.lines(of: "  # rotated\nnew-key\n\n   old-key  \n#x") == ["new-key", "old-key"])
        #expect(Secrets.list(" a , ,b ") == ["a", "b"])
    }

    @Test func aGivenSourceWithoutSecretsIsAnError() throws {
        let directory = try Package.temporaryDirectory("secrets")
        let commentOnly = directory + "/keys", empty = directory + "/token"
        try "# only a comment\n   # and another\n".write(toFile: commentOnly, atomically: true, encoding: .utf8)
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(throws: Secrets.LoadError.self) { try Secrets.load(variable: "X", file: commentOnly, environment: [:]) }
        #expect(throws: Secrets.LoadError.self) { try Secrets.load(variable: "X", file: empty, environment: [:]) }
        #expect(throws: Secrets.LoadError.self) { try Secrets.load(variable: "X", file: nil, environment: ["X": " , "]) }
        #expect(throws: Secrets.LoadError.self) { try URLSigner.configured(environment: ["ASSETPIPE_SIGNING_KEYS": " , "]) }
        #expect(try Secrets.load(variable: "X", file: nil, environment: [:]) == nil)
        #expect(try Secrets.load(variable: "X", file: nil, environment: ["X": "k1,k2"]) == ["k1", "k2"])
    }
}
