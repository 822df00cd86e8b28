# assetpipe: `make demo` and `make test` set up everything on a fresh Debian 12
# machine that has the Swift toolchain.
DATA ?= assetpipe-data
SWIFT ?= swift

.PHONY: deps build release demo test samples bench clean

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
# removed at the end, whatever the result.
test: build
	@pgdir=$$(mktemp -d /tmp/assetpipe-test-pg.XXXXXX); \
	url=$$(scripts/test-postgres start "$$pgdir") || { rm -rf "$$pgdir"; exit 1; }; \
	echo "test PostgreSQL: $$url"; \
	ASSETPIPE_TEST_DATABASE_URL="$$url" $(SWIFT) test; status=$$?; \
	scripts/test-postgres stop "$$pgdir"; \
	exit $$status

# Regenerates samples/ (needs vips, ffmpeg, exiftool: scripts/install-deps).
samples: deps
	scripts/make-samples

clean:
	rm -rf .build $(DATA)

# assetpipe vs the reference peer vs vipsthumbnail, on 100 camera-size JPEGs.
bench: deps
	scripts/bench
