import AssetMedia
import AssetPipeline
import Foundation

/// The metadata readers of `AssetMedia`, fed the blobs libvips hands them
/// from a file anyone may upload: EXIF (through libexif), XMP (through
/// Foundation's XMLParser), IPTC-IIM and ICC profiles (our own readers).
///
/// Seeds are the blobs of every image in `samples/`, mutated byte by byte;
/// the generators build blobs from each format's structure (IFDs, tag
/// types, counts and offsets that lie; 8BIM resources and IIM datasets;
/// ICC tag tables) so that mutations start deep inside the readers.
///
/// Properties, for every input: no trap; the same bytes give the same
/// result twice; and what a reader returns can be stored (the record is
/// JSON, which has no NaN or infinity), as checked per reader below.
public enum MetadataTargets {
    public static let all: [any FuzzTarget] = [ExifTarget(), XMPTarget(), IPTCTarget(), ICCTarget()]
}

/// `Exif.parse` of an `exif-data` block: "Exif\0\0" and a TIFF structure.
/// Also: the summary and every raw tag encode as the catalog's JSON;
/// a GPS position is within ±90° and ±180°.
public struct ExifTarget: FuzzTarget {
    public let name = "exif"

    public init() {}

    public var seeds: [[UInt8]] {
        (FuzzCorpus.sampleBlobs["exif-data"] ?? []) + (FuzzCorpus.sampleBlobs["raw"] ?? []).filter { $0.starts(with: [0xFF, 0xD8]) }
    }

    public var dictionary: [[UInt8]] {
        [Array("Exif\0\0".utf8), Array("II*\0".utf8), Array("MM\0*".utf8), [0x87, 0x69], [0x69, 0x87], [0x88, 0x25], [0x25, 0x88],
         [0x92, 0x7C], [0x7C, 0x92], [0x00, 0x05], [0x05, 0x00], [0x00, 0x0C], [0x0C, 0x00], Array("Canon".utf8), Array("OLYMP\0".utf8),
         Array("Nikon\0".utf8), Array("FUJIFILM".utf8), Array("AOC\0".utf8), Array("UNICODE\0".utf8), Array("0000:00:00 00:00:00".utf8)]
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        ExifGrammar.block(&random)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        guard let parsed = Exif.parse(input) else {
            guard Exif.parse(input) == nil else { throw PropertyFailure("Exif.parse gave nil, then a value, for the same bytes") }
            return .refused
        }
        guard let again = Exif.parse(input), again.exif == parsed.exif, Set(again.raw.keys) == Set(parsed.raw.keys) else {
            throw PropertyFailure("Exif.parse gave two results for the same bytes")
        }
        let encoder = AssetRecord.makeEncoder()
        do {
            _ = try encoder.encode(parsed.exif)
        } catch {
            throw PropertyFailure("the EXIF summary cannot be stored as JSON (\(error)): \(parsed.exif)")
        }
        for (key, value) in parsed.raw {
            guard (try? encoder.encode(value)) != nil else {
                throw PropertyFailure("the raw EXIF tag \(key) cannot be stored as JSON: \(value)")
            }
        }
        if let gps = parsed.exif.gps {
            guard abs(gps.latitude ?? 0) <= 90, abs(gps.longitude ?? 0) <= 180 else {
                throw PropertyFailure("a GPS position off the globe: \(gps)")
            }
        }
        return .accepted
    }
}

/// `XMPPacket.parse` of an `xmp-data` packet. Also: deterministic.
public struct XMPTarget: FuzzTarget {
    public let name = "xmp"

    public init() {}

    public var seeds: [[UInt8]] { (FuzzCorpus.sampleBlobs["xmp-data"] ?? []) + [Array(XMPGrammar.template(title: "T", subject: ["a", "b"]).utf8)] }

    public var dictionary: [[UInt8]] {
        ["<dc:title>", "</dc:title>", "<dc:subject>", "<rdf:Bag>", "<rdf:Alt>", "<rdf:li>", "</rdf:li>", "<rdf:li xml:lang=\"x-default\">",
         "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"", "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"", "<![CDATA[", "]]>",
         "&amp;", "&#0;", "&#x10FFFF;", "&lol;", "<!DOCTYPE x [", "<!ENTITY lol \"lol\">", "]>", "<?xpacket end=\"w\"?>", "dc:title=\""]
            .map { Array($0.utf8) }
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        XMPGrammar.packet(&random)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let packet = XMPPacket.parse(input)
        guard XMPPacket.parse(input) == packet else { throw PropertyFailure("XMPPacket.parse gave two results for the same bytes") }
        return packet == nil ? .refused : .accepted
    }
}

/// `IPTCRecord.keywords` of an `iptc-data` block. Also: deterministic,
/// and no keyword is empty.
public struct IPTCTarget: FuzzTarget {
    public let name = "iptc"

    public init() {}

    public var seeds: [[UInt8]] { FuzzCorpus.sampleBlobs["iptc-data"] ?? [] }

    public var dictionary: [[UInt8]] {
        [Array("Photoshop 3.0\0".utf8), Array("8BIM".utf8), [0x04, 0x04], [0x1C, 0x02, 0x19], [0x1C, 0x01, 0x5A], [0x80, 0x04], [0xFF, 0xFF]]
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        IPTCGrammar.block(&random)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let keywords = IPTCRecord.keywords(in: input)
        guard IPTCRecord.keywords(in: input) == keywords else { throw PropertyFailure("IPTCRecord.keywords gave two results for the same bytes") }
        guard !keywords.contains(where: \.isEmpty) else { throw PropertyFailure("an empty keyword in \(keywords)") }
        return keywords.isEmpty ? .refused : .accepted
    }
}

/// `ICCProfile.description` of an `icc-profile-data` profile. Also:
/// deterministic, and a description is never empty.
public struct ICCTarget: FuzzTarget {
    public let name = "icc"

    public init() {}

    public var seeds: [[UInt8]] { FuzzCorpus.sampleBlobs["icc-profile-data"] ?? [] }

    public var dictionary: [[UInt8]] {
        [Array("acsp".utf8), Array("desc".utf8), Array("mluc".utf8), Array("enUS".utf8), [0, 0, 0, 0], [0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 4, 0]]
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        ICCGrammar.profile(&random)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let description = ICCProfile.description(of: input)
        guard ICCProfile.description(of: input) == description else { throw PropertyFailure("ICCProfile.description gave two results for the same bytes") }
        guard description?.isEmpty != true else { throw PropertyFailure("an empty ICC description") }
        return description == nil ? .refused : .accepted
    }
}

// MARK: - Grammars

/// Appends integers in one byte order.
struct ByteWriter {
    var bytes: [UInt8] = []
    let bigEndian: Bool

    mutating func u16(_ value: UInt16) {
        bytes += bigEndian ? [UInt8(value >> 8), UInt8(value & 0xFF)] : [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    mutating func u32(_ value: UInt32) {
        let big = [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
        bytes += bigEndian ? big : big.reversed()
    }
}

enum ExifGrammar {
    struct Entry {
        var tag: UInt16
        var type: UInt16
        var count: UInt32
        var payload: [UInt8]
        /// An offset that points where it likes, instead of at the payload.
        var lyingOffset: UInt32?
    }

    /// Tags the reader looks at, per IFD, and some it does not.
    static let ifd0Tags: [UInt16] = [0x010E, 0x010F, 0x0110, 0x0112, 0x011A, 0x0131, 0x0132, 0x013B, 0x8298, 0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F, 0x927C, 0x0001]
    static let exifTags: [UInt16] = [0x829A, 0x829D, 0x8827, 0x9003, 0x9011, 0x9291, 0x920A, 0xA405, 0x9209, 0xA434, 0x9286, 0x927C, 0x9000, 0xA000, 0x0002]
    static let gpsTags: [UInt16] = [0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0007, 0x001D, 0x9003]
    static let interopTags: [UInt16] = [0x0001, 0x0002, 0x1000]
    static let makes = ["Canon", "OLYMPUS IMAGING CORP.", "NIKON CORPORATION", "FUJIFILM", "PENTAX", "Asahi Optical", "Apple", "  ", "\0\0\0", "Ca\u{301}non"]
    /// Unit size of each EXIF type; 0 for the types EXIF does not define.
    static func unitSize(_ type: UInt16) -> Int {
        switch type {
        case 1, 2, 6, 7: 1
        case 3, 8: 2
        case 4, 9, 11: 4
        case 5, 10, 12: 8
        default: 0
        }
    }

    static func block(_ random: inout FuzzRandom) -> [UInt8] {
        let bigEndian = random.chance(0.5)
        let make = random.pick(makes) ?? "Canon"
        var ifd0 = (0..<random.below(8)).map { _ in entry(random.pick(ifd0Tags) ?? 0x010F, make: make, bigEndian: bigEndian, &random) }
        if random.chance(0.8) { ifd0.append(entry(0x010F, make: make, bigEndian: bigEndian, &random, type: 2, text: make)) }
        let exif = (0..<random.below(10)).map { _ in entry(random.pick(exifTags) ?? 0x829A, make: make, bigEndian: bigEndian, &random) }
        let gps = (0..<random.below(8)).map { _ in entry(random.pick(gpsTags) ?? 0x0002, make: make, bigEndian: bigEndian, &random) }
        let interop = (0..<random.below(3)).map { _ in entry(random.pick(interopTags) ?? 0x0001, make: make, bigEndian: bigEndian, &random) }
        let tiff = layout(ifd0: ifd0, exif: exif, gps: gps, interop: interop, bigEndian: bigEndian, &random)
        return (random.chance(0.9) ? Array("Exif\0\0".utf8) : []) + tiff
    }

    static func entry(_ tag: UInt16, make: String, bigEndian: Bool, _ random: inout FuzzRandom, type fixedType: UInt16? = nil,
                      text: String? = nil) -> Entry {
        let undefinedTypes: [UInt16] = [0, 13, 0xFFFF]
        let type: UInt16 = fixedType ?? (random.chance(0.9) ? UInt16(1 + random.below(12)) : (random.pick(undefinedTypes) ?? 0))
        var payload: [UInt8]
        var count: UInt32
        let elements = [1, 1, 1, 2, 3, 4, 8, 100][random.below(8)]
        switch type {
        case 2:
            let value = text ?? random.pick(["Canon EOS", "", " ", "\0\0\0\0", "0000:00:00 00:00:00", "2024:02:29 23:59:60", "2024:13:01 00:00:00",
                                             "２０２４:01:01 00:00:00", "+05:30", "-99:99", "S", "W", "N", "é\u{301}",
                                             String(repeating: "x", count: 70000)]) ?? ""
            payload = Array(value.utf8) + [0]
            if random.chance(0.1) { payload = (0..<random.below(40)).map { _ in UInt8.random(in: 0...255, using: &random) } }
            count = UInt32(payload.count)
        case 7 where tag == 0x927C:
            payload = makerNote(make, &random)
            count = UInt32(payload.count)
        case 7 where tag == 0x9286:
            let text = random.pick(["UNICODE\0", "ASCII\0\0\0", "JIS\0\0\0\0\0", "\0\0\0\0\0\0\0\0", "UNICODE"]) ?? ""
            payload = Array(text.utf8) + Array("c\0o\0m\0m\0e\0n\0t\0".utf8).prefix(random.below(15))
            count = UInt32(payload.count)
        default:
            let unit = max(1, unitSize(type))
            var writer = ByteWriter(bigEndian: bigEndian)
            for _ in 0..<elements {
                switch type {
                case 5, 10: // rationals: zero, tiny and huge denominators, Int32.min / -1
                    let pairs: [(UInt32, UInt32)] = [(1, 0), (0, 0), (UInt32.max, 1), (0x8000_0000, 0xFFFF_FFFF), (1, 100_000_000),
                                                     (45, 1), (3_000_000_000, 7), (UInt32(random.below(1 << 30)), UInt32(random.below(1 << 30)))]
                    let pair = random.pick(pairs) ?? (1, 1)
                    writer.u32(pair.0)
                    writer.u32(pair.1)
                case 11: // floats: NaN, infinities, the largest, a negative zero
                    writer.u32(random.pick([Float.nan.bitPattern, Float.infinity.bitPattern, (-Float.infinity).bitPattern,
                                            Float.greatestFiniteMagnitude.bitPattern, (-0.0 as Float).bitPattern, Float(1e30).bitPattern,
                                            Float(100).bitPattern, Float(-1e20).bitPattern], else: 0))
                case 12:
                    let bits = random.pick([Double.nan.bitPattern, Double.infinity.bitPattern, Double.greatestFiniteMagnitude.bitPattern,
                                            (1e300 as Double).bitPattern, (-1e19 as Double).bitPattern, (1e19 as Double).bitPattern,
                                            (400 as Double).bitPattern, Double.leastNonzeroMagnitude.bitPattern], else: 0)
                    // libexif reads a DOUBLE as two LONGs, high first in Motorola order.
                    writer.u32(UInt32(truncatingIfNeeded: bigEndian ? bits >> 32 : bits))
                    writer.u32(UInt32(truncatingIfNeeded: bigEndian ? bits : bits >> 32))
                default:
                    writer.bytes += (0..<unit).map { _ in random.chance(0.3) ? 0xFF : UInt8.random(in: 0...255, using: &random) }
                }
            }
            payload = writer.bytes
            count = UInt32(elements)
        }
        if random.chance(0.08) { // a count that lies
            count = random.pick([0, 1, UInt32.max, 0x7FFF_FFFF, 65_537, UInt32(payload.count * 2 + 1)], else: 0)
        }
        let lying: UInt32? = random.chance(0.05) ? random.pick([0, 8, UInt32.max, 0xFFFF_FFF0, 0x7FFF_FFFF, 70_000], else: 0) : nil
        return Entry(tag: tag, type: type, count: count, payload: payload, lyingOffset: lying)
    }

    /// A maker note in the shape of the maker's, which libexif parses by `Make`.
    static func makerNote(_ make: String, _ random: inout FuzzRandom) -> [UInt8] {
        let bigEndian = random.chance(0.5)
        var writer = ByteWriter(bigEndian: bigEndian)
        switch make.prefix(3) {
        case "OLY": writer.bytes += Array((random.chance(0.5) ? "OLYMP\0\u{1}\0" : "OLYMPUS\0II\u{3}\0").utf8)
        case "NIK": writer.bytes += Array("Nikon\0\u{2}\u{10}\0\0".utf8) + Array((bigEndian ? "MM\0*" : "II*\0").utf8) + [0, 0, 0, 8]
        case "FUJ": writer.bytes += Array("FUJIFILM".utf8); writer.u32(12)
        case "PEN", "Asa": writer.bytes += Array("AOC\0".utf8) + Array((bigEndian ? "MM" : "II").utf8)
        case "App": writer.bytes += Array("Apple iOS\0\0\u{1}MM".utf8)
        default: break
        }
        let count = random.chance(0.9) ? UInt16(random.below(12)) : (random.pick([0x7FFF, 0xFFFF, 1000], else: 0))
        writer.u16(count)
        for _ in 0..<min(Int(count), 12) {
            writer.u16(UInt16(random.below(0x40)))
            writer.u16(UInt16(random.below(14)))
            writer.u32(random.chance(0.8) ? UInt32(random.below(16)) : (random.pick([UInt32.max, 0x7FFF_FFFF, 65_536], else: 0)))
            writer.u32(random.chance(0.7) ? UInt32(random.below(200)) : UInt32.random(in: 0...UInt32.max, using: &random))
        }
        writer.bytes += (0..<random.below(120)).map { _ in UInt8.random(in: 0...255, using: &random) }
        return writer.bytes
    }

    /// A TIFF structure: header, IFD0 (→ IFD1), its Exif and GPS IFDs, the Exif IFD's interop IFD.
    static func layout(ifd0: [Entry], exif: [Entry], gps: [Entry], interop: [Entry], bigEndian: Bool,
                       _ random: inout FuzzRandom) -> [UInt8] {
        func size(_ entries: [Entry]) -> Int {
            2 + entries.count * 12 + 4 + entries.reduce(0) { $0 + ($1.payload.count > 4 ? $1.payload.count + $1.payload.count % 2 : 0) }
        }
        let pointerCount = 2, exifPointers = interop.isEmpty ? 0 : 1
        let ifd0Size = size(ifd0) + pointerCount * 12
        let exifStart = 8 + ifd0Size
        let gpsStart = exifStart + size(exif) + exifPointers * 12
        let interopStart = gpsStart + size(gps)
        let ifd1Start = interopStart + size(interop)
        func pointer(_ tag: UInt16, _ offset: Int) -> Entry {
            var writer = ByteWriter(bigEndian: bigEndian)
            // Sometimes a loop back to IFD0, or past the end.
            writer.u32(random.chance(0.05) ? (random.pick([8, 0, UInt32.max], else: 8)) : UInt32(offset))
            return Entry(tag: tag, type: 4, count: 1, payload: writer.bytes, lyingOffset: nil)
        }
        var writer = ByteWriter(bigEndian: bigEndian)
        writer.bytes += Array((bigEndian ? "MM" : "II").utf8)
        writer.u16(42)
        writer.u32(random.chance(0.97) ? 8 : (random.pick([0, 7, UInt32.max, 0xFFFF], else: 8)))
        let thumbnail = [pointer(0x8769, exifStart), pointer(0x8825, gpsStart)]
        write(ifd0 + thumbnail, at: 8, next: random.chance(0.3) ? UInt32(ifd1Start) : 0, &writer)
        write(exif + (interop.isEmpty ? [] : [pointer(0xA005, interopStart)]), at: exifStart, next: 0, &writer)
        write(gps, at: gpsStart, next: 0, &writer)
        write(interop, at: interopStart, next: random.chance(0.02) ? 8 : 0, &writer)
        // IFD1: a thumbnail pointer that may point anywhere.
        write([pointer(0x0201, ifd1Start + 30), pointer(0x0202, random.below(100_000))], at: ifd1Start, next: 0, &writer)
        writer.bytes += [0xFF, 0xD8, 0xFF, 0xD9]
        return writer.bytes
    }

    /// Entries with 4-byte payloads inline, longer ones after the entries.
    static func write(_ entries: [Entry], at start: Int, next: UInt32, _ writer: inout ByteWriter) {
        // Everything is written in order, so `start` is where this IFD begins.
        while writer.bytes.count < start { writer.bytes.append(0) }
        writer.u16(UInt16(clamping: entries.count))
        var dataOffset = start + 2 + entries.count * 12 + 4
        var data: [UInt8] = []
        for entry in entries {
            writer.u16(entry.tag)
            writer.u16(entry.type)
            writer.u32(entry.count)
            if entry.payload.count <= 4 {
                writer.bytes += entry.payload + Array(repeating: 0, count: 4 - entry.payload.count)
            } else {
                writer.u32(entry.lyingOffset ?? UInt32(clamping: dataOffset))
                data += entry.payload
                if entry.payload.count % 2 == 1 { data.append(0) }
                dataOffset = start + 2 + entries.count * 12 + 4 + data.count
            }
        }
        writer.u32(next)
        writer.bytes += data
    }
}

enum XMPGrammar {
    static func template(title: String, subject: [String]) -> String {
        """
        <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
        <dc:title><rdf:Alt><rdf:li xml:lang="x-default">\(title)</rdf:li></rdf:Alt></dc:title>
        <dc:subject><rdf:Bag>\(subject.map { "<rdf:li>\($0)</rdf:li>" }.joined())</rdf:Bag></dc:subject>
        </rdf:Description></rdf:RDF></x:xmpmeta>
        <?xpacket end="w"?>
        """
    }

    static let texts = ["Title", "", " ", "&amp;", "&lt;b&gt;", "&#0;", "&#x10FFFF;", "&#x110000;", "&#xD800;", "&undefined;", "<![CDATA[<b>]]>",
                        "é\u{301}", "\u{0}", "\u{FEFF}", String(repeating: "long ", count: 2000), "a<b", "]]>", "&lol3;"]

    static func packet(_ random: inout FuzzRandom) -> [UInt8] {
        func text() -> String { random.pick(texts) ?? "" }
        func items() -> String {
            (0..<random.below(5)).map { _ -> String in
                let language = random.pick(["", " xml:lang=\"x-default\"", " xml:lang=\"en-US\"", " xml:lang=\"\"", " xml:lang=\"x-default\" xml:lang=\"de\""]) ?? ""
                return "<rdf:li\(language)>\(text())</rdf:li>"
            }.joined()
        }
        var properties: [String] = []
        for name in ["title", "description", "subject"] where random.chance(0.7) {
            let container = random.pick(["Alt", "Bag", "Seq", "li", ""]) ?? "Alt"
            let body = container.isEmpty ? text() : "<rdf:\(container)>\(items())</rdf:\(container)>"
            properties.append(random.chance(0.05) ? "<dc:\(name)>\(body)" : "<dc:\(name)>\(body)</dc:\(name)>")
        }
        let shortForm = random.chance(0.3) ? " dc:title=\"\(text().replacingOccurrences(of: "\"", with: ""))\" dc:subject=\"k\"" : ""
        let dcNamespace = random.pick(["http://purl.org/dc/elements/1.1/", "http://purl.org/dc/elements/1.1", ""]) ?? ""
        var xml = """
        <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\
        <rdf:Description rdf:about=""\(shortForm) xmlns:dc="\(dcNamespace)">\(properties.joined())</rdf:Description></rdf:RDF></x:xmpmeta>
        """
        if random.chance(0.1) { xml = entities(depth: 1 + random.below(4)) + xml }
        if random.chance(0.7) { xml = "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>" + xml + "<?xpacket end=\"w\"?>" }
        var bytes = Array(xml.utf8)
        if random.chance(0.3) { bytes += Array(repeating: random.chance(0.5) ? 0x20 : 0, count: random.below(2048)) } // padding
        if random.chance(0.05) { bytes = Array(xml.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }) } // UTF-16BE
        return bytes
    }

    /// Nested internal entities, ten of each level in the next: at depth
    /// 4 a reference expands to 10^4 copies (a bounded "billion laughs").
    static func entities(depth: Int) -> String {
        var declarations = "<!ENTITY lol0 \"lol\">"
        for level in 1...depth {
            declarations += "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level - 1);", count: 10) + "\">"
        }
        return "<!DOCTYPE x:xmpmeta [\(declarations)]>"
    }
}

enum IPTCGrammar {
    static func block(_ random: inout FuzzRandom) -> [UInt8] {
        var iim: [UInt8] = []
        for _ in 0..<random.below(8) {
            let keyword = random.pick(["sunset", "", " ", "\0", "  padded  ", "caf\u{E9}", "Zürich", "日本", String(repeating: "k", count: 300)]) ?? ""
            var data = Array(keyword.utf8)
            if random.chance(0.1) { data = [0xE9, 0x74, 0xE9] } // Latin-1, not UTF-8
            let record: UInt8 = random.chance(0.8) ? 2 : UInt8(random.below(10))
            let dataset: UInt8 = random.chance(0.7) ? 25 : UInt8(random.below(256))
            var length = UInt16(clamping: data.count)
            if random.chance(0.05) { length = random.pick([0x8000, 0x8004, 0xFFFF, length + 10], else: length) }
            iim += [0x1C, record, dataset, UInt8(length >> 8), UInt8(length & 0xFF)] + data
        }
        if random.chance(0.3) { return iim }
        var writer = ByteWriter(bigEndian: true)
        if random.chance(0.8) { writer.bytes += Array("Photoshop 3.0\0".utf8) }
        for _ in 0..<(1 + random.below(3)) {
            writer.bytes += Array("8BIM".utf8)
            writer.u16(random.chance(0.6) ? 0x0404 : UInt16(random.below(0x0500)))
            let name = Array((random.pick(["", "a", "ab", String(repeating: "n", count: 255)]) ?? "").utf8)
            writer.bytes += [UInt8(clamping: name.count)] + name
            if (name.count + 1) % 2 == 1 { writer.bytes.append(0) }
            writer.u32(random.chance(0.9) ? UInt32(iim.count) : (random.pick([UInt32.max, 0x7FFF_FFFF, UInt32(iim.count + 1)], else: 0)))
            writer.bytes += iim
            if iim.count % 2 == 1 { writer.bytes.append(0) }
        }
        return writer.bytes
    }
}

enum ICCGrammar {
    static func profile(_ random: inout FuzzRandom) -> [UInt8] {
        var writer = ByteWriter(bigEndian: true)
        writer.bytes = Array(repeating: 0, count: 128)
        writer.bytes.replaceSubrange(36..<40, with: Array((random.chance(0.95) ? "acsp" : "acsq").utf8))
        let tags = random.below(5)
        writer.u32(random.chance(0.95) ? UInt32(tags) : (random.pick([1023, 1024, UInt32.max], else: 0)))
        let tableEnd = 132 + tags * 12
        var records: [[UInt8]] = []
        for _ in 0..<tags {
            var record = ByteWriter(bigEndian: true)
            let text = random.pick(["sRGB IEC61966-2.1", "", " ", "\0", "é", String(repeating: "p", count: 5000)]) ?? ""
            if random.chance(0.5) {
                record.bytes += Array("desc".utf8) + [0, 0, 0, 0]
                record.u32(random.chance(0.9) ? UInt32(text.utf8.count + 1) : (random.pick([0, UInt32.max, 0x7FFF_FFFF], else: 0)))
                record.bytes += Array(text.utf8) + [0]
            } else {
                record.bytes += Array((random.chance(0.9) ? "mluc" : "text").utf8) + [0, 0, 0, 0]
                let units = Array(text.utf16)
                record.u32(random.chance(0.9) ? 1 : (random.pick([0, UInt32.max], else: 0)))
                record.u32(12)
                record.bytes += Array("enUS".utf8)
                record.u32(random.chance(0.9) ? UInt32(units.count * 2) : (random.pick([UInt32.max, 0x7FFF_FFFF, 1], else: 0)))
                record.u32(random.chance(0.9) ? 28 : (random.pick([UInt32.max, 0, 0x7FFF_FFFF], else: 0)))
                for unit in units { record.u16(unit) }
            }
            records.append(record.bytes)
        }
        var offset = tableEnd
        for record in records {
            writer.bytes += Array((random.chance(0.9) ? "desc" : "cprt").utf8)
            writer.u32(random.chance(0.9) ? UInt32(offset) : (random.pick([0, UInt32.max, 0x7FFF_FFFF, 128], else: 0)))
            writer.u32(random.chance(0.9) ? UInt32(record.count) : (random.pick([0, 11, 12, UInt32.max], else: 0)))
            offset += record.count
        }
        for record in records { writer.bytes += record }
        return writer.bytes
    }
}
