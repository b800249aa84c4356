# yimen — the two commands are `make run` and `make test`.
GO      ?= go
PKGS    ?= ./...
# The system tests (tests/) mostly wait on SIPp peers and timers, each PBX on
# a loopback address of its own: more of them at once than cores.
PARALLEL ?= 8
BIN     := bin

.PHONY: run test deps build bench lint fuzz clean release cross-test package package-test ui ui-lint

## run: build and start the demo PBX (SQLite, tenant "demo", extensions 1001-1010) and beside it
## the OA (127.0.0.1:8090, its own database; it follows the PBX's CTI and stops with it)
run: deps build
	@$(BIN)/oa -config configs/oa-demo.yaml & oa=$$!; trap 'kill $$oa 2>/dev/null' EXIT INT TERM; \
	$(BIN)/pbx -config configs/demo.yaml

build: ui
	$(GO) build -o $(BIN)/pbx ./cmd/pbx
	$(GO) build -o $(BIN)/oa ./cmd/oa

## ui: build the agent bar and wallboard (agentbar/web → agentbar/dist) and the OA's web UI
## (oa/web → oa/oaui/dist), each embedded by the Go build. Without npm the PBX and the OA serve a
## placeholder page saying to run this.
UIS     := agentbar/web:agentbar/dist oa/web:oa/oaui/dist
NPM     := $(shell command -v npm 2>/dev/null)
# npm ci only when the lockfile changed since the last install
npm-ci = test $(1)/node_modules/.package-lock.json -nt $(1)/package-lock.json || (cd $(1) && npm ci --no-audit --no-fund)
ui:
ifeq ($(NPM),)
	@echo "npm not found: the agent bar and the OA UI are not built (install Node.js 20+ and npm, then make ui)"
else
	@set -e; for u in $(UIS); do web=$${u%%:*}; dist=$${u#*:}; \
		$(call npm-ci,$$web); \
		find $$dist -mindepth 1 ! -name placeholder.html -delete; \
		(cd $$web && npm run --silent build); \
	done
endif

## ui-lint: type-check each UI (vue-tsc) and run its component tests (Vitest)
ui-lint:
ifneq ($(NPM),)
	@set -e; for u in $(UIS); do web=$${u%%:*}; \
		$(call npm-ci,$$web); \
		(cd $$web && npm run --silent typecheck && npm run --silent test); \
	done
endif

## deps: install the system packages the PBX and its tests use (Debian; needs root or sudo)
deps:
	@./scripts/install-deps.sh

## test: every test, against real SIPp peers and baresip phones over loopback, then a one-minute
## smoke run of the load benchmarks (yimen only; figures printed, not asserted)
test: deps lint ui
	$(GO) test -count=1 -timeout 20m -parallel $(PARALLEL) $(PKGS)
	bash bench/smoke.sh

## bench: micro-benchmarks (see docs/BENCHMARKS.md for the load scripts in bench/)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./pbx/... ./internal/...

## fuzz: run each fuzz target for FUZZTIME (default 30s)
FUZZTIME ?= 30s
fuzz:
	@./scripts/fuzz-all.sh $(FUZZTIME)

## lint: gofmt, go vet, go.mod tidy (the import rule is a test: internal/importrule)
lint: ui-lint
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff

## release: every command for linux/amd64, linux/arm64 and linux/loong64 in dist/, version-stamped
## and reproducible (VERSION=v1.2.3 make release)
release: deps ui
	./scripts/release.sh

## cross-test: the platform packages' tests and a SIPp smoke run of the release PBX for linux/arm64
## and linux/loong64 under qemu user emulation (CI runs it after make test)
cross-test: deps
	./scripts/cross-test.sh

## package: .deb and .rpm per architecture in dist/packages/ (systemd unit, config, logrotate)
package: deps ui
	./scripts/package/build.sh

## package-test: install the amd64 .deb in a clean Debian chroot, start the PBX as the unit would,
## remove and purge it (root; CI runs it)
package-test: deps
	./scripts/package/test.sh

clean:
	rm -rf $(BIN) dist
