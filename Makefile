# dinhdanh: the two commands are `make run` and `make test`.
GO ?= go
export GOFLAGS ?= -buildvcs=false

.PHONY: run test build bench fuzz lint vet

run: ## start the gateway with its own PostgreSQL under ./.data and demo data
	$(GO) run ./cmd/dinhdanh dev

test: ## every test, race detector on, against real PostgreSQL
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...

build:
	$(GO) build -o bin/dinhdanh ./cmd/dinhdanh

bench: ## load benchmarks (print figures; never assert)
	$(GO) run ./bench/cmd/loadbench

fuzz: ## run every fuzz target for a short while
	$(GO) test ./accounts -run '^$$' -fuzz FuzzParsePersonalID -fuzztime 30s
