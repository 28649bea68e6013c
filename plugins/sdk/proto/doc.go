// Package proto holds the bankauth connector protocol definition. Its
// generated Go code lives in plugins/sdk/internal/connectorv1, which only the
// SDK imports; connector authors use the SDK types instead.
package proto

// The output goes to the repository root and protoc places it by go_package
// (module= strips the module path), so it lands in plugins/sdk/internal.
//go:generate sh -c "PATH=\"$(go env GOPATH)/bin:$PATH\" protoc --go_out=../../.. --go_opt=module=github.com/bankauth/bankauth --go-grpc_out=../../.. --go-grpc_opt=module=github.com/bankauth/bankauth connector/v1/connector.proto"
