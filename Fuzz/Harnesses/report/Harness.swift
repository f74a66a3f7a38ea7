import FuzzTargets

// libFuzzer harness for the report parser (scripts/stress fuzz); SwiftPM's `main` is fuzz_report_main.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.report(FuzzTargets.bytes(data, size))
    return 0
}

@_cdecl("fuzz_report_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { FuzzTargets.runLibFuzzer(argc, argv) }
