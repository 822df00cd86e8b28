import AssetSources

/// An S3 source's settings file (`sources add --settings FILE`): the AWS
/// variables' names as `NAME = "value"` lines.
///
/// Properties, for every input:
/// - parsing never traps;
/// - a refusal never repeats a value: every generated value carries the
///   marker `s3cr3t/`, which no name can hold (a name has no `/`), so a
///   refusal that contains it has leaked a value (a secret, in real files);
/// - what is accepted sets only the names the file may set, and merged
///   over an environment that sets every one of them, each group (key
///   pair and token, region, endpoint, addressing) comes whole from the
///   file or whole from the environment.
/// Verdict: accepted when it parses, refused when it is refused.
public struct SourceSettingsTarget: FuzzTarget {
    public let name = "source-settings"
    static let marker = "s3cr3t/"

    public init() {}

    public var seeds: [[UInt8]] {
        ["", "# keys of the archive bucket\n", "AWS_ACCESS_KEY_ID = \"AKIAs3cr3t/\"\nAWS_SECRET_ACCESS_KEY = \"s3cr3t/wJalr\"\n",
         "AWS_ENDPOINT_URL = 'https://x.r2.cloudflarestorage.com'\nAWS_REGION = \"auto\"\n", "AWS_SECRET_ACCESS_KEY = s3cr3t/bare\n",
         "AWS_SECRET_ACCESS_KEY = \"s3cr3t/\\q\"\n", "AWS_SECRET_ACCESS_KEY = \"s3cr3t/unclosed\n", "[default]\nAWS_REGION = \"eu\"\n",
         "AWS_PROFILE = \"s3cr3t/\"\n", "AWS_REGION = [\"s3cr3t/\"]\n", "AWS_REGION = true\n",
         "AWS_SESSION_TOKEN = \"s3cr3t/a\"\nAWS_SESSION_TOKEN = \"s3cr3t/b\"\n"].map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] {
        (Array(SourceSettings.groups.keys) + ["=", " = ", "\"", "'", "\\", "#", "[", "]", "\n", "\r\n", Self.marker, "\u{0}", "true"]).map { Array($0.utf8) }
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        let names = SourceSettings.groups.keys.sorted() + ["AWS_PROFILE", "aws_region", "X"]
        var lines: [String] = []
        for _ in 0..<random.below(8) {
            let value = Self.marker + random.pick(["AKIA1234", "wJalr/K7+MDENG", "eu-west-1", "http://127.0.0.1:9000", "path", "x y", ""],
                                                  else: "v")
            let quoted: String
            switch random.below(8) {
            case 0: quoted = value
            case 1: quoted = "'" + value + "'"
            case 2: quoted = "\"" + value
            case 3: quoted = "\"" + value + "\\z\""
            case 4: quoted = "[\"" + value + "\"]"
            default: quoted = "\"" + value + "\""
            }
            switch random.below(10) {
            case 0: lines.append("# " + value)
            case 1: lines.append("[" + random.pick(["default", "s3", ""], else: "s") + "]")
            default: lines.append(random.pick(names, else: "X") + random.pick([" = ", "=", " "], else: " = ") + quoted
                                  + (random.chance(0.2) ? " # note" : ""))
            }
        }
        return Array(lines.joined(separator: random.chance(0.2) ? "\r\n" : "\n").utf8)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let variables: [String: String]
        do {
            variables = try SourceSettings.variables(parsing: String(decoding: input, as: UTF8.self), file: "/fuzz/settings.toml")
        } catch {
            guard !error.message.contains(Self.marker) else { throw PropertyFailure("the refusal repeats a value: \(error.message)") }
            return .refused
        }
        for name in variables.keys where SourceSettings.groups[name] == nil {
            throw PropertyFailure("\(name) was accepted, but it is not a setting")
        }
        let environment = Dictionary(uniqueKeysWithValues: SourceSettings.groups.keys.map { ($0, "from-environment") })
        let merged = SourceSettings.merged(variables, over: environment)
        for group in Set(SourceSettings.groups.values) {
            let names = SourceSettings.groups.filter { $0.value == group }.map(\.key)
            let fromFile = names.contains { variables[$0] != nil }
            for name in names where merged[name] != (fromFile ? variables[name] : "from-environment") {
                throw PropertyFailure("\(name) is \(merged[name] ?? "unset") after the merge: the \(group) group is not whole from one side")
            }
        }
        return .accepted
    }
}
