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
}
