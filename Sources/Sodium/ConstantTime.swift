internal import CSodium

/// Comparisons whose running time does not depend on where two secrets first differ.
public enum ConstantTime {
    /// True when both buffers have the same length and the same bytes. Lengths are compared in
    /// ordinary time: they are never secret in our formats.
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return false }
        return sodium_memcmp(pa, pb, a.count) == 0
    }

    public static func equals(_ a: some ContiguousBytesLike, _ b: some ContiguousBytesLike) -> Bool {
        a.withRawBytes { ra in b.withRawBytes { rb in equals(ra, rb) } }
    }
}

/// The byte containers this module accepts: `[UInt8]`, `ArraySlice<UInt8>`, `SecureBytes`.
/// (Foundation's `ContiguousBytes` would do, but `Sodium` deliberately does not import Foundation.)
public protocol ContiguousBytesLike {
    func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytesLike where Element == UInt8 {
    public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: ContiguousBytesLike where Element == UInt8 {
    public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(body)
    }
}

extension SecureBytes: ContiguousBytesLike {
    public func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        // `withUnsafeBytes` is typed-throws; bridge to rethrows for generic callers.
        try withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> R in try body(bytes) }
    }
}
