all: test

# The README's test command.
test:
	go test ./...

# Formatting and vet, as the before-stop check and CI run them.
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt would rewrite: $$unformatted"; exit 1; fi
	go vet ./...

# Regenerate the connector protocol's Go code (needs protoc and the plugins named in the README).
generate:
	go generate ./plugins/sdk/proto

# What CI runs on a fresh clone: PostgreSQL and Chromium required, -race.
ci:
	bash .ci/run

.PHONY: all test lint generate ci
