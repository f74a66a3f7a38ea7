import Foundation
import Testing
@testable import Formats
import Sodium

@Suite("Codenames, replies and reply bundles")
struct CodenameTests {
    @Test("the word list has exactly 7,776 unique normalised words, the same as docs/codename-words-es.txt")
    func wordList() throws {
        let words = Codename.wordList
        #expect(words.count == 7776 && Set(words).count == 7776)
        #expect(words.allSatisfy { $0.count >= 4 && $0.count <= 8 && $0.allSatisfy { ("a"..."z").contains($0) } })
        let file = Vector.root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/codename-words-es.txt")
        #expect(try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init) == words)
    }

    @Test("derivation matches python3-nacl's vectors, however the codename is typed", arguments: Vector.load("codename"))
    func vectors(_ v: Vector) throws {
        let codename = try Codename(v.text("typed").replacingOccurrences(of: "\\t", with: "\t"))
        #expect(codename.text == v.text("normalised"))
        let keys = try codename.replyKeys()
        #expect(keys.secretKey.publicKey.bytes == v.bytes("public_key"))
        #expect(keys.mailbox.bytes == v.bytes("mailbox"))
    }

    @Test("a generated codename has 7 list words and reads back; wrong counts and unknown words are refused without echoing them")
    func parsing() throws {
        let made = try Codename.generate()
        let reread = try Codename(made.text.uppercased())
        #expect(made.words.count == 7 && reread == made)
        #expect(made.description == "<codename>")
        #expect(throws: CodenameError.wrongWordCount(6)) { try Codename(made.words.dropLast().joined(separator: " ")) }
        var typo = made.words
        typo[2] = "zzzzqx"
        #expect(throws: CodenameError.unknownWord(position: 3)) { try Codename(typo.joined(separator: " ")) }
        #expect(!CodenameError.unknownWord(position: 3).description.contains("zzzzqx"))
    }

    @Test("a reply opens only with its codename; a reply bundle verifies only with the signing key, and not when altered")
    func repliesAndBundles() throws {
        let codename = try Codename.generate()
        let keys = try codename.replyKeys()
        let day = try #require(CalendarDay("2026-11-25"))
        let sealed = try Reply(day: day, message: "Hola, recibimos su denuncia. ¿Está a salvo?").seal(to: keys.secretKey.publicKey)
        #expect(sealed.count == 48 + 4096)
        #expect(try Reply.open(sealed, with: keys.secretKey).message == "Hola, recibimos su denuncia. ¿Está a salvo?")
        let stranger = try Codename.generate().replyKeys()
        #expect(throws: ReplyError.notForThisKey) { try Reply.open(sealed, with: stranger.secretKey) }
        #expect(throws: ReplyError.emptyMessage) { try Reply(day: day, message: "  \n") }

        let signer = try SigningKey.generate(), other = try SigningKey.generate()
        let bundle = try ReplyBundle.seal(createdDay: day, entries: [.init(mailbox: keys.mailbox, sealed: sealed)], signer: signer)
        let parsed = try ReplyBundle(bytes: bundle, trustedKey: signer.verifyingKey)
        #expect(parsed.entries == [.init(mailbox: keys.mailbox, sealed: sealed)] && parsed.createdDay == day)
        #expect(throws: ReplyBundleError.untrustedSigner) { try ReplyBundle(bytes: bundle, trustedKey: other.verifyingKey) }
        var altered = bundle
        altered[40] ^= 1
        #expect(throws: ReplyBundleError.badSignature) { try ReplyBundle(bytes: altered, trustedKey: signer.verifyingKey) }
        #expect(throws: ReplyBundleError.notABundle) { try ReplyBundle(bytes: Array(repeating: 0, count: 200), trustedKey: signer.verifyingKey) }
        #expect(throws: ReplyBundleError.truncated(byteCount: 10)) { try ReplyBundle(bytes: Array(bundle.prefix(10)), trustedKey: signer.verifyingKey) }
    }
}
