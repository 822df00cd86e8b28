import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A playlist (HLS, ffconcat, whatever its name) names other files and URLs.
/// It must end `unsupported_format` without anything it names being opened:
/// a file outside the input folder is watched with inotify, and a loopback
/// listener would see any connection.
@Suite struct PlaylistSafetyTests {
    @Test func playlistsEndUnsupportedAndOpenNothingTheyName() throws {
        let scratch = try TemporaryDirectory("playlists")
        defer { scratch.remove() }
        try FileManager.default.createDirectory(atPath: scratch("input"), withIntermediateDirectories: false)

        // A real MPEG-TS, so a demuxer that follows the playlist would want it.
        let secret = scratch("secret.ts")
        try FileManager.default.copyItem(atPath: Package.sample("video/h264.ts"), toPath: secret)
        let watch = try FileWatch(secret)
        defer { watch.close() }
        let listener = try LoopbackListener()
        defer { listener.close() }
        let url = "http://127.0.0.1:\(listener.port)"

        let hls = """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-TARGETDURATION:1
            #EXT-X-MEDIA-SEQUENCE:0
            #EXTINF:1.0,
            \(secret)
            #EXTINF:1.0,
            file://\(secret)
            #EXTINF:1.0,
            \(url)/seg.ts
            #EXT-X-ENDLIST

            """
        let concat = "ffconcat version 1.0\nfile '\(secret)'\nfile '\(url)/x.ts'\n"
        let playlists = [
            "list.m3u8": hls,
            "evil.avi": hls,                                    // an HLS playlist under a video's name
            "bom.m3u8": "\u{FEFF}" + hls,                       // with a UTF-8 byte-order mark
            "list.ffconcat": concat,
            "evil.mp4": concat,                                 // ffconcat under a video's name
        ]
        for (name, text) in playlists {
            try Data(text.utf8).write(to: URL(fileURLWithPath: scratch("input/" + name)))
        }

        let (result, records) = try AssetPipe.process([scratch("input")], data: scratch("data"))
        #expect(result.status == 0, "\(result.summary)")
        for name in playlists.keys.sorted() {
            let record = AssetPipe.record(at: scratch("input/" + name), in: records)
            #expect(record?["status"] as? String == "errored", "\(name): \(String(describing: record))")
            #expect(JSONValue.dictionary(record?["error"])?["reason"] as? String == "unsupported_format", "\(name): \(String(describing: record?["error"]))")
        }
        #expect(records.count == playlists.count, "\(records.count) records for \(playlists.count) files")
        #expect(try watch.events() == [], "assetpipe opened or read the file a playlist names")
        #expect(try listener.connections() == 0, "assetpipe connected to the URL a playlist names")

        // The harness can fail: ffprobe, allowed to follow playlists, opens the secret (list.m3u8's
        // first segment) and connects to the listener (a playlist whose only segment is the URL).
        let follow = ["-v", "error", "-protocol_whitelist", "file,http,tcp", "-rw_timeout", "2000000", "-show_format"]
        let probe = try Command.run("ffprobe", follow + [scratch("input/list.m3u8")], timeout: 30)
        let seen = try watch.events()
        #expect(seen.contains("open"), "ffprobe following list.m3u8 did not open the secret, as far as inotify saw (\(seen)); ffprobe \(probe.summary)")
        let urlOnly = scratch("url-only.m3u8")
        try Data("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n\(url)/seg.ts\n#EXT-X-ENDLIST\n".utf8).write(to: URL(fileURLWithPath: urlOnly))
        let remote = try Command.run("ffprobe", follow + [urlOnly], timeout: 30)
        #expect(try listener.connections() > 0, "ffprobe following url-only.m3u8 did not connect to the listener; ffprobe \(remote.summary)")
    }
}

/// inotify on one file: IN_OPEN and IN_ACCESS, read without blocking.
private struct FileWatch {
    let descriptor: Int32

    init(_ path: String) throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw TestFailure("inotify_init1: \(String(cString: strerror(errno)))") }
        guard inotify_add_watch(descriptor, path, UInt32(IN_OPEN | IN_ACCESS)) >= 0 else {
            throw TestFailure("inotify_add_watch \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The events since the last call, as "open"/"access"; empty when read(2) says EAGAIN.
    func events() throws -> [String] {
        var names: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return names }
                throw TestFailure("read(inotify): \(String(cString: strerror(errno)))")
            }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self) }
                if event.mask & UInt32(IN_OPEN) != 0 { names.append("open") }
                if event.mask & UInt32(IN_ACCESS) != 0 { names.append("access") }
                offset += MemoryLayout<inotify_event>.size + Int(event.len)
            }
        }
    }

    func close() { _ = Glibc.close(descriptor) }
}

/// A non-blocking TCP listener on 127.0.0.1 and an ephemeral port. The kernel completes a
/// client's handshake by itself, so accept(2) finds every connection attempt in the backlog.
private struct LoopbackListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = in_addr_t(INADDR_LOOPBACK).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard bound == 0, named == 0, listen(descriptor, 16) == 0,
              fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0 else {
            let message = String(cString: strerror(errno))
            _ = Glibc.close(descriptor)
            throw TestFailure("loopback listener: \(message)")
        }
        self.descriptor = descriptor
        port = UInt16(bigEndian: address.sin_port)
    }

    /// Connections waiting to be accepted (each is accepted and closed); 0 when accept(2) says EAGAIN.
    func connections() throws -> Int {
        var count = 0
        while true {
            let client = accept(descriptor, nil, nil)
            if client < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return count }
                throw TestFailure("accept: \(String(cString: strerror(errno)))")
            }
            _ = Glibc.close(client)
            count += 1
        }
    }

    func close() { _ = Glibc.close(descriptor) }
}
