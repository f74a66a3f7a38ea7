import Testing
import Formats
import Vault
@testable import Intake

/// The small per-request parsers that replaced Foundation string handling on the submission path.
@Suite("Per-request parsing")
struct RequestParsingTests {
    @Test("Content-Type: application/octet-stream in any case, with parameters or spaces; nothing else", arguments: [
        ("application/octet-stream", true), ("Application/Octet-Stream", true), ("application/octet-stream; charset=binary", true),
        ("  application/octet-stream\t;x=1", true), ("application/octet-streams", false), ("application/json", false),
        ("", false), (";application/octet-stream", false), ("application/octet-stream-x; a=b", false), ("text/plain; application/octet-stream", false),
    ])
    func contentType(_ value: String, _ accepted: Bool) {
        #expect(MediaType.isOctetStream(value) == accepted, "\(value)")
    }

    @Test("the form's content type is checked by the same parser: any case, with parameters; nothing else")
    func formContentType() {
        #expect(MediaType.isType("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"))
        #expect(MediaType.isType(" Application/X-WWW-Form-Urlencoded ; charset=utf-8", "application/x-www-form-urlencoded"))
        #expect(!MediaType.isType("application/x-www-form-urlencodedx", "application/x-www-form-urlencoded"))
        #expect(!MediaType.isType("multipart/form-data", "application/x-www-form-urlencoded"))
    }

    @Test("a receipt is the id in lowercase hex in groups of four, and reads back")
    func receipt() throws {
        let id = try #require(SubmissionId(bytes: (0..<16).map { UInt8($0 * 17) }))
        #expect(id.receipt == "0011-2233-4455-6677-8899-aabb-ccdd-eeff")
        #expect(SubmissionId(receipt: id.receipt) == id)
        #expect(SubmissionId(receipt: id.receipt.uppercased()) == id)
        #expect(Encoding.hex([0xAB, 0x01]) == "ab01")
    }
}
