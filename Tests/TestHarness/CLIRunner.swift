import Foundation
import TestSupport

/// Runs the real `resguardo` executable built next to the test bundle, as a person would, with
/// stdout and stderr apart (through TestSupport's one subprocess runner).
public enum CLIRunner {
    public static let executable = builtExecutable("resguardo")

    /// `RESGUARDO_PASSPHRASE` of the test process never leaks into a run that did not ask for it.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> SubprocessOutcome {
        try runSubprocess(executable.path, arguments, environment: environment,
                          unsetting: environment["RESGUARDO_PASSPHRASE"] == nil ? ["RESGUARDO_PASSPHRASE"] : [], separateStreams: true)
    }
}
