/// The query text as tokens, each with the character position it starts at.
struct QueryToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// A bare word: a field, a keyword (AND, IN...), a number, an unquoted value.
        case word(String)
        /// A "quoted string", its escapes (\" and \\) resolved.
        case string(String)
        /// = != < <= > >= :
        case symbol(String)
        case openParenthesis, closeParenthesis, openBracket, closeBracket, comma
        case end
    }

    var kind: Kind
    var position: Int

    /// The keyword this token spells (AND, or, Not...), uppercased; nil for anything else.
    var keyword: String? {
        guard case .word(let word) = kind else { return nil }
        let upper = word.uppercased()
        return QueryLexer.keywords.contains(upper) ? upper : nil
    }
}

enum QueryLexer {
    static let keywords: Set<String> = ["AND", "OR", "NOT", "IN", "HAS", "EXISTS", "NEAR", "WITHIN", "WEIGHT"]
    /// Longer than any query a person or a program writes; keeps parsing cheap.
    static let maximumLength = 10_000

    static func tokens(of text: String) throws(QueryError) -> [QueryToken] {
        guard text.count <= maximumLength else {
            throw QueryError("the query is over \(maximumLength) characters; split it, or save parts as collections", position: maximumLength)
        }
        let characters = Array(text)
        var tokens: [QueryToken] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let start = index
            if character.isWhitespace {
                index += 1
                continue
            }
            switch character {
            case "(": tokens.append(QueryToken(kind: .openParenthesis, position: start)); index += 1
            case ")": tokens.append(QueryToken(kind: .closeParenthesis, position: start)); index += 1
            case "[": tokens.append(QueryToken(kind: .openBracket, position: start)); index += 1
            case "]": tokens.append(QueryToken(kind: .closeBracket, position: start)); index += 1
            case ",": tokens.append(QueryToken(kind: .comma, position: start)); index += 1
            case "=", ":": tokens.append(QueryToken(kind: .symbol(String(character)), position: start)); index += 1
            case "!", "<", ">":
                if index + 1 < characters.count, characters[index + 1] == "=" {
                    tokens.append(QueryToken(kind: .symbol(String(character) + "="), position: start))
                    index += 2
                } else if character == "!" {
                    throw QueryError("'!' is only part of '!='; for the opposite of a term write NOT", position: start)
                } else {
                    tokens.append(QueryToken(kind: .symbol(String(character)), position: start))
                    index += 1
                }
            case "\"", "'":
                let quote = character
                var value = ""
                index += 1
                var closed = false
                while index < characters.count {
                    let next = characters[index]
                    if next == "\\", index + 1 < characters.count, characters[index + 1] == quote || characters[index + 1] == "\\" {
                        value.append(characters[index + 1])
                        index += 2
                    } else if next == quote {
                        index += 1
                        closed = true
                        break
                    } else {
                        value.append(next)
                        index += 1
                    }
                }
                guard closed else { throw QueryError("this quoted value has no closing \(quote)", position: start) }
                tokens.append(QueryToken(kind: .string(value), position: start))
            default:
                var word = ""
                while index < characters.count, isWordCharacter(characters[index]) {
                    word.append(characters[index])
                    index += 1
                }
                guard !word.isEmpty else {
                    throw QueryError("unexpected '\(character)': quote values that hold it", position: start)
                }
                tokens.append(QueryToken(kind: .word(word), position: start))
            }
        }
        tokens.append(QueryToken(kind: .end, position: characters.count))
        return tokens
    }

    /// Letters, digits and the punctuation of numbers, dates, sizes, colours
    /// and file names; the rest must be quoted.
    private static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || "._-+*#/@%".contains(character)
    }
}
