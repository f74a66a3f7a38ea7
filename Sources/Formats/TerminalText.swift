/// Text from a report (or anything else a stranger wrote) made safe to print on the staff's
/// terminal: every character that can move the cursor, rewrite the screen, set the window title
/// or reorder what is shown is replaced by its visible `\u{…}` form, so a person sees that it was
/// there and nothing acts on it. Covers C0 and DEL (ESC, BEL, CR, backspace…), C1 (U+0080–U+009F,
/// including the 8-bit CSI U+009B), the bidirectional overrides, embeddings and isolates, the
/// directional marks, and the line and paragraph separators.
public enum TerminalText {
    /// `allowNewlines`: keep `\n` and `\t` as they are (a description's paragraphs); `\r` is
    /// always shown, since it returns to the start of the line and hides what came before.
    public static func escaped(_ text: String, allowNewlines: Bool = false) -> String {
        guard needsEscaping(text, allowNewlines: allowNewlines) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar, allowNewlines: allowNewlines) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// True when the text holds a character `escaped` would replace: the parsers refuse these in
    /// field names and codes, where no honest sender has a reason to put them.
    public static func needsEscaping(_ text: String, allowNewlines: Bool = false) -> Bool {
        text.unicodeScalars.contains { isUnsafe($0, allowNewlines: allowNewlines) }
    }

    static func isUnsafe(_ s: Unicode.Scalar, allowNewlines: Bool) -> Bool {
        switch s.value {
        case 0x0A, 0x09: return !allowNewlines
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: return true
        default: return false
        }
    }
}
