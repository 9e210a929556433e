package main

import (
	"os"
	"path/filepath"
	"testing"
)

func write(t *testing.T, dir, name, text string, mode os.FileMode) {
	t.Helper()
	full := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, mode); err != nil {
		t.Fatal(err)
	}
}

// The digest follows exactly what `docker build` is sent: what .dockerignore lets through, and
// the Dockerfile.
func TestContextDigestFollowsWhatTheBuildSees(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".dockerignore", "*\n!server.js\n!Dockerfile\n", 0o644)
	write(t, dir, "Dockerfile", "FROM base\nCOPY server.js ./\n", 0o644)
	write(t, dir, "server.js", "console.log(1)\n", 0o644)
	write(t, dir, "test/server.test.js", "test\n", 0o644)
	digest := func() string {
		t.Helper()
		d, err := contextDigest(dir, filepath.Join(dir, "Dockerfile"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := digest()

	write(t, dir, "test/server.test.js", "changed\n", 0o644)
	write(t, dir, "README.md", "new\n", 0o644)
	if digest() != first {
		t.Fatal("an ignored file changed the digest")
	}
	write(t, dir, "server.js", "console.log(2)\n", 0o644)
	second := digest()
	if second == first {
		t.Fatal("an edit of server.js left the digest alone")
	}
	write(t, dir, "server.js", "console.log(2)\n", 0o755)
	if digest() == second {
		t.Fatal("a mode change left the digest alone")
	}
}
