// swift-tools-version:6.1
// txguard — real-time transaction monitoring on Kafka. Module map: docs/ARCHITECTURE.md.
import PackageDescription

let package = Package(
    name: "txguard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "txguard", targets: ["txguard"]),
        .library(name: "TxGuardKafka", targets: ["TxGuardKafka"]),
        .library(name: "TxGuardReport", targets: ["TxGuardReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // librdkafka (Debian librdkafka-dev): rdkafka.h and rdkafka_mock.h.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // Plain C produce/consume loops: the baseline the Swift binding is benchmarked against.
        .target(
            name: "CKafkaLoop",
            dependencies: ["CRdKafka"],
            cSettings: [.unsafeFlags(["-O2"])]
        ),
        // The only Swift module that touches librdkafka's C API.
        .target(
            name: "TxGuardKafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Backtest metrics (sklearn-compatible), JSON and self-contained HTML reports; Foundation only.
        .target(name: "TxGuardReport"),
        .executableTarget(
            name: "txguard",
            dependencies: [
                "TxGuardKafka",
                "TxGuardReport",
                "CKafkaLoop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TxGuardKafkaTests",
            dependencies: ["TxGuardKafka", "CRdKafka"]
        ),
        .testTarget(
            name: "TxGuardReportTests",
            dependencies: ["TxGuardReport"],
            resources: [.copy("Fixtures")]
        ),
        // Drives the built `txguard` binary as a separate process (run `swift build` first).
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TxGuardKafka"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
