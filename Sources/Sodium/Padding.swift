internal import CSodium

/// ISO/IEC 7816-4 padding (`sodium_pad`): a 0x80 byte, then zeros, up to a multiple of the block
/// size. Used to hide a report's length inside its size bucket.
public enum Padding {
    /// Pads `message` to the next multiple of `blockSize` (always adding at least one byte).
    public static func pad(_ message: some ContiguousBytesLike, blockSize: Int) throws(SodiumError) -> [UInt8] {
        try SodiumRuntime.ensureInitialised()
        let length = message.withRawBytes { $0.count }
        guard blockSize > 0 else { throw .invalidPaddingBlockSize(blockSize) }
        let (quotient, _) = length.quotientAndRemainder(dividingBy: blockSize)
        let (padded, overflow) = (quotient + 1).multipliedReportingOverflow(by: blockSize)
        guard !overflow else { throw .invalidPaddingBlockSize(blockSize) }
        var buffer = [UInt8](repeating: 0, count: padded)
        message.withRawBytes { m in
            buffer.withUnsafeMutableBytes { b in b.copyMemory(from: m) }
        }
        var paddedLength = 0
        let rc = buffer.withUnsafeMutableBufferPointer { b -> Int32 in
            guard let base = b.baseAddress else { return -1 }
            return sodium_pad(&paddedLength, base, length, blockSize, padded)
        }
        guard rc == 0, paddedLength == padded else { throw .invalidPaddingBlockSize(blockSize) }
        return buffer
    }

    /// The length of the message inside a padded buffer. Throws when the padding is malformed:
    /// the last non-zero byte must be the 0x80 marker, inside the last block (as `sodium_unpad`).
    ///
    /// Variable time on purpose, and only for authenticated plaintext: every caller unpads what a
    /// MAC has just verified (sealed box, secretbox), so the padding cannot be an attacker's
    /// probe, and its length is already public to within the bucket. TLS 1.3 removes its record
    /// padding the same way (RFC 8446 §5.4). `sodium_unpad` scans the whole block in constant
    /// time, ~7 % of the offline unseal loop at the 4 KiB bucket (measured, scripts/bench unseal).
    public static func unpaddedLength(of padded: UnsafeRawBufferPointer, blockSize: Int) throws(SodiumError) -> Int {
        guard blockSize > 0 else { throw .invalidPaddingBlockSize(blockSize) }
        guard padded.count > 0, padded.count % blockSize == 0 else { throw .invalidPadding }
        var index = padded.count - 1
        while index > 0 && padded[index] == 0 { index -= 1 }
        guard padded[index] == 0x80, index >= padded.count - blockSize else { throw .invalidPadding }
        return index
    }
}
