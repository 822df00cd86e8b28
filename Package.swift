// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "assetpipe",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "assetpipe", targets: ["assetpipe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Hummingbird's own dependency; serve's HTTP/1 channel handler (100 Continue) speaks its NIOHTTPTypes parts.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // System libraries, found through pkg-config (Debian: libvips-dev, libexif-dev, libav*-dev).
        .systemLibrary(
            name: "CLibVips",
            pkgConfig: "vips",
            providers: [.apt(["libvips-dev"])]
        ),
        .systemLibrary(
            name: "CExif",
            pkgConfig: "libexif",
            providers: [.apt(["libexif-dev"])]
        ),
        .systemLibrary(
            name: "CLibAV",
            pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev"])]
        ),
        // A thread's cancel flag, which stops libvips computations and FFmpeg reads (ap_cancel_*).
        .target(name: "CCancel"),
        // Typed, non-variadic wrappers over libvips's variadic API (ap_vips_*).
        .target(name: "CVips", dependencies: ["CLibVips", "CCancel"]),
        // Defensive open, stream description and one-frame decode over FFmpeg (ap_media_*).
        .target(name: "CFFmpeg", dependencies: ["CLibAV", "CCancel"]),
        // Faces (cascades) and ONNX networks over OpenCV's C++ API behind a C surface
        // (ap_faces_*, ap_network_*). Debian's split OpenCV packages ship no opencv4.pc,
        // so the paths are given here.
        .target(
            name: "CVision",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
            linkerSettings: [
                .linkedLibrary("opencv_dnn"), .linkedLibrary("opencv_objdetect"), .linkedLibrary("opencv_imgproc"),
                .linkedLibrary("opencv_core"),
            ]
        ),

        .target(
            name: "AssetMedia",
            dependencies: [
                "CVips", "CLibVips", "CExif", "CFFmpeg", "CLibAV", "CCancel", "CVision",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "AssetPipeline",
            dependencies: [
                "AssetMedia", "Yams",
                // The analysis stage's calls to an external analyzer.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The query language: text or JSON into one query value. No SQL.
        .target(
            name: "AssetQuery",
            dependencies: ["AssetMedia"]
        ),
        // The catalog on SQLite (GRDB) or PostgreSQL (postgres-nio): the only module that writes SQL for assets.
        .target(
            name: "AssetCatalog",
            dependencies: [
                "AssetQuery",
                "AssetPipeline",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Jobs and their drivers: SQLite in the catalog file; PostgreSQL with
        // FOR UPDATE SKIP LOCKED claims and LISTEN/NOTIFY wakeups.
        .target(
            name: "AssetQueue",
            dependencies: [
                "AssetPipeline", "AssetCatalog",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                // The PostgreSQL driver's connections run as a Service of the command's group.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The edit vocabulary: render parameters, their canonical form, URL signing.
        .target(
            name: "AssetEdits",
            dependencies: ["AssetMedia", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // S3-compatible object storage: SigV4 signing, streamed and multipart
        // transfers with retries and checksums, over AsyncHTTPClient.
        .target(
            name: "AssetObjectStore",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Originals copied to a backup bucket: after each new version, and as a backfill.
        .target(
            name: "AssetBackup",
            dependencies: [
                "AssetCatalog", "AssetMedia", "AssetObjectStore", "AssetPipeline", "AssetQuery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Named sources (local folders, S3 buckets): sync plans, and S3 origins fetched for the worker.
        .target(
            name: "AssetSources",
            dependencies: ["AssetCatalog", "AssetMedia", "AssetObjectStore", "AssetPipeline", "AssetQuery", "AssetQueue", "AssetWorker"]
        ),
        // Uploads: bodies spooled as they stream (multipart or raw), placed in a folder or bucket under a conflict policy.
        .target(
            name: "AssetUploads",
            dependencies: [
                "AssetCatalog", "AssetObjectStore", "AssetPipeline",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The HTTP API (Hummingbird): render, assets, renditions, jobs, metrics, OpenAPI.
        .target(
            name: "AssetServer",
            dependencies: [
                "AssetQuery",
                "AssetEdits", "AssetCatalog", "AssetQueue", "AssetPipeline", "AssetMedia", "AssetUploads", "AssetObjectStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            resources: [.copy("openapi.json")]
        ),
        // Runs queued jobs: claim loop, leases, timeouts, drain on SIGTERM, --watch.
        .target(
            name: "AssetWorker",
            dependencies: [
                "AssetQueue", "AssetCatalog", "AssetPipeline", "AssetMedia", "AssetEdits",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The queue's own overhead with no-op jobs (scripts/bench-queue).
        .executableTarget(
            name: "queue-bench",
            dependencies: ["AssetQueue", "AssetWorker", .product(name: "Logging", package: "swift-log")]
        ),
        // Fuzz targets for every parser of outside input, with their seeded generators and mutators.
        // scripts/bench-search: a synthetic catalog through the bulk path, and the query shapes timed.
        .executableTarget(
            name: "search-bench",
            dependencies: ["AssetCatalog", "AssetQuery", "AssetPipeline"]
        ),
        .target(
            name: "AssetFuzz",
            dependencies: ["AssetCatalog", "AssetEdits", "AssetMedia", "AssetObjectStore", "AssetPipeline", "AssetQuery", "AssetQueue", "AssetServer",
                           "AssetSources", "AssetUploads"]
        ),
        // `fuzz TARGET|all`: runs the fuzz targets in-process (`make fuzz`); with -DLIBFUZZER, a libFuzzer driver.
        .executableTarget(name: "fuzz", dependencies: ["AssetFuzz"]),
        .executableTarget(
            name: "assetpipe",
            dependencies: [
                "AssetPipeline", "AssetCatalog", "AssetMedia", "AssetQuery", "AssetQueue", "AssetWorker", "AssetEdits", "AssetServer",
                "AssetBackup", "AssetObjectStore", "AssetSources", "AssetUploads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Oracles (exiftool, vipsheader, ...) and sample paths shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "AssetMediaTests", dependencies: ["AssetMedia", "TestSupport"]),
        .testTarget(name: "AssetPipelineTests", dependencies: ["AssetPipeline", "TestSupport"]),
        .testTarget(
            name: "AssetServerTests",
            dependencies: [
                "AssetServer", "AssetCatalog", "AssetQueue", "AssetEdits", "AssetPipeline", "AssetMedia", "AssetWorker", "AssetUploads",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "AssetEditsTests", dependencies: ["AssetEdits", "AssetMedia", "TestSupport"]),
        .testTarget(name: "AssetCatalogTests", dependencies: ["AssetCatalog", "AssetQuery", "AssetMedia", "AssetPipeline", "TestSupport",
                                                            .product(name: "GRDB", package: "GRDB.swift"),
                                                            .product(name: "PostgresNIO", package: "postgres-nio")]),
        .testTarget(
            name: "AssetQueueTests",
            dependencies: [
                "AssetQueue", "AssetCatalog", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "AssetWorkerTests",
            dependencies: [
                "AssetWorker", "AssetQueue", "AssetCatalog", "AssetMedia", "TestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(name: "AssetObjectStoreTests", dependencies: ["AssetObjectStore", "TestSupport"]),
        .testTarget(name: "AssetSourcesTests", dependencies: ["AssetSources", "AssetCatalog", "AssetObjectStore", "TestSupport"]),
        .testTarget(name: "AssetUploadsTests", dependencies: ["AssetUploads", "AssetCatalog", "AssetPipeline", "TestSupport"]),
        .testTarget(name: "assetpipeTests", dependencies: ["AssetCatalog", "TestSupport"]),
        // A bounded run of every fuzz target, so `swift test` covers them.
        .testTarget(name: "AssetFuzzTests", dependencies: ["AssetFuzz", "AssetEdits"]),
    ],
    swiftLanguageModes: [.v6]
)
