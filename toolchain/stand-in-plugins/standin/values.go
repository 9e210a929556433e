package standin

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"
)

// Property values as the engine sends them in a Struct: plain JSON-like values, with a secret as
// an object holding the signature key, and an unknown (a value not known in a preview) as a
// sentinel string. The stand-ins work on these plain values (structpb's AsMap form).

const (
	sigKey    = "4dabf18193072939515e22adb298388d"
	secretSig = "1b47061264138c4ac30d75fd1eb44270"
	// Unknown is the value the engine sends for a property not known yet.
	Unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
)

// Props is a property bag in plain form.
type Props = map[string]any

// FromStruct converts a Struct (nil allowed) into plain form.
func FromStruct(s *structpb.Struct) Props {
	if s == nil {
		return Props{}
	}
	return s.AsMap()
}

// ToStruct converts plain values back into a Struct.
func ToStruct(p Props) (*structpb.Struct, error) {
	return structpb.NewStruct(p)
}

// IsSecret reports whether v is a secret wrapper.
func IsSecret(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m[sigKey] == secretSig
}

// Secret wraps v as a secret.
func Secret(v any) any {
	return map[string]any{sigKey: secretSig, "value": v}
}

// Reveal returns v with every secret wrapper (at any depth) removed.
func Reveal(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if IsSecret(t) {
			return Reveal(t["value"])
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = Reveal(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = Reveal(e)
		}
		return out
	default:
		return v
	}
}

// ContainsSecret reports whether v holds a secret at any depth.
func ContainsSecret(v any) bool {
	return walkAny(v, func(e any) bool { return IsSecret(e) })
}

// ContainsUnknown reports whether v holds an unknown at any depth.
func ContainsUnknown(v any) bool {
	return walkAny(v, func(e any) bool { return e == Unknown })
}

func walkAny(v any, match func(any) bool) bool {
	if match(v) {
		return true
	}
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			if walkAny(e, match) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if walkAny(e, match) {
				return true
			}
		}
	}
	return false
}

// SameValue compares revealed values structurally; null and absent are the same.
func SameValue(a, b any) bool {
	return canonical(Reveal(a)) == canonical(Reveal(b))
}

func canonical(v any) string {
	var drop func(any) any
	drop = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, e := range t {
				if e != nil {
					out[k] = drop(e)
				}
			}
			return out
		case []any:
			out := make([]any, len(t))
			for i, e := range t {
				out[i] = drop(e)
			}
			return out
		default:
			return v
		}
	}
	// encoding/json sorts map keys, so equal values encode equally.
	text, err := json.Marshal(drop(v))
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(text)
}

// String returns the revealed v if it is a string, else "".
func String(v any) string {
	s, _ := Reveal(v).(string)
	return s
}

// StringMap returns the revealed v as a map of strings (values of other types formatted).
func StringMap(v any) map[string]string {
	m, _ := Reveal(v).(map[string]any)
	out := make(map[string]string, len(m))
	for k, e := range m {
		switch s := e.(type) {
		case nil:
			out[k] = ""
		case string:
			out[k] = s
		default:
			out[k] = fmt.Sprint(s)
		}
	}
	return out
}

// Strings returns the revealed v as a list of strings.
func Strings(v any) []string {
	list, _ := Reveal(v).([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

// SortedKeys returns m's keys in order.
func SortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ResourceName is the name part of a URN.
func ResourceName(urn string) string {
	return urn[strings.LastIndex(urn, "::")+2:]
}

// ResourceType is the type part of a URN (the last of a parent chain).
func ResourceType(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 3 {
		return ""
	}
	types := strings.Split(parts[2], "$")
	return types[len(types)-1]
}

// Pick is the subset of props under keys (absent keys stay absent).
func Pick(props Props, keys []string) Props {
	out := Props{}
	for _, k := range keys {
		if v, ok := props[k]; ok {
			out[k] = v
		}
	}
	return out
}
