public import ArgumentParser
public import Sodium
#if canImport(Glibc)
import Glibc
#endif

/// Where the passphrase comes from. In order: `--passphrase-file`, `RESGUARDO_PASSPHRASE`, the
/// terminal (without echo). The passphrase goes straight into guarded memory from a file or the
/// terminal; from the environment a copy in the process environment is unavoidable, which is why
/// that route is meant for tests and demo scripts.
public struct PassphraseOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp("Read the passphrase from this file (one trailing newline is ignored).", valueName: "file"))
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
                                 hints: ["use --passphrase-file FILE or set \(Self.environmentVariable)"], status: .usage)
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
        let passphrase = try read(prompt: "New passphrase (at least \(Self.minNewLength) characters): ", confirm: true)
        let length = passphrase.withUnsafeBytes { b in String(decoding: b, as: UTF8.self).count }
        guard length >= Self.minNewLength else {
            throw CommandFailure("the passphrase has \(length) characters; at least \(Self.minNewLength) are required",
                                 hints: ["a sentence of five or six unrelated words is long and memorable"], status: .usage)
        }
        return passphrase
    }

    private func readFile(_ path: String) throws -> SecureBytes {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CommandFailure("cannot open passphrase file \(path): \(String(cString: strerror(errno)))", status: .noInput)
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
        if failure != 0 { throw CommandFailure("cannot read passphrase file \(path): \(String(cString: strerror(failure)))", status: .noInput) }
        guard length <= Self.maxLength else {
            throw CommandFailure("passphrase file \(path) is longer than \(Self.maxLength) bytes", status: .dataError)
        }
        let trimmed = buffer.withUnsafeBytes { b -> Int in
            var n = length
            if n > 0, b[n - 1] == 0x0A { n -= 1 }
            if n > 0, b[n - 1] == 0x0D { n -= 1 }
            return n
        }
        guard trimmed > 0 else { throw CommandFailure("passphrase file \(path) is empty", status: .dataError) }
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
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
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
