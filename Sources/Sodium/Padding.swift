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

    /// The length of the message inside a padded buffer. Throws when the padding is malformed.
    public static func unpaddedLength(of padded: UnsafeRawBufferPointer, blockSize: Int) throws(SodiumError) -> Int {
        try SodiumRuntime.ensureInitialised()
        guard blockSize > 0 else { throw .invalidPaddingBlockSize(blockSize) }
        guard padded.count > 0, padded.count % blockSize == 0, let base = padded.baseAddress else {
            throw .invalidPadding
        }
        var length = 0
        let rc = sodium_unpad(&length, base.assumingMemoryBound(to: UInt8.self), padded.count, blockSize)
        guard rc == 0 else { throw .invalidPadding }
        return length
    }
}
