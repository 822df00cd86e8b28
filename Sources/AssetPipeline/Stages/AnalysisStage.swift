import AssetMedia
import Foundation

/// Asks an external analyzer (a cloud vision service behind a small
/// adapter, or one's own model server) about the image: POSTs one of the
/// thumbnails stage's renditions (`preview` by default) as the request body
/// and reads back `{"tags": [...], "content_alerts": {...}, "alt_text": ...}`
/// (see `AnalyzerAnswer`). Tags become `ai` tags in the catalog; content
/// alerts join those of the `content_alerts` stage (the analyzer's word wins
/// for a category both score); `alt_text` stays here.
///
/// The analyzer can never fail or hold the asset: a timeout, a refusal, an
/// error status, a malformed or oversized answer leave the asset processed
/// with `analysis: {status: "failed", reason, message}` and its earlier AI
/// tags; a refresh asks again.
public struct AnalysisStage: PipelineStage {
    public static let name = "analysis"
    public static let prerequisites = ["thumbnails"]
    public static let summary = "asks an external analyzer (HTTP) for AI tags, content alerts and alt text"

    public struct Settings: StageSettings {
        /// The endpoint, http or https; nil when the file gives none.
        public var url: String?
        /// Which rendition of the thumbnails stage is sent.
        public var rendition: String
        /// Seconds the asset may wait, for a request slot and the whole answer.
        public var timeout: Double
        /// Requests in flight at once from this process.
        public var concurrency: Int
        public var maxResponseSize: Int64
        /// Header name → value, in which `${NAME}` is the environment variable NAME.
        public var headers: [Header]

        public struct Header: Sendable, Equatable {
            public var name: String
            public var value: String
        }

        public init(section: SettingsSection) throws(PipelineDefinitionError) {
            if section.contains("url") {
                let text = try section.string("url", default: "")
                guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                      !(url.host ?? "").isEmpty else {
                    throw section.error(at: "url", "analysis.url is '\(text)'; give the analyzer's http:// or https:// address")
                }
                self.url = text
            }
            rendition = try section.string("rendition", default: "preview")
            timeout = try section.number("timeout", range: 0.1...600, unit: "seconds", default: 10)
            concurrency = try section.integer("concurrency", range: 1...256, default: 4)
            maxResponseSize = try section.byteSize("max_response_size", default: 1_048_576)
            guard maxResponseSize <= 64 * 1_048_576 else {
                throw section.error(at: "max_response_size", "analysis.max_response_size is over 64MiB; an answer about one image is far smaller")
            }
            headers = []
            let given = try section.section("headers")
            for name in given.keys {
                guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else {
                    throw given.error(atName: name, "'\(name)' is no HTTP header name (letters, digits and !#$%&'*+-.^_`|~)")
                }
                let value = try given.string(name, default: "")
                guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw given.error(at: name, "analysis.headers.\(name) holds a control character")
                }
                headers.append(Header(name: name, value: value))
            }
        }

        /// RFC 9110's token characters.
        static func isTokenByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
        }
    }

    public enum Status: String, Codable, Sendable {
        case processed, failed
    }

    /// What the last request came to.
    public struct Output: Codable, Sendable, Equatable {
        public var status: Status
        public var reason: AnalysisFailure.Reason?
        public var message: String?
        /// The tags the analyzer suggested; the catalog's `tags` hold what
        /// became of them (a tag a user removed stays removed).
        public var tags: [SuggestedTag]?
        public var altText: String?

        enum CodingKeys: String, CodingKey {
            case status, reason, message, tags
            case altText = "alt_text"
        }
    }

    let settings: Settings
    let headers: [(name: String, value: String)]
    let client: AnalyzerClient
    public let unavailable: String?

    public init(settings: Settings, pipeline: PipelineSettings) {
        self.settings = settings
        client = AnalyzerClient(timeout: settings.timeout, concurrency: settings.concurrency,
                                limit: Int(clamping: settings.maxResponseSize))
        var headers: [(name: String, value: String)] = []
        var problem: String? = settings.url == nil ? "analysis.url is not set; give the analyzer's address in the pipeline file" : nil
        for header in settings.headers {
            switch Self.expand(header.value, from: ProcessInfo.processInfo.environment) {
            case .success(let value): headers.append((header.name, value))
            case .failure(let missing): problem = problem ?? "analysis.headers.\(header.name) needs \(missing.problem)"
            }
        }
        self.headers = headers
        unavailable = problem
    }

    public func run(_ context: inout AssetContext) throws(AssetError) {
        guard let url = settings.url, context.record.isVisual,
              let image = context.renditions.first(where: { $0.name == settings.rendition }) else { return }
        let request = AnalyzerClient.Request(url: url, headers: headers, body: image.bytes, contentType: image.format.mimeType)
        let output: Output
        switch client.post(request) {
        case .failure(let failure):
            output = Output(status: .failed, reason: failure.reason, message: failure.message)
        case .success(let body):
            do {
                let answer = try AnalyzerAnswer.parse(body, levels: LevelThresholds.standard)
                output = Output(status: .processed, tags: answer.tags, altText: answer.altText)
                let alerts = context.record.output(of: ContentAlertsStage.self) ?? ContentAlertsStage.Output()
                let merged = alerts.overridden(by: answer.contentAlerts)
                if merged != ContentAlertsStage.Output() { context.record.setOutput(merged, of: ContentAlertsStage.self) }
            } catch {
                output = Output(status: .failed, reason: .malformed, message: "the analyzer's answer is malformed: \(error.problem)")
            }
        }
        context.record.setOutput(output, of: Self.self)
    }

    /// `value` with each `${NAME}` replaced by the environment variable
    /// NAME; a variable that is unset, or holds a line break, is the failure.
    static func expand(_ value: String, from environment: [String: String]) -> Result<String, ExpansionFailure> {
        var result = "", rest = Substring(value)
        while let open = rest.range(of: "${") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                return .failure(ExpansionFailure(problem: "a closing } after ${"))
            }
            let name = String(rest[open.upperBound..<close])
            guard let variable = environment[name], !variable.isEmpty else {
                return .failure(ExpansionFailure(problem: "the environment variable \(name), which is not set"))
            }
            guard !variable.contains(where: { $0.isNewline }) else {
                return .failure(ExpansionFailure(problem: "the environment variable \(name) on one line"))
            }
            result += variable
            rest = rest[rest.index(after: close)...]
        }
        return .success(result + rest)
    }

    struct ExpansionFailure: Error {
        let problem: String
    }
}

/// Why an analyzer call gave nothing usable.
public struct AnalysisFailure: Error, Sendable, Equatable {
    public enum Reason: String, Codable, Sendable, CaseIterable {
        /// No slot, no connection or no whole answer within `analysis.timeout`.
        case timeout
        /// Refused, unresolvable, reset, or TLS that did not verify.
        case unreachable
        /// An answer other than 2xx.
        case httpStatus = "http_status"
        /// Over `analysis.max_response_size`.
        case tooLarge = "too_large"
        /// Not the JSON `AnalyzerAnswer` reads.
        case malformed
    }

    public var reason: Reason
    public var message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }
}

extension LevelThresholds {
    /// The `content_alerts` stage's default bounds.
    public static let standard = LevelThresholds(unlikely: 0.2, possible: 0.4, likely: 0.6, probable: 0.8)
}
