import AssetMedia
#if canImport(Glibc)
import Glibc
#endif

/// Which files a walk leaves out, in gitignore's syntax and precedence:
/// the built-in junk of file systems and photo tools, hidden names (unless
/// asked for), each folder's `.assetpipeignore`, then `--exclude`; the last
/// rule that matches a path decides, so `!pattern` takes a path back. A
/// folder left out is not entered, so nothing under it can be taken back
/// (git's rule too).
///
/// Pattern syntax (gitignore): `#` starts a comment line; a trailing `/`
/// matches folders only; a `/` at the start or in the middle anchors the
/// pattern to the folder of its file (or to each walked root, for
/// `--exclude`), otherwise it matches a name at any depth; `*`, `?` and
/// `[a-z]` match within one name, `**` across folders; `\` escapes.
public struct IgnoreRules: Sendable {
    /// The file each folder may hold.
    public static let fileName = ".assetpipeignore"
    /// What operating systems and NAS photo tools leave in folders: macOS
    /// Finder metadata and AppleDouble files, Windows thumbnails and folder
    /// settings, Synology's and freedesktop's thumbnail folders.
    public static let junk = [".DS_Store", "Thumbs.db", "desktop.ini", "@eaDir/", ".thumbnails/", "._*"]
    /// A larger ignore file is refused (reported, and its folder walked without it).
    public static let maximumFileSize = 1 << 20

    private var rules: [IgnoreRule]

    /// The built-in rules (`junk`, and hidden names unless `hidden`) and the
    /// `excludes` a user gave, which are anchored at `root` when they contain a `/`.
    public init(hidden: Bool = false, excludes: [String] = [], root: [UInt8] = []) {
        var patterns = Self.junk + [Self.fileName]
        if !hidden { patterns.insert(".*", at: 0) }
        rules = patterns.compactMap { IgnoreRule(line: Array($0.utf8), base: root) }
        rules += excludes.compactMap { IgnoreRule(line: Array($0.utf8), base: root) }
        excludeCount = rules.count - patterns.count
    }

    /// How many of the last rules are `--exclude`s, which outrank every file.
    private var excludeCount: Int

    /// These rules plus an ignore file's, read from the folder at `base`;
    /// its rules rank above those of the folders above it and below `--exclude`.
    public func adding(fileContents contents: [UInt8], base: [UInt8]) -> IgnoreRules {
        var next = self
        let lines = contents.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        let added = lines.compactMap { IgnoreRule(line: Array($0), base: base) }
        next.rules.insert(contentsOf: added, at: rules.count - excludeCount)
        return next
    }

    /// These rules plus those of the `.assetpipeignore` in `folder`; an
    /// unreadable or oversized file is not applied, and the problem says so.
    public func addingFile(in folder: [UInt8]) -> (rules: IgnoreRules, problem: String?) {
        let file = SourceFile(pathBytes: folder + Array("/\(Self.fileName)".utf8))
        do {
            let opened = try file.open()
            guard opened.size <= Int64(Self.maximumFileSize) else {
                return (self, "not applying \(file.displayPath): larger than \(Self.maximumFileSize >> 20) MiB")
            }
            return (adding(fileContents: try opened.read(upTo: Self.maximumFileSize, at: 0), base: folder), nil)
        } catch {
            return (self, "not applying \(file.displayPath): \(error.message)")
        }
    }

    /// Whether the walk leaves out this absolute path.
    public func ignores(_ path: [UInt8], isDirectory: Bool) -> Bool {
        var ignored = false
        for rule in rules where rule.matches(path, isDirectory: isDirectory) {
            ignored = !rule.negated
        }
        return ignored
    }

    /// How many rules there are, the built-in ones included.
    public var count: Int { rules.count }

    /// Whether `--exclude` pattern text holds a rule at all (not empty, not a comment).
    public static func isPattern(_ text: String) -> Bool {
        IgnoreRule(line: Array(text.utf8), base: []) != nil
    }
}

/// One line of an ignore file.
struct IgnoreRule: Sendable {
    /// The folder the pattern is relative to, absolute, without a trailing slash.
    let base: [UInt8]
    let negated: Bool
    let directoryOnly: Bool
    /// A pattern with a `/` before its end matches the whole path below
    /// `base`; one without matches a name at any depth.
    let anchored: Bool
    /// NUL-terminated `fnmatch` patterns, one per path component; `nil` is `**`.
    let segments: [[CChar]?]

    /// Nil for a blank line or a comment.
    init?(line raw: [UInt8], base: [UInt8]) {
        var line = raw
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        // Trailing spaces are dropped unless escaped.
        while line.last == UInt8(ascii: " "), !(line.count >= 2 && line[line.count - 2] == UInt8(ascii: "\\")) {
            line.removeLast()
        }
        guard let first = line.first, first != UInt8(ascii: "#") else { return nil }
        negated = first == UInt8(ascii: "!")
        if negated { line.removeFirst() }
        directoryOnly = line.last == UInt8(ascii: "/")
        while line.last == UInt8(ascii: "/") { line.removeLast() }
        anchored = line.contains(UInt8(ascii: "/"))
        if line.first == UInt8(ascii: "/") { line.removeFirst() }
        let parts = line.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        guard !parts.isEmpty else { return nil }
        segments = parts.map { part in
            part.elementsEqual("**".utf8) ? nil : part.map { CChar(bitPattern: $0) } + [0]
        }
        var trimmed = base
        while trimmed.last == UInt8(ascii: "/") { trimmed.removeLast() }
        self.base = trimmed
    }

    func matches(_ path: [UInt8], isDirectory: Bool) -> Bool {
        if directoryOnly && !isDirectory { return false }
        guard path.count > base.count + 1, path.starts(with: base), path[base.count] == UInt8(ascii: "/") else { return false }
        let components = path[(base.count + 1)...].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
            .map { $0.map { CChar(bitPattern: $0) } + [0] }
        guard let name = components.last else { return false }
        // A name pattern (one segment, no `/`); `**` alone matches any name.
        if !anchored, segments.count == 1 { return segments[0].map { Self.fnmatch($0, name) } ?? true }
        return Self.match(segments[...], components[...])
    }

    /// Pattern segments against path components; `**` (nil) takes zero or
    /// more components. Dynamic programming over (segment, component), so a
    /// pattern of many `**` costs segments × components, never exponential.
    private static func match(_ pattern: ArraySlice<[CChar]?>, _ path: ArraySlice<[CChar]>) -> Bool {
        let segments = Array(pattern), components = Array(path)
        // reachable[j]: the segments so far can consume exactly the first j components.
        var reachable = [Bool](repeating: false, count: components.count + 1)
        reachable[0] = true
        for (index, segment) in segments.enumerated() {
            var next = [Bool](repeating: false, count: components.count + 1)
            if let segment {
                for j in components.indices where reachable[j] && fnmatch(segment, components[j]) { next[j + 1] = true }
            } else {
                // A trailing `**` matches everything inside, not the folder
                // itself (`logs/**` leaves `logs` walked); elsewhere it may be empty.
                let least = index == segments.count - 1 ? 1 : 0
                var any = false
                for j in reachable.indices {
                    if j >= least { any = any || reachable[j - least] }
                    next[j] = any
                }
            }
            reachable = next
        }
        return reachable[components.count]
    }

    private static func fnmatch(_ pattern: [CChar], _ name: [CChar]) -> Bool {
        pattern.withUnsafeBufferPointer { p in
            name.withUnsafeBufferPointer { n in Glibc.fnmatch(p.baseAddress, n.baseAddress, 0) == 0 }
        }
    }
}
