import FuzzTargets

// libFuzzer harness for the export_bundle parser (scripts/stress fuzz); SwiftPM's `main` is fuzz_export_bundle_main.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.exportBundle(FuzzTargets.bytes(data, size))
    return 0
}

@_cdecl("fuzz_export_bundle_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { FuzzTargets.runLibFuzzer(argc, argv) }
