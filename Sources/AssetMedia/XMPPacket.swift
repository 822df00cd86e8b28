import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The Dublin Core fields of an XMP packet that a catalog shows and searches:
/// dc:title, dc:description (their default language) and dc:subject (keywords).
public struct XMPPacket: Sendable, Equatable {
    public var title: String?
    public var description: String?
    public var subject: [String] = []

    public init(title: String? = nil, description: String? = nil, subject: [String] = []) {
        self.title = title
        self.description = description
        self.subject = subject
    }

    /// Parses an XMP packet (`xmp-data` in libvips). Returns nil when the
    /// packet is not well-formed XML or has none of the three fields.
    public static func parse(_ bytes: [UInt8]) -> XMPPacket? {
        // Packets are padded with spaces and sometimes NULs after </x:xmpmeta>.
        let end = bytes.lastIndex { $0 != 0 && $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        guard let end else { return nil }
        guard isSafeForXMLParser(bytes[...end]) else { return nil }
        let collector = DublinCoreCollector()
        let parser = XMLParser(data: Data(bytes[...end]))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = collector
        guard parser.parse() else { return nil }
        let packet = collector.packet
        guard packet.title != nil || packet.description != nil || !packet.subject.isEmpty else { return nil }
        return packet
    }
}

extension XMPPacket {
    /// Whether Foundation's XMLParser can be given `bytes` without crashing
    /// the process. It traps on names that are not UTF-8 (libxml2, recovering,
    /// hands them on), and dereferences NULL for a processing instruction
    /// without data (`<?x?>`) and for the optional parts of DTD declarations
    /// (`<!ATTLIST a b CDATA #IMPLIED>`). XMP is UTF-8 and has no DTD, so a
    /// packet with any of these is not parsed at all.
    static func isSafeForXMLParser(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard String(validating: bytes, as: UTF8.self) != nil else { return false }
        let less = UInt8(ascii: "<"), bang = UInt8(ascii: "!"), question = UInt8(ascii: "?")
        var index = bytes.startIndex
        while let open = bytes[index...].firstIndex(of: less) {
            let rest = bytes[(open + 1)...]
            if rest.first == bang, !rest.starts(with: "!--".utf8), !rest.starts(with: "![CDATA[".utf8) {
                return false // a DTD declaration
            }
            if rest.first == question {
                // The target, then whitespace and data; straight to `?>` is no data.
                let target = rest.dropFirst().prefix { ![0x20, 0x09, 0x0A, 0x0D, question].contains($0) }
                if rest.dropFirst(1 + target.count).first == question { return false }
            }
            index = open + 1
        }
        return true
    }
}

private let dublinCore = "http://purl.org/dc/elements/1.1/"
private let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

/// Walks the XML, collecting the text of rdf:li items under the dc
/// properties, or the property's own text or attribute in the short forms.
private final class DublinCoreCollector: NSObject, XMLParserDelegate {
    var packet = XMPPacket()
    private var property: String?
    private var itemLanguage: String?
    private var text = ""
    private var items: [(language: String?, text: String)] = []

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        if namespaceURI == rdf, name == "Description" {
            // Short form: <rdf:Description dc:title="..."/>.
            for (key, value) in attributes where key.hasPrefix("dc:") {
                store(property: String(key.dropFirst(3)), items: [(nil, value)])
            }
        }
        if namespaceURI == dublinCore, ["title", "description", "subject"].contains(name) {
            property = name
            items = []
            text = ""
        } else if property != nil, namespaceURI == rdf, name == "li" {
            itemLanguage = attributes["xml:lang"]
            text = ""
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if property != nil { text += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        guard let current = property else { return }
        if namespaceURI == rdf, name == "li" {
            items.append((itemLanguage, text))
            text = ""
        } else if namespaceURI == dublinCore, name == current {
            if items.isEmpty { items = [(nil, text)] }
            store(property: current, items: items)
            property = nil
        }
    }

    private func store(property: String, items: [(language: String?, text: String)]) {
        let cleaned = items.compactMap { item in MetadataText.clean(item.text).map { (item.language, $0) } }
        switch property {
        case "subject":
            packet.subject = cleaned.map(\.1)
        case "title", "description":
            // A language alternative: prefer x-default, else the first.
            let chosen = cleaned.first { $0.0 == "x-default" }?.1 ?? cleaned.first?.1
            if property == "title" { packet.title = chosen } else { packet.description = chosen }
        default:
            break
        }
    }
}
