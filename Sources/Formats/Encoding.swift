import Foundation

/// Hex and strict base64, the two text encodings our formats use for bytes.
public enum Encoding {
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        hex(bytes, groupedBy: 0)
    }

    /// Lowercase hex with a `-` after every `groupedBy` digits (0: no grouping), as receipts are
    /// written. Built in one buffer: the intake makes one for every submission.
    public static func hex(_ bytes: some Sequence<UInt8>, groupedBy group: Int) -> String {
        hex(Array(bytes), groupedBy: group)
    }

    /// The same for an array, written straight into the string's storage; not generic, so a
    /// caller in another module does not pay a sequence's witness calls byte by byte (the intake
    /// makes one for every receipt; it showed in the profile, issue 21).
    public static func hex(_ bytes: [UInt8], groupedBy group: Int) -> String {
        let digits = bytes.count * 2
        let dashes = group > 0 && digits > 0 ? (digits - 1) / group : 0
        return String(unsafeUninitializedCapacity: digits + dashes) { out in
            var i = 0, written = 0
            func put(_ nibble: UInt8) {
                if group > 0 && written > 0 && written % group == 0 {
                    out[i] = UInt8(ascii: "-")
                    i += 1
                }
                out[i] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
                i += 1
                written += 1
            }
            for b in bytes {
                put(b >> 4)
                put(b & 0x0F)
            }
            return i
        }
    }

    /// Lowercase hex only: one spelling per value keeps ids comparable as strings.
    public static func bytes(fromHex text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    public static func base64(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Standard base64 with padding, canonical only: decoding then re-encoding must give the same
    /// text, so no two strings name the same bytes.
    public static func bytes(fromBase64 text: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: text), data.base64EncodedString() == text else { return nil }
        return Array(data)
    }

    /// Text made safe for HTML content and attribute values (both the registry's reports and the
    /// intake's web form put outside text into HTML). Per Unicode scalar, never per grapheme: a
    /// `"` followed by a combining mark is one Character that compares unequal to `"`, and
    /// escaping per Character let it through into an attribute.
    public static func htmlEscaped(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
