/// The padded plaintext sizes an envelope may have (DESIGN.md §3). Padding a report to one of these
/// means the online side learns only the bucket, never the length.
public struct Bucket: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let byteCount: Int

    /// 4 KiB, 8 KiB, …, 16 MiB: 13 sizes, each double the last.
    public static let all: [Bucket] = (12...24).map { Bucket(byteCount: 1 << $0) }
    public static let smallest = Bucket(byteCount: 1 << 12)
    public static let largest = Bucket(byteCount: 1 << 24)

    private init(byteCount: Int) { self.byteCount = byteCount }

    /// The bucket of exactly this padded size, if there is one.
    public init?(paddedByteCount: Int) {
        guard Bucket.all.contains(Bucket(byteCount: paddedByteCount)) else { return nil }
        self.init(byteCount: paddedByteCount)
    }

    /// The smallest bucket that holds `plaintextByteCount` bytes plus the 0x80 padding marker.
    public static func fitting(plaintextByteCount: Int) -> Bucket? {
        all.first { $0.byteCount >= plaintextByteCount + 1 }
    }

    /// The largest report plaintext an envelope can carry.
    public static var maxPlaintextByteCount: Int { largest.byteCount - 1 }

    public static func < (a: Bucket, b: Bucket) -> Bool { a.byteCount < b.byteCount }

    public var description: String {
        byteCount >= 1 << 20 ? "\(byteCount >> 20) MiB" : "\(byteCount >> 10) KiB"
    }
}
