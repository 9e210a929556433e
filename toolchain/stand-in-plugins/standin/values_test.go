package standin

import "testing"

func TestRevealRemovesSecretsAtAnyDepth(t *testing.T) {
	v := map[string]any{"a": Secret("x"), "list": []any{Secret(map[string]any{"b": Secret("y")})}}
	got := Reveal(v)
	if !SameValue(got, map[string]any{"a": "x", "list": []any{map[string]any{"b": "y"}}}) || ContainsSecret(got) {
		t.Fatalf("Reveal = %#v", got)
	}
	if !ContainsSecret(v) {
		t.Fatal("ContainsSecret missed a nested secret")
	}
}

func TestSameValueTreatsNullAsAbsentAndIgnoresSecrecy(t *testing.T) {
	if !SameValue(map[string]any{"a": "1", "b": nil}, map[string]any{"a": Secret("1")}) {
		t.Fatal("null vs absent, or secret vs plain, compared unequal")
	}
	if SameValue(map[string]any{"a": "1"}, map[string]any{"a": "2"}) {
		t.Fatal("different values compared equal")
	}
}

func TestContainsUnknownFindsTheSentinelAnywhere(t *testing.T) {
	if !ContainsUnknown([]any{map[string]any{"x": Unknown}}) || ContainsUnknown(map[string]any{"x": "known"}) {
		t.Fatal("ContainsUnknown is wrong")
	}
}

func TestURNParts(t *testing.T) {
	urn := "urn:pulumi:dev::kube-demo::kube-demo:index:AppImage$command:local:Command::app-load"
	if ResourceType(urn) != "command:local:Command" || ResourceName(urn) != "app-load" {
		t.Fatalf("type %q name %q", ResourceType(urn), ResourceName(urn))
	}
}
