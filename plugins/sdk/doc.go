// Package sdk is what a bankauth connector imports.
//
// A connector is a separate process that serves one or more banks. Its author
// implements [Connector] with the SDK's own types and calls [Serve] from main:
//
//	func main() { sdk.Serve(mybank.New()) }
//
// The SDK owns the go-plugin handshake, the protocol versions, the gRPC
// translation and logging; a connector never touches go-plugin or the
// generated protobuf code. Connectors keep no state between calls: everything
// a flow needs goes into [Step.FlowState] and [Authenticated.Session], opaque
// bytes that the host stores encrypted and hands back.
//
// Hosts use [Handshake], [PluginSets], [PluginName] and [Dispense] to launch a
// connector and obtain a [Connector] backed by gRPC; tests use [TestConn] or
// [NewInProcess]. The conformance kit in plugins/sdk/conformance certifies an
// implementation against the contract described here.
package sdk
