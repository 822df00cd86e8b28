import AssetQuery
import Foundation
import Testing

/// The query language's text form: what parses to what, and where a bad
/// query is pointed at.
@Suite struct QueryParserTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func termsJoinWithAndOrNotAndParentheses() throws {
        let query = try QueryParser.parse(#"kind = image (width > 100 OR NOT exif.make IN ["Canon", SONY]) sunset"#, now: Self.now)
        #expect(query == .and([
            .term(QueryTerm(.kind, .compare(.equal, .string("image")))),
            .or([.term(QueryTerm(.width, .compare(.greater, .number(100)))),
                 .not(.term(QueryTerm(.exifMake, .oneOf([.string("Canon"), .string("SONY")], negated: false))))]),
            .term(QueryTerm(.text, .has([SearchWord("sunset", isPrefix: false)]))),
        ]))
        #expect(try QueryParser.parse("", now: Self.now) == .all)
    }

    @Test func valuesAreConvertedForTheirField() throws {
        #expect(try QueryParser.parse(#"size > "5mb""#, now: Self.now) == .term(QueryTerm(.size, .compare(.greater, .number(5 * 1_048_576)))))
        #expect(try QueryParser.parse(#"created_at > "7d""#, now: Self.now)
            == .term(QueryTerm(.createdAt, .compare(.greater, .number((1_700_000_000 - 7 * 86_400) * 1000)))))
        #expect(try QueryParser.parse(#"taken_at >= "2024-05-01T12:00:00+02:00""#, now: Self.now)
            == .term(QueryTerm(.takenAt, .compare(.greaterOrEqual, .number(1_714_557_600_000)))))
        #expect(try QueryParser.parse(#"name HAS "Café* ÉTÉ""#, now: Self.now)
            == .term(QueryTerm(.name, .has([SearchWord("cafe", isPrefix: true), SearchWord("ete", isPrefix: false)]))))
        #expect(try QueryParser.parse(#"path : "/photos/2024/""#, now: Self.now) == .term(QueryTerm(.path, .under(folder: "/photos/2024"))))
        #expect(try QueryParser.parse(#"gps NEAR "48.8584,2.2945 5km""#, now: Self.now)
            == .term(QueryTerm(.gps, .near(GeoCircle(latitude: 48.8584, longitude: 2.2945, radius: 5000)))))
        guard case .term(let term) = try QueryParser.parse(##"color NEAR "#1E88E5" WITHIN 8 WEIGHT >= 0.25"##, now: Self.now),
              case .color(let match) = term.condition else {
            Issue.record("color NEAR did not parse to a colour match")
            return
        }
        #expect(match.hex == "#1e88e5" && match.within == 8 && match.minimumWeight == 0.25)
    }

    @Test(arguments: [
        ("width >> 3", 7, "expected a value"),
        ("widht > 3", 0, "unknown field 'widht'"),
        ("kind = imag", 7, "kind is one of"),
        ("width HAS big", 6, "width takes"),
        ("(width > 3", 0, "is not closed"),
        (#"name = "open"#, 7, "no closing"),
        ("size > huge", 7, "size takes"),
        ("created_at > tomorrow", 13, "created_at takes a date"),
        ("width > 3 )", 10, "closes nothing"),
        ("color NEAR \"#12345g\"", 11, "#rrggbb"),
    ])
    func aBadQueryIsPointedAt(text: String, position: Int, message: String) {
        #expect {
            _ = try QueryParser.parse(text, now: Self.now)
        } throws: { error in
            guard let error = error as? QueryError else { return false }
            return error.position == position && error.message.contains(message)
        }
    }

    @Test func nestingAndLengthAreBounded() {
        let deep = String(repeating: "(", count: 10_000) + "a" + String(repeating: ")", count: 10_000)
        #expect(throws: QueryError.self) { try QueryParser.parse(deep, now: Self.now) }
        let wide = Array(repeating: "width > 1", count: 600).joined(separator: " OR ")
        #expect(throws: QueryError.self) { try QueryParser.parse(wide, now: Self.now) }
    }

    @Test func aCursorBelongsToItsQueryAndSort() throws {
        let first = try FindRequest(q: "kind = image", sort: "-size", limit: 10)
        let token = QueryCursor(value: .number(1234), id: "an-id", fingerprint: first.fingerprint).token
        #expect(try FindRequest(q: "kind = image", sort: "-size", cursor: token).after?.id == "an-id")
        #expect(throws: QueryError.self) { try FindRequest(q: "kind = video", sort: "-size", cursor: token) }
        #expect(throws: QueryError.self) { try FindRequest(q: "kind = image", sort: "size", cursor: token) }
        #expect(throws: QueryError.self) { try FindRequest(q: "kind = image", sort: "-size", cursor: "not-a-cursor") }
        #expect(throws: QueryError.self) { try FindRequest(q: "kind = image", sort: "relevance") }
        #expect(throws: QueryError.self) { try FindRequest(q: nil, limit: 1001) }
    }
}
