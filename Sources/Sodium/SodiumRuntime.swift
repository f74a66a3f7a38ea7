internal import CSodium

/// `sodium_init` must run before any other call. A Swift global is initialised exactly once, lazily
/// and thread-safely, which is exactly the guarantee we need without a lock of our own.
private let initialisationResult: Int32 = sodium_init()

enum SodiumRuntime {
    /// Call at the top of every public entry point that reaches libsodium.
    static func ensureInitialised() throws(SodiumError) {
        // 0: initialised now, 1: already initialised; -1: unusable.
        if initialisationResult < 0 { throw .initialisationFailed }
    }
}

/// The version string of the linked libsodium, for `--version` output and bug reports.
public func sodiumVersion() -> String {
    String(cString: sodium_version_string())
}
