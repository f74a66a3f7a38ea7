import Foundation

// Both faces write attachments through this (the CLI's `cases attachment`, la mesa's case page).
/// Runs mat2 on a file in place and reports honestly whether it worked.
public enum MetadataStripper {
    public enum Outcome: Sendable { case stripped, notStripped(String) }

    public static func strip(_ path: String) -> Outcome {
        let tool = ProcessInfo.processInfo.environment["RESGUARDO_MAT2"] ?? "/usr/bin/mat2"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            return .notStripped("mat2 is not installed (apt-get install mat2)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["--inplace", path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { return .notStripped("mat2 could not be started") }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // mat2 exits 0 on some failures but always prefixes them with "[-]".
        guard process.terminationStatus == 0, !text.contains("[-]") else {
            return .notStripped(text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "mat2 failed" : text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return .stripped
    }
}
