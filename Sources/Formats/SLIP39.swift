public import Sodium

/// SLIP-0039: Shamir's secret sharing as mnemonic words (https://github.com/satoshilabs/slips,
/// slip-0039.md), written from the standard: two levels of sharing (a threshold of groups, and in
/// each group a threshold of members), a Feistel cipher over PBKDF2-HMAC-SHA-256 with an optional
/// passphrase, a digest share that catches a wrong combination, and an RS1024 checksum in every
/// mnemonic that catches a mistyped word. Shares made here combine in any implementation of the
/// standard (tested against PyPI's `shamir-mnemonic` and the official vectors), so a network's
/// shares outlive this software.
public enum SLIP39 {
    /// One mnemonic share: its metadata (public: it says which set, group and member it is) and
    /// its value (secret together with enough others).
    public struct Share: Sendable, Equatable {
        /// 15 bits, random per split: shares of two splits never combine.
        public let identifier: Int
        public let extendable: Bool
        public let iterationExponent: Int
        /// 0-based, as encoded; people are shown index + 1.
        public let groupIndex: Int
        public let groupThreshold: Int
        public let groupCount: Int
        public let memberIndex: Int
        public let memberThreshold: Int
        /// In guarded memory (review N17): a share's value is a piece of the network's keys.
        let value: SecureBytes

        /// A copy of the value for arithmetic; the caller wipes it (`wipe`) when done.
        func valueCopy() -> [UInt8] { value.withUnsafeBytes { Array($0) } }

        /// Everything but the value: what `custody verify` may show.
        public var description: String {
            "set \(identifier), group \(groupIndex + 1) of \(groupCount) (\(groupThreshold) needed), member \(memberIndex + 1) (\(memberThreshold) needed in the group)"
        }

        public static func == (a: Share, b: Share) -> Bool {
            a.identifier == b.identifier && a.extendable == b.extendable && a.iterationExponent == b.iterationExponent && a.groupIndex == b.groupIndex
                && a.groupThreshold == b.groupThreshold && a.groupCount == b.groupCount && a.memberIndex == b.memberIndex
                && a.memberThreshold == b.memberThreshold && a.value.constantTimeEquals(b.value)
        }
    }

    public static let wordCount = 1024
    static let words: [String] = wordListText.split(separator: "\n").map { String($0.drop { $0 == " " }) }
    static let maxShareCount = 16
    static let minSecretBytes = 16
    static let digestBytes = 4
    static let secretIndex = 255
    static let digestIndex = 254
    static let checksumWords = 3
    static let metadataWords = 7

    // MARK: mnemonic ↔ share

    /// The share's words: identifier and exponent (2 words), share parameters (2), the value
    /// (10 bits a word, left-padded), the RS1024 checksum (3).
    public static func words(of share: Share) -> [String] {
        var data = tenBitWords(of: (share.identifier << 5) | ((share.extendable ? 1 : 0) << 4) | share.iterationExponent, count: 2)
        let parameters = (share.groupIndex << 16) | ((share.groupThreshold - 1) << 12) | ((share.groupCount - 1) << 8) | (share.memberIndex << 4) | (share.memberThreshold - 1)
        data += tenBitWords(of: parameters, count: 2)
        var value = share.valueCopy()
        defer { wipe(&value) }
        data += valueWords(value)
        data += checksum(data, extendable: share.extendable)
        defer { wipe(&data) }
        // The words themselves are ordinary strings: they go to the screen and the share page.
        return data.map { words[$0] }
    }

    /// Zeroes a working copy of secret bytes (share values, the combined secret) once used.
    static func wipe<T: FixedWidthInteger>(_ values: inout [T]) {
        for i in values.indices { values[i] = 0 }
    }

    /// A mnemonic typed or read into guarded memory (`SecretLines`): parsed without ever
    /// becoming a Swift `String` (which cannot be wiped), each word looked up by its bytes.
    public static func share(from mnemonic: SecureBytes) throws(SLIP39Error) -> Share {
        var indices: [Int] = []
        defer { wipe(&indices) }
        try mnemonic.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws(SLIP39Error) in
            var start = 0
            var position = 0
            func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D }
            while start < bytes.count {
                if isSpace(bytes[start]) { start += 1; continue }
                var end = start
                while end < bytes.count, !isSpace(bytes[end]) { end += 1 }
                position += 1
                guard let index = wordIndex(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) else { throw .unknownWord(position: position) }
                indices.append(index)
                start = end
            }
        }
        return try share(fromIndices: indices)
    }

    /// The index of a word given as bytes (any ASCII case), by binary search of the sorted list.
    static func wordIndex(_ word: UnsafeRawBufferPointer) -> Int? {
        var low = 0, high = words.count - 1
        while low <= high {
            let middle = (low + high) / 2
            let order = compare(word, words[middle].utf8)
            if order == 0 { return middle }
            if order < 0 { high = middle - 1 } else { low = middle + 1 }
        }
        return nil
    }

    private static func compare(_ word: UnsafeRawBufferPointer, _ listed: String.UTF8View) -> Int {
        var i = 0
        for l in listed {
            guard i < word.count else { return -1 }
            var b = word[i]
            if b >= 0x41 && b <= 0x5A { b += 0x20 }
            if b != l { return b < l ? -1 : 1 }
            i += 1
        }
        return i < word.count ? 1 : 0
    }

    /// Parses one mnemonic: every word must be in the list, the checksum must hold, the padding
    /// must be zero and the value long enough. Words may be given in any case and spacing.
    /// A mnemonic in an ordinary string (test vectors, the share page's own check); what staff
    /// type goes through `share(from: SecureBytes)`.
    public static func share(from mnemonic: String) throws(SLIP39Error) -> Share {
        let bytes: SecureBytes
        do { bytes = try SecureBytes(copying: Array(mnemonic.utf8)) } catch { throw .random }
        return try share(from: bytes)
    }

    static func share(fromIndices indices: [Int]) throws(SLIP39Error) -> Share {
        guard indices.count >= metadataWords + 13 else { throw .tooShort(words: indices.count) }
        let paddingBits = (10 * (indices.count - metadataWords)) % 16
        guard paddingBits <= 8 else { throw .badLength(words: indices.count) }
        let idExp = (indices[0] << 10) | indices[1]
        let extendable = (idExp >> 4) & 1 == 1
        guard verifyChecksum(indices, extendable: extendable) else { throw .checksum(prefix: indices.prefix(4).map { words[$0] }.joined(separator: " ")) }
        let parameters = (indices[2] << 10) | indices[3]
        let groupThreshold = ((parameters >> 12) & 0xF) + 1, groupCount = ((parameters >> 8) & 0xF) + 1
        guard groupThreshold <= groupCount else { throw .groupThresholdAboveCount }
        var valueIndices = Array(indices[4..<(indices.count - checksumWords)])
        defer { wipe(&valueIndices) }
        var value = try valueBytes(valueIndices, paddingBits: paddingBits)
        defer { wipe(&value) }
        guard value.count >= minSecretBytes, value.count % 2 == 0 else { throw .badLength(words: indices.count) }
        let guarded: SecureBytes
        do { guarded = try SecureBytes(copying: value) } catch { throw .random }
        return Share(identifier: idExp >> 5, extendable: extendable, iterationExponent: idExp & 0xF, groupIndex: parameters >> 16,
                     groupThreshold: groupThreshold, groupCount: groupCount, memberIndex: (parameters >> 4) & 0xF,
                     memberThreshold: (parameters & 0xF) + 1, value: guarded)
    }

    static func tenBitWords(of value: Int, count: Int) -> [Int] {
        (0..<count).reversed().map { (value >> (10 * $0)) & 0x3FF }
    }

    /// Big-endian bits of `bytes`, left-padded with zeros to a multiple of 10, in 10-bit words.
    static func valueWords(_ bytes: [UInt8]) -> [Int] {
        let wordCount = (bytes.count * 8 + 9) / 10
        var bits = [Bool](repeating: false, count: wordCount * 10 - bytes.count * 8)
        defer { for i in bits.indices { bits[i] = false } }
        for b in bytes { for i in (0..<8).reversed() { bits.append((b >> i) & 1 == 1) } }
        return stride(from: 0, to: bits.count, by: 10).map { start in bits[start..<start + 10].reduce(0) { ($0 << 1) | ($1 ? 1 : 0) } }
    }

    static func valueBytes(_ indices: [Int], paddingBits: Int) throws(SLIP39Error) -> [UInt8] {
        var bits: [Bool] = []
        defer { for i in bits.indices { bits[i] = false } }
        for w in indices { for i in (0..<10).reversed() { bits.append((w >> i) & 1 == 1) } }
        guard !bits.prefix(paddingBits).contains(true) else { throw .badPadding }
        let data = bits.dropFirst(paddingBits)
        return stride(from: data.startIndex, to: data.endIndex, by: 8).map { start in
            data[start..<start + 8].reduce(UInt8(0)) { ($0 << 1) | ($1 ? 1 : 0) }
        }
    }

    // MARK: RS1024

    static let generator: [Int] = [0xE0E040, 0x1C1C080, 0x3838100, 0x7070200, 0xE0E0009, 0x1C0C2412, 0x38086C24, 0x3090FC48, 0x21B1F890, 0x3F3F120]

    static func polymod(_ values: [Int]) -> Int {
        var chk = 1
        for v in values {
            let top = chk >> 20
            chk = ((chk & 0xFFFFF) << 10) ^ v
            for i in 0..<10 where (top >> i) & 1 == 1 { chk ^= generator[i] }
        }
        return chk
    }

    static func customization(_ extendable: Bool) -> [Int] { Array((extendable ? "shamir_extendable" : "shamir").utf8).map(Int.init) }

    static func checksum(_ data: [Int], extendable: Bool) -> [Int] {
        let p = polymod(customization(extendable) + data + [0, 0, 0]) ^ 1
        return [(p >> 20) & 0x3FF, (p >> 10) & 0x3FF, p & 0x3FF]
    }

    static func verifyChecksum(_ data: [Int], extendable: Bool) -> Bool { polymod(customization(extendable) + data) == 1 }

    // MARK: GF(256) and Shamir

    /// exp/log tables of GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, generator x + 1.
    static let tables: (exp: [Int], log: [Int]) = {
        var exp = [Int](repeating: 0, count: 255), log = [Int](repeating: 0, count: 256)
        var p = 1
        for i in 0..<255 {
            exp[i] = p
            log[p] = i
            p = (p << 1) ^ p
            if p & 0x100 != 0 { p ^= 0x11B }
        }
        return (exp, log)
    }()

    /// f(x) of the polynomials through the points (Lagrange, in GF(256)), byte by byte.
    static func interpolate(_ points: [(x: Int, y: [UInt8])], at x: Int) throws(SLIP39Error) -> [UInt8] {
        guard Set(points.map(\.x)).count == points.count else { throw .duplicateMember }
        guard let length = points.first?.y.count, points.allSatisfy({ $0.y.count == length }) else { throw .mixedLengths }
        if let hit = points.first(where: { $0.x == x }) { return hit.y }
        let (exp, log) = tables
        // The tables are indexed only by member indices (x), which every share prints in the
        // clear; the share values (y) are multiplied without tables or branches (review N17: a
        // table lookup or a skipped zero byte indexed by a secret is a cache-timing channel).
        let logProduct = points.reduce(0) { $0 + log[$1.x ^ x] }
        var result = [UInt8](repeating: 0, count: length)
        for p in points {
            let logBasis = ((logProduct - log[p.x ^ x] - points.reduce(0) { $0 + log[p.x ^ $1.x] }) % 255 + 255 * points.count) % 255
            let basis = UInt8(exp[logBasis])
            for i in 0..<length { result[i] ^= multiply(p.y[i], basis) }
        }
        return result
    }

    /// a·b in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, in constant time: eight shift-and-add
    /// steps with masks instead of branches (as table-free AES does its MixColumns).
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a, b = b, product: UInt8 = 0
        for _ in 0..<8 {
            product ^= a & (0 &- (b & 1))
            let carry = 0 &- (a >> 7)
            a = (a << 1) ^ (0x1B & carry)
            b >>= 1
        }
        return product
    }

    static func digest(_ random: ArraySlice<UInt8>, _ secret: [UInt8]) throws(SodiumError) -> [UInt8] {
        Array(try HMACSHA256.mac(secret, key: Array(random)).prefix(digestBytes))
    }

    /// Splits `secret` into `count` points, any `threshold` of which give it back.
    static func split(_ secret: [UInt8], threshold: Int, count: Int) throws(SLIP39Error) -> [(x: Int, y: [UInt8])] {
        if threshold == 1 { return (0..<count).map { ($0, secret) } }
        do {
            var points: [(x: Int, y: [UInt8])] = try (0..<(threshold - 2)).map { ($0, try Random.bytes(count: secret.count)) }
            let random = try Random.bytes(count: secret.count - digestBytes)
            let base = points + [(digestIndex, try digest(random[...], secret) + random), (secretIndex, secret)]
            for i in (threshold - 2)..<count { points.append((i, try interpolate(base, at: i))) }
            return points
        } catch let e as SLIP39Error { throw e } catch { throw .random }
    }

    static func recover(_ points: [(x: Int, y: [UInt8])], threshold: Int) throws(SLIP39Error) -> [UInt8] {
        if threshold == 1, let first = points.first { return first.y }
        let secret = try interpolate(points, at: secretIndex)
        var digestShare = try interpolate(points, at: digestIndex)
        defer { wipe(&digestShare) }
        let expected: [UInt8]
        do { expected = try digest(digestShare[digestBytes...], secret) } catch { throw .random }
        guard ConstantTime.equals(Array(digestShare.prefix(digestBytes)), expected) else { throw .badDigest }
        return secret
    }

    // MARK: Feistel cipher

    static func crypt(_ input: [UInt8], passphrase: [UInt8], exponent: Int, identifier: Int, extendable: Bool, decrypt: Bool) throws(SLIP39Error) -> [UInt8] {
        var l = Array(input.prefix(input.count / 2)), r = Array(input.suffix(input.count / 2))
        let salt = extendable ? [] : Array("shamir".utf8) + [UInt8(identifier >> 8), UInt8(identifier & 0xFF)]
        let rounds = decrypt ? Array((0..<4).reversed()) : Array(0..<4)
        for i in rounds {
            let f: SecureBytes
            do { f = try HMACSHA256.pbkdf2(password: [UInt8(i)] + passphrase, salt: salt + r, iterations: (10_000 << exponent) / 4, byteCount: r.count) } catch {
                throw .random
            }
            let mixed = f.withUnsafeBytes { fb in zip(l, fb).map { $0 ^ $1 } }
            (l, r) = (r, mixed)
        }
        return r + l
    }

    // MARK: split and combine

    /// Splits a secret (16 to 32 bytes, even) into groups of mnemonic shares: `groupThreshold`
    /// groups are needed, and in each group its threshold of members.
    public static func split(secret: SecureBytes, passphrase: [UInt8] = [], groupThreshold: Int, groups: [(threshold: Int, count: Int)],
                             iterationExponent: Int = 1) throws(SLIP39Error) -> [[Share]] {
        guard secret.count >= minSecretBytes, secret.count % 2 == 0 else { throw .secretLength(secret.count) }
        guard (1...maxShareCount).contains(groups.count), (1...groups.count).contains(groupThreshold) else { throw .badGroups("the group threshold must be between 1 and the number of groups (at most 16)") }
        for g in groups {
            guard (1...maxShareCount).contains(g.count), (1...g.count).contains(g.threshold) else { throw .badGroups("each group's threshold must be between 1 and its size (at most 16)") }
            guard !(g.threshold == 1 && g.count > 1) else { throw .badGroups("a group of several members with threshold 1 gives each member the group's whole share: use 1 of 1") }
        }
        let identifier: Int
        do { identifier = Int(try Random.bytes(count: 2).reduce(0) { ($0 << 8) | Int($1) }) & 0x7FFF } catch { throw .random }
        var plain = secret.withUnsafeBytes { Array($0) }
        defer { for i in plain.indices { plain[i] = 0 } }
        var encrypted = try crypt(plain, passphrase: passphrase, exponent: iterationExponent, identifier: identifier, extendable: true, decrypt: false)
        defer { wipe(&encrypted) }
        var groupPoints = try split(encrypted, threshold: groupThreshold, count: groups.count)
        defer { for i in groupPoints.indices { wipe(&groupPoints[i].y) } }
        var out: [[Share]] = []
        for (g, point) in zip(groups, groupPoints) {
            var members = try split(point.y, threshold: g.threshold, count: g.count)
            defer { for i in members.indices { wipe(&members[i].y) } }
            var shares: [Share] = []
            for m in members {
                let value: SecureBytes
                do { value = try SecureBytes(copying: m.y) } catch { throw .random }
                shares.append(Share(identifier: identifier, extendable: true, iterationExponent: iterationExponent, groupIndex: point.x,
                                    groupThreshold: groupThreshold, groupCount: groups.count, memberIndex: m.x, memberThreshold: g.threshold, value: value))
            }
            out.append(shares)
        }
        return out
    }

    /// How far a set of shares is from the secret: per group, how many members it has and needs.
    public struct Progress: Sendable, Equatable {
        public let groupThreshold: Int
        public let groupCount: Int
        /// group index → (members given, members needed).
        public let groups: [Int: (have: Int, need: Int)]
        public var completeGroups: Int { groups.values.filter { $0.have >= $0.need }.count }
        public var isComplete: Bool { completeGroups >= groupThreshold }

        public static func == (a: Progress, b: Progress) -> Bool {
            a.groupThreshold == b.groupThreshold && a.groupCount == b.groupCount && a.groups.mapValues { [$0.have, $0.need] } == b.groups.mapValues { [$0.have, $0.need] }
        }
    }

    /// Checks that the shares belong together (one set, consistent groups, distinct members)
    /// and says how many more are needed.
    public static func progress(_ shares: [Share]) throws(SLIP39Error) -> Progress {
        guard let first = shares.first else { throw .noShares }
        for s in shares {
            guard s.identifier == first.identifier, s.extendable == first.extendable else { throw .differentSets }
            guard s.iterationExponent == first.iterationExponent else { throw .mismatch("iteration exponent") }
            guard s.groupThreshold == first.groupThreshold else { throw .mismatch("group threshold") }
            guard s.groupCount == first.groupCount else { throw .mismatch("group count") }
        }
        var groups: [Int: (have: Int, need: Int)] = [:]
        for (index, members) in Dictionary(grouping: shares, by: \.groupIndex) {
            guard let threshold = members.first?.memberThreshold, members.allSatisfy({ $0.memberThreshold == threshold }) else {
                throw .mismatch("member threshold")
            }
            guard Set(members.map(\.memberIndex)).count == members.count else { throw .duplicateMember }
            groups[index] = (members.count, threshold)
        }
        return Progress(groupThreshold: first.groupThreshold, groupCount: first.groupCount, groups: groups)
    }

    /// The secret, from enough shares of one set; a wrong passphrase gives a different secret
    /// (the standard's plausible deniability), which the caller checks against what it expects.
    public static func combine(_ shares: [Share], passphrase: [UInt8] = []) throws(SLIP39Error) -> SecureBytes {
        let progress = try progress(shares)
        guard progress.isComplete else { throw .notEnough(progress) }
        guard let first = shares.first else { throw .noShares }
        var groupPoints: [(x: Int, y: [UInt8])] = []
        defer { for i in groupPoints.indices { wipe(&groupPoints[i].y) } }
        for (index, state) in progress.groups.sorted(by: { $0.key < $1.key }) where state.have >= state.need {
            var members = shares.filter { $0.groupIndex == index }.prefix(state.need).map { (x: $0.memberIndex, y: $0.valueCopy()) }
            defer { for i in members.indices { wipe(&members[i].y) } }
            groupPoints.append((index, try recover(Array(members), threshold: state.need)))
            if groupPoints.count == progress.groupThreshold { break }
        }
        var encrypted = try recover(groupPoints, threshold: progress.groupThreshold)
        defer { for i in encrypted.indices { encrypted[i] = 0 } }
        var plain = try crypt(encrypted, passphrase: passphrase, exponent: first.iterationExponent, identifier: first.identifier,
                              extendable: first.extendable, decrypt: true)
        defer { for i in plain.indices { plain[i] = 0 } }
        do { return try SecureBytes(copying: plain) } catch { throw .random }
    }
}

public enum SLIP39Error: Error, Equatable, CustomStringConvertible {
    case unknownWord(position: Int)
    case tooShort(words: Int)
    case badLength(words: Int)
    case checksum(prefix: String)
    case badPadding
    case groupThresholdAboveCount
    case secretLength(Int)
    case badGroups(String)
    case noShares
    case differentSets
    case mismatch(String)
    case duplicateMember
    case mixedLengths
    case badDigest
    case notEnough(SLIP39.Progress)
    case random

    public var description: String {
        switch self {
        case .unknownWord(let p): return L("word {p} is not in the SLIP-0039 word list (a typo?)", ["p": "\(p)"])
        case .tooShort(let n): return L("a share has at least 20 words; this one has {n}", ["n": "\(n)"])
        case .badLength(let n): return L("{n} words is not the length of a share", ["n": "\(n)"])
        case .checksum(let prefix): return L("the share beginning \"{prefix} …\" fails its checksum: a word is mistyped or missing", ["prefix": "\(prefix)"])
        case .badPadding: return L("the share's value has bad padding (a word is wrong)")
        case .groupThresholdAboveCount: return L("the share says more groups are needed than exist (a word is wrong)")
        case .secretLength(let n): return L("a SLIP-0039 secret is 16 to 32 bytes, an even number; this one is {n}", ["n": "\(n)"])
        case .badGroups(let why): return why
        case .noShares: return L("no share given")
        case .differentSets: return L("these shares come from different splits (their first words differ): they never combine")
        case .mismatch(let what): return L("these shares disagree on the {what}: they are not from the same split", ["what": "\(what)"])
        case .duplicateMember: return L("the same member's share was given twice")
        case .mixedLengths: return L("the shares have values of different lengths")
        case .badDigest: return L("the shares combine to a secret that fails its digest: one of them is wrong or from another split")
        case .notEnough(let p):
            return L("not enough shares: {complete_groups} of the {group_threshold} groups needed are complete", ["complete_groups": "\(p.completeGroups)", "group_threshold": "\(p.groupThreshold)"])
        case .random: return L("the system's cryptography failed")
        }
    }

    public static func == (a: SLIP39Error, b: SLIP39Error) -> Bool { a.description == b.description }
}
