// swift-tools-version:6.1
// txguard — real-time transaction monitoring on Kafka. Module map: docs/ARCHITECTURE.md.
import PackageDescription

/// Numeric hot paths are optimised even in debug builds, so the test suite (which drives whole
/// backtests and services through the debug binary) runs in minutes, not tens of minutes.
let optimized: [SwiftSetting] = [.unsafeFlags(["-O"])]

let package = Package(
    name: "txguard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "txguard", targets: ["txguard"]),
        .library(name: "TxGuardKafka", targets: ["TxGuardKafka"]),
        .library(name: "TxGuardDetectors", targets: ["TxGuardDetectors"]),
        .library(name: "TxGuardEmbeddings", targets: ["TxGuardEmbeddings"]),
        .library(name: "TxGuardContracts", targets: ["TxGuardContracts"]),
        .library(name: "TxGuardSimulator", targets: ["TxGuardSimulator"]),
        .library(name: "TxGuardReport", targets: ["TxGuardReport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
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
        // The monitor service: consumer-group member, delivery semantics, partition state,
        // lifecycle, metrics. Knows Kafka and the `PartitionProcessor` protocol, not the detectors.
        .target(
            name: "TxGuardService",
            dependencies: [
                "TxGuardKafka",
                "TxGuardPipeline",
                "TxGuardContracts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // OpenBLAS (Debian libopenblas-dev): the matrix products of the MiniLM encoder.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // OpenSSL's libcrypto (Debian libssl-dev, already a dependency of librdkafka-dev): SHA-256 of
        // the model files at load, so corrupted weights are refused instead of embedding garbage.
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // A cache-prefetch hint for Swift (header only): the featurizer requests an account's state at once.
        .target(name: "CPrefetch"),
        // Text (MiniLM, hashed n-grams) and tabular feature embeddings; knows nothing of Kafka or JSON.
        .target(
            name: "TxGuardEmbeddings",
            dependencies: ["COpenBLAS", "CCrypto", "CPrefetch"],
            swiftSettings: optimized
        ),
        // Input/output contracts: transaction decoder, field mapping, dead letters, alert encoding.
        // Foundation only; no Kafka.
        .target(name: "TxGuardContracts", swiftSettings: optimized),
        // The per-record pipeline shared by run, replay and backtest: decode, features, detectors,
        // threshold, alert; model files and training. No Kafka.
        .target(
            name: "TxGuardPipeline",
            dependencies: ["TxGuardContracts", "TxGuardEmbeddings", "TxGuardDetectors"],
            swiftSettings: optimized
        ),
        // Seeded synthetic transactions with fraud ground truth (Foundation only).
        .target(name: "TxGuardSimulator", swiftSettings: optimized),
        // zlib (Debian zlib1g-dev): gzip files (simulate output, backtest input).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Backtest metrics (sklearn-compatible), JSON and self-contained HTML reports.
        .target(name: "TxGuardReport", dependencies: ["TxGuardContracts"], swiftSettings: optimized),
        .executableTarget(
            name: "txguard",
            dependencies: [
                "TxGuardKafka",
                "TxGuardContracts",
                "TxGuardService",
                "TxGuardPipeline",
                "TxGuardEmbeddings",
                "TxGuardSimulator",
                "TxGuardReport",
                "CZlib",
                "CKafkaLoop",
                "TxGuardDetectors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Helpers shared by the test targets (generators, quiet and recording loggers, progress waits).
        .target(
            name: "TxGuardTestSupport",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Tests/TxGuardTestSupport"
        ),
        .testTarget(
            name: "TxGuardKafkaTests",
            dependencies: ["TxGuardKafka", "CRdKafka", "TxGuardTestSupport"]
        ),
        .testTarget(
            name: "TxGuardServiceTests",
            dependencies: [
                "TxGuardService", "TxGuardKafka", "TxGuardTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "TxGuardSimulatorTests",
            dependencies: ["TxGuardSimulator"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TxGuardPipelineTests",
            dependencies: ["TxGuardPipeline", "TxGuardSimulator", "TxGuardContracts", "TxGuardDetectors", "TxGuardTestSupport"]
        ),
        .testTarget(
            name: "TxGuardReportTests",
            dependencies: ["TxGuardReport", "TxGuardTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // Drives the built `txguard` binary as a separate process (run `swift build` first).
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TxGuardKafka", "TxGuardTestSupport", .product(name: "Yams", package: "Yams")]
        ),
        // Anomaly detectors, calibration, ensemble, adaptive thresholds: pure Swift, no Kafka.
        .target(name: "TxGuardDetectors", swiftSettings: optimized),
        .testTarget(
            name: "TxGuardDetectorsTests",
            dependencies: ["TxGuardDetectors"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TxGuardEmbeddingsTests",
            dependencies: ["TxGuardEmbeddings", "TxGuardTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TxGuardContractsTests",
            dependencies: ["TxGuardContracts", "TxGuardTestSupport"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
