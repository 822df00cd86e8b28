import AssetMedia
import Foundation
import TestSupport
import Testing

@Suite struct MetadataBlobTests {
    private func header(_ sample: String) throws -> Image {
        try Image.openHeader(try SourceFile(path: Package.sample(sample)).open())
    }

    @Test(arguments: ["formats/cmyk-icc.jpg", "formats/sRGB-profile.jpg"])
    func iccDescriptionMatchesExiftool(sample: String) throws {
        let profile = try #require(try header(sample).blob(named: "icc-profile-data"))
        let oracle = try Oracle.exiftool(Package.sample(sample))
        #expect(ICCProfile.description(of: profile) == (try #require(oracle["ProfileDescription"] as? String)))
    }

    @Test func malformedICCProfilesGiveNil() throws {
        let profile = try #require(try header("formats/cmyk-icc.jpg").blob(named: "icc-profile-data"))
        #expect(ICCProfile.description(of: Array(profile.prefix(200))) == nil)
        #expect(ICCProfile.description(of: []) == nil)
        var lying = profile
        lying[131] = 0xFF // a tag count far past the end
        _ = ICCProfile.description(of: lying)
    }

    @Test func xmpAndIptcMatchExiftool() throws {
        let sample = "photos/camera-gps-south.jpg"
        let image = try header(sample)
        let oracle = try Oracle.exiftool(Package.sample(sample), ["-G", "-struct"])
        let packet = try #require(image.blob(named: "xmp-data"))
        let xmp = try #require(XMPPacket.parse(packet))
        #expect(xmp.title == oracle["XMP:Title"] as? String)
        #expect(xmp.description == oracle["XMP:Description"] as? String)
        #expect(xmp.subject == oracle["XMP:Subject"] as? [String])
        let iptc = try #require(image.blob(named: "iptc-data"))
        let keywords = IPTCRecord.keywords(in: iptc)
        #expect(keywords == oracle["IPTC:Keywords"] as? [String])
    }

    @Test func truncatedIptcKeepsWhatIsWhole() throws {
        let block = try #require(try header("photos/camera-gps-south.jpg").blob(named: "iptc-data"))
        for length in stride(from: 0, through: block.count, by: 3) {
            let keywords = IPTCRecord.keywords(in: Array(block.prefix(length)))
            #expect(keywords.count <= 2)
        }
    }

    @Test func brokenXmpIsIgnored() {
        #expect(XMPPacket.parse(Array("<x:xmpmeta><rdf:RDF".utf8)) == nil)
        #expect(XMPPacket.parse([]) == nil)
    }

    /// An ICC v4 profile (Display P3, most phone photos) names itself in a
    /// UTF-16 `mluc` record: reading it once trapped on a slice index (found
    /// by `fuzz icc`). Checked against exiftool reading the same profile.
    @Test func iccVersion4DescriptionMatchesExiftool() throws {
        let profile = Self.version4Profile(description: "Display P3 (fuzz)")
        #expect(ICCProfile.description(of: profile) == "Display P3 (fuzz)")
        let path = FileManager.default.temporaryDirectory.path + "/assetpipe-v4-\(ProcessInfo.processInfo.processIdentifier).icc"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(profile)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Oracle.exiftool(path)["ProfileDescription"] as? String == "Display P3 (fuzz)")
    }

    /// A 128-byte header, one tag (`desc`) and its `mluc` record with one en-US string.
    static func version4Profile(description: String) -> [UInt8] {
        func be32(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8((value >> $0) & 0xFF) } }
        let text = description.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let record = Array("mluc".utf8) + be32(0) + be32(1) + be32(12) + Array("enUS".utf8) + be32(text.count) + be32(28) + text
        let recordOffset = 128 + 4 + 12
        var header = be32(recordOffset + record.count) + Array("none".utf8) + [4, 0x40, 0, 0] + Array("mntrRGB XYZ ".utf8)
        header += [UInt8](repeating: 0, count: 12) + Array("acsp".utf8)
        header += [UInt8](repeating: 0, count: 128 - header.count)
        return header + be32(1) + Array("desc".utf8) + be32(recordOffset) + be32(record.count) + record
    }

    /// Packets that made Foundation's XMLParser crash the process (found by
    /// `fuzz xmp`): a name that is not UTF-8 (a trap), a processing
    /// instruction without data and a DTD declaration (NULL dereferences).
    /// They are not parsed; a packet around them would still be.
    @Test(arguments: [
        Array("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RD".utf8) + [0xFF, 0xFF] + Array("F/></x:xmpmeta>".utf8),
        Array("<?xpacket?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>".utf8),
        Array("<!DOCTYPE x [<!ATTLIST a b CDATA #IMPLIED>]><x/>".utf8),
        Array("<!DOCTYPE x [<!ENTITY e SYSTEM \"x\" NDATA n>]><x/>".utf8),
    ])
    func xmpThatCrashedXMLParserIsIgnored(packet: [UInt8]) {
        #expect(XMPPacket.parse(packet) == nil)
    }

    @Test func xmpWithItsPacketWrapperStillParses() {
        let packet = """
            <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">\
            <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" \
            xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour</rdf:li>\
            </rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>
            """
        #expect(XMPPacket.parse(Array(packet.utf8))?.title == "Harbour")
    }
}
