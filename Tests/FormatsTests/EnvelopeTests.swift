import Testing
import Sodium
@testable import Formats

@Suite("Envelope v1")
struct EnvelopeTests {
    let key: SealSecretKey
    let known: Set<KeyId>

    init() throws {
        key = try SealSecretKey.generate()
        known = [try KeyId(publicKey: key.publicKey)]
    }

    func sealed(_ size: Int = 100, flags: Envelope.Flags = []) throws -> [UInt8] {
        try Envelope.seal(report: [UInt8](repeating: 0x41, count: size), to: key.publicKey, flags: flags).bytes
    }

    @Test("every report size lands in the smallest bucket that holds it plus the marker",
          arguments: [(0, 4096), (4095, 4096), (4096, 8192), (100_000, 131_072), ((1 << 24) - 1, 1 << 24)])
    func buckets(size: Int, bucket: Int) throws {
        let envelope = try Envelope.seal(report: [UInt8](repeating: 7, count: size), to: key.publicKey)
        #expect(envelope.bucket.byteCount == bucket)
        #expect(envelope.bytes.count == 61 + bucket)
        #expect(try envelope.open(with: key).count == size)
    }

    @Test("a report larger than the largest bucket is refused before sealing")
    func reportTooLarge() throws {
        #expect(throws: EnvelopeError.reportTooLarge(byteCount: 1 << 24, max: (1 << 24) - 1)) {
            try Envelope.seal(report: [UInt8](repeating: 0, count: 1 << 24), to: key.publicKey)
        }
    }

    @Test("flags round-trip and unknown flag bits are refused")
    func flags() throws {
        let urgent = try Envelope(bytes: sealed(flags: .urgent), knownKeyIds: known)
        #expect(urgent.isUrgent && !urgent.flags.contains(.sealedByIntake))
        var bytes = try sealed()
        bytes[4] = 0b0000_0100
        #expect(throws: EnvelopeError.unknownFlags(4)) { try Envelope(bytes: bytes) }
    }

    @Test("hostile headers each get their own precise error")
    func headerErrors() throws {
        let good = try sealed()
        #expect(throws: EnvelopeError.empty) { try Envelope(bytes: []) }
        #expect(throws: EnvelopeError.truncated(byteCount: 12)) { try Envelope(bytes: Array(good.prefix(12))) }
        #expect(throws: EnvelopeError.badMagic) { try Envelope(bytes: Array("GET / HTTP/1.1\r\n".utf8)) }
        var v2 = good
        v2[3] = UInt8(ascii: "2")
        #expect(throws: EnvelopeError.unsupportedVersion(UInt8(ascii: "2"))) { try Envelope(bytes: v2) }
        #expect(throws: EnvelopeError.lengthNotABucket(byteCount: good.count + 1)) { try Envelope(bytes: good + [0]) }
        #expect(throws: EnvelopeError.lengthNotABucket(byteCount: 13)) { try Envelope(bytes: Array(good.prefix(13))) }
        let stranger = try SealSecretKey.generate()
        let foreign = try Envelope.seal(report: [1], to: stranger.publicKey).bytes
        #expect(throws: EnvelopeError.unknownKeyId(try KeyId(publicKey: stranger.publicKey))) {
            try Envelope(bytes: foreign, knownKeyIds: known)
        }
    }

    @Test("a 100 MB body is refused by its length alone")
    func hugeBody() {
        let huge = [UInt8](repeating: 0, count: 100_000_000)
        #expect(throws: EnvelopeError.tooLarge(byteCount: 100_000_000, max: 61 + (1 << 24))) { try Envelope(bytes: huge) }
    }

    @Test("error messages name the problem and the value")
    func messages() {
        #expect(EnvelopeError.lengthNotABucket(byteCount: 4000).description.contains("4000"))
        #expect(EnvelopeError.unsupportedVersion(UInt8(ascii: "2")).description.contains("\"2\""))
        #expect(EnvelopeError.unknownFlags(0x80).description.contains("0x80"))
    }

    @Test("an envelope opened with the wrong key says so without trying")
    func wrongKey() throws {
        let envelope = try Envelope(bytes: sealed())
        let other = try SealSecretKey.generate()
        #expect(throws: EnvelopeError.self) { try envelope.open(with: other) }
        do { _ = try envelope.open(with: other) } catch { #expect(error.code == "envelope_wrong_key") }
    }
}

@Suite("Envelope opening through a reused scratch region")
struct EnvelopeScratchTests {
    @Test("many envelopes of growing buckets open through one scratch, which is wiped after each")
    func reuse() throws {
        let key = try SealSecretKey.generate()
        let scratch = try SecureScratch(capacity: 4096)
        for size in [10, 5000, 3, 70_000, 100] {
            let report = [UInt8](repeating: UInt8(size % 251), count: size)
            let envelope = try Envelope.seal(report: report, to: key.publicKey)
            let seen = try envelope.open(with: key, using: scratch) { Array($0) }
            #expect(seen == report)
        }
        #expect(scratch.capacity == 131_072)
        // After use the region holds only zeros.
        let leftover = try scratch.withUnsafeMutableBytes(count: scratch.capacity) { (b: UnsafeMutableRawBufferPointer) throws(Never) in b.allSatisfy { $0 == 0 } }
        #expect(leftover)
    }

    @Test("an error inside the body still wipes the region and propagates")
    func bodyError() throws {
        struct Refused: Error {}
        let key = try SealSecretKey.generate()
        let scratch = try SecureScratch()
        let envelope = try Envelope.seal(report: Array("secreto".utf8), to: key.publicKey)
        #expect(throws: Refused.self) { try envelope.open(with: key, using: scratch) { _ in throw Refused() } }
        let clean = try scratch.withUnsafeMutableBytes(count: 4096) { (b: UnsafeMutableRawBufferPointer) throws(Never) in b.allSatisfy { $0 == 0 } }
        #expect(clean)
    }
}
