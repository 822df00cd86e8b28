import Foundation

/// A one-line progress bar on a terminal, redrawn at most ten times a second.
/// It shows the count, the errors, the rate, the time taken and, once the
/// rate is known, the time left.
struct ProgressBar {
    let total: Int
    let stream: Terminal.Stream
    private let started = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(1)

    init(total: Int, stream: Terminal.Stream) {
        self.total = total
        self.stream = stream
    }

    mutating func update(done: Int, errored: Int, rate: Double) {
        let now = ContinuousClock.now
        guard done == total || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        let width = 20
        let filled = total > 0 ? width * min(done, total) / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let elapsed = started.duration(to: now).components.seconds
        var line = String(format: "\r[%@] %d/%d  %d errored  %.1f/s  %@", bar, done, total, errored, rate, Self.clock(elapsed))
        let left = rate > 0 ? Double(total - done) / rate : .infinity
        // Shown once it means something: under 100 hours (and never a trap on a huge or odd value).
        if done < total, left.isFinite, left < 360_000 {
            line += "  ETA " + Self.clock(Int64(left.rounded()))
        }
        // Spaces wipe what a longer previous line left.
        stream.write(line + "    ")
    }

    /// Seconds as `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Int64) -> String {
        let seconds = max(0, min(seconds, 359_999))
        let (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }

    func finish() {
        stream.write("\n")
    }
}
