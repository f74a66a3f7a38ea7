import Formats
import Sodium

/// One entry point per parser that reads bytes from outside (issue: fuzzing). The libFuzzer
/// harnesses in Fuzz/ call these; the test suite runs each committed corpus through them once, so
/// any input that ever crashed a parser stays a regression test. Each must return normally for
/// every input: a parser that traps on hostile bytes is the bug being looked for.
public enum FuzzTargets {
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("envelope", envelope), ("report", report), ("keyfile", keyFile), ("manifest", manifest),
        ("export_bundle", exportBundle), ("reply_bundle", replyBundle), ("referral", referral),
    ]

    /// Fixed keys: the parsers that verify signatures need one, and the fuzzer should reach the
    /// framing code behind the signature check through the unsigned paths.
    static let verifyingKey: VerifyingKey? = try? SigningKey(seed: SecureBytes(copying: [UInt8](repeating: 7, count: 32))).verifyingKey
    static let sealKey: SealSecretKey? = try? SealSecretKey(secretBytes: SecureBytes(copying: [UInt8](repeating: 9, count: 32)))

    public static func envelope(_ bytes: [UInt8]) {
        guard let envelope = try? Envelope(bytes: bytes), let key = sealKey else { return }
        _ = try? envelope.open(with: key)
    }

    public static func report(_ bytes: [UInt8]) {
        guard let parsed = try? Report.parse(bytes) else { return }
        // What parses must serialise and parse back the same (no silent loss).
        precondition((try? Report.parse(parsed.jsonBytes())) == parsed, "report round trip changed the report")
    }

    public static func keyFile(_ bytes: [UInt8]) {
        guard let file = try? KeyFile(bytes: bytes), let passphrase = try? SecureBytes(copying: Array("fuzz".utf8)) else { return }
        // Unlocking runs Argon2id with the file's own (bounded) limits: only tiny ones, or the
        // fuzzer would spend its time hashing.
        if file.limits.memLimit <= 64 * 1024 && file.limits.opsLimit <= 2 {
            _ = try? file.unlockSealKey(passphrase: passphrase)
        }
    }

    public static func manifest(_ bytes: [UInt8]) {
        guard let key = verifyingKey else { return }
        _ = try? SignedKeyManifest(json: bytes, trust: .key(key))
        _ = try? KeyManifest(payload: bytes)
    }

    public static func exportBundle(_ bytes: [UInt8]) {
        guard let key = verifyingKey else { return }
        _ = try? ExportBundle(bytes: bytes, trustedKey: key)
    }

    public static func replyBundle(_ bytes: [UInt8]) {
        guard let key = verifyingKey else { return }
        _ = try? ReplyBundle(bytes: bytes, trustedKey: key)
        if let sealKey { _ = try? Reply.open(bytes, with: sealKey) }
    }

    public static func referral(_ bytes: [UInt8]) {
        _ = try? ReferralRecord.parse(bytes)
        guard let key = sealKey, let fingerprint = verifyingKey.flatMap({ try? SigningKeyFingerprint(verifyingKey: $0) }) else { return }
        _ = try? ReferralFile.open(bytes, with: key, trustedSigner: fingerprint, today: .today())
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FuzzTargets {
    /// The harness's bytes as an array (libFuzzer may pass a null pointer for the empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    /// Starts libFuzzer's driver with the harness's `LLVMFuzzerTestOneInput`. Both are looked up
    /// at run time: only the harness binaries (linked with -sanitize=fuzzer) have them, and this
    /// library is also linked into the test suite.
    public static func runLibFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
        typealias Driver = @convention(c) (UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                           Callback) -> CInt
        guard let driver = dlsym(nil, "LLVMFuzzerRunDriver"), let input = dlsym(nil, "LLVMFuzzerTestOneInput") else {
            print("fuzz: not linked with -sanitize=fuzzer (build it with scripts/stress fuzz)")
            return 2
        }
        var argc = argc
        var argv = argv
        return unsafeBitCast(driver, to: Driver.self)(&argc, &argv, unsafeBitCast(input, to: Callback.self))
    }
}
