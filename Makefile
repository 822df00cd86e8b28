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
# against samples/ with exiftool, vipsheader and ffprobe as oracles.
test: build
	$(SWIFT) test

# Regenerates samples/ (needs vips, ffmpeg, exiftool: scripts/install-deps).
samples: deps
	scripts/make-samples

clean:
	rm -rf .build $(DATA)

# assetpipe vs the reference peer vs vipsthumbnail, on 100 camera-size JPEGs.
bench: deps
	scripts/bench
