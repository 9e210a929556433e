package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestResolvePackageFileLooksInParentDirectories(t *testing.T) {
	root := t.TempDir()
	want := filepath.Join(root, "node_modules", "@pulumi", "pulumi", "package.json")
	if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(want, []byte(`{"version":"3.248.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(root, "infra", "stack")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := resolvePackageFile(nested, "@pulumi/pulumi/package.json"); err != nil || got != want {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := resolvePackageFile(nested, "@pulumi/missing"); err == nil {
		t.Fatal("a missing package was found")
	}
}

// Run passes the stack's configuration and the engine's addresses to the program runner and maps
// its exit: 0 is success, 32 means the program already printed the error (bail), others fail.
func TestRunPassesConfigAndMapsExitCodes(t *testing.T) {
	dir := t.TempDir()
	runner := filepath.Join(dir, "run.js")
	script := `const cfg = JSON.parse(process.env.PULUMI_CONFIG);
const args = process.argv.slice(2).join(" ");
if (!args.includes("--monitor 127.0.0.1:1") || !args.includes("--engine 127.0.0.1:2") || !args.includes("--dry-run")) process.exit(4);
process.exit(Number(cfg["p:exit"]));`
	if err := os.WriteFile(runner, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH", runner)
	h := &host{engineAddress: "127.0.0.1:2"}
	run := func(exit string) *pulumirpc.RunResponse {
		resp, err := h.Run(context.Background(), &pulumirpc.RunRequest{
			MonitorAddress: "127.0.0.1:1", DryRun: true, Pwd: dir, Config: map[string]string{"p:exit": exit},
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := run("0"); resp.GetError() != "" || resp.GetBail() {
		t.Fatalf("exit 0: %v", resp)
	}
	if resp := run("32"); !resp.GetBail() || resp.GetError() != "" {
		t.Fatalf("exit 32: %v", resp)
	}
	if resp := run("3"); !strings.Contains(resp.GetError(), "non-zero exit code: 3") {
		t.Fatalf("exit 3: %v", resp)
	}
}
