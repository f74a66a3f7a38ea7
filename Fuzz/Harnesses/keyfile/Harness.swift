import FuzzTargets

// libFuzzer harness for the keyfile parser (scripts/stress fuzz); SwiftPM's `main` is fuzz_keyfile_main.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.keyFile(FuzzTargets.bytes(data, size))
    return 0
}

@_cdecl("fuzz_keyfile_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { FuzzTargets.runLibFuzzer(argc, argv) }
