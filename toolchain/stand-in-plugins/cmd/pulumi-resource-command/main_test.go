package main

import (
	"context"
	"strings"
	"testing"

	"kube-demo.local/toolchain/stand-in-plugins/standin"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

const urn = "urn:pulumi:dev::p::command:local:Command::load"

func newProvider() *provider {
	p := &provider{}
	p.Base = standin.Base{Name: "pulumi-resource-command", Version: version, Type: commandType, Engine: &standin.EngineLog{}}
	return p
}

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCreateRunsTheScriptWithItsEnvironmentAndTrimsOneNewline(t *testing.T) {
	resp, err := newProvider().Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: props(t, map[string]any{
		"create":      `printf '%s\n\n' "$GREETING"; echo warn >&2`,
		"environment": map[string]any{"GREETING": standin.Secret("hello")},
	})})
	if err != nil {
		t.Fatal(err)
	}
	outs := resp.GetProperties().AsMap()
	// The environment held a secret, so the output is secret too.
	if !standin.IsSecret(outs["stdout"]) || standin.String(outs["stdout"]) != "hello\n" || standin.String(outs["stderr"]) != "warn" {
		t.Fatalf("outputs %#v", outs)
	}
	if !strings.HasPrefix(resp.GetId(), "load") || len(resp.GetId()) != len("load")+8 {
		t.Fatalf("id %q: want the name plus 8 hex digits", resp.GetId())
	}
}

func TestAFailingScriptNamesTheOperationAndShowsStderr(t *testing.T) {
	_, err := newProvider().Create(context.Background(), &pulumirpc.CreateRequest{Urn: urn, Properties: props(t, map[string]any{
		"create": "echo 'no such cluster' >&2; exit 3",
	})})
	if err == nil || !strings.Contains(err.Error(), "create command failed: exit status 3") || !strings.Contains(err.Error(), "no such cluster") {
		t.Fatalf("error %v", err)
	}
}

func TestUpdateAndDeleteSeeThePreviousOutput(t *testing.T) {
	resp, err := newProvider().Update(context.Background(), &pulumirpc.UpdateRequest{Urn: urn,
		Olds: props(t, map[string]any{"stdout": "old", "addPreviousOutputInEnv": true}),
		News: props(t, map[string]any{"create": `echo "was $PULUMI_COMMAND_STDOUT"`, "addPreviousOutputInEnv": true})})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetProperties().AsMap()["stdout"]; got != "was old" {
		t.Fatalf("stdout %v", got)
	}
}

func TestOnlyATriggerChangeReplaces(t *testing.T) {
	p := newProvider()
	diff := func(olds, news map[string]any) *pulumirpc.DiffResponse {
		resp, err := p.Diff(context.Background(), &pulumirpc.DiffRequest{Urn: urn, Olds: props(t, olds), News: props(t, news)})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if d := diff(map[string]any{"create": "a"}, map[string]any{"create": "a"}); d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatal("no change reported as a change")
	}
	if d := diff(map[string]any{"create": "a"}, map[string]any{"create": "b"}); d.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || len(d.GetReplaces()) != 0 {
		t.Fatalf("script change: %v", d)
	}
	if d := diff(map[string]any{"triggers": []any{"1"}}, map[string]any{"triggers": []any{standin.Unknown}}); len(d.GetReplaces()) != 1 {
		t.Fatalf("unknown trigger: %v", d)
	}
}

func TestCheckDefaultsAndRejectsWhatIsNotImplemented(t *testing.T) {
	resp, err := newProvider().Check(context.Background(), &pulumirpc.CheckRequest{Urn: urn, News: props(t, map[string]any{
		"create": "true", "logging": "loud", "assetPaths": []any{"x"},
	})})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetInputs().AsMap()["addPreviousOutputInEnv"] != true {
		t.Fatal("addPreviousOutputInEnv does not default to true")
	}
	var failed []string
	for _, f := range resp.GetFailures() {
		failed = append(failed, f.GetProperty())
	}
	if strings.Join(failed, ",") != "assetPaths,logging" {
		t.Fatalf("failures %v", failed)
	}
	if _, err := newProvider().Check(context.Background(), &pulumirpc.CheckRequest{Urn: "urn:pulumi:dev::p::command:remote:Command::x"}); err == nil {
		t.Fatal("another resource type was accepted")
	}
}
