import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output streams, and whether a person is watching them.
enum Terminal {
    struct Stream: Sendable {
        let handle: FileHandle
        let descriptor: Int32

        func write(_ text: String) {
            handle.write(Data(text.utf8))
        }

        var isInteractive: Bool { isatty(descriptor) == 1 }
    }

    static let standardOutput = Stream(handle: .standardOutput, descriptor: STDOUT_FILENO)
    static let standardError = Stream(handle: .standardError, descriptor: STDERR_FILENO)

    /// The width of the terminal standard output is, or nil when it is not
    /// one (a pipe or a file takes whole lines).
    static var columns: Int? {
        guard standardOutput.isInteractive else { return nil }
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "").flatMap { $0 > 0 ? $0 : nil }
    }

    /// `text` with its control characters (C0, DEL, C1) but line breaks and
    /// tabs written as `\xHH` or `\u{HHHH}`: a file name is data, and an ESC
    /// in one must not move the cursor, recolour or retitle the terminal it
    /// is printed on. Table cells escape line breaks too (`keepingLineBreaks: false`).
    static func printable(_ text: String, keepingLineBreaks: Bool = true) -> String {
        func escaped(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.generalCategory == .control && !(keepingLineBreaks && (scalar == "\n" || scalar == "\t"))
        }
        guard text.unicodeScalars.contains(where: escaped) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if escaped(scalar) {
                result += scalar.value < 0x100 ? String(format: "\\x%02X", scalar.value) : String(format: "\\u{%04X}", scalar.value)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
