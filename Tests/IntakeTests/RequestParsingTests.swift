import Foundation
import Testing
import TestHarness
import Hummingbird
import HTTPTypes
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
        ("APPLICATION/OCTET-STREAM", true), ("appl\u{130}cation/octet-stream", false), ("\tapplication/octet-stream\t", true), (" ; ", false),
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

    @Test("configuration from one table: file, environment and flags share keys, checks and errors")
    func configurationTable() throws {
        let keys = IntakeSetting.all.map(\.key)
        #expect(Set(keys).count == keys.count, "a key is listed twice")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("intake.json").path
        try #"{"http": {"port": 443, "host": "0.0.0.0"}, "notify": {"urgent_command": ["/usr/local/bin/avisar", "--red", "gt"]}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        var settings = try IntakeConfiguration(jsonFile: file)
        #expect(settings.port == 443 && settings.host == "0.0.0.0" && settings.urgentCommand == ["/usr/local/bin/avisar", "--red", "gt"])
        // The environment overrides the file; flags override both, with the same range checks.
        try settings.applyEnvironment(["RESGUARDO_INTAKE_HTTP_PORT": "8444", "RESGUARDO_INTAKE_POW_DIFFICULTY": "12", "HOME": "/root"])
        #expect(settings.port == 8444 && settings.powDifficulty == 12)
        try settings.set("http.port", text: "9000", flag: "--port")
        #expect(settings.port == 9000)
        #expect(throws: ConfigurationError.self) { try settings.set("http.port", text: "99999", flag: "--port") }
        #expect(throws: ConfigurationError.self) { try settings.applyEnvironment(["RESGUARDO_INTAKE_HTTP_PORTT": "1"]) }
        #expect(throws: ConfigurationError.self) { try settings.set("keys.fingerprint", text: "nope", flag: "--fingerprint") }
        try #"{"http": {"prot": 1}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.invalid(file, "unknown key `http.prot`")) { try IntakeConfiguration(jsonFile: file) }
        // serve --help lists every key with its variable.
        for setting in IntakeSetting.all { #expect(IntakeSetting.helpText.contains(setting.environmentName)) }
    }

    @Test("a receipt is the id in lowercase hex in groups of four, and reads back")
    func receipt() throws {
        let id = try #require(SubmissionId(bytes: (0..<16).map { UInt8($0 * 17) }))
        #expect(id.receipt == "0011-2233-4455-6677-8899-aabb-ccdd-eeff")
        #expect(SubmissionId(receipt: id.receipt) == id)
        #expect(SubmissionId(receipt: id.receipt.uppercased()) == id)
        #expect(Encoding.hex([0xAB, 0x01]) == "ab01")
        // The generic path (any sequence) and the array path agree, with and without groups.
        for count in [0, 1, 2, 3, 16] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 * 37 + 5) }
            for group in [0, 1, 3, 4] {
                #expect(Encoding.hex(bytes[...], groupedBy: group) == Encoding.hex(bytes, groupedBy: group))
                #expect(Encoding.hex(bytes, groupedBy: group).filter { $0 != "-" } == bytes.map { String(format: "%02x", $0) }.joined())
            }
        }
        #expect(Encoding.hex([0x12, 0x34, 0x56], groupedBy: 4) == "1234-56")
    }

    @Test("the receipt answer is the JSON the API promises, byte for byte")
    func receiptAnswer() throws {
        let id = try #require(SubmissionId(bytes: (0..<16).map { UInt8($0) }))
        let response = ReportsController.receiptResponse(id)
        #expect(response.status == .created)
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        #expect(response.body.contentLength == ReportsController.receiptJSON(id).readableBytes)
        let body = Array(ReportsController.receiptJSON(id).readableBytesView)
        #expect(body == JSONValue.object([("receipt", .string(id.receipt))]).serialized(), "\(String(decoding: body, as: UTF8.self))")
    }

    @Test("security headers: appended to an answer that has none; a handler's own Set-Cookie removed and its Cache-Control replaced, never doubled")
    func securityHeaders() throws {
        var plain: HTTPFields = [.contentType: "application/json"]
        SecurityHeadersMiddleware<BasicRequestContext>.apply(&plain)
        for field in SecurityHeaderFields.all { #expect(plain[values: field.name] == [field.value], "\(field.name)") }
        var onion: HTTPFields = [.contentType: "text/html"]
        SecurityHeadersMiddleware<BasicRequestContext>.apply(&onion, side: .onion)
        #expect(onion[.strictTransportSecurity] == nil && onion[.contentSecurityPolicy] != nil)
        var clash: HTTPFields = [.contentType: "text/html", .setCookie: "a=b", .cacheControl: "public, max-age=600"]
        SecurityHeadersMiddleware<BasicRequestContext>.apply(&clash)
        #expect(clash[.setCookie] == nil)
        #expect(clash[values: .cacheControl] == ["no-store"])
        #expect(clash.count == 1 + SecurityHeaderFields.all.count)
    }
}
