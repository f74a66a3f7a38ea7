import Foundation
import Testing
import TestSupport
import Sodium
@testable import Formats

/// SLIP-0039 against the standard's official vectors (Tests/Vectors/slip39, every valid and
/// invalid case) and against PyPI's `shamir-mnemonic` both ways.
@Suite("SLIP-0039")
struct SLIP39Tests {
    struct Vector { let name: String; let mnemonics: [String]; let secret: String }

    static let vectors: [Vector] = {
        let url = repositoryRoot.appendingPathComponent("Tests/Vectors/slip39/vectors.json")
        guard let data = try? Data(contentsOf: url), let list = try? JSONSerialization.jsonObject(with: data) as? [[Any]] else { return [] }
        return list.compactMap { v in
            guard v.count >= 3, let name = v[0] as? String, let m = v[1] as? [String], let s = v[2] as? String else { return nil }
            return Vector(name: name, mnemonics: m, secret: s)
        }
    }()

    func combine(_ mnemonics: [String], passphrase: String = "TREZOR") throws -> [UInt8] {
        let shares = try mnemonics.map { (m) throws(SLIP39Error) in try SLIP39.share(from: m) }
        return try SLIP39.combine(shares, passphrase: Array(passphrase.utf8)).withUnsafeBytes { Array($0) }
    }

    @Test("the word list is the standard's: 1,024 sorted unique words")
    func wordList() {
        #expect(SLIP39.words.count == 1024 && Set(SLIP39.words).count == 1024 && SLIP39.words == SLIP39.words.sorted())
        #expect(SLIP39.words.first == "academic" && SLIP39.words.last == "zero")
    }

    @Test("every official vector: valid ones give the master secret, invalid ones are refused", arguments: SLIP39Tests.vectors.map(\.name))
    func officialVector(_ name: String) throws {
        let v = try #require(Self.vectors.first { $0.name == name })
        if v.secret.isEmpty {
            #expect(throws: SLIP39Error.self, "\(name) should be refused") { _ = try combine(v.mnemonics) }
        } else {
            #expect(Encoding.hex(try combine(v.mnemonics)) == v.secret, "\(name)")
            // Parsing and writing back gives the same words.
            for m in v.mnemonics { #expect(SLIP39.words(of: try SLIP39.share(from: m)).joined(separator: " ") == m) }
        }
    }

    @Test("review N17: the constant-time GF(256) multiplication agrees with the log/exp tables on all 65,536 pairs")
    func constantTimeMultiplication() {
        let (exp, log) = SLIP39.tables
        var wrong = 0
        for a in 0..<256 {
            for b in 0..<256 {
                let table = a == 0 || b == 0 ? 0 : exp[(log[a] + log[b]) % 255]
                if Int(SLIP39.multiply(UInt8(a), UInt8(b))) != table { wrong += 1 }
            }
        }
        #expect(wrong == 0)
    }

    @Test("review N17: a typed mnemonic is parsed from guarded memory, word by word (any case, tabs, CRLF), never as a String; its value stays in guarded memory")
    func guardedMnemonic() throws {
        let secret = try SecureBytes(copying: Array(0..<16).map { UInt8($0) })
        let share = try #require(try SLIP39.split(secret: secret, groupThreshold: 1, groups: [(threshold: 1, count: 1)]).first?.first)
        let words = SLIP39.words(of: share)
        let typed = words.enumerated().map { $0.offset % 3 == 0 ? $0.element.uppercased() : $0.element }.joined(separator: " \t ") + "\r\n"
        let parsed = try SLIP39.share(from: try SecureBytes(copying: Array(typed.utf8)))
        #expect(parsed == share && parsed.value.count == 16)
        #expect(try SLIP39.combine([parsed]).constantTimeEquals(secret))
        var misspelt = words
        misspelt[5] = String(misspelt[5].dropLast())
        #expect(throws: SLIP39Error.unknownWord(position: 6)) { try SLIP39.share(from: try SecureBytes(copying: Array(misspelt.joined(separator: " ").utf8))) }
        #expect(throws: SLIP39Error.unknownWord(position: 1)) { try SLIP39.share(from: try SecureBytes(copying: Array("zeroes academic".utf8))) }
        for w in ["academic", "zero", "ACADEMIC", "Zero"] { #expect(w.utf8.withContiguousStorageIfAvailable { SLIP39.wordIndex(UnsafeRawBufferPointer($0)) } ?? nil != nil) }
        #expect(Array("academi".utf8).withUnsafeBytes { SLIP39.wordIndex($0) } == nil)
        #expect(Array("zeros".utf8).withUnsafeBytes { SLIP39.wordIndex($0) } == nil)
    }

    @Test("45 vectors were read")
    func vectorCount() { #expect(Self.vectors.count == 45) }

    @Test("split then combine: any threshold of groups and members gives the secret back; one short says what is missing")
    func roundTrip() throws {
        let secret = try SecureBytes.random(count: 32)
        let groups = try SLIP39.split(secret: secret, passphrase: [], groupThreshold: 2, groups: [(2, 3), (3, 5), (1, 1)])
        #expect(groups.map(\.count) == [3, 5, 1])
        let chosen = [groups[0][0], groups[0][2], groups[2][0]]
        let back = try SLIP39.combine(chosen)
        #expect(back.constantTimeEquals(secret))
        let short = [groups[0][0], groups[1][0], groups[1][4]]
        #expect(throws: SLIP39Error.self) { _ = try SLIP39.combine(short) }
        let p = try SLIP39.progress(short)
        #expect(p.completeGroups == 0 && p.groups[0]?.have == 1 && p.groups[0]?.need == 2 && p.groups[1]?.need == 3)
        // Shares from two splits of the same secret never combine.
        let other = try SLIP39.split(secret: secret, groupThreshold: 1, groups: [(2, 3)])
        #expect(throws: SLIP39Error.differentSets) { _ = try SLIP39.combine([groups[0][0], other[0][1]]) }
        // A mistyped word is caught by the checksum, naming the share by its first words.
        var words = SLIP39.words(of: groups[0][1])
        words[9] = words[9] == "academic" ? "acid" : "academic"
        #expect(throws: SLIP39Error.self) { _ = try SLIP39.share(from: words.joined(separator: " ")) }
    }

    @Test("PyPI shamir-mnemonic combines Swift's shares, and Swift combines its shares")
    func againstShamirMnemonic() throws {
        let python = try ShamirMnemonic.python()
        let secret = try SecureBytes.random(count: 32)
        let hex = secret.withUnsafeBytes { Encoding.hex($0) }
        let groups = try SLIP39.split(secret: secret, passphrase: Array("frase".utf8), groupThreshold: 2, groups: [(2, 3), (3, 5)])
        let ours = [groups[0][0], groups[0][2], groups[1][1], groups[1][3], groups[1][4]].map { SLIP39.words(of: $0).joined(separator: " ") }
        let combined = try runSubprocess(python, ["-c", """
            import sys, shamir_mnemonic
            print(shamir_mnemonic.combine_mnemonics(sys.argv[2:], sys.argv[1].encode()).hex())
            """, "frase"] + ours)
        #expect(combined.status == 0, "\(combined.stderr)")
        #expect(combined.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == hex)

        let theirs = try runSubprocess(python, ["-c", """
            import sys, shamir_mnemonic
            groups = shamir_mnemonic.generate_mnemonics(1, [(3, 5), (2, 2)], bytes.fromhex(sys.argv[1]), b"otra", extendable=False, iteration_exponent=0)
            print("\\n".join(groups[0][1:4]))
            """, hex])
        #expect(theirs.status == 0, "\(theirs.stderr)")
        let mnemonics = theirs.stdout.split(separator: "\n").map(String.init)
        #expect(mnemonics.count == 3)
        #expect(Encoding.hex(try combine(mnemonics, passphrase: "otra")) == hex)
    }
}
