import Foundation
import TestSupport
import Testing

/// Displayed dimensions after EXIF orientation, compared with `vips autorot` + `vipsheader`.
@Suite struct OrientationTests {
    @Test(arguments: 1...8)
    func displayedSizeMatchesVipsAutorot(orientation: Int) throws {
        let path = Package.sample("orientation/orientation-\(orientation).jpg")
        let scratch = try TemporaryDirectory("orientation")
        defer { scratch.remove() }
        let (result, records) = try AssetPipe.process([path], data: scratch("data"))
        #expect(result.status == 0, "\(result.summary)")
        let record = try #require(AssetPipe.record(at: path, in: records), "no record for \(path)")
        #expect(record["status"] as? String == "processed")

        let displayed = try Oracle.autorotatedSize(path, scratch: scratch.path)
        #expect(JSONValue.number(record["width"]) == Double(displayed.width), "width vs vips autorot")
        #expect(JSONValue.number(record["height"]) == Double(displayed.height), "height vs vips autorot")

        #expect(JSONValue.number(record["stored_width"]) == Double(try Oracle.vipsheaderInt("width", path)), "stored_width vs vipsheader")
        #expect(JSONValue.number(record["stored_height"]) == Double(try Oracle.vipsheaderInt("height", path)), "stored_height vs vipsheader")

        let exifOrientation = try #require(JSONValue.number(try Oracle.exiftool(path, ["-G1"])["IFD0:Orientation"]), "exiftool reports no Orientation")
        #expect(JSONValue.number(record["orientation"]) == exifOrientation, "orientation vs exiftool IFD0:Orientation")
    }
}
