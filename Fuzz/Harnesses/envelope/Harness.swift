import FuzzTargets

// libFuzzer harness for the envelope parser (scripts/stress fuzz); SwiftPM's `main` is fuzz_envelope_main.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.envelope(FuzzTargets.bytes(data, size))
    return 0
}

@_cdecl("fuzz_envelope_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { FuzzTargets.runLibFuzzer(argc, argv) }
