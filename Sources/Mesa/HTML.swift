import Foundation

/// Text for an HTML page: every string that did not come from this file goes through `h`, so
/// a report that carries markup (a name like `<script>`, a quote that would close an
/// attribute) reads as text. Nothing here ever marks a string as safe.
func h(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        // Controls and bidirectional overrides would reorder or hide what a person reads.
        case "\u{202A}"..."\u{202E}", "\u{2066}"..."\u{2069}", "\u{200E}", "\u{200F}": out += "\u{FFFD}"
        default:
            if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" || scalar.value == 0x7F { out += "\u{FFFD}" } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out
}

/// A form body (`application/x-www-form-urlencoded`), each name with every value it was given
/// in order (checkbox groups repeat a name).
struct FormBody: Sendable {
    let values: [String: [String]]

    init(_ bytes: [UInt8]) {
        var values: [String: [String]] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0]), value = parts.count > 1 ? Self.decode(parts[1]) : ""
            values[name, default: []].append(value)
        }
        self.values = values
    }

    subscript(_ name: String) -> String? { values[name]?.first }
    func all(_ name: String) -> [String] { values[name] ?? [] }

    /// `+` is a space; `%XX` a byte; the bytes are UTF-8 (invalid sequences become U+FFFD).
    static func decode(_ part: ArraySlice<UInt8>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(part.count)
        var i = part.startIndex
        while i < part.endIndex {
            let b = part[i]
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < part.endIndex, let hi = hex(part[i + 1]), let lo = hex(part[i + 2]) {
                bytes.append(hi << 4 | lo)
                i += 2
            } else {
                bytes.append(b)
            }
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
