import Testing
@testable import Formats

@Suite("Strict JSON")
struct JSONValueTests {
    @Test("parses what RFC 8259 allows and round-trips it")
    func roundTrip() throws {
        let text = #"{"a":[1,-2.5e3,true,false,null],"b":"ñ \"q\" \\ \n \u00e9 \ud83d\ude00","c":{}}"#
        let value = try JSONValue.parse(Array(text.utf8))
        #expect(value["b"] == .string("ñ \"q\" \\ \n é 😀"))
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test("rejects what would let two parsers disagree", arguments: [
        #"{"a":1,"a":2}"#, #"{"a":1} x"#, "[1,]", "01", "\"\u{01}\"", #""\ud800""#, "[" + String(repeating: "[", count: 40) + "]",
        "", "nul", #"{"a" 1}"#, "1.", "-", "\"abc",
    ])
    func rejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(text.utf8)) }
    }

    @Test("invalid UTF-8 inside a string is an error, not a replacement character")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("errors give the byte offset")
    func offsets() {
        do { _ = try JSONValue.parse(Array(#"{"a":1,"a":2}"#.utf8)) } catch {
            #expect(error.offset == 7 && error.reason.contains("duplicate"))
        }
    }
}
