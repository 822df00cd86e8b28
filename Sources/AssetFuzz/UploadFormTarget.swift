import AssetUploads

/// A `POST /v1/uploads` form body (boundary `fz`), as a client on the
/// network sends it, read by the streaming form reader; its `destination`
/// field checked as a destination.
///
/// Properties, for every input:
/// - reading never traps;
/// - the events are the same whether the body arrives whole or one to
///   seven bytes at a time (a streaming reader holds no state it should not);
/// - no part's bytes hold the delimiter `CRLF--fz`;
/// - an accepted destination is relative, with no empty, `.`-led or `..`
///   component.
/// Verdict: accepted when the form is read to its closing boundary.
public struct UploadFormTarget: FuzzTarget {
    public let name = "upload-form"
    static let contentType = "multipart/form-data; boundary=fz"

    public init() {}

    public var seeds: [[UInt8]] {
        ["--fz\r\nContent-Disposition: form-data; name=\"destination\"\r\n\r\nshoots/cat.jpg\r\n--fz\r\n"
            + "Content-Disposition: form-data; name=\"file\"; filename=\"c\\\"at.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\u{ff}\u{d8}\r\n-\r\n--f\r\n--fz--\r\n",
         "preamble\r\n--fz\r\nContent-Disposition: form-data; name=file\r\n\r\n\r\n--fz--",
         "--fz  \r\n\r\n\r\n--fz--", "--fz\r\nContent-Disposition: form-data; name=\"destination\"\r\n\r\n../etc\r\n--fz--", ""]
            .map { Array($0.utf8) }
    }

    public var dictionary: [[UInt8]] {
        ["\r\n", "\r\n\r\n", "--fz", "\r\n--fz", "--fz--", "Content-Disposition: form-data; ", "name=\"file\"", "name=\"destination\"",
         "filename=\"", "\\\"", ";", "=", "Content-Type: ", "..", "/", ".", "\u{0}", "\u{ff}", " ", "\t"].map { Array($0.utf8) }
    }

    public func generate(_ random: inout FuzzRandom) -> [UInt8] {
        var body = random.chance(0.2) ? "junk\r\n" : ""
        for _ in 0..<random.below(4) {
            let name = random.pick(["file", "destination", "on_conflict", "x\"y", ""], else: "file")
            body += "--fz\r\nContent-Disposition: form-data; name=\"\(name)\""
            if random.chance(0.5) { body += "; filename=\"\(random.pick(["a.jpg", "../b", "", "c\\\"d"], else: "a"))\"" }
            body += "\r\n\r\n" + random.pick(["shoots/cat.jpg", "../x", "a//b", ".h", "\r\n--f", "--fz-", "\r\n\r\n", ""], else: "v") + "\r\n"
        }
        body += random.pick(["--fz--\r\n", "--fz--", "--fz", ""], else: "--fz--")
        return Array(body.utf8)
    }

    public func run(_ input: [UInt8]) throws(PropertyFailure) -> Verdict {
        let whole = read(input, pieces: nil)
        let pieces = read(input, pieces: Int(input.reduce(UInt8(0)) { $0 &+ $1 } % 7) + 1)
        // A refusal drops the events of the feed that failed: only the verdict is compared then.
        guard whole.refused == pieces.refused, whole.refused || (whole.events == pieces.events && whole.complete == pieces.complete) else {
            throw PropertyFailure("read whole and in pieces, the form differs")
        }
        let delimiter = Array("\r\n--fz".utf8)
        for case .bytes(let bytes) in whole.events where bytes.count >= delimiter.count {
            for start in 0...(bytes.count - delimiter.count) where bytes[start..<start + delimiter.count].elementsEqual(delimiter) {
                throw PropertyFailure("a part's bytes hold the delimiter")
            }
        }
        var field: [UInt8]?
        for event in whole.events {
            switch event {
            case .partStart(let name, _, _): field = name == "destination" ? [] : nil
            case .bytes(let bytes): field? += bytes
            case .partEnd:
                if let field, let destination = try? UploadDestination(String(decoding: field, as: UTF8.self)) {
                    let components = destination.path.split(separator: "/", omittingEmptySubsequences: false)
                    guard !destination.path.hasPrefix("/"), !components.contains(where: { $0.isEmpty || $0.hasPrefix(".") }) else {
                        throw PropertyFailure("the destination \(destination.path) was accepted")
                    }
                }
                field = nil
            }
        }
        return whole.complete && !whole.refused ? .accepted : .refused
    }

    /// The events, bytes events merged, and whether the form completed or was refused.
    private func read(_ input: [UInt8], pieces: Int?) -> (events: [MultipartFormReader.Event], complete: Bool, refused: Bool) {
        guard var reader = try? MultipartFormReader(contentType: Self.contentType) else { return ([], false, true) }
        var events: [MultipartFormReader.Event] = []
        var offset = 0
        let step = pieces ?? max(1, input.count)
        while offset < input.count {
            let end = min(input.count, offset + step)
            guard let more = try? reader.feed(input[offset..<end]) else { return (events, false, true) }
            for event in more {
                if case .bytes(let bytes) = event, case .bytes(let earlier)? = events.last {
                    events[events.count - 1] = .bytes(earlier + bytes)
                } else {
                    events.append(event)
                }
            }
            offset = end
        }
        return (events, reader.isComplete, false)
    }
}
