import Foundation

/// An object as a listing or a HEAD describes it.
public struct S3Object: Sendable, Equatable {
    public var key: String
    public var size: Int64
    /// Without its quotes. For a single PUT, the hex MD5 of the content;
    /// for a multipart upload, `md5-of-part-md5s-N`.
    public var etag: String
    public var lastModified: Date?
    /// User metadata (`x-amz-meta-*`), from a HEAD only.
    public var metadata: [String: String]

    public init(key: String, size: Int64, etag: String, lastModified: Date? = nil, metadata: [String: String] = [:]) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.metadata = metadata
    }
}

/// One page of ListObjectsV2.
public struct S3ListPage: Sendable, Equatable {
    public var objects: [S3Object]
    /// Where the next page starts; nil on the last page.
    public var continuationToken: String?
}

/// What S3 answers are read into. Each parser takes the server's bytes, which
/// may be anything: it refuses what is not the answer it expects.
enum S3Answers {
    static func listPage(_ bytes: [UInt8]) throws(S3XMLError) -> S3ListPage {
        let root = try S3XML.parse(bytes)
        guard root.name == "ListBucketResult" else { throw S3XMLError(offset: 0, message: "<\(root.name)>, not <ListBucketResult>") }
        // Keys were asked for with encoding-type=url: a key may hold bytes XML cannot carry.
        let encoded = root.text(of: "EncodingType") == "url"
        var objects: [S3Object] = []
        for contents in root.children("Contents") {
            guard let rawKey = contents.text(of: "Key"), !rawKey.isEmpty else { throw S3XMLError(offset: 0, message: "an object without a Key") }
            // S3 encodes as a form does: a space is `+`, a plus `%2B` (botocore decodes with unquote_plus).
            guard let key = encoded ? rawKey.replacingOccurrences(of: "+", with: " ").removingPercentEncoding : rawKey else {
                throw S3XMLError(offset: 0, message: "a Key that is not URL-encoded")
            }
            guard let sizeText = contents.text(of: "Size"), let size = Int64(sizeText), size >= 0 else {
                throw S3XMLError(offset: 0, message: "\(key) has no size")
            }
            let etag = unquoted(contents.text(of: "ETag") ?? "")
            objects.append(S3Object(key: key, size: size, etag: etag, lastModified: contents.text(of: "LastModified").flatMap(date)))
        }
        let truncated = root.text(of: "IsTruncated") == "true"
        let token = root.text(of: "NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
        if truncated, token == nil { throw S3XMLError(offset: 0, message: "a truncated listing without NextContinuationToken") }
        return S3ListPage(objects: objects, continuationToken: truncated ? token : nil)
    }

    /// The `<Error>` body of a refused request: its code and message.
    static func error(_ bytes: [UInt8]) -> (code: String, message: String?, requestID: String?)? {
        guard let root = try? S3XML.parse(bytes), root.name == "Error", let code = root.text(of: "Code"), !code.isEmpty else { return nil }
        return (code, root.text(of: "Message"), root.text(of: "RequestId"))
    }

    static func uploadID(_ bytes: [UInt8]) throws(S3XMLError) -> String {
        let root = try S3XML.parse(bytes)
        guard root.name == "InitiateMultipartUploadResult", let id = root.text(of: "UploadId"), !id.isEmpty else {
            throw S3XMLError(offset: 0, message: "no UploadId in the answer")
        }
        return id
    }

    /// CompleteMultipartUpload can answer 200 with an `<Error>` body.
    static func completedETag(_ bytes: [UInt8]) throws(S3XMLError) -> String {
        let root = try S3XML.parse(bytes)
        guard root.name == "CompleteMultipartUploadResult" else { throw S3XMLError(offset: 0, message: "<\(root.name)>, not <CompleteMultipartUploadResult>") }
        return unquoted(root.text(of: "ETag") ?? "")
    }

    static func unquoted(_ etag: String) -> String {
        var value = etag.trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("W/") { value.removeFirst(2) }
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        return value
    }

    static func date(_ text: String) -> Date? {
        if let date = utcDate(text) { return date }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fff]Z`, what S3 servers write, read without a
    /// formatter (a listing has 1,000 of them; a formatter each costs more
    /// than the rest of the page). Anything else: nil.
    static func utcDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == 45, bytes[7] == 45, bytes[10] == 84,
              bytes[13] == 58, bytes[16] == 58 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
              let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day),
              hour < 24, minute < 60, second < 61 else { return nil }
        var fraction = 0.0
        if bytes.count > 20 {
            guard bytes[19] == 46, (1...9).contains(bytes.count - 21), let digits = number(20..<(bytes.count - 1)) else { return nil }
            fraction = Double(digits) / pow(10, Double(bytes.count - 21))
        } else if bytes[19] != UInt8(ascii: "Z") {
            return nil
        }
        // Days from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
        let shifted = month <= 2 ? year - 1 : year
        let era = shifted / 400
        let yearOfEra = shifted - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction)
    }

    /// The body of CompleteMultipartUpload.
    static func completeBody(_ etags: [String]) -> [UInt8] {
        var xml = "<CompleteMultipartUpload>"
        for (index, etag) in etags.enumerated() {
            xml += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\"\(escaped(etag))\"</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        return Array(xml.utf8)
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension S3ListPage {
    /// A ListObjectsV2 answer (keys URL-encoded when it says `EncodingType` url).
    public static func parse(_ bytes: [UInt8]) throws(S3XMLError) -> S3ListPage {
        try S3Answers.listPage(bytes)
    }
}

extension S3XMLElement {
    /// The element as XML that `S3XML.parse` reads back as the same element.
    public var xml: String {
        "<\(name)>" + (children.isEmpty ? S3Answers.escaped(text) : children.map(\.xml).joined()) + "</\(name)>"
    }

    /// Levels of elements, this one included.
    public var depth: Int {
        1 + (children.map(\.depth).max() ?? 0)
    }
}
