# ipvsadm-go. `make test` runs everything (gofmt, vet, unit tests, the tests
# inside the VM against Debian's real IPVS kernel, and the kernel-facing ones
# again on Debian 12's newest 6.12 kernel); `make demo` runs the seed
# walkthrough on a real IPVS kernel. Both install what they need. KERNEL=
# (below) picks another kernel for test, demo and bench.

SHELL := /bin/bash
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export PATH := $(dir $(GO)):$(PATH)
export CGO_ENABLED := 0
PREFIX ?= /usr/local
DESTDIR ?=
TEST_TIMEOUT ?= 75m

.PHONY: all build deps test demo install clean bench bench-go pgo fuzz deb rpm

all: build

build:
	$(GO) build -trimpath -o bin/ipvsadm ./cmd/ipvsadm
	ln -sf ipvsadm bin/ipvsadm-save
	ln -sf ipvsadm bin/ipvsadm-restore

# Go modules, QEMU (apt, as root) and the VM's Debian packages (kernel,
# busybox, the reference ipvsadm) in the cache.
# As root it also installs the host tools some tests use (systemd-analyze,
# man, groff, dash, busybox; lintian, rpmbuild and rpmlint for make deb,
# make rpm and their tests) with apt.
HOST_PACKAGES := systemd man-db groff-base dash busybox lintian rpm rpmlint
deps:
	$(GO) mod download
	$(GO) run ./internal/vmtest/cmd/vmrun -prepare
	@missing=; for t in systemd-analyze man groff dash busybox lintian rpmbuild rpmlint; do command -v $$t >/dev/null 2>&1 || missing=1; done; \
	if [ "$$(id -u)" = 0 ] && [ -n "$$missing" ]; then \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends $(HOST_PACKAGES) >/dev/null || \
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends $(HOST_PACKAGES) >/dev/null; }; \
	fi

# The kernel the VM boots: any linux-image-* package apt can download
# (make test KERNEL=linux-image-6.12.118+deb12-amd64); by default Debian's
# stock kernel (linux-image-amd64). Given, everything runs on it alone;
# otherwise make test also runs NEXT_KERNEL_TESTS on the newest kernel of
# the NEXT_KERNEL series.
KERNEL ?=
export IPVSADM_VM_KERNEL := $(KERNEL)
NEXT_KERNEL ?= linux-image-6.12.*+deb12-amd64
NEXT_KERNEL_TESTS := ./internal/ipvs/kerneltest ./internal/difftest ./internal/service/servicetest

# The packages that take longest go first: go test starts test binaries in
# the order given, at most two at a time on two cores, and the short ones
# then fill in beside them.
FIRST_TESTS := ./internal/difftest ./internal/robusttest ./internal/service/servicetest

# The test packages put this build of ours into the VM: a copy, which make
# deb (run by some tests) does not rewrite while other tests read it.
test: export IPVSADM_TEST_BINARY := $(CURDIR)/build/test/ipvsadm
test: deps build
	mkdir -p build/test && cp bin/ipvsadm build/test/ipvsadm
	@bad=$$(gofmt -l cmd internal); if [ -n "$$bad" ]; then echo "not gofmt-formatted:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	set -o pipefail; { $(GO) test -json -timeout $(TEST_TIMEOUT) $(FIRST_TESTS) ./... ; status=$$?; \
		if [ -z "$(KERNEL)" ]; then \
			next=$$($(GO) run ./internal/vmtest/cmd/vmrun -newest '$(NEXT_KERNEL)') && \
			IPVSADM_VM_KERNEL=$$next $(GO) test -json -timeout $(TEST_TIMEOUT) $(NEXT_KERNEL_TESTS) || status=1; \
		fi; exit $$status; } | $(GO) run ./internal/vmtest/cmd/testreport

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
	$(GO) run ./internal/bench/cmd/benchvm -go $(GO) -ours bin/ipvsadm -o build/bench.md -- $(BENCH_FLAGS)

# Go micro-benchmarks, with allocations.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/ipvs/ ./internal/rule/ ./internal/render/ ./internal/connections/ ./internal/command/ ./internal/proctable/

# The profile go build optimises the binary with (profile-guided
# optimisation: cmd/ipvsadm/default.pgo, used by every build): a CPU profile
# of the Go benchmarks of restore, the listings and -Lc. Remake it after
# changing their code.
pgo:
	mkdir -p build/pgo
	$(GO) test -run '^$$' -bench 'RestoreRequests|Listing' -benchtime 2s -cpuprofile build/pgo/command.prof -o build/pgo/command.test ./internal/command/
	$(GO) test -run '^$$' -bench 'Connections' -benchtime 2s -cpuprofile build/pgo/connections.prof -o build/pgo/connections.test ./internal/connections/
	$(GO) tool pprof -proto build/pgo/command.prof build/pgo/connections.prof > cmd/ipvsadm/default.pgo

# The binary and its two links, the bash completion (one file, registering
# all three names; the two links let bash-completion load it on demand for
# any of them), then the service (install-service). BASHCOMPDIR is where
# bash-completion looks: $(PREFIX)/share/bash-completion/completions is on
# its default path (XDG_DATA_DIRS) for PREFIX=/usr and PREFIX=/usr/local.
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SBINDIR ?= $(PREFIX)/sbin
install: build
	install -d $(DESTDIR)$(SBINDIR)
	install -m 0755 bin/ipvsadm $(DESTDIR)$(SBINDIR)/ipvsadm
	ln -sf ipvsadm $(DESTDIR)$(SBINDIR)/ipvsadm-save
	ln -sf ipvsadm $(DESTDIR)$(SBINDIR)/ipvsadm-restore
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 cmd/ipvsadm/completion/ipvsadm.bash $(DESTDIR)$(BASHCOMPDIR)/ipvsadm
	ln -sf ipvsadm $(DESTDIR)$(BASHCOMPDIR)/ipvsadm-save
	ln -sf ipvsadm $(DESTDIR)$(BASHCOMPDIR)/ipvsadm-restore
	$(MAKE) --no-print-directory install-service

# ipvsadm.service, its helper, the settings file and an empty rules file of
# one layout (existing settings and rules files are kept), and the man pages
# once there are any (man/*.[1-8]). LAYOUT=debian|redhat; by default the
# running system's. See internal/service/dist/install-service.sh.
LAYOUT ?= $(if $(wildcard /etc/debian_version),debian,$(if $(wildcard /etc/redhat-release /etc/sysconfig),redhat,debian))
SYSCONFDIR ?= /etc
SYSTEMD_UNIT_DIR ?= /lib/systemd/system
LIBEXECDIR ?= $(PREFIX)/lib/ipvsadm
MANDIR ?= $(PREFIX)/share/man

.PHONY: install-service
install-service:
	LAYOUT='$(LAYOUT)' DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' SBINDIR='$(SBINDIR)' \
		LIBEXECDIR='$(LIBEXECDIR)' SYSCONFDIR='$(SYSCONFDIR)' SYSTEMD_UNIT_DIR='$(SYSTEMD_UNIT_DIR)' \
		MANDIR='$(MANDIR)' MANSRC=cmd/ipvsadm/man sh internal/service/dist/install-service.sh

# Packages that replace the distribution's ipvsadm: make deb builds
# build/ipvsadm-go_VERSION_ARCH.deb (Debian layout, dpkg-deb), make rpm
# build/ipvsadm-go-VERSION-1.ARCH.rpm (Red Hat layout, rpmbuild). VERSION is
# the ipvsadm they are compatible with and this project's version
# (internal/service/dist/VERSION), e.g. 1.31+go0.1.0. PKG_OUT is where they
# go; PKG_VERSION replaces this project's version (the upgrade tests build a
# second one). See internal/service/dist/package.sh.
PKG_OUT ?= build
PKG_VERSION ?=
deb rpm: build
	MAKE='$(MAKE)' PKG_OUT='$(PKG_OUT)' PKG_VERSION='$(PKG_VERSION)' sh internal/service/dist/package.sh $@

clean:
	rm -rf bin build

# Every fuzz target for FUZZTIME each; inputs that found new coverage are
# kept in each package's testdata/fuzz (which `make test` replays), and so is
# any crasher.
FUZZTIME ?= 75s
# Extra flags for go test while fuzzing, e.g. FUZZFLAGS=-parallel=1 to leave a core free.
FUZZFLAGS ?=
FUZZ_TARGETS := \
	internal/rule:FuzzParse internal/rule:FuzzRoundTrip \
	internal/ipvstext:FuzzParseIPv4 internal/ipvstext:FuzzParseIPv6 internal/ipvstext:FuzzInetAton internal/ipvstext:FuzzFormatAddr \
	internal/connections:FuzzConnections internal/proctable:FuzzRead internal/proctable:FuzzReadAgrees \
	internal/ipvs:FuzzDecodeService internal/ipvs:FuzzDecodeDestination internal/ipvs:FuzzDecodeDaemon internal/ipvs:FuzzDecodeInfoAndTimeouts
fuzz:
	@set -e; cache=$$($(GO) env GOCACHE)/fuzz/github.com/ipvsadm-go/ipvsadm; \
	for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) ./$$pkg; \
		if [ -d "$$cache/$$pkg/$$fn" ]; then mkdir -p $$pkg/testdata/fuzz/$$fn; \
			ls -t "$$cache/$$pkg/$$fn" | head -50 | while read f; do cp "$$cache/$$pkg/$$fn/$$f" $$pkg/testdata/fuzz/$$fn/; done; fi; \
	done
