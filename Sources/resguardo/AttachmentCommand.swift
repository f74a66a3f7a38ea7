import ArgumentParser
import Formats
import CLISupport
import Casework
import Foundation

extension Resguardo.CasesCommand {
    struct AttachmentCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attachment",
            abstract: L("Write one attachment of a case to a folder, with its metadata stripped by mat2."),
            discussion: L("""
            The file is written with mode 0600 under a neutral name (the case, the number and the \
            extension: the sender's file name is shown by `cases show` only) and never opened by \
            resguardo. Metadata (EXIF, GPS, \
            author…) is removed with mat2 (Debian package `mat2`; another path with RESGUARDO_MAT2). \
            When it cannot be removed, resguardo says so plainly: treat that file as carrying the \
            defender's identifying metadata.

            Example:
              $ resguardo cases attachment 3fa2c1 1 --out ~/revision
              wrote ~/revision/3fa2c1…-adjunto-1.jpg (metadata removed with mat2)
            """)
        )
        @OptionGroup var workspace: WorkspaceOptions
        @Argument(help: .L("Case id (at least 6 hex digits).")) var caseId: String
        @Argument(help: .L("Attachment number, from 1.")) var number: Int
        @Option(name: .long, help: .L("Folder to write into.")) var out: String
        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let (ws, id, keys) = try openCaseContext(workspace, caseId, passphrase)
            let written: (path: String, mediaType: String)
            do { written = try ws.writeAttachment(id, index: number, to: out, keys: keys) } catch {
                throw CommandFailure(error.description, status: .dataError)
            }
            switch MetadataStripper.strip(written.path) {
            case .stripped:
                print(L("wrote {path} (metadata removed with mat2)", ["path": "\(written.path)"]))
            case .notStripped(let why):
                print("wrote \(written.path)")
                Console.warning(L("METADATA NOT REMOVED from {written}: {why}", ["written": "\(written.path)", "why": "\(why)"]))
                Console.warning("it may carry the device, the author or GPS coordinates: do not share it as is")
            }
        }
    }
}

/// Runs mat2 on a file in place and reports honestly whether it worked.
enum MetadataStripper {
    enum Outcome { case stripped, notStripped(String) }

    static func strip(_ path: String) -> Outcome {
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
