import Foundation
import TestSupport
import Testing

/// `show` prints the record `process --json` printed, found by id or by path.
@Suite struct ShowTests {
    @Test func showByIdAndByRelativePathReturnsTheProcessedRecord() throws {
        let data = try TemporaryDirectory("show")
        defer { data.remove() }
        let (result, records) = try AssetPipe.process([Package.sample("photos")], data: data.path)
        #expect(result.status == 0, "\(result.summary)")
        #expect(!records.isEmpty)

        for record in records {
            let path = try #require(record["path"] as? String)
            let id = try #require(record["id"] as? String)
            let relative = "photos/" + (path as NSString).lastPathComponent
            for (label, argument, directory) in [("id", id, Package.root), ("relative path", relative, Package.root + "/samples")] {
                let shown = try AssetPipe.run(["show", "--data", data.path, argument], in: directory)
                #expect(shown.status == 0, "show by \(label) \(argument): \(shown.summary)")
                let object = try #require(try JSONSerialization.jsonObject(with: shown.stdout) as? Record, "show by \(label): \(shown.output)")
                #expect(shown.output.trimmingCharacters(in: .whitespacesAndNewlines).contains("\n"), "show prints pretty-printed JSON")
                for key in ["id", "sha256", "status", "path"] {
                    #expect(object[key] as? String == record[key] as? String, "show by \(label) \(argument): \(key)")
                }
            }
        }
    }

    /// A JPEG whose first EXIF block holds a 300-byte MakerNote: `samples/formats/gray.jpg`
    /// with an APP1 segment (little-endian TIFF: IFD0 → Exif IFD → MakerNote) put after SOI.
    private func jpegWithMakerNote(_ note: [UInt8], at path: String) throws {
        func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: Int) -> [UInt8] { u16(v & 0xFFFF) + u16(v >> 16) }
        // TIFF offsets count from the "II" header.
        var tiff: [UInt8] = Array("II".utf8) + u16(42) + u32(8)
        tiff += u16(1) + u16(0x8769) + u16(4) + u32(1) + u32(26) + u32(0)          // IFD0 at 8: ExifIFDPointer → 26
        tiff += u16(1) + u16(0x927C) + u16(7) + u32(note.count) + u32(44) + u32(0) // Exif IFD at 26: MakerNote → 44
        tiff += note
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let segment: [UInt8] = [0xFF, 0xE1] + [UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Package.sample("formats/gray.jpg"))))
        try Data(Array(original.prefix(2)) + segment + Array(original.dropFirst(2))).write(to: URL(fileURLWithPath: path))
    }

    /// `show` cuts a long binary value (a maker note) unless --full; --json
    /// prints the whole record on one line; --fields only the keys named.
    /// The oracle for the bytes is exiftool's own reading of the maker note.
    @Test func binaryValuesAreCutUnlessFullAndFieldsSelectKeys() throws {
        let folder = try Package.temporaryDirectory("show-makernote")
        let file = folder + "/note.jpg"
        var generator = SeededGenerator(seed: 7)
        try jpegWithMakerNote((0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: file)
        let oracle = try Command.run("exiftool", ["-b", "-MakerNotes", file]).stdout
        #expect(oracle.count == 300, "exiftool reads the maker note")
        let data = folder + "/data"
        #expect(try AssetPipe.process([file], data: data).result.status == 0)

        let shown = try AssetPipe.run(["show", "--data", data, file])
        let cut = try #require(try JSONSerialization.jsonObject(with: shown.stdout) as? Record)
        let note = JSONValue.dictionary(cut["exif_raw"])?["ExifIFD.MakerNote"] as? String
        #expect(note?.hasSuffix("… (300 bytes; --full shows all)") == true, "\(note ?? "no maker note")")
        for flags in [["--full"], ["--json"]] {
            let whole = try AssetPipe.run(["show", "--data", data] + flags + [file])
            let record = try #require(try JSONSerialization.jsonObject(with: whole.stdout) as? Record)
            #expect(JSONValue.dictionary(record["exif_raw"])?["ExifIFD.MakerNote"] as? String == "base64:" + oracle.base64EncodedString(),
                    "\(flags)")
            #expect((whole.output.split(separator: "\n").count == 1) == (flags == ["--json"]))
        }
        let picked = try AssetPipe.run(["show", "--data", data, "--fields", "id,width,color.model,nope", file])
        let fields = try #require(try JSONSerialization.jsonObject(with: picked.stdout) as? Record)
        #expect(Set(fields.keys) == ["id", "width", "color.model"], "\(picked.output)")
        #expect(fields["color.model"] as? String == "gray")
        #expect(fields["width"] as? Int == (try Oracle.vipsheaderInt("width", file)))
    }
}
