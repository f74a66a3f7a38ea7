// swift-tools-version: 6.0
// Resguardo: an encrypted intake gateway for women human rights defenders.
// The module map is fixed by ../shared/DESIGN.md §2; each target owns one concern.
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
        .library(name: "Sodium", targets: ["Sodium"]),
        .library(name: "Formats", targets: ["Formats"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libsodium from the system (Debian: libsodium-dev). Nothing but `Sodium` imports it.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        .target(name: "Sodium", dependencies: ["CSodium"], swiftSettings: strict),
        .target(name: "Formats", dependencies: ["Sodium"], swiftSettings: strict),
        // Offline casework. Key directories live here for now; bundles, cases and quarantine join later.
        .target(name: "Casework", dependencies: ["Formats", "Sodium"], swiftSettings: strict),
        .executableTarget(
            name: "resguardo",
            dependencies: [
                "Casework", "Formats", "Sodium",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Throughput of the Swift wrappers, compared by scripts/bench with a C loop over libsodium.
        .executableTarget(
            name: "resguardo-crypto-bench",
            dependencies: ["Formats", "Sodium"],
            path: "Benchmarks/CryptoBench",
            swiftSettings: strict
        ),
        .testTarget(name: "SodiumTests", dependencies: ["Sodium"], swiftSettings: strict),
        .testTarget(
            name: "FormatsTests",
            dependencies: ["Formats", "Sodium"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CaseworkTests",
            dependencies: ["Casework", "Formats", "Sodium", "resguardo"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
