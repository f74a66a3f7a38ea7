import Foundation

/// What a helper program printed and how it ended.
public struct SubprocessOutcome: Sendable {
    public let status: Int32
    public let output: String
}

/// Runs a helper (Debian's python3 with PyNaCl, openssl, …) to completion, capturing stdout and
/// stderr together. Tests use it to cross-check against independent implementations.
/// `environment` is added to this process's own environment.
public func runSubprocess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> SubprocessOutcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return SubprocessOutcome(status: process.terminationStatus, output: text)
}

/// The repository's top folder, for scripts/ and keys-example/.
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Debian's Python, which sees python3-nacl (the `python3` on PATH may be another build).
public let debianPython = "/usr/bin/python3"

/// Starts a helper and returns at once; the caller waits for it.
public func runSubprocessInBackground(_ executable: String, _ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    return process
}
