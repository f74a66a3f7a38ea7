// Throughput of the Swift envelope path (pad + seal + frame; check + open + unpad), printed as
// tab-separated lines for scripts/bench, which compares them with Benchmarks/crypto_bench.c
// running the same operations directly on libsodium in the same run.
import Casework
import Registration
import Foundation
import Formats
import Keys
import Sodium

let sizes = [(label: "4KiB", report: 3000), (label: "64KiB", report: 50_000)]
let seconds = Double(CommandLine.arguments.dropFirst().first ?? "1") ?? 1

/// `resguardo-crypto-bench unseal N DIR`: builds a signed bundle of N 4 KiB-bucket envelopes,
/// writes the raw sealed boxes and the secret key for the C anchor, then times the real
/// Unsealer (verify, open, validate, encrypt at rest, store) into a fresh workspace.
func unsealBenchmark(count: Int, dir: String) throws {
    let passphrase = try SecureBytes(copying: Array("benchmark passphrase, not secret".utf8))
    let keys = try KeyDirectory.create(at: dir + "/keys", organisation: "Bench", passphrase: passphrase,
                                       limits: .interactive, today: .today(), validDays: 30)
    let secretKeys = try keys.unlockEncryptionKeys(passphrase: passphrase)
    guard let current = keys.manifest.manifest.currentEncryptionKey(on: .today()), let secret = secretKeys[current.id] else { return }
    var report = Report(language: .es, country: "MX", description: String(repeating: "Amenazas y vigilancia en la comunidad. ", count: 60))
    report.consent = Report.Consent(registry: true, contact: false)
    report.region = "MX-OAX"
    report.aggressionTypes = ["threat", "surveillance"]
    var boxes: [UInt8] = []
    var entries: [ExportBundle.Entry] = []
    for i in 0..<count {
        report.locality = "lugar \(i)"  // distinct envelopes, so none is a duplicate
        let envelope = try Envelope.seal(report: report.jsonBytes(), to: current.publicKey)
        boxes += envelope.bytes[Envelope.headerByteCount...]
        entries.append(ExportBundle.Entry(submissionId: try Random.bytes(count: 16), receivedDay: .today(), envelope: envelope.bytes))
    }
    let vaultKey = try SigningKey.generate()
    let bundle = try ExportBundle.seal(bundleId: try Random.bytes(count: 16), createdDay: .today(), entries: entries, signer: vaultKey)
    try Data(boxes).write(to: URL(fileURLWithPath: dir + "/boxes.bin"))
    try Data(secret.withUnsafeSecretBytes { Array($0) } + current.publicKey.bytes).write(to: URL(fileURLWithPath: dir + "/keypair.bin"))
    try Workspace.create(at: dir + "/ws", keyDirectory: dir + "/keys", passphrase: passphrase)
    let workspace = try Workspace(path: dir + "/ws")
    try workspace.trustVault(publicKey: vaultKey.verifyingKey, fingerprint: SigningKeyFingerprint(verifyingKey: vaultKey.verifyingKey), today: .today())
    let unsealer = try Unsealer(workspace: workspace, keys: secretKeys)
    let clock = ContinuousClock()
    var summary: Unsealer.Summary?
    let elapsed = try clock.measure { summary = try unsealer.unseal(bundle: bundle.bytes, today: .today()) }
    let (s, atto) = elapsed.components
    let secondsTaken = Double(s) + Double(atto) / 1e18
    print("swift\tunseal\t\(count)\t\(Double(count) / secondsTaken)\t\(summary?.newCases ?? 0)")

    // Vet everything, then time de-identification + k-check + registry load on its own.
    var consenting = report
    consenting.consent = Report.Consent(registry: true, contact: false)
    let ids = try workspace.listCases().map(\.id)
    for id in ids { try workspace.transition(id, to: .vetted, note: "bench") }
    var loaded = 0
    let loadElapsed = try clock.measure { loaded = try Registration(workspace: workspace, keys: secretKeys).register(ids) }
    let (ls, latto) = loadElapsed.components
    print("swift\tregister\t\(count)\t\(Double(count) / (Double(ls) + Double(latto) / 1e18))\t\(loaded)")
}

if CommandLine.arguments.count == 5, CommandLine.arguments[1] == "vault", let n = Int(CommandLine.arguments[2]), let batch = Int(CommandLine.arguments[3]) {
    do { try vaultBenchmark(count: n, batch: batch, dir: CommandLine.arguments[4]) } catch { print("resguardo-crypto-bench: error: \(error)") }
    exit(0)
}

if CommandLine.arguments.count == 4, CommandLine.arguments[1] == "unseal", let n = Int(CommandLine.arguments[2]) {
    do { try unsealBenchmark(count: n, dir: CommandLine.arguments[3]) } catch { print("resguardo-crypto-bench: error: \(error)") }
    exit(0)
}

func measure(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    var iterations = 0
    let start = clock.now
    let budget = Duration.milliseconds(Int64(seconds * 1000))
    while clock.now - start < budget {
        try body()
        iterations += 1
    }
    let elapsed = clock.now - start
    let (s, attos) = elapsed.components
    return Double(iterations) / (Double(s) + Double(attos) / 1e18)
}

do {
    let key = try SealSecretKey.generate()
    for size in sizes {
        let report = try Random.bytes(count: size.report)
        let sample = try Envelope.seal(report: report, to: key.publicKey)
        // Warm up allocators and caches before timing.
        for _ in 0..<50 { _ = try Envelope.seal(report: report, to: key.publicKey).bytes.count }
        let seal = try measure { _ = try Envelope.seal(report: report, to: key.publicKey) }
        let open = try measure { _ = try Envelope(bytes: sample.bytes).open(with: key) }
        // The unseal loop's path: one guarded scratch region reused and wiped per envelope.
        let scratch = try SecureScratch(capacity: Bucket.smallest.byteCount)
        let openReusing = try measure { _ = try Envelope(bytes: sample.bytes).open(with: key, using: scratch) { $0.count } }
        print("swift\tseal\t\(size.label)\t\(seal)")
        print("swift\topen\t\(size.label)\t\(open)")
        print("swift\topen-loop\t\(size.label)\t\(openReusing)")
    }
} catch {
    print("resguardo-crypto-bench: error: \(error)")
}
