/// A query that cannot be run, with where it goes wrong: the CLI puts a
/// caret under `position`, HTTP answers 400 `bad_query` with it.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Characters (grapheme clusters) from the start of the query text.
    public var position: Int
    /// The request parameter at fault: `q`, `sort`, `cursor`, `limit`, `facets`.
    public var param: String

    public init(_ message: String, position: Int, param: String = "q") {
        self.message = message
        self.position = position
        self.param = param
    }

    public var description: String { message }

    /// The query with a caret under the offending character, for a terminal.
    public func pointing(into text: String) -> String {
        let line = String(text.map { $0 == "\n" || $0 == "\t" ? " " : $0 })
        return line + "\n" + String(repeating: " ", count: max(0, min(position, line.count))) + "^"
    }
}
