// Package proto holds the bankauth connector protocol definition and its
// generated Go code. Only plugins/sdk imports the generated package; connector
// authors use the SDK types instead.
package proto

//go:generate sh -c "PATH=\"$(go env GOPATH)/bin:$PATH\" protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative connector/v1/connector.proto"
