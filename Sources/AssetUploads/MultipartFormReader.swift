/// A `multipart/form-data` body (RFC 7578) read as it streams: bytes go in
/// as they arrive, events come out (a part starts with its headers, some
/// of its bytes, it ends, the body ends), and only a delimiter's length of
/// bytes is ever held back. Malformed bodies are refused, never trapped on:
/// a boundary that is not one, headers past 16 KiB, a preamble past
/// 64 KiB, a body that stops before its closing delimiter.
public struct MultipartFormReader {
    public enum Event: Equatable, Sendable {
        /// A part begins: its `name`, its `filename` when it is a file, its Content-Type.
        case partStart(name: String, filename: String?, contentType: String?)
        case bytes([UInt8])
        case partEnd
    }

    static let headerLimit = 16 * 1024
    static let preambleLimit = 64 * 1024

    private enum State { case preamble, afterDelimiter, headers, body, end }

    /// `CRLF--boundary`: what ends a part (and, with the CRLF we start
    /// with, what opens the first).
    private let delimiter: [UInt8]
    private var buffer: [UInt8] = [13, 10]
    private var start = 0
    private var state = State.preamble
    private var skipped = 0
    /// Bytes of the header block, from `start`, searched without finding its end.
    private var headerScanned = 0

    /// The reader for a request's Content-Type; refused unless it is
    /// `multipart/form-data` with a valid boundary.
    public init(contentType: String) throws(UploadRefusal) {
        let pieces = Self.split(contentType, by: ";")
        guard pieces.first?.trimmed.lowercased() == "multipart/form-data" else {
            throw UploadRefusal(.invalid, "a form upload is multipart/form-data, not \(contentType)")
        }
        let parameters = Self.parameters(pieces.dropFirst())
        guard let boundary = parameters["boundary"], (1...70).contains(boundary.utf8.count),
              boundary.utf8.allSatisfy({ (32...126).contains($0) }), boundary.last != " " else {
            throw UploadRefusal(.invalid, "the Content-Type names no valid boundary (1 to 70 printable characters)")
        }
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// Whether the closing delimiter has been read.
    public var isComplete: Bool { state == .end }

    /// Reads more of the body; the events it completes, in order.
    public mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(UploadRefusal) -> [Event] {
        if state == .end { return [] }
        if start > 0, start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
        var events: [Event] = []
        while true {
            switch state {
            case .end:
                return events
            case .preamble:
                guard let found = find(delimiter, from: start) else {
                    let keep = max(start, buffer.count - (delimiter.count - 1))
                    skipped += keep - start
                    start = keep
                    if skipped > Self.preambleLimit { throw Self.noPart }
                    return events
                }
                guard skipped + (found - start) <= Self.preambleLimit else { throw Self.noPart }
                start = found + delimiter.count
                state = .afterDelimiter
            case .afterDelimiter:
                // `--` closes the body; otherwise optional blanks, then CRLF.
                var index = start
                while index < buffer.count, buffer[index] == 32 || buffer[index] == 9 { index += 1 }
                guard index + 1 < buffer.count else { return events }
                if buffer[index] == 45, buffer[index + 1] == 45, index == start {
                    state = .end
                    start = buffer.count
                    return events
                }
                guard buffer[index] == 13, buffer[index + 1] == 10 else {
                    throw UploadRefusal(.invalid, "a form boundary is followed by something other than a line end")
                }
                start = index + 2
                headerScanned = 0
                state = .headers
            case .headers:
                let end: Int
                if buffer.count - start >= 2, buffer[start] == 13, buffer[start + 1] == 10 {
                    end = start
                } else if let found = find([13, 10, 13, 10], from: start + max(0, headerScanned - 3)) {
                    end = found + 2
                } else {
                    // Not ended yet: refused only once no ending could keep the block within the limit.
                    guard buffer.count - start <= Self.headerLimit + 1 else {
                        throw UploadRefusal(.invalid, "a form part's headers are over \(Self.headerLimit / 1024) KiB")
                    }
                    headerScanned = buffer.count - start
                    return events
                }
                guard end - start <= Self.headerLimit else {
                    throw UploadRefusal(.invalid, "a form part's headers are over \(Self.headerLimit / 1024) KiB")
                }
                events.append(try Self.partStart(headers: buffer[start..<end]))
                start = end + 2
                state = .body
            case .body:
                if let found = find(delimiter, from: start) {
                    if found > start { events.append(.bytes(Array(buffer[start..<found]))) }
                    events.append(.partEnd)
                    start = found + delimiter.count
                    state = .afterDelimiter
                } else {
                    let safe = buffer.count - (delimiter.count - 1)
                    if safe > start {
                        events.append(.bytes(Array(buffer[start..<safe])))
                        start = safe
                    }
                    return events
                }
            }
        }
    }

    static let noPart = UploadRefusal(.invalid, "no part of the form starts within \(preambleLimit / 1024) KiB: "
                                      + "is the boundary in the Content-Type the one the body uses?")

    /// The first index at or after `from` where `needle` starts.
    private func find(_ needle: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, needle.count <= buffer.count - from else { return nil }
        var index = from
        let last = buffer.count - needle.count
        while index <= last {
            guard let candidate = buffer[index...last].firstIndex(of: first) else { return nil }
            var matched = true
            for offset in 1..<needle.count where buffer[candidate + offset] != needle[offset] {
                matched = false
                break
            }
            if matched { return candidate }
            index = candidate + 1
        }
        return nil
    }

    /// A part's start from its header block (CRLF-separated lines).
    static func partStart(headers: ArraySlice<UInt8>) throws(UploadRefusal) -> Event {
        guard let text = String(validating: headers, as: UTF8.self) else {
            throw UploadRefusal(.invalid, "a form part's headers are not UTF-8")
        }
        var disposition: [String: String]?
        var contentType: String?
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else {
                throw UploadRefusal(.invalid, "a form part has a header line without ':'")
            }
            let name = line[..<colon].trimmed.lowercased()
            let value = String(line[line.index(after: colon)...])
            if name == "content-disposition" {
                let pieces = split(value, by: ";")
                guard pieces.first?.trimmed.lowercased() == "form-data" else {
                    throw UploadRefusal(.invalid, "a form part's Content-Disposition is not form-data")
                }
                disposition = parameters(pieces.dropFirst())
            } else if name == "content-type" {
                contentType = value.trimmed
            }
        }
        guard let disposition, let name = disposition["name"] else {
            throw UploadRefusal(.invalid, "a form part has no Content-Disposition: form-data; name=\"...\"")
        }
        return .partStart(name: whatwgDecoded(name), filename: disposition["filename"].map(whatwgDecoded), contentType: contentType)
    }

    /// Browsers (and urllib3, and curl since 7.81) write `"`, CR and LF in
    /// names as `%22`, `%0D` and `%0A` (the WHATWG form encoding); nothing
    /// else is escaped, so only those are read back.
    static func whatwgDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        return text.replacingOccurrences(of: "%22", with: "\"").replacingOccurrences(of: "%0D", with: "\r")
            .replacingOccurrences(of: "%0A", with: "\n")
    }

    /// `key=value` and `key="quoted \" value"` pairs, keys lowercased.
    static func parameters(_ pieces: ArraySlice<String>) -> [String: String] {
        var found: [String: String] = [:]
        for piece in pieces {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmed.lowercased()
            var value = piece[piece.index(after: equals)...].trimmed
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                var unquoted = ""
                var escaped = false
                for character in value.dropFirst().dropLast() {
                    if escaped || character != "\\" {
                        unquoted.append(character)
                        escaped = false
                    } else {
                        escaped = true
                    }
                }
                value = unquoted
            }
            if found[key] == nil { found[key] = value }
        }
        return found
    }

    /// `text` split at `separator`s outside double quotes.
    static func split(_ text: String, by separator: Character) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false, escaped = false
        for character in text {
            if escaped {
                escaped = false
            } else if quoted, character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == separator, !quoted {
                pieces.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        pieces.append(current)
        return pieces
    }
}

extension StringProtocol {
    var trimmed: String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
