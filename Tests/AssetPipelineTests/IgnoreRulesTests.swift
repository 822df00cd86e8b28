import AssetPipeline
import Foundation
import TestSupport
import Testing

/// What a walk leaves out. The gitignore syntax is checked against git
/// itself: the same rules as `.gitignore` files and `git ls-files --others
/// --exclude-standard -x` (the oracle) give the same files as
/// `.assetpipeignore` files and `--exclude`.
@Suite struct IgnoreRulesTests {
    private func write(_ root: String, _ files: [String: String]) throws {
        for (path, contents) in files {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: url)
        }
    }

    private func relative(_ walker: InputWalker, to root: String) -> [String] {
        walker.files.map { String($0.displayPath.dropFirst(root.count + 1)) }.sorted()
    }

    static let tree = [
        "a.jpg", "a.tmp", "b.JPG", "raw/x.cr2", "raw/keep.cr2", "raw/sub/y.cr2", "docs/readme.md", "docs/build/out.jpg",
        "build/out.jpg", "build.jpg", "exports/2024/a.psd", "exports/a.psd", "exports/2024/q3/b.psd", "other/exports/c.psd",
        "deep/a/b/c/d.psd", "deep/d.psd", "d.psd", ".hidden/h.jpg", ".hidden.jpg", "space name.jpg", "[brackets].jpg",
        "nested/important.tmp", "nested/x.png", "nested/y.jpg", "nested/more/z.png", "nested/more/keep.png",
        "trailing.jpg", "logs/2024/app.log", "logs/keep.log", "q?.jpg", "#hash.jpg",
    ]

    static let rootRules = """
        # a comment line, then a blank one

        *.tmp
        raw/*
        !raw/keep.cr2
        build/
        /exports/**/*.psd
        deep/**/d.psd
        \\[brackets\\].jpg
        trailing.jpg   \u{20}
        logs/**
        !logs/keep.log
        q[?].jpg
        \\#hash.jpg
        """
    static let nestedRules = "!important.tmp\n*.png\n"
    static let deeperRules = "!keep.png\n"
    static let excludes = ["space name.jpg", "/b.JPG"]

    @Test func rulesMatchGitOnTheSameTree() throws {
        let root = try Package.temporaryDirectory("ignore-git")
        try write(root, Dictionary(uniqueKeysWithValues: Self.tree.map { ($0, "x") }))
        for (folder, rules) in [("", Self.rootRules), ("nested/", Self.nestedRules), ("nested/more/", Self.deeperRules)] {
            try write(root, [folder + ".gitignore": rules, folder + IgnoreRules.fileName: rules])
        }
        try Command.run("git", ["init", "-q", root])
        let git = try Command.run("git", ["-C", root, "ls-files", "--others", "--exclude-standard"]
                                        + Self.excludes.flatMap { ["-x", $0] })
        #expect(git.status == 0, "\(git.summary)")
        let expected = git.output.split(separator: "\n").map(String.init)
            .filter { !$0.hasSuffix(IgnoreRules.fileName) }.sorted()

        let walker = InputWalker.walk([root], hidden: true, excludes: Self.excludes + [".git/"])
        let found = relative(walker, to: root)
        #expect(found == expected, "only here: \(Set(found).subtracting(expected)); only git: \(Set(expected).subtracting(found))")
        #expect(walker.problems.isEmpty, "\(walker.problems)")
        // Sanity: the rules did leave things out, and took some back.
        #expect(!expected.contains("a.tmp") && expected.contains("nested/important.tmp") && expected.contains("raw/keep.cr2"))
    }

    @Test func junkAndHiddenNamesStayOutUnlessAskedFor() throws {
        let root = try Package.temporaryDirectory("ignore-junk")
        try write(root, [
            "a.jpg": "x", ".DS_Store": "x", "Thumbs.db": "x", "desktop.ini": "x", "@eaDir/a.jpg/SYNOPHOTO_THUMB_M.jpg": "x",
            ".thumbnails/normal/t.png": "x", "._a.jpg": "x", ".hidden.jpg": "x", ".cache/c.jpg": "x", "sub/Thumbs.db": "x",
            IgnoreRules.fileName: "# nothing\n",
        ])
        let plain = InputWalker.walk([root])
        #expect(relative(plain, to: root) == ["a.jpg"])
        #expect(plain.ignored == 10, "each left-out file or folder counts once")
        let hidden = InputWalker.walk([root], hidden: true)
        #expect(relative(hidden, to: root) == [".cache/c.jpg", ".hidden.jpg", "a.jpg"])
        // A path named on the command line is always taken.
        #expect(relative(InputWalker.walk([root + "/.DS_Store"]), to: root) == [".DS_Store"])
    }

    @Test func anUnreadableIgnoreFileIsReportedAndTheFolderStillWalked() throws {
        let root = try Package.temporaryDirectory("ignore-unreadable")
        try write(root, ["a.jpg": "x", "b.tmp": "x"])
        try FileManager.default.createDirectory(atPath: root + "/" + IgnoreRules.fileName, withIntermediateDirectories: true)
        let walker = InputWalker.walk([root])
        #expect(relative(walker, to: root) == ["a.jpg", "b.tmp"])
        #expect(walker.problems.count == 1 && walker.problems[0].contains(IgnoreRules.fileName), "\(walker.problems)")
    }

    /// Many `**` against a deep path: dynamic programming, not backtracking.
    @Test func manyDoubleStarsStayFast() {
        let pattern = Array(repeating: "**/a", count: 200).joined(separator: "/") + "/b"
        let rules = IgnoreRules(hidden: true, excludes: [pattern], root: Array("/r".utf8))
        let path = Array(("/r/" + Array(repeating: "a", count: 300).joined(separator: "/") + "/c").utf8)
        #expect(!rules.ignores(path, isDirectory: false))
        #expect(rules.ignores(Array(("/r/" + Array(repeating: "a", count: 300).joined(separator: "/") + "/b").utf8),
                              isDirectory: false))
    }
}
