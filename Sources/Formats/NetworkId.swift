/// A national network's short id (`mx`, `gt`, `hn`, `sv`, …): what the intake config, the
/// vault's route, registry bundles and the regional registry call it. 2 to 32 of `a–z`, `0–9`
/// and `-`, starting with a letter, so it is safe in a URL path, a file name and a log line.
public struct NetworkId: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let text: String

    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard (2...32).contains(bytes.count), let first = bytes.first, (0x61...0x7A).contains(first),
              bytes.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }) else { return nil }
        self.text = text
    }

    private init(known text: String) { self.text = text }

    /// What the one network of a single-network intake is called in `GET /v1/networks`.
    public static let single = NetworkId(known: "default")

    public var description: String { text }
    public static func < (a: NetworkId, b: NetworkId) -> Bool { a.text < b.text }

    /// What a refusal says about a bad id.
    public static let rule = "2 to 32 lowercase letters, digits or '-', starting with a letter (e.g. mx)"
}
