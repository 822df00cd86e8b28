/// Byte-level mutations in the manner of libFuzzer's: flips, interesting
/// values, inserted and erased runs, copies within the input, splices with
/// another input and the target's dictionary tokens. One to four at a time.
struct ByteMutator: Sendable {
    let dictionary: [[UInt8]]

    /// Values that sit on the edges of lengths, counts and signs.
    static let interestingBytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x20, 0x25, 0x26, 0x3D, 0x2C, 0x0A, 0x22, 0x5C]
    static let interestingWords: [[UInt8]] = [
        [0xFF, 0xFF, 0xFF, 0xFF], [0x7F, 0xFF, 0xFF, 0xFF], [0x80, 0x00, 0x00, 0x00], [0x00, 0x00, 0x00, 0x00],
        [0x00, 0x00, 0x01, 0x00], [0xFF, 0xFF], [0x7F, 0xFF], [0x80, 0x00], [0x00, 0x00], [0x00, 0x10],
        [0xEF, 0xBC, 0x90], // fullwidth zero
        [0xCC, 0x81], // combining acute accent
        [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], // overlong NUL, a surrogate, past U+10FFFF
    ]

    func mutate(_ input: [UInt8], splicing other: [UInt8], _ random: inout FuzzRandom) -> [UInt8] {
        var bytes = input
        for _ in 0...random.below(4) {
            mutateOnce(&bytes, other, &random)
        }
        return bytes
    }

    private func mutateOnce(_ bytes: inout [UInt8], _ other: [UInt8], _ random: inout FuzzRandom) {
        switch random.below(11) {
        case 0 where !bytes.isEmpty: // flip a bit
            bytes[random.below(bytes.count)] ^= 1 << UInt8(random.below(8))
        case 1 where !bytes.isEmpty: // an interesting byte
            bytes[random.below(bytes.count)] = random.pick(Self.interestingBytes) ?? 0
        case 2: // an interesting word, inserted or written over
            let word = random.pick(Self.interestingWords) ?? []
            let at = random.below(bytes.count + 1)
            if random.chance(0.5), at + word.count <= bytes.count {
                bytes.replaceSubrange(at..<at + word.count, with: word)
            } else {
                bytes.insert(contentsOf: word, at: at)
            }
        case 3 where !bytes.isEmpty: // erase a run
            let at = random.below(bytes.count)
            let length = 1 + random.below(min(64, bytes.count - at))
            bytes.removeSubrange(at..<at + length)
        case 4: // insert random bytes
            let run = (0...random.below(8)).map { _ in UInt8.random(in: 0...255, using: &random) }
            bytes.insert(contentsOf: run, at: random.below(bytes.count + 1))
        case 5 where !bytes.isEmpty: // copy a run elsewhere in the input
            let from = random.below(bytes.count)
            let run = Array(bytes[from..<min(bytes.count, from + 1 + random.below(32))])
            bytes.insert(contentsOf: run, at: random.below(bytes.count + 1))
        case 6 where !bytes.isEmpty: // repeat a run many times: long values, deep nesting
            let from = random.below(bytes.count)
            let run = bytes[from..<min(bytes.count, from + 1 + random.below(4))]
            let times = [2, 16, 256, 2048][random.below(4)]
            bytes.insert(contentsOf: Array(repeating: Array(run), count: times).joined(), at: from)
        case 7 where !other.isEmpty: // splice: our head, the other's tail
            let cut = random.below(bytes.count + 1)
            let otherCut = random.below(other.count)
            bytes = Array(bytes[..<cut]) + other[otherCut...]
        case 8, 9: // a dictionary token
            guard let token = random.pick(dictionary) else { return }
            let at = random.below(bytes.count + 1)
            if random.chance(0.3), at + token.count <= bytes.count {
                bytes.replaceSubrange(at..<at + token.count, with: token)
            } else {
                bytes.insert(contentsOf: token, at: at)
            }
        case 10 where bytes.count > 1: // truncate
            bytes.removeLast(1 + random.below(bytes.count - 1))
        default:
            bytes.append(UInt8.random(in: 0...255, using: &random))
        }
    }
}
