import FuzzTargets

// libFuzzer harness for the referral parser (scripts/stress fuzz); SwiftPM's `main` is fuzz_referral_main.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTargets.referral(FuzzTargets.bytes(data, size))
    return 0
}

@_cdecl("fuzz_referral_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { FuzzTargets.runLibFuzzer(argc, argv) }
