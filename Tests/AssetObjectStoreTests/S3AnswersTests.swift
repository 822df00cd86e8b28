import Foundation
import TestSupport
import Testing
@testable import AssetObjectStore

/// The listing's dates, read without a formatter, against Foundation's
/// ISO8601DateFormatter over random instants (whole and fractional seconds).
@Suite struct S3AnswersTests {
    @Test func listingDatesAreWhatTheFormatterReads() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let whole = ISO8601DateFormatter()
        var random = SeededGenerator(seed: 5)
        for _ in 0..<2000 {
            let instant = Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000...4_000_000_000, using: &random)) + 0.125)
            for text in [formatter.string(from: instant), whole.string(from: instant)] {
                let ours = try #require(S3Answers.utcDate(text), "\(text)")
                let theirs = try #require(formatter.date(from: text) ?? whole.date(from: text))
                #expect(abs(ours.timeIntervalSince(theirs)) < 0.0005, "\(text)")
            }
        }
        for bad in ["2026-13-01T00:00:00Z", "2026-12-07 12:00:00Z", "2026-12-07T12:00:00+01:00", "2026-12-07T12:00:00.Z", "x"] {
            #expect(S3Answers.utcDate(bad) == nil, "\(bad)")
        }
    }
}
