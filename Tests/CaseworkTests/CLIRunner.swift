import Foundation
import TestSupport

/// Runs the real `resguardo` executable built next to the test bundle, as a person would, with
/// stdout and stderr apart (through TestSupport's one subprocess runner).
enum CLIRunner {
    static let executable = builtExecutable("resguardo")

    /// `RESGUARDO_PASSPHRASE` of the test process never leaks into a run that did not ask for it.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> SubprocessOutcome {
        try runSubprocess(executable.path, arguments, environment: environment,
                          unsetting: environment["RESGUARDO_PASSPHRASE"] == nil ? ["RESGUARDO_PASSPHRASE"] : [], separateStreams: true)
    }
}

/// A fresh temporary folder per test, removed afterwards.
final class Scratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("resguardo-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }
}
