/// The XML that S3 servers answer with (ListBucketResult, Error,
/// InitiateMultipartUploadResult, CompleteMultipartUploadResult), read by
/// a small strict reader of our own: elements, attributes (read past),
/// text with the five named entities and character references, comments,
/// CDATA and the `<?xml?>` prolog. No DTD, no external anything: what a
/// server cannot send in these answers is refused, not interpreted.
/// Foundation's XMLParser is not used because it traps on some malformed
/// input (see XMPPacket.isSafeForXMLParser).
public struct S3XMLElement: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [S3XMLElement]

    /// The first child of that name.
    public func child(_ name: String) -> S3XMLElement? {
        children.first { $0.name == name }
    }

    /// Every child of that name, in order.
    public func children(_ name: String) -> [S3XMLElement] {
        children.filter { $0.name == name }
    }

    /// The text of the first child of that name.
    public func text(of name: String) -> String? {
        child(name)?.text
    }
}

public struct S3XMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let message: String

    public var description: String { "malformed XML at byte \(offset): \(message)" }
}

public enum S3XML {
    /// Deeper than any S3 answer (ListBucketResult > Contents > Owner > ID is 3).
    public static let maxDepth = 16
    /// A page of 1,000 keys has about 7,000 elements.
    public static let maxElements = 200_000

    public static func parse(_ bytes: [UInt8]) throws(S3XMLError) -> S3XMLElement {
        var reader = Reader(bytes: bytes)
        return try reader.document()
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var elements = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        func fail(_ message: String) -> S3XMLError {
            S3XMLError(offset: index, message: message)
        }

        var atEnd: Bool { index >= bytes.count }

        /// Whether the bytes at `index` are `literal`; no allocation (this
        /// runs for every markup byte of a 1,000-key listing).
        func peek(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard bytes.count - index >= count else { return false }
            return literal.withUTF8Buffer { bytes[index..<(index + count)].elementsEqual($0) }
        }

        static func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }

        mutating func skipSpace() {
            while index < bytes.count, Self.isSpace(bytes[index]) { index += 1 }
        }

        /// Moves past `terminator`, refusing input that ends first.
        mutating func skip(past terminator: StaticString) throws(S3XMLError) {
            while index < bytes.count {
                if peek(terminator) {
                    index += terminator.utf8CodeUnitCount
                    return
                }
                index += 1
            }
            throw fail("no \(terminator) before the end")
        }

        /// Comments and processing instructions between elements.
        mutating func skipMisc() throws(S3XMLError) {
            while true {
                skipSpace()
                if peek("<?") {
                    try skip(past: "?>")
                } else if peek("<!--") {
                    try skip(past: "-->")
                } else {
                    return
                }
            }
        }

        mutating func document() throws(S3XMLError) -> S3XMLElement {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
            try skipMisc()
            if peek("<!") { throw fail("a DTD or declaration, which S3 answers never have") }
            guard peek("<") else { throw fail("no root element") }
            let root = try element(depth: 1)
            try skipMisc()
            guard atEnd else { throw fail("content after the root element") }
            return root
        }

        mutating func name() throws(S3XMLError) -> String {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if Self.isSpace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "=")
                    || byte == UInt8(ascii: "<") {
                    break
                }
                index += 1
            }
            guard index > start, let name = String(validating: bytes[start..<index], as: UTF8.self) else {
                throw fail("a missing or non-UTF-8 name")
            }
            return name
        }

        mutating func element(depth: Int) throws(S3XMLError) -> S3XMLElement {
            guard depth <= S3XML.maxDepth else { throw fail("nested deeper than \(S3XML.maxDepth)") }
            elements += 1
            guard elements <= S3XML.maxElements else { throw fail("more than \(S3XML.maxElements) elements") }
            index += 1 // <
            let elementName = try name()
            // Attributes (S3 sends xmlns only): read and ignored.
            while true {
                skipSpace()
                if peek("/>") {
                    index += 2
                    return S3XMLElement(name: elementName, text: "", children: [])
                }
                if peek(">") {
                    index += 1
                    break
                }
                _ = try name()
                skipSpace()
                guard peek("=") else { throw fail("an attribute without a value") }
                index += 1
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "'") else {
                    throw fail("an unquoted attribute value")
                }
                let quote = bytes[index]
                index += 1
                while index < bytes.count, bytes[index] != quote {
                    if bytes[index] == UInt8(ascii: "<") { throw fail("< in an attribute value") }
                    index += 1
                }
                guard index < bytes.count else { throw fail("an unterminated attribute value") }
                index += 1
            }
            var text: [UInt8] = []
            var children: [S3XMLElement] = []
            while true {
                guard index < bytes.count else { throw fail("<\(elementName)> is not closed") }
                // Plain text up to the next markup or entity, in one append.
                let plain = index
                while index < bytes.count, bytes[index] != UInt8(ascii: "<"), bytes[index] != UInt8(ascii: "&") { index += 1 }
                if index > plain {
                    text.append(contentsOf: bytes[plain..<index])
                    continue
                }
                if peek("</") {
                    index += 2
                    let closing = try name()
                    guard closing == elementName else { throw fail("</\(closing)> closes <\(elementName)>") }
                    skipSpace()
                    guard peek(">") else { throw fail("an unterminated closing tag") }
                    index += 1
                    break
                } else if peek("<!--") {
                    try skip(past: "-->")
                } else if peek("<![CDATA[") {
                    index += 9
                    let start = index
                    try skip(past: "]]>")
                    text.append(contentsOf: bytes[start..<(index - 3)])
                } else if peek("<?") {
                    try skip(past: "?>")
                } else if peek("<!") {
                    throw fail("a declaration inside an element")
                } else if peek("<") {
                    children.append(try element(depth: depth + 1))
                } else if peek("&") {
                    text.append(contentsOf: try entity())
                } else {
                    text.append(bytes[index])
                    index += 1
                }
            }
            guard let decoded = String(validating: text, as: UTF8.self) else { throw fail("text of <\(elementName)> is not UTF-8") }
            // Only leaf text matters in S3 answers; whitespace between children is layout.
            return S3XMLElement(name: elementName, text: children.isEmpty ? decoded : "", children: children)
        }

        mutating func entity() throws(S3XMLError) -> [UInt8] {
            let start = index
            guard let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw fail("an unterminated entity")
            }
            let body = String(decoding: bytes[(start + 1)..<semicolon], as: UTF8.self)
            index = semicolon + 1
            switch body {
            case "amp": return Array("&".utf8)
            case "lt": return Array("<".utf8)
            case "gt": return Array(">".utf8)
            case "quot": return Array("\"".utf8)
            case "apos": return Array("'".utf8)
            default:
                let value: UInt32?
                if body.hasPrefix("#x") || body.hasPrefix("#X") {
                    value = UInt32(body.dropFirst(2), radix: 16)
                } else if body.hasPrefix("#") {
                    value = UInt32(body.dropFirst(1), radix: 10)
                } else {
                    value = nil
                }
                guard let value, value != 0, let scalar = Unicode.Scalar(value) else {
                    index = start
                    throw fail("an unknown entity &\(body.prefix(10));")
                }
                return Array(String(Character(scalar)).utf8)
            }
        }
    }
}
