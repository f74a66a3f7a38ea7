public import ArgumentParser
public import Sodium
import DurableFiles
#if canImport(Glibc)
import Glibc
#endif

/// Where the passphrase comes from. In order: `--passphrase-file`, `RESGUARDO_PASSPHRASE`, the
/// terminal (without echo). The passphrase goes straight into guarded memory from a file or the
/// terminal; from the environment a copy in the process environment is unavoidable, which is why
/// that route is meant for tests and demo scripts.
public struct PassphraseOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp(L("Read the passphrase from this file (one trailing newline is ignored)."), valueName: "file"))
    public var passphraseFile: String?

    public static let environmentVariable = "RESGUARDO_PASSPHRASE"
    static let maxLength = 1024
    static let minNewLength = 12

    /// Reads the passphrase; when `confirm` is set and it comes from the terminal, asks twice.
    public func read(prompt: String, confirm: Bool = false) throws -> SecureBytes {
        if let passphraseFile {
            return try readFile(passphraseFile)
        }
        if let value = getenv(Self.environmentVariable) {
            return try SecureBytes(copying: Array(String(cString: value).utf8))
        }
        guard isatty(STDIN_FILENO) == 1 || access("/dev/tty", R_OK) == 0 else {
            throw CommandFailure("no passphrase given and no terminal to ask on",
                                 hints: [L("use --passphrase-file FILE or set {environment_variable}", ["environment_variable": "\(Self.environmentVariable)"])], status: .usage)
        }
        let first = try Terminal.readSecret(prompt: prompt)
        if confirm {
            let second = try Terminal.readSecret(prompt: "Repeat the passphrase: ")
            guard first.constantTimeEquals(second) else {
                throw CommandFailure("the two passphrases differ", hints: ["run the command again"], status: .usage)
            }
        }
        return first
    }

    /// A new passphrase must be long enough to survive an offline guessing attack on a seized laptop.
    public func readNew() throws -> SecureBytes {
        let passphrase = try read(prompt: L("New passphrase (at least {count} characters): ", ["count": "\(Self.minNewLength)"]), confirm: true)
        let length = passphrase.withUnsafeBytes { b in String(decoding: b, as: UTF8.self).count }
        guard length >= Self.minNewLength else {
            throw CommandFailure(L("the passphrase has {length} characters; at least {min_new_length} are required", ["length": "\(length)", "min_new_length": "\(Self.minNewLength)"]),
                                 hints: ["a sentence of five or six unrelated words is long and memorable"], status: .usage)
        }
        return passphrase
    }

    private func readFile(_ path: String) throws -> SecureBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CommandFailure(L("cannot open passphrase file {path}: {errno}", ["path": "\(path)", "errno": "\(String(cString: strerror(errno)))"]), status: .noInput)
        }
        defer { close(fd) }
        var length = 0
        var failure: Int32 = 0
        let buffer = try SecureBytes(count: Self.maxLength + 1) { (out: UnsafeMutableRawBufferPointer) throws(Never) in
            while length < out.count {
                guard let base = out.baseAddress else { return }
                let n = Glibc.read(fd, base + length, out.count - length)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                if n == 0 { return }
                length += n
            }
        }
        if failure != 0 { throw CommandFailure(L("cannot read passphrase file {path}: {failure}", ["path": "\(path)", "failure": "\(String(cString: strerror(failure)))"]), status: .noInput) }
        guard length <= Self.maxLength else {
            throw CommandFailure(L("passphrase file {path} is longer than {max_length} bytes", ["path": "\(path)", "max_length": "\(Self.maxLength)"]), status: .dataError)
        }
        let trimmed = buffer.withUnsafeBytes { b -> Int in
            var n = length
            if n > 0, b[n - 1] == 0x0A { n -= 1 }
            if n > 0, b[n - 1] == 0x0D { n -= 1 }
            return n
        }
        guard trimmed > 0 else { throw CommandFailure(L("passphrase file {path} is empty", ["path": "\(path)"]), status: .dataError) }
        return try buffer.prefix(trimmed)
    }
}

enum Terminal {
    /// Reads one line from /dev/tty with echo off, into guarded memory.
    static func readSecret(prompt: String) throws -> SecureBytes {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw CommandFailure("cannot open the terminal to ask for the passphrase", status: .usage) }
        defer { close(fd) }
        // Echo goes off *before* the prompt appears: whoever answers the prompt (a person, a paste,
        // a script) must never see the passphrase echoed, nor have it discarded by the flush.
        var saved = termios()
        let hasTermios = tcgetattr(fd, &saved) == 0
        if hasTermios {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            _ = tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer { if hasTermios { _ = tcsetattr(fd, TCSANOW, &saved) } }
        // In the staff's language (the tools' catalogs, through Console.translate).
        _ = Console.translate(prompt).withCString { write(fd, $0, strlen($0)) }
        var length = 0
        let buffer = try SecureBytes(count: PassphraseOptions.maxLength) { (out: UnsafeMutableRawBufferPointer) throws(Never) in
            guard let base = out.baseAddress else { return }
            var byte: UInt8 = 0
            while length < out.count {
                let n = Glibc.read(fd, &byte, 1)
                if n < 0, errno == EINTR { continue }
                if n <= 0 || byte == 0x0A { break }
                base.storeBytes(of: byte, toByteOffset: length, as: UInt8.self)
                length += 1
            }
            byte = 0
        }
        guard length > 0 else { throw CommandFailure("no passphrase entered", status: .usage) }
        return try buffer.prefix(length)
    }
}

/// The new passphrase of a command that changes it (`key passphrase`): `--new-passphrase-file`,
/// else the terminal, asked twice. Never the environment: the old one may be there.
public struct NewPassphraseOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp(L("Read the new passphrase from this file."), valueName: "file"))
    public var newPassphraseFile: String?

    public func read() throws -> SecureBytes {
        var options = PassphraseOptions()
        options.passphraseFile = newPassphraseFile
        if newPassphraseFile == nil, getenv(PassphraseOptions.environmentVariable) != nil {
            throw CommandFailure(L("the new passphrase is not read from {environment_variable}", ["environment_variable": "\(PassphraseOptions.environmentVariable)"]), hints: ["give --new-passphrase-file FILE, or type it on the terminal"], status: .usage)
        }
        return try options.readNew()
    }
}

/// Lines a person types that must not show on the screen (SLIP-0039 shares): from the terminal
/// with echo off, one prompt each; or, for scripts, from a file or standard input. Each line is
/// kept in guarded memory and never becomes a `String` (review N17: a share is a piece of the
/// network's keys, and a Swift string cannot be wiped); what was read is zeroed once split.
public struct SecretLines {
    let lines: [SecureBytes]?
    var next = 0

    /// `file`: one share per line ("-" for standard input); nil: the terminal.
    public init(file: String?) throws {
        guard let file else {
            if isatty(STDIN_FILENO) == 1 || access("/dev/tty", R_OK) == 0 { lines = nil; return }
            throw CommandFailure("no terminal to type the shares on", hints: ["give --shares-file FILE (one share per line) or - for standard input"], status: .usage)
        }
        let limit = 64 * 1024
        var bytes: [UInt8]
        if file == "-" {
            // As bounded as a file: shares are short, and standard input may be anything.
            bytes = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            defer { for i in chunk.indices { chunk[i] = 0 } }
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                bytes += chunk[0..<n]
                guard bytes.count <= limit else {
                    for i in bytes.indices { bytes[i] = 0 }
                    throw CommandFailure("standard input is longer than 64 KiB: not a list of shares", status: .dataError)
                }
            }
        } else {
            guard let data = try? DurableFile.read(file, maxBytes: limit) else { throw CommandFailure(L("cannot read {file}", ["file": "\(file)"]), status: .noInput) }
            bytes = data
        }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        var found: [SecureBytes] = []
        func blank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) where !line.allSatisfy(blank) {
            found.append(try SecureBytes(copying: line))
        }
        lines = found
    }

    /// The next line, or nil when there is no more (an empty line on the terminal).
    public mutating func read(prompt: String) throws -> SecureBytes? {
        if let lines {
            guard next < lines.count else { return nil }
            next += 1
            return lines[next - 1]
        }
        do { return try Terminal.readSecret(prompt: prompt) } catch { return nil }
    }
}
