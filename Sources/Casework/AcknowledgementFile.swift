import DurableFiles
public import Formats

/// The acknowledgement `resguardo unseal` carries back to the intake: replaced atomically and
/// synced, so a crash or a pulled stick never leaves a half-written one that looks like the file.
public enum AcknowledgementFile {
    public static func write(_ acknowledgement: Acknowledgement, to path: String) throws(CaseError) {
        do { try DurableFile.replaceAtomically(path, bytes: acknowledgement.bytes, mode: 0o600) } catch { throw .io(error.description) }
    }
}
