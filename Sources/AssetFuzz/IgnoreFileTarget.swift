import AssetPipeline

/// A `.assetpipeignore` file's bytes (and `--exclude` patterns, which are
/// its lines) as the walk reads them: gitignore syntax, any bytes.
///
/// Properties, for every input:
/// - parsing and matching never trap (unclosed `[`, lone `\`, `**` runs,
///   NUL and invalid UTF-8, CR line ends, a megabyte of one line);
/// - the last rule that matches decides: the file plus a last line `**`
///   leaves out every probe path, plus `!**` after that takes every one back;
/// - a file that leaves a path out leaves it out whatever other folder the
///   rules apply to is not its own (rules never reach outside their folder).
/// Verdict: accepted when the file holds at least one rule, refused when it
/// is only blank lines and comments.
public struct IgnoreFileTarget: FuzzTarget {
    public let name = "ignore-file"
    static let base = Array("/r/photos".utf8)
    static let outside = Array("/r/other/a.jpg".utf8)
    static let probes: [[UInt8]] = [
        "a.jpg", "raw/x.cr2", "raw/sub/y.cr2", ".hidden", "deep/a/b/c/d.psd", "[x].jpg", "q?.jpg", "#h.jpg", "a b.jpg",
        "caf\u{e9}.jpg", "\u{ff10}.jpg", "**", "!", "\\",
    ].map { base + Array("/\($0)".utf8) } + [base + [0x2F, 0xFF, 0xFE, 0x2E, 0x6A]]

    public init() {}

    public var seeds: [[UInt8]] {
        ["", "# only a comment\n\n", "*.tmp\n!keep.tmp\n", "raw/*\n!raw/keep.cr2\nbuild/\n", "/exports/**/*.psd\n",
         "logs/**\n!logs/keep.log\n", "\\[x\\].jpg\n\\#h.jpg\ntrailing   \n", "q[?].jpg\r\n[!a-z]*\r\n", "[unclosed\n\\\n",
         String(repeating: "**/", count: 300) + "d.psd\n"].map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] {
        ["*", "**", "**/", "/**", "?", "[", "]", "[!", "[^", "-", "\\", "!", "#", "/", "\n", "\r\n", " ", ".", "..", "raw",
         "a.jpg", "\u{0}", "\u{ff10}"].map { Array($0.utf8) }
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        let pieces = ["*", "**", "?", "[a-z]", "[!a]", "[", "\\", "!", "#", "/", "raw", "a", ".jpg", "deep", " ", "d.psd", "sub"]
        var lines: [String] = []
        for _ in 0..<random.below(8) {
            var line = ""
            for _ in 0..<(1 + random.below(6)) { line += random.pick(pieces, else: "*") }
            lines.append(line)
        }
        return Array(lines.joined(separator: random.chance(0.2) ? "\r\n" : "\n").utf8)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let none = IgnoreRules(hidden: true)
        let rules = none.adding(fileContents: input, base: Self.base)
        for probe in Self.probes {
            for isDirectory in [false, true] {
                _ = rules.ignores(probe, isDirectory: isDirectory)
            }
        }
        if rules.ignores(Self.outside, isDirectory: false) {
            throw PropertyFailure("a rule of /r/photos/.assetpipeignore left out /r/other/a.jpg")
        }
        let all = rules.adding(fileContents: Array("\n**".utf8), base: Self.base)
        let back = all.adding(fileContents: Array("!**".utf8), base: Self.base)
        for probe in Self.probes {
            if !all.ignores(probe, isDirectory: false) {
                throw PropertyFailure("a last `**` did not leave out \(String(decoding: probe, as: UTF8.self))")
            }
            if back.ignores(probe, isDirectory: false) {
                throw PropertyFailure("a last `!**` did not take back \(String(decoding: probe, as: UTF8.self))")
            }
        }
        return rules.count > none.count ? .accepted : .refused
    }
}
