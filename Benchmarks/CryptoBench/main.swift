// Throughput of the Swift envelope path (pad + seal + frame; check + open + unpad), printed as
// tab-separated lines for scripts/bench, which compares them with Benchmarks/crypto_bench.c
// running the same operations directly on libsodium in the same run.
import Formats
import Sodium

let sizes = [(label: "4KiB", report: 3000), (label: "64KiB", report: 50_000)]
let seconds = Double(CommandLine.arguments.dropFirst().first ?? "1") ?? 1

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
