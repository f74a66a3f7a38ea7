import Foundation
@testable import Formats

/// One test vector file: `name: value` lines, hex for bytes (see scripts/lib/vectors.py).
struct Vector: CustomTestStringConvertible, Sendable {
    let name: String
    let fields: [String: String]

    var expect: String { fields["expect"] ?? "" }
    var testDescription: String { name }

    func bytes(_ key: String) -> [UInt8] { Encoding.bytes(fromHex: fields[key] ?? "") ?? [] }
    func text(_ key: String) -> String { fields[key] ?? "" }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors")

    static func load(_ kind: String) -> [Vector] {
        let folder = root.appendingPathComponent(kind)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        return names.compactMap { name in
            guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else { return nil }
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let colon = line.range(of: ": ") else { continue }
                fields[String(line[..<colon.lowerBound])] = String(line[colon.upperBound...])
            }
            return Vector(name: "\(kind)/\(name)", fields: fields)
        }
    }
}

import Testing
