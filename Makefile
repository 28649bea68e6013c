all: test

# The README's test command.
test:
	go test ./...

# The static checks CI runs: gofmt, go vet, go mod tidy, generated-code drift,
# staticcheck, errcheck and buf breaking (installs pinned tools when missing).
lint:
	bash .ci/lint

# Regenerate the connector protocol's Go code (needs protoc and the plugins named in the README).
generate:
	go generate ./plugins/sdk/proto

# What CI runs on a fresh clone: PostgreSQL and Chromium required, -race.
ci:
	bash .ci/run

.PHONY: all test lint generate ci
