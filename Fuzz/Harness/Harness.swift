import FuzzTargets
import Foundation

// The libFuzzer harness for every outside-facing parser (scripts/stress fuzz): the parser comes
// from RESGUARDO_FUZZ_TARGET (envelope, report, keyfile, manifest, export_bundle, reply_bundle,
// referral). Built with -sanitize=fuzzer,address; SwiftPM's `main` is fuzz_parsers_main.
let target: (@Sendable ([UInt8]) -> Void)? = {
    let name = ProcessInfo.processInfo.environment["RESGUARDO_FUZZ_TARGET"] ?? ""
    return FuzzTargets.all.first { $0.name == name }?.run
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    target?(FuzzTargets.bytes(data, size))
    return 0
}

@_cdecl("fuzz_parsers_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    guard target != nil else {
        print("fuzz-parsers: set RESGUARDO_FUZZ_TARGET to one of \(FuzzTargets.all.map(\.name).joined(separator: ", "))")
        return 64
    }
    return FuzzTargets.runLibFuzzer(argc, argv)
}
