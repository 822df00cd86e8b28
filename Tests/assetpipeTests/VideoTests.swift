import Foundation
import TestSupport
import Testing

/// Videos and audio, compared with ffprobe (`ffprobe -v error -count_packets
/// -show_format -show_streams -of json`): what each file should become is
/// derived from ffprobe's facts, and what the record says is compared with them.
@Suite struct VideoTests {
    /// Every media sample: samples/video, samples/audio, and the damaged media in samples/bad.
    static let samples: [String] = {
        let media = ["mp4", "mov", "m4v", "m4a", "webm", "mkv", "avi", "ts", "mp3", "ogg", "flv"]
        return ["video", "audio", "bad"].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: Package.sample(folder))) ?? [])
                .filter { media.contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted()
                .map { "\(folder)/\($0)" }
        }
    }()

    @Test func theSamplesCoverEveryOutcome() throws {
        let outcomes = try Self.samples.map { try FFprobe(Package.sample($0)).expected }
        for wanted: FFprobe.Expected in [.processed(kind: "video"), .processed(kind: "audio"),
                                         .errored("too_short"), .errored("corrupt"), .errored("unsupported_format")] {
            #expect(outcomes.contains(wanted), "no sample that ffprobe says should end \(wanted)")
        }
        // The damaged videos are damaged as ffprobe sees them, not only by their names.
        for sample in Self.samples where sample.hasPrefix("bad/") && !sample.hasSuffix(".mkv") {
            #expect(try FFprobe(Package.sample(sample)).expected == .errored("corrupt"), "\(sample)")
        }
    }

    @Test(arguments: samples)
    func recordMatchesFfprobe(sample: String) throws {
        let path = Package.sample(sample)
        let probe = try FFprobe(path)
        let data = try TemporaryDirectory("video")
        defer { data.remove() }
        let (result, records) = try AssetPipe.process([path], data: data.path)
        #expect(result.status == 0, "\(result.summary)")
        let record = try #require(AssetPipe.record(at: path, in: records), "no record for \(path)")
        let error = JSONValue.dictionary(record["error"])

        switch probe.expected {
        case .errored(let reason):
            #expect(record["status"] as? String == "errored", "\(sample): ffprobe says it should end \(reason); record \(record)")
            #expect(error?["reason"] as? String == reason, "\(sample): \(String(describing: error))")
            #expect((record["renditions"] as? [Any] ?? []).isEmpty, "\(sample): an errored asset has no renditions")
        case .processed(let kind):
            #expect(record["status"] as? String == "processed", "\(sample): \(String(describing: error))")
            #expect(record["kind"] as? String == kind, "\(sample)")
            if kind == "video" {
                try Self.checkVideo(record, probe, sample)
                try Self.checkRenditions(record, data: data.path, sample)
            } else {
                try Self.checkAudioOnly(record, probe, sample)
            }
        }
    }

    /// The rotated samples: shown portrait, poster upright as ffmpeg (which autorotates) shows the first frame.
    @Test(arguments: ["video/rotated-90.mp4", "video/rotated-minus90.mp4"])
    func rotatedVideoIsShownUpright(sample: String) throws {
        let path = Package.sample(sample)
        let probe = try FFprobe(path)
        let stream = try #require(probe.video, "ffprobe sees no video in \(sample)")
        let matrix = try #require(probe.rotation, "\(sample) has no display matrix; the test tests nothing")
        #expect(abs(matrix) == 90)

        let scratch = try TemporaryDirectory("rotated")
        defer { scratch.remove() }
        let (result, records) = try AssetPipe.process([path], data: scratch("data"))
        #expect(result.status == 0, "\(result.summary)")
        let record = try #require(AssetPipe.record(at: path, in: records))
        try #require(record["status"] as? String == "processed", "\(record)")
        let video = try #require(JSONValue.dictionary(record["video"]))
        #expect(JSONValue.number(video["rotation"]) == Double(((-matrix) % 360 + 360) % 360), "rotation vs ffprobe side_data rotation \(matrix)")
        #expect(JSONValue.number(record["width"]) == JSONValue.number(stream["height"]))
        #expect(JSONValue.number(record["height"]) == JSONValue.number(stream["width"]))

        let thumb = try #require(Self.rendition("thumb", of: record), "no thumb rendition")
        let thumbPath = scratch("data/") + (try #require(thumb["path"] as? String))
        let thumbWidth = try Oracle.vipsheaderInt("width", thumbPath), thumbHeight = try Oracle.vipsheaderInt("height", thumbPath)
        #expect(thumbHeight > thumbWidth, "thumb is \(thumbWidth)x\(thumbHeight), not portrait")

        // ffmpeg applies the display matrix by default; -frames:v 1 is the first frame, which is also
        // the poster here (one keyframe, at 0 s).
        let shown = scratch("ffmpeg.png")
        let ffmpeg = try Command.run("ffmpeg", ["-nostdin", "-v", "error", "-i", path, "-frames:v", "1", "-y", shown])
        try #require(ffmpeg.status == 0, "\(ffmpeg.summary)")
        let shownWidth = try Oracle.vipsheaderInt("width", shown), shownHeight = try Oracle.vipsheaderInt("height", shown)
        #expect((shownHeight > shownWidth) == (thumbHeight > thumbWidth), "ffmpeg shows \(shownWidth)x\(shownHeight), thumb is \(thumbWidth)x\(thumbHeight)")

        // Same pixels, not only the same shape: the thumb is much closer to ffmpeg's frame than to
        // that frame turned half a turn (a turn the wrong way round would look like that).
        let scaled = scratch("ffmpeg-scaled.v"), turned = scratch("ffmpeg-turned.v")
        try Self.vips(["thumbnail", shown, scaled, "\(thumbWidth)", "--height", "\(thumbHeight)", "--size", "force"])
        try Self.vips(["rot", scaled, turned, "d180"])
        let upright = try Self.meanDifference(thumbPath, scaled, scratch: scratch)
        let wrongWay = try Self.meanDifference(thumbPath, turned, scratch: scratch)
        #expect(upright < 20 && upright * 3 < wrongWay, "mean difference from ffmpeg's frame \(upright), from it turned 180° \(wrongWay)")
    }

    @Test func audioOnlyM4AIsAnAudioAsset() throws {
        let path = Package.sample("audio/tone.m4a")
        let probe = try FFprobe(path)
        try #require(probe.video == nil && probe.audio != nil, "tone.m4a is not audio-only to ffprobe")
        let data = try TemporaryDirectory("audio")
        defer { data.remove() }
        let (result, records) = try AssetPipe.process([path], data: data.path)
        #expect(result.status == 0, "\(result.summary)")
        let record = try #require(AssetPipe.record(at: path, in: records))
        #expect(record["status"] as? String == "processed", "\(record)")
        #expect(record["kind"] as? String == "audio")
        #expect(record["video"] == nil)
        let audio = try #require(JSONValue.dictionary(record["audio"]), "no audio object: \(record)")
        #expect(audio["codec"] as? String == "aac")
        let duration = try #require(probe.duration)
        let ours = try #require(JSONValue.number(audio["duration"]), "no duration: \(audio)")
        #expect(abs(ours - duration) <= 0.001, "duration \(ours) vs ffprobe \(duration)")
    }

    /// samples/video/clip-<seconds>s.mp4, and the reason it must end with (none: processed).
    @Test(arguments: [(0.3, "too_short"), (0.49, "too_short"), (0.5, nil), (0.51, nil)] as [(Double, String?)])
    func halfASecondIsTheShortestVideo(seconds: Double, reason: String?) throws {
        let sample = "video/clip-\(seconds)s.mp4"
        let path = Package.sample(sample)
        // The sample is as long as its name says, to the microsecond ffprobe prints.
        let probed = try #require(try FFprobe(path).duration)
        try #require(probed == seconds, "ffprobe says \(sample) lasts \(probed) s")

        let data = try TemporaryDirectory("min-duration")
        defer { data.remove() }
        let (result, records) = try AssetPipe.process([path], data: data.path)
        #expect(result.status == 0, "\(result.summary)")
        let record = try #require(AssetPipe.record(at: path, in: records))
        let error = JSONValue.dictionary(record["error"])
        if let reason {
            #expect(record["status"] as? String == "errored", "\(seconds) s: \(record)")
            #expect(error?["reason"] as? String == reason)
        } else {
            #expect(record["status"] as? String == "processed", "\(seconds) s: \(String(describing: error))")
        }
    }

    // MARK: - Comparisons

    static func checkVideo(_ record: Record, _ probe: FFprobe, _ sample: String) throws {
        let stream = try #require(probe.video)
        let video = try #require(JSONValue.dictionary(record["video"]), "\(sample): no video object")
        let duration = try #require(probe.duration, "\(sample): ffprobe has no format duration")
        let ours = try #require(JSONValue.number(video["duration"]), "\(sample): no duration")
        #expect(abs(ours - duration) <= 0.001, "\(sample): duration \(ours) vs ffprobe \(duration)")
        #expect(video["container"] as? String == probe.format?["format_name"] as? String, "\(sample): container")
        #expect(video["codec"] as? String == stream["codec_name"] as? String, "\(sample): codec")

        let quarterTurn = abs(probe.rotation ?? 0) % 180 == 90
        let storedWidth = try #require(JSONValue.number(stream["width"])), storedHeight = try #require(JSONValue.number(stream["height"]))
        #expect(JSONValue.number(record["width"]) == (quarterTurn ? storedHeight : storedWidth), "\(sample): width")
        #expect(JSONValue.number(record["height"]) == (quarterTurn ? storedWidth : storedHeight), "\(sample): height")
        let rotation = ((-(probe.rotation ?? 0)) % 360 + 360) % 360
        #expect(JSONValue.number(video["rotation"]) ?? 0 == Double(rotation), "\(sample): rotation vs side_data \(probe.rotation ?? 0)")

        if let fps = FFprobe.rate(stream["avg_frame_rate"]) {
            let ours = try #require(JSONValue.number(video["fps"]), "\(sample): no fps")
            #expect(abs(ours - fps) <= 0.001, "\(sample): fps \(ours) vs avg_frame_rate \(stream["avg_frame_rate"] ?? "")")
        }
        if let frames = FFprobe.integer(stream["nb_frames"]) {
            #expect(JSONValue.number(video["frame_count"]) == Double(frames), "\(sample): frame_count vs nb_frames")
        }
        if let bitRate = FFprobe.integer(probe.format?["bit_rate"]) {
            #expect(JSONValue.number(video["bit_rate"]) == Double(bitRate), "\(sample): bit_rate vs format bit_rate")
        }
        if let audio = probe.audio {
            let ours = try #require(JSONValue.dictionary(video["audio"]), "\(sample): ffprobe sees audio, the record none")
            try checkAudioStream(ours, audio, sample)
        } else {
            #expect(video["audio"] == nil, "\(sample): no audio stream, yet \(String(describing: video["audio"]))")
        }
    }

    static func checkAudioOnly(_ record: Record, _ probe: FFprobe, _ sample: String) throws {
        let stream = try #require(probe.audio)
        let audio = try #require(JSONValue.dictionary(record["audio"]), "\(sample): no audio object")
        #expect(record["video"] == nil, "\(sample)")
        let duration = try #require(probe.duration)
        let ours = try #require(JSONValue.number(audio["duration"]), "\(sample): no duration")
        #expect(abs(ours - duration) <= 0.001, "\(sample): duration \(ours) vs ffprobe \(duration)")
        #expect(audio["container"] as? String == probe.format?["format_name"] as? String, "\(sample): container")
        if let bitRate = FFprobe.integer(probe.format?["bit_rate"]) {
            #expect(JSONValue.number(audio["bit_rate"]) == Double(bitRate), "\(sample): bit_rate")
        }
        try checkAudioStream(audio, stream, sample)
    }

    static func checkAudioStream(_ ours: [String: Any], _ stream: [String: Any], _ sample: String) throws {
        #expect(ours["codec"] as? String == stream["codec_name"] as? String, "\(sample): audio codec")
        #expect(JSONValue.number(ours["channels"]) == JSONValue.number(stream["channels"]), "\(sample): channels")
        #expect(JSONValue.number(ours["sample_rate"]) == FFprobe.integer(stream["sample_rate"]).map(Double.init), "\(sample): sample_rate")
    }

    /// thumb, preview and pixelated exist, are what the record says, and are shown as the video is.
    static func checkRenditions(_ record: Record, data: String, _ sample: String) throws {
        let renditions = record["renditions"] as? [[String: Any]] ?? []
        #expect(Set(renditions.compactMap { $0["name"] as? String }) == ["thumb", "preview", "pixelated"], "\(sample): \(renditions)")
        let width = try #require(JSONValue.number(record["width"])), height = try #require(JSONValue.number(record["height"]))
        for rendition in renditions {
            let name = rendition["name"] as? String ?? "?"
            let file = data + "/" + (try #require(rendition["path"] as? String, "\(sample): \(name) has no path"))
            let fileWidth = try Oracle.vipsheaderInt("width", file), fileHeight = try Oracle.vipsheaderInt("height", file)
            #expect(JSONValue.number(rendition["width"]) == Double(fileWidth) && JSONValue.number(rendition["height"]) == Double(fileHeight),
                    "\(sample): \(name) says \(rendition["width"] ?? "-")x\(rendition["height"] ?? "-"), vipsheader \(fileWidth)x\(fileHeight)")
            #expect((fileWidth >= fileHeight) == (width >= height), "\(sample): \(name) is \(fileWidth)x\(fileHeight), the video \(width)x\(height)")
        }
    }

    static func rendition(_ name: String, of record: Record) -> [String: Any]? {
        (record["renditions"] as? [[String: Any]])?.first { $0["name"] as? String == name }
    }

    static func vips(_ arguments: [String]) throws {
        let result = try Command.run("vips", arguments)
        guard result.status == 0 else { throw TestFailure("vips \(arguments.joined(separator: " ")): \(result.summary)") }
    }

    /// Mean absolute difference per band value (0-255) between two images of one size, with the vips CLI.
    static func meanDifference(_ a: String, _ b: String, scratch: TemporaryDirectory) throws -> Double {
        let difference = scratch("difference-\(UUID().uuidString.prefix(8)).v"), absolute = scratch("absolute-\(UUID().uuidString.prefix(8)).v")
        try vips(["subtract", a, b, difference])
        try vips(["abs", difference, absolute])
        let result = try Command.run("vips", ["avg", absolute])
        guard result.status == 0, let mean = Double(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestFailure("vips avg \(absolute): \(result.summary)")
        }
        return mean
    }
}

/// What ffprobe says about one file, and what assetpipe should make of it according to the README's rules.
struct FFprobe {
    enum Expected: Equatable, CustomStringConvertible {
        case processed(kind: String)
        case errored(String)

        var description: String {
            switch self {
            case .processed(let kind): "processed (\(kind))"
            case .errored(let reason): "errored \(reason)"
            }
        }
    }

    let path: String
    let opened: Bool
    let format: [String: Any]?
    let streams: [[String: Any]]

    init(_ path: String) throws {
        self.path = path
        let result = try Command.run("ffprobe", ["-v", "error", "-count_packets", "-show_format", "-show_streams", "-of", "json", path])
        let json = (try? JSONSerialization.jsonObject(with: result.stdout)) as? [String: Any]
        format = json?["format"] as? [String: Any]
        streams = json?["streams"] as? [[String: Any]] ?? []
        opened = result.status == 0 && format != nil
    }

    /// The first video stream that is a video (cover art is a picture, not a video).
    var video: [String: Any]? {
        streams.first { $0["codec_type"] as? String == "video" && (($0["disposition"] as? [String: Any])?["attached_pic"] as? Int ?? 0) == 0 }
    }

    var audio: [String: Any]? { streams.first { $0["codec_type"] as? String == "audio" } }

    var duration: Double? { Self.number(format?["duration"]) }

    /// The video's display-matrix rotation as ffprobe prints it (degrees, counter-clockwise).
    var rotation: Int? {
        (video?["side_data_list"] as? [[String: Any]])?.lazy.compactMap { $0["rotation"] as? Int }.first
    }

    /// A stream whose index lists more samples than ffprobe could read, or
    /// packets that end well before the length the header announces (the
    /// container's duration, or the video's frame count at its frame rate,
    /// allowing 5 % or 0.1 s): the file was cut short.
    var truncated: Bool {
        let shortIndex = streams.contains { stream in
            guard let listed = Self.integer(stream["nb_frames"]), let read = Self.integer(stream["nb_read_packets"]) else { return false }
            return read < listed
        }
        return shortIndex || endsEarly
    }

    private var endsEarly: Bool {
        guard let duration, let packets = try? Command.run("ffprobe", [
            "-v", "error", "-show_entries", "packet=stream_index,pts_time,dts_time,duration_time", "-of", "csv=p=0", path,
        ]).output else { return false }
        let start = Self.number(format?["start_time"]) ?? 0
        var endOfAll = 0.0
        var endOfStream: [Int: Double] = [:]
        for line in packets.split(separator: "\n") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 4, let index = Int(fields[0]),
                  let stamp = Double(fields[1]) ?? Double(fields[2]) else { continue }
            let end = stamp + (Double(fields[3]) ?? 0) - start
            endOfAll = max(endOfAll, end)
            endOfStream[index] = max(endOfStream[index] ?? 0, end)
        }
        func short(_ end: Double, of claim: Double) -> Bool { end + max(0.1, claim * 0.05) < claim }
        if short(endOfAll, of: duration) { return true }
        guard let video, let index = Self.integer(video["index"]), let frames = Self.integer(video["nb_frames"]),
              let rate = Self.rate(video["avg_frame_rate"]), rate > 0 else { return false }
        return short(endOfStream[index] ?? 0, of: Double(frames) / rate)
    }

    /// The README's rules, applied to ffprobe's facts.
    var expected: Expected {
        if !opened { return .errored("corrupt") }
        if video == nil && audio == nil { return .errored("unsupported_format") }
        if truncated { return .errored("corrupt") }
        if video != nil {
            guard let duration else { return .errored("corrupt") }
            return duration < 0.5 ? .errored("too_short") : .processed(kind: "video")
        }
        return .processed(kind: "audio")
    }

    static func number(_ value: Any?) -> Double? {
        if let text = value as? String { return Double(text) }
        return JSONValue.number(value)
    }

    static func integer(_ value: Any?) -> Int? {
        if let text = value as? String { return Int(text) }
        return JSONValue.number(value).map { Int($0) }
    }

    /// "30000/1001" as a number; nil for 0/0.
    static func rate(_ value: Any?) -> Double? {
        guard let text = value as? String else { return nil }
        let parts = text.split(separator: "/").compactMap { Double($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return nil }
        return parts[0] / parts[1]
    }
}
