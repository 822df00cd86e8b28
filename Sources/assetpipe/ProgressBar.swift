import Foundation

/// A one-line progress bar on a terminal, redrawn at most ten times a second.
struct ProgressBar {
    let total: Int
    let stream: Terminal.Stream
    private var lastDraw = ContinuousClock.now - .seconds(1)

    init(total: Int, stream: Terminal.Stream) {
        self.total = total
        self.stream = stream
    }

    mutating func update(done: Int, errored: Int, rate: Double) {
        let now = ContinuousClock.now
        guard done == total || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        stream.write(String(format: "\r[%@] %d/%d  %d errored  %.1f assets/s ", bar, done, total, errored, rate))
    }

    func finish() {
        stream.write("\n")
    }
}
