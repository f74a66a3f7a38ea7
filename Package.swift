// swift-tools-version: 6.0
// Resguardo: an encrypted intake gateway for women human rights defenders.
// This file is the module map (../shared/DESIGN.md §2): each target owns one concern and may
// import only the modules its dependencies list. scripts/lib/import_rules.py checks every file
// against it, and the rules it cannot say; docs/modules.md is generated from it.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "resguardo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "resguardo", targets: ["resguardo"]),
        .executable(name: "resguardo-intake", targets: ["resguardo-intake"]),
        .executable(name: "resguardo-submit", targets: ["resguardo-submit"]),
        .executable(name: "resguardo-mesa", targets: ["resguardo-mesa"]),
        .library(name: "Sodium", targets: ["Sodium"]),
        .library(name: "Formats", targets: ["Formats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // libsodium from the system (Debian: libsodium-dev). Nothing but `Sodium` imports it.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        // zlib (Debian's zlib1g-dev): the intake gzips its static files once at start-up.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Sodium", dependencies: ["CSodium"], swiftSettings: strict),
        // The one way to write a file durably (exclusive create, atomic replace) and to read a
        // file of bounded size; every writer in the project uses it.
        .target(name: "DurableFiles", swiftSettings: strict),
        // staff-po: the staff tools' message catalogs (StaffMessages).
        .target(name: "Formats", dependencies: ["Sodium", "DurableFiles"], resources: [.copy("staff-po")], swiftSettings: strict),
        // Online store of ciphertext: SQLite through GRDB, WAL, synchronous=FULL, group commit.
        .target(
            name: "Vault",
            dependencies: ["Formats", "Sodium", "DurableFiles", .product(name: "GRDB", package: "GRDB.swift"),
                           // NIOSSL: the TLS configuration postgres-nio's `sslmode` takes.
                           .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: strict
        ),
        // The HTTPS intake: Hummingbird 2 over TLS 1.3 (swift-nio-ssl).
        .target(
            name: "Intake",
            dependencies: [
                "Vault", "Formats", "Sodium", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The web form's own scripts and stylesheet (tweetnacl comes from Debian at run time).
            resources: [.copy("Web")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "resguardo-intake",
            dependencies: [
                "CLISupport", "Intake", "Vault", "Formats", "Sodium", "DurableFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        // The defender's / partner's command-line client.
        .executableTarget(
            name: "resguardo-submit",
            dependencies: [
                "CLISupport", "Formats", "Sodium", "DurableFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        // prctl, mallopt and mlockall, which Swift cannot call directly (ProcessHardening).
        .target(name: "CHardening"),
        // What every command-line tool shares: error reporting, exit codes, passphrase input.
        .target(
            name: "CLISupport",
            dependencies: ["Sodium", "CHardening", "DurableFiles", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        // De-identification: a pure library (no database, no network), DESIGN.md §7.
        .target(name: "Deidentify", dependencies: ["Formats", "Sodium"], swiftSettings: strict),
        // The registry of de-identified records.
        .target(
            name: "Registry",
            dependencies: ["Deidentify", "Formats", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // Offline casework: key directories, the case store (CaseDatabase owns every statement
        // on it), bundle import, quarantine, vetting, replies and referrals. It never sees the
        // registry; Deidentify is here for the referral pseudonym.
        // Key directories, split custody (recovery file, shares, recover, passphrase change),
        // coordinator and release keys: below Casework and Region, so both use one key code.
        .target(name: "Keys", dependencies: ["Formats", "Sodium", "DurableFiles"], swiftSettings: strict),
        .target(
            name: "Casework",
            dependencies: ["Keys", "Deidentify", "Formats", "Sodium", "DurableFiles", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // The one step that spans two stores: vetted cases → de-identified records → registry.
        .target(
            name: "Registration",
            dependencies: ["Casework", "Keys", "Deidentify", "Registry", "Formats", "Sodium"],
            swiftSettings: strict
        ),
        // The regional office (DESIGN.md §9): registry bundles in, regional reports out; no case store.
        .target(
            name: "Region",
            dependencies: ["Keys", "Registry", "Deidentify", "Formats", "Sodium", "DurableFiles"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "resguardo",
            dependencies: [
                "CLISupport", "Keys", "Casework", "Deidentify", "Registry", "Registration", "Region", "Formats", "Sodium", "DurableFiles",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // La mesa (DESIGN.md §13): the staff's web app, a plain-HTTP server on 127.0.0.1 over the
        // same library calls as the CLI. Its own executable, so `resguardo` links no networking.
        .target(
            name: "Mesa",
            dependencies: [
                "Casework", "Registration", "Registry", "Region", "Deidentify", "Keys", "Formats", "Sodium", "DurableFiles",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "resguardo-mesa",
            dependencies: ["Mesa", "CLISupport", "Formats", "DurableFiles", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        // Throughput of the Swift wrappers, compared by scripts/bench with a C loop over libsodium.
        .executableTarget(
            name: "resguardo-crypto-bench",
            dependencies: ["Keys", "Casework", "Registration", "Formats", "Sodium", "Vault"],
            path: "Benchmarks/CryptoBench",
            swiftSettings: strict
        ),
        // The framework's floor for scripts/bench intake: Hummingbird over the same TLS, nothing of ours.
        .executableTarget(
            name: "resguardo-http-floor",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HTTPFloor",
            swiftSettings: strict
        ),
        // The intake with the vault switched off, for scripts/bench intake: the store's cost, by difference.
        .executableTarget(
            name: "resguardo-intake-novault",
            dependencies: ["Intake", "Vault", "Formats", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/IntakeNoVault",
            swiftSettings: strict
        ),
        // One entry point per outside-facing parser: the libFuzzer harnesses (below, built only
        // with RESGUARDO_FUZZ=1 by scripts/stress fuzz) and the corpus regression test call these.
        .target(name: "FuzzTargets", dependencies: ["Formats", "Sodium"], swiftSettings: strict),
        // Helpers shared by the test targets (subprocesses, the repository root).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // What the intake, case-store and end-to-end tests start from: an intake process, a
        // router in process, staff keys, a workspace, the staff CLI runner.
        .target(
            name: "TestHarness",
            dependencies: [
                "TestSupport", "Intake", "Vault", "Keys", "Casework", "Formats", "Sodium",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/TestHarness"
        ),
        .testTarget(name: "SodiumTests", dependencies: ["Sodium", "CSodium"], swiftSettings: strict),
        .testTarget(
            name: "FormatsTests",
            dependencies: ["Formats", "Sodium", "TestSupport", "FuzzTargets"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DeidentifyTests",
            dependencies: ["Deidentify", "Registry", "Formats", "Sodium", "TestSupport"],
            swiftSettings: strict
        ),
        // Registry, Region and Registration: the records, their reports and suppression, the
        // regional exchange.
        .testTarget(
            name: "RegistryTests",
            dependencies: ["Registry", "Registration", "Region", "Keys", "Casework", "Deidentify", "Formats", "Sodium", "TestSupport", "TestHarness"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VaultTests",
            dependencies: ["Vault", "Formats", "Sodium", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strict
        ),
        // The intake in process (its router, parsers and configuration): no binary, no browser.
        .testTarget(
            name: "IntakeTests",
            dependencies: [
                "Intake", "Vault", "Formats", "Sodium", "TestSupport", "TestHarness",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The offline case store in process.
        .testTarget(
            name: "CaseworkTests",
            dependencies: ["Keys", "Casework", "Formats", "Sodium", "TestSupport", "TestHarness"],
            swiftSettings: strict
        ),
        // Every suite that runs the built binaries, a browser or tor: the three tools as a person
        // or a partner runs them, online and offline together.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Intake", "Vault", "Keys", "Casework", "Registration", "Registry", "Region", "Deidentify", "Formats", "Sodium", "DurableFiles",
                "Mesa", "TestSupport", "TestHarness", "resguardo", "resguardo-intake", "resguardo-submit", "resguardo-mesa",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer harness (one executable for every parser, chosen by RESGUARDO_FUZZ_TARGET). It
// has no `main` of its own (libFuzzer brings the driver), so it exists only when scripts/stress
// fuzz asks, building with `-sanitize=fuzzer,address -parse-as-library` into its own folder.
if Context.environment["RESGUARDO_FUZZ"] != nil {
    package.targets.append(.executableTarget(
        name: "fuzz-parsers",
        dependencies: ["FuzzTargets"],
        path: "Fuzz/Harness",
        swiftSettings: strict
    ))
}
