import Foundation

/// What a program printed and how it ended. `output` is stdout and stderr as they came (one
/// pipe); with `separateStreams` they are also kept apart in `stdout` and `stderr`.
public struct SubprocessOutcome: Sendable {
    public let status: Int32
    public let output: String
    public let stdout: String
    public let stderr: String
}

/// The one way the tests run a program to completion: a helper (Debian's python3 with PyNaCl,
/// openssl, …) or one of our own binaries (`builtExecutable`). `environment` is added to this
/// process's own environment, less the names in `unsetting`. `separateStreams` reads stdout and
/// stderr apart, concurrently (a full stderr pipe never blocks the child).
public func runSubprocess(_ executable: String, _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
                          separateStreams: Bool = false) throws -> SubprocessOutcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if !environment.isEmpty || !unsetting.isEmpty {
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        for name in unsetting { env.removeValue(forKey: name) }
        process.environment = env
    }
    process.standardInput = FileHandle.nullDevice
    let out = Pipe(), err = separateStreams ? Pipe() : out
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let errorText = Captured()
    let group = DispatchGroup()
    if separateStreams {
        DispatchQueue.global().async(group: group) { errorText.set(err.fileHandleForReading.readDataToEndOfFile()) }
    }
    let outText = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    group.wait()
    process.waitUntilExit()
    let stderr = errorText.text
    return SubprocessOutcome(status: process.terminationStatus, output: separateStreams ? outText + stderr : outText,
                             stdout: outText, stderr: stderr)
}

/// Bytes read on another thread, handed back once.
private final class Captured: @unchecked Sendable {
    private var data = Data()
    private let lock = NSLock()
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
}

/// One of the project's executables, as `swift build` left it next to the test bundle.
public func builtExecutable(_ name: String) -> URL {
    let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                      Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL].map { $0.appendingPathComponent(name) }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
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
