import Foundation
import TestSupport
import Testing
@testable import AssetUploads

/// The streaming form reader against forms that urllib3 (what requests and
/// botocore use) writes, cut into random pieces: every field and file comes
/// out byte for byte, however the bytes arrive.
@Suite struct MultipartFormReaderTests {
    /// Forms urllib3 encodes: a text field, a binary file holding CRLFs and
    /// near-boundaries, an empty file; base64 so the bytes survive JSON.
    static let oracle = """
        import base64, json, os, random, sys
        from urllib3.filepost import encode_multipart_formdata
        random.seed(int(sys.argv[1]))
        forms = []
        for n in range(12):
            boundary = '----assetpipe' + ''.join(random.choice('abcdefXYZ0123456789') for _ in range(random.randint(1, 40)))
            body = bytes(random.getrandbits(8) for _ in range(random.randint(0, 200000)))
            tricky = b'\\r\\n--' + boundary.encode()[:random.randint(0, len(boundary) - 1)] + b'\\r\\n\\r\\n--'
            body = body[:len(body) // 2] + tricky + body[len(body) // 2:]
            fields = [('destination', 'shoots/%d/cat é.jpg' % n), ('file', ('cat "%d".jpg' % n, body, 'image/jpeg')),
                      ('empty', ('', b'', 'application/octet-stream')), ('on_conflict', 'rename')]
            data, content_type = encode_multipart_formdata(fields, boundary=boundary)
            forms.append({'content_type': content_type, 'body': base64.b64encode(data).decode(),
                          'file': base64.b64encode(body).decode(), 'filename': 'cat "%d".jpg' % n, 'destination': 'shoots/%d/cat é.jpg' % n})
        print(json.dumps(forms))
        """

    struct Part: Equatable {
        var name: String
        var filename: String?
        var contentType: String?
        var bytes: [UInt8] = []
    }

    static func read(_ body: [UInt8], contentType: String, pieces: [Int]) throws -> (parts: [Part], complete: Bool) {
        var reader = try MultipartFormReader(contentType: contentType)
        var parts: [Part] = []
        var offset = 0
        var cuts = pieces.makeIterator()
        while offset < body.count {
            let length = min(body.count - offset, max(1, cuts.next() ?? body.count))
            for event in try reader.feed(body[offset..<offset + length]) {
                switch event {
                case .partStart(let name, let filename, let type): parts.append(Part(name: name, filename: filename, contentType: type))
                case .bytes(let bytes): parts[parts.count - 1].bytes += bytes
                case .partEnd: break
                }
            }
            offset += length
        }
        return (parts, reader.isComplete)
    }

    @Test func formsFromUrllib3ComeOutWholeInAnyPieces() throws {
        let forms = try #require(try OraclePython.json(Self.oracle, ["7"]) as? [[String: String]])
        #expect(forms.count == 12)
        var random = SeededGenerator(seed: 11)
        for form in forms {
            let body = try #require(Data(base64Encoded: form["body"] ?? "")).map { $0 }
            let file = try #require(Data(base64Encoded: form["file"] ?? "")).map { $0 }
            let contentType = try #require(form["content_type"])
            let small = Array(repeating: [1, 2, 3, 5, 7, 11], count: body.count / 29 + 1).flatMap { $0 }
            let large = (0..<64).map { _ in Int.random(in: 1...70_000, using: &random) }
            for chunking in [[body.count], small, large] {
                let (parts, complete) = try Self.read(body, contentType: contentType, pieces: chunking)
                #expect(complete)
                #expect(parts.map(\.name) == ["destination", "file", "empty", "on_conflict"])
                #expect(parts.first?.bytes == Array((form["destination"] ?? "").utf8))
                #expect(parts[1].filename == form["filename"], "quoted filenames are unescaped")
                #expect(parts[1].contentType == "image/jpeg")
                #expect(parts[1].bytes == file, "the file's \(file.count) bytes")
                #expect(parts[2].filename == "" && parts[2].bytes.isEmpty)
                #expect(parts[3].bytes == Array("rename".utf8))
            }
        }
    }

    @Test func malformedFormsAreRefusedOrIncomplete() throws {
        #expect(throws: UploadRefusal.self) { try MultipartFormReader(contentType: "application/json") }
        #expect(throws: UploadRefusal.self) { try MultipartFormReader(contentType: "multipart/form-data") }
        #expect(throws: UploadRefusal.self) { try MultipartFormReader(contentType: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) }
        let type = "multipart/form-data; boundary=\"b\""
        // Cut off inside the file: never complete.
        let cut = Array("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc".utf8)
        #expect(try Self.read(cut, contentType: type, pieces: [3]).complete == false)
        // A part without a name, headers that never end, a boundary followed by junk.
        #expect(throws: UploadRefusal.self) { try Self.read(Array("--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--".utf8), contentType: type, pieces: []) }
        #expect(throws: UploadRefusal.self) {
            try Self.read(Array(("--b\r\nX: " + String(repeating: "y", count: 20_000)).utf8), contentType: type, pieces: [])
        }
        #expect(throws: UploadRefusal.self) { try Self.read(Array("--bjunk\r\n".utf8), contentType: type, pieces: []) }
        #expect(throws: UploadRefusal.self) { try Self.read(Array(repeating: 65, count: 70_000), contentType: type, pieces: [1000]) }
    }
}
