package main

import (
	"strings"
	"testing"
)

const source = `package nodeimage

const kindnetdImage = "docker.io/kindest/kindnetd:v20250512-df8de77b"

const defaultCNIManifest = ` + "`" + `# kindnetd networking manifest
# would you kindly template this file
` + "`" + ` + "image: " + kindnetdImage + "\n"

const replicas = 3
`

func TestStringConstant(t *testing.T) {
	for _, tc := range []struct {
		name, want string
	}{
		{"kindnetdImage", "docker.io/kindest/kindnetd:v20250512-df8de77b"},
		// A constant built from a raw string, another constant and an escape, as the compiler sees it.
		{"defaultCNIManifest", "# kindnetd networking manifest\n# would you kindly template this file\nimage: docker.io/kindest/kindnetd:v20250512-df8de77b\n"},
	} {
		got, err := stringConstant(strings.NewReader(source), tc.name)
		if err != nil || got != tc.want {
			t.Errorf("stringConstant(%s) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestNoSuchStringConstant(t *testing.T) {
	for _, name := range []string{"replicas", "absent"} {
		if _, err := stringConstant(strings.NewReader(source), name); err == nil || err.Error() != "no string constant "+name+" in the file" {
			t.Errorf("stringConstant(%s): error %v, want one naming it", name, err)
		}
	}
}

func TestNotGo(t *testing.T) {
	if _, err := stringConstant(strings.NewReader("not go"), "x"); err == nil {
		t.Error("a file that is not Go gave no error")
	}
}
