# dinhdanh: the two commands are `make run` and `make test`.
GO ?= go
export GOFLAGS ?= -buildvcs=false
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run test build bench fuzz lint vet axe

run: build ## start the gateway with its own PostgreSQL under ./.data and demo data
	exec ./bin/dinhdanh dev

# axe-core and openid-client (npm, pinned in .ci/node/package-lock.json) for
# the accessibility test (gateway/browsertest TestAxe) and the bank tests with
# an independent relying party (TestBank*); they skip without them, except
# under CI=true.
AXE_DIR := .ci/node/node_modules/axe-core
OPENID_CLIENT_DIR := .ci/node/node_modules/openid-client
export AXE_CORE_JS ?= $(CURDIR)/$(AXE_DIR)/axe.min.js

test: axe ## every test, race detector on, against real PostgreSQL
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m ./...

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/dinhdanh ./cmd/dinhdanh

bench: ## load benchmarks (print figures; never assert)
	$(GO) run ./bench/cmd/loadbench
	$(GO) run ./bench/cmd/signinbench

FUZZTIME ?= 30s
fuzz: ## run every fuzz target for FUZZTIME each (seeds run in `make test` too)
	$(GO) test ./accounts -run '^$$' -fuzz '^FuzzParseDevice$$' -fuzztime $(FUZZTIME)
	$(GO) test ./accounts -run '^$$' -fuzz '^FuzzNormalizeEmail$$' -fuzztime $(FUZZTIME)
	$(GO) test ./accounts -run '^$$' -fuzz '^FuzzApproxAddress$$' -fuzztime $(FUZZTIME)
	$(GO) test ./attributes -run '^$$' -fuzz '^FuzzDecodeFeedBatch$$' -fuzztime $(FUZZTIME)
	$(GO) test ./attributes -run '^$$' -fuzz '^FuzzReadFeedFile$$' -fuzztime $(FUZZTIME)
	$(GO) test ./audit -run '^$$' -fuzz '^FuzzParseCursor$$' -fuzztime $(FUZZTIME)
	$(GO) test ./audit -run '^$$' -fuzz '^FuzzReadCheckpoints$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseCardAccess$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzUnmarshalPoint$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseTD1$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseTD3$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseDG1$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseDG13$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseSOD$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseMasterList$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzTrustStoreAdd$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseDynamicAuthData$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseQR$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader -run '^$$' -fuzz '^FuzzParseTLVs$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cardreader/vpcd -run '^$$' -fuzz '^FuzzReadFrame$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cmd/cardreader -run '^$$' -fuzz '^FuzzPortraitImage$$' -fuzztime $(FUZZTIME)
	$(GO) test ./oidc -run '^$$' -fuzz '^FuzzClaimsRequest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./oidc -run '^$$' -fuzz '^FuzzValidLogoURI$$' -fuzztime $(FUZZTIME)
	$(GO) test ./oidc -run '^$$' -fuzz '^FuzzRequestObjectParams$$' -fuzztime $(FUZZTIME)
	$(GO) test ./oidc -run '^$$' -fuzz '^FuzzWantsIntrospectionJWT$$' -fuzztime $(FUZZTIME)
	$(GO) test ./oidc/dpop -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME)
	$(GO) test ./oidc/web -run '^$$' -fuzz '^FuzzNoBiometricLeak$$' -fuzztime $(FUZZTIME)
	$(GO) test ./oidc/web -run '^$$' -fuzz '^FuzzChooseReturnTo$$' -fuzztime $(FUZZTIME)
	$(GO) test ./personalid -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./population -run '^$$' -fuzz '^FuzzReadAndCheck$$' -fuzztime $(FUZZTIME)
	$(GO) test ./population -run '^$$' -fuzz '^FuzzReadAndCheckForeigners$$' -fuzztime $(FUZZTIME)
	$(GO) test ./proofing -run '^$$' -fuzz '^FuzzParseFMR$$' -fuzztime $(FUZZTIME)
	$(GO) test ./sharing -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME)
	$(GO) test ./sharing -run '^$$' -fuzz '^FuzzVerifyCompact$$' -fuzztime $(FUZZTIME)
	$(GO) test ./sharing -run '^$$' -fuzz '^FuzzBase45$$' -fuzztime $(FUZZTIME)

axe: ## install the tests' Node packages (axe-core, openid-client), when npm is there
	@if [ -f $(AXE_DIR)/axe.min.js ] && [ -f $(OPENID_CLIENT_DIR)/package.json ]; then :; \
	elif command -v npm >/dev/null 2>&1; then npm ci --prefix .ci/node --no-audit --no-fund --silent || echo "Node packages not installed: TestAxe and TestBank* will skip (fail under CI=true)"; \
	else echo "npm not found: TestAxe and TestBank* will skip (fail under CI=true); install Node.js and npm"; fi
