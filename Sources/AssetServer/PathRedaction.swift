/// Keeps the server's file-system layout out of what HTTP clients read:
/// every absolute path in a message (`/srv/photos/2024/cat.jpg`) becomes its
/// last component (`cat.jpg`); the API's own routes (`/v1/...`) stay.
enum PathRedaction {
    static func redacted(_ message: String) -> String {
        var result = ""
        result.reserveCapacity(message.utf8.count)
        var index = message.startIndex
        while index < message.endIndex {
            let character = message[index]
            let startsWord = index == message.startIndex || Self.before.contains(message[message.index(before: index)])
            guard character == "/", startsWord else {
                result.append(character)
                index = message.index(after: index)
                continue
            }
            var end = index
            while end < message.endIndex, !Self.after.contains(message[end]) { end = message.index(after: end) }
            let path = message[index..<end]
            if Self.apiPrefixes.contains(where: { path.hasPrefix($0) }) || path == "/" {
                result += path
            } else {
                // "/a/b/" names b; trailing punctuation of a sentence is not part of it.
                let parts = path.split(separator: "/")
                result += parts.last.map(String.init) ?? ""
            }
            index = end
        }
        return result
    }

    private static let before: Set<Character> = [" ", "'", "\"", "(", "`", "\n", "\t", "="]
    private static let after: Set<Character> = [" ", "'", "\"", ")", "`", "\n", "\t", ":", ",", ";"]
    private static let apiPrefixes = ["/v1/", "/healthz", "/metrics", "/openapi.json"]
}
