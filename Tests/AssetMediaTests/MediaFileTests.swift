import AssetMedia
import Foundation
import TestSupport
import Testing

/// FFmpeg's own defences, below the pipeline's: the container whitelist
/// refuses playlists even when nothing upstream recognised them.
@Suite struct MediaFileTests {
    @Test(arguments: [
        "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/etc/hostname\n#EXT-X-ENDLIST\n",
        "ffconcat version 1.0\nfile '/etc/hostname'\n",
    ])
    func playlistsAreNotAcceptedContainers(playlist: String) throws {
        let path = try Package.temporaryDirectory("playlist") + "/clip.mp4"
        try Data(playlist.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try MediaFile(SourceFile(path: path), displayPath: path, timeout: 5)
            Issue.record("FFmpeg opened a playlist")
        } catch {
            #expect(error.kind == .unsupported, "\(error)")
        }
    }

    @Test func probeMatchesFfprobe() throws {
        let path = Package.sample("video/clip-2s.mp4")
        let streams = try MediaFile(SourceFile(path: path), displayPath: path, timeout: 5).describe()
        let probe = try JSONSerialization.jsonObject(
            with: Command.run("ffprobe", ["-v", "error", "-show_format", "-show_streams", "-of", "json", path]).stdout) as? [String: Any]
        let format = try #require(probe?["format"] as? [String: Any])
        let duration = try #require(Double(format["duration"] as? String ?? ""))
        #expect(abs(try #require(streams.duration) - duration) < 0.001)
        #expect(streams.container == format["format_name"] as? String)
        let video = try #require((probe?["streams"] as? [[String: Any]])?.first { $0["codec_type"] as? String == "video" })
        #expect(streams.video?.codec == video["codec_name"] as? String)
        #expect(streams.video?.storedWidth == video["width"] as? Int)
    }

    @Test func frameIsDecodedAndScaled() throws {
        let path = Package.sample("video/clip-10s.mp4")
        let media = try MediaFile(SourceFile(path: path), displayPath: path, timeout: 5)
        let frame = try media.frame(at: 1, maxSide: 160, rotation: 90)
        // 320x240 stored, scaled to 160x120, then turned: portrait.
        #expect(frame.width == 120)
        #expect(frame.height == 160)
    }
}
