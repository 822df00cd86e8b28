# assetpipe: `make demo` and `make test` set up everything on a fresh Debian 12
# machine that has the Swift toolchain.
DATA ?= assetpipe-data
SWIFT ?= swift

.PHONY: deps build release demo test samples bench clean fuzz

deps:
	scripts/install-deps

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Processes samples/ into $(DATA)/catalog.sqlite and prints the summary.
demo: build
	$(SWIFT) run assetpipe process --data $(DATA) samples

# Unit tests per module, then integration tests that run the built binary
# against samples/ with exiftool, vipsheader and ffprobe as oracles. A
# throwaway PostgreSQL 15 (scripts/test-postgres) runs for the whole suite,
# so the queue's contract tests run against both drivers; it is stopped and
# removed at the end, whatever the result. Then `serve` (the debug binary)
# attacked as issue 12's hostile client (scripts/attack-serve) and a bounded
# HTTP fuzz: 2,000 requests and a short schemathesis run (scripts/fuzz-serve).
test: build
	@pgdir=$$(mktemp -d /tmp/assetpipe-test-pg.XXXXXX); \
	url=$$(scripts/test-postgres start "$$pgdir") || { rm -rf "$$pgdir"; exit 1; }; \
	echo "test PostgreSQL: $$url"; \
	ASSETPIPE_TEST_DATABASE_URL="$$url" $(SWIFT) test; status=$$?; \
	scripts/test-postgres stop "$$pgdir"; \
	bin=$$($(SWIFT) build --show-bin-path)/assetpipe; \
	ASSETPIPE_BIN="$$bin" scripts/attack-serve || status=1; \
	ASSETPIPE_BIN="$$bin" scripts/fuzz-serve 2000 5 || status=1; \
	exit $$status

# Regenerates samples/ (needs vips, ffmpeg, exiftool: scripts/install-deps).
samples: deps
	scripts/make-samples

clean:
	rm -rf .build $(DATA)

# assetpipe vs the reference peer vs vipsthumbnail, on 100 camera-size JPEGs.
bench: deps
	scripts/bench

# Fuzzing: every parser of outside input (render query, signature, JSON
# bodies, job payloads, pipeline YAML, find queries, ignore files, EXIF/XMP/IPTC/ICC) gets generated and
# mutated inputs in-process: a million each (the slowest parsers fewer, as
# the output says), the render queries through the parser, canonicaliser,
# signer and planner. Then a coverage-guided libFuzzer run of the render
# query target for LIBFUZZER_SECONDS, built in its own folder (.build-fuzz);
# what it finds is left in .build-fuzz/crash-* for `fuzz render-query --replay`.
# Then `serve` (release) over HTTP: FUZZ_HTTP_REQUESTS generated and mutated
# requests, and schemathesis with SCHEMATHESIS_EXAMPLES cases per operation
# (scripts/fuzz-serve).
FUZZ_ITERATIONS ?= 1000000
LIBFUZZER_SECONDS ?= 120
FUZZ_HTTP_REQUESTS ?= 10000
SCHEMATHESIS_EXAMPLES ?= 100
fuzz: deps
	$(SWIFT) build -c release --product fuzz
	$$($(SWIFT) build -c release --show-bin-path)/fuzz all --iterations $(FUZZ_ITERATIONS)
	$(SWIFT) build -c release --product fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DLIBFUZZER
	mkdir -p .build-fuzz/corpus/render-query
	SWIFT_BACKTRACE=enable=no $$($(SWIFT) build -c release --scratch-path .build-fuzz --show-bin-path)/fuzz render-query \
		-max_total_time=$(LIBFUZZER_SECONDS) -max_len=4096 -print_final_stats=1 -artifact_prefix=.build-fuzz/ .build-fuzz/corpus/render-query
	scripts/fuzz-serve $(FUZZ_HTTP_REQUESTS) $(SCHEMATHESIS_EXAMPLES)
