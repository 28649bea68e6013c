package sdk_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// A connector served WithReattach answers a go-plugin client that attaches
// to it by address (as a host would with BANKAUTH_CONNECTOR_REATTACH), and
// Serve returns when its context ends.
func TestServeWithReattach(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan sdk.Reattach, 1)
	served := make(chan struct{})
	go func() {
		defer close(served)
		sdk.ServeContext(ctx, metaOnly{}, sdk.WithReattach(func(r sdk.Reattach) { addrs <- r }))
	}()
	var r sdk.Reattach
	select {
	case r = <-addrs:
	case <-time.After(10 * time.Second):
		t.Fatal("no reattach config within 10s")
	}
	// The config survives the JSON a developer copies into the host's env.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var decoded sdk.Reattach
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	rc, err := decoded.Config()
	if err != nil {
		t.Fatal(err)
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: sdk.Handshake,
		// On reattach go-plugin skips the version negotiation that picks
		// from VersionedPlugins, so the set is named directly.
		Plugins:          sdk.PluginSets()[sdk.ProtocolMajor],
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCDialOptions:  sdk.DialOptions(),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("attach to %s: %v", b, err)
	}
	c, err := sdk.Dispense(rpc)
	if err != nil {
		t.Fatal(err)
	}
	md, err := c.GetMetadata(ctx)
	if err != nil {
		t.Fatalf("GetMetadata through the reattached client: %v", err)
	}
	if want, _ := (metaOnly{}).GetMetadata(ctx); md.Name != want.Name {
		t.Fatalf("metadata name %q, want %q", md.Name, want.Name)
	}
	cancel()
	select {
	case <-served:
	case <-time.After(15 * time.Second):
		t.Fatal("ServeContext did not return after its context ended")
	}
}

func TestReattachConfigRefusesUnknownNetwork(t *testing.T) {
	if _, err := (sdk.Reattach{Network: "carrier-pigeon", Addr: "x"}).Config(); err == nil {
		t.Fatal("Config() = nil error for an unknown network")
	}
}
