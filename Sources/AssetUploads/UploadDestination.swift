/// Where in an upload area a file goes: a relative path of `/`-separated
/// names (`shoots/2026/cat.jpg`), checked so that it stays inside the area
/// and is a name every later step (the walk of a folder source, an S3 key,
/// a catalog path) takes as it is.
public struct UploadDestination: Sendable, Equatable, CustomStringConvertible {
    /// Longest destination, in UTF-8 bytes: S3's key limit less room for a prefix.
    public static let maximumLength = 768

    /// The checked relative path.
    public let path: String

    /// Refused, naming the rule: empty, too long, absolute, with an empty,
    /// `.`, `..` or hidden (`.name`) component, or with a control character
    /// or a backslash.
    public init(_ text: String) throws(UploadRefusal) {
        func refuse(_ rule: String) -> UploadRefusal {
            UploadRefusal(.invalid, "destination \(Self.quoted(text)) \(rule); give a relative path such as photos/cat.jpg",
                          param: "destination")
        }
        guard !text.isEmpty else { throw refuse("is empty") }
        guard text.utf8.count <= Self.maximumLength else { throw refuse("is over \(Self.maximumLength) bytes") }
        guard !text.hasPrefix("/") else { throw refuse("is absolute") }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) else {
            throw refuse("holds a control character or a backslash")
        }
        for component in text.split(separator: "/", omittingEmptySubsequences: false) {
            guard !component.isEmpty else { throw refuse("has an empty component (a doubled or trailing /)") }
            // Hidden names are what a folder source's walk leaves out, and
            // where the area keeps its partial files.
            guard !component.hasPrefix(".") else { throw refuse("has a component that starts with '.'") }
            guard component.utf8.count <= 255 else { throw refuse("has a component over 255 bytes") }
        }
        path = text
    }

    private init(checked path: String) {
        self.path = path
    }

    public var description: String { path }

    /// The file's name: the last component.
    public var name: String { String(path.split(separator: "/").last ?? Substring(path)) }

    /// The `n`th free-name candidate (`cat_1.jpg`, `cat_2.jpg`, ...), the
    /// way the catalog renames on conflict.
    public func numbered(_ n: Int) -> UploadDestination {
        let folder: Substring, name: Substring
        if let slash = path.lastIndex(of: "/") {
            folder = path[...slash]
            name = path[path.index(after: slash)...]
        } else {
            folder = ""
            name = Substring(path)
        }
        let stem: Substring, suffix: Substring
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            stem = name[..<dot]
            suffix = name[dot...]
        } else {
            stem = name
            suffix = ""
        }
        return UploadDestination(checked: folder + stem + "_\(n)" + suffix)
    }

    static func quoted(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars.prefix(200) {
            shown += scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
        }
        return "'" + shown + (text.unicodeScalars.count > 200 ? "…" : "") + "'"
    }
}
