internal import CSodium

/// libsodium's CSPRNG (getrandom(2) on Linux).
public enum Random {
    public static func bytes(count: Int) throws(SodiumError) -> [UInt8] {
        try SodiumRuntime.ensureInitialised()
        var out = [UInt8](repeating: 0, count: max(count, 0))
        out.withUnsafeMutableBytes { b in
            if let base = b.baseAddress { randombytes_buf(base, b.count) }
        }
        return out
    }

    /// A uniformly random integer in 0..<upperBound (no modulo bias), for word lists.
    public static func uniform(below upperBound: UInt32) throws(SodiumError) -> UInt32 {
        try SodiumRuntime.ensureInitialised()
        return randombytes_uniform(upperBound)
    }
}
