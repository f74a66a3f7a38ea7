import Foundation
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
    }
}
