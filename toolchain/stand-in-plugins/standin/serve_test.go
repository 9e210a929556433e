package standin

import (
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestReadStoredReturnsTheStateAndItsInputs(t *testing.T) {
	state, err := structpb.NewStruct(map[string]any{"create": "kind create", "stdout": Secret("kubeconfig")})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ReadStored(&pulumirpc.ReadRequest{Id: "cluster1a2b3c4d", Properties: state}, []string{"create", "delete"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetId() != "cluster1a2b3c4d" || !proto.Equal(resp.GetProperties(), state) {
		t.Fatalf("state changed: %v", resp)
	}
	if got := resp.GetInputs().AsMap(); len(got) != 1 || got["create"] != "kind create" {
		t.Fatalf("inputs %v: want only the stored create", got)
	}
}

func TestParseArgsFindsTheEngineAndTracing(t *testing.T) {
	for _, args := range [][]string{
		{"-tracing", "http://t", "-root=/p", "127.0.0.1:4000"},
		{"--tracing=http://t", "127.0.0.1:4000"},
		{"--tracing", "http://t", "-v=9", "--logtostderr", "127.0.0.1:4000"},
	} {
		engine, tracing := ParseArgs(args)
		if engine != "127.0.0.1:4000" || tracing != "http://t" {
			t.Fatalf("%v: engine %q tracing %q", args, engine, tracing)
		}
	}
}
