# ipvsadm-go. `make test` runs everything (gofmt, vet, unit tests, the tests
# inside the VM against Debian's real IPVS kernel); `make demo` runs the seed
# walkthrough on a real IPVS kernel. Both install what they need.

SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export PATH := $(dir $(GO)):$(PATH)
export CGO_ENABLED := 0
PREFIX ?= /usr/local
DESTDIR ?=
TEST_TIMEOUT ?= 75m

.PHONY: all build deps test demo install clean bench bench-go

all: build

build:
	$(GO) build -trimpath -o bin/ipvsadm ./cmd/ipvsadm
	ln -sf ipvsadm bin/ipvsadm-save
	ln -sf ipvsadm bin/ipvsadm-restore

# Go modules, QEMU (apt, as root) and the VM's Debian packages (kernel,
# busybox, the reference ipvsadm) in the cache.
deps:
	$(GO) mod download
	$(GO) run ./internal/vmtest/cmd/vmrun -prepare

test: deps build
	@bad=$$(gofmt -l cmd internal); if [ -n "$$bad" ]; then echo "not gofmt-formatted:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	set -o pipefail; $(GO) test -json -timeout $(TEST_TIMEOUT) ./... | $(GO) run ./internal/vmtest/cmd/testreport

# The seed walkthrough: directly (in a throwaway network namespace) when
# this host has IPVS and we are root, otherwise inside the VM.
demo: build
	@if [ "$$(id -u)" = 0 ] && modprobe -q ip_vs 2>/dev/null && [ -e /proc/net/ip_vs ]; then \
		echo "== host kernel has IPVS: running in a throwaway network namespace"; \
		PATH="$(CURDIR)/bin:$$PATH" unshare -n sh -c 'ip link set lo up; sh testdata/demo/demo.sh'; \
	else \
		echo "== host kernel has no IPVS: running in the VM (Debian's kernel under QEMU)"; \
		$(GO) run ./internal/vmtest/cmd/vmrun -q \
			-f /usr/local/sbin/ipvsadm=bin/ipvsadm \
			-f /usr/local/sbin/ipvsadm-save=bin/ipvsadm-save \
			-f /usr/local/sbin/ipvsadm-restore=bin/ipvsadm-restore \
			testdata/demo/demo.sh; \
	fi

# Ours against Debian's ipvsadm in one VM boot; report in build/bench.md.
# BENCH_FLAGS go to ipvsbench, e.g. BENCH_FLAGS='-sizes 200x5:2' for a quick check.
BENCH_FLAGS ?=
bench: deps build
	$(GO) run ./internal/bench/cmd/benchvm -ours bin/ipvsadm -o build/bench.md -- $(BENCH_FLAGS)

# Go micro-benchmarks, with allocations.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/ipvs/ ./internal/rule/ ./internal/render/ ./internal/connections/

install: build
	install -d $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 bin/ipvsadm $(DESTDIR)$(PREFIX)/sbin/ipvsadm
	ln -sf ipvsadm $(DESTDIR)$(PREFIX)/sbin/ipvsadm-save
	ln -sf ipvsadm $(DESTDIR)$(PREFIX)/sbin/ipvsadm-restore

clean:
	rm -rf bin build
