package proto

import _ "embed"

// ConnectorV1 is the text of connector/v1/connector.proto, for connectors
// written in other languages (`bankauth connector init --lang node` copies
// it into the project it writes).
//
//go:embed connector/v1/connector.proto
var ConnectorV1 []byte
