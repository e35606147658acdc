package terms

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Parse decodes a terms file in YAML or JSON and validates it. Unknown
// fields are refused, so that a misspelt field is not silently dropped.
// When the file has no weapon_classes, DefaultWeaponClasses apply; an
// empty list means no withdrawal lines. name identifies the file in errors,
// which wrap Problems.
func Parse(data []byte, name string) (Terms, error) {
	var t Terms
	if err := yaml.UnmarshalStrict(data, &t); err != nil {
		return Terms{}, fmt.Errorf("%s: %w", name, Problems{decodeProblem(data, err)})
	}
	if t.WeaponClasses == nil {
		t.WeaponClasses = DefaultWeaponClasses()
	}
	if err := t.Validate(); err != nil {
		return Terms{}, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// decodeProblem turns a decoding error into a Problem naming the field
// where it can, without the layers of the YAML-to-JSON conversion.
func decodeProblem(data []byte, err error) Problem {
	var typeErr *json.UnmarshalTypeError
	var timeErr *time.ParseError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return Problem{Field: typeErr.Field, Reason: fmt.Sprintf("want %s, got %s", jsonType(typeErr.Type.Kind().String()), typeErr.Value)}
	case errors.As(err, &timeErr):
		return Problem{Field: "effective_from", Reason: fmt.Sprintf("want an RFC 3339 time such as 2026-11-21T00:00:00Z, got %q", timeErr.Value)}
	}
	msg := err.Error()
	for _, prefix := range []string{"error converting YAML to JSON: ", "error unmarshaling JSON: ", "while decoding JSON: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ := strconv.Unquote(f)
		if path, ok := unknownField(data); ok {
			return Problem{Field: path, Reason: "unknown field"}
		}
		return Problem{Reason: fmt.Sprintf("unknown field %q", name)}
	}
	return Problem{Reason: strings.ReplaceAll(msg, "\n ", "")}
}

// unknownField returns the path of a field in data that Terms does not
// know, the first in alphabetical order at each level.
func unknownField(data []byte) (string, bool) {
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		return "", false
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		return "", false
	}
	return findUnknown(v, reflect.TypeFor[Terms](), "")
}

// findUnknown walks the decoded JSON value v against the Go type t.
func findUnknown(v any, t reflect.Type, path string) (string, bool) {
	switch t.Kind() {
	case reflect.Pointer:
		return findUnknown(v, t.Elem(), path)
	case reflect.Slice, reflect.Array:
		list, _ := v.([]any)
		for i, e := range list {
			if p, ok := findUnknown(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok || t == reflect.TypeFor[time.Time]() {
			return "", false
		}
		fields := map[string]reflect.Type{}
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		keys := slices.Sorted(maps.Keys(obj))
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			ft, ok := fields[k]
			if !ok {
				return p, true
			}
			if p, ok := findUnknown(obj[k], ft, p); ok {
				return p, true
			}
		}
	}
	return "", false
}

// jsonType names a Go kind the way a terms file author thinks of it.
func jsonType(kind string) string {
	switch kind {
	case "float64", "float32", "int", "int64":
		return "a number"
	case "string":
		return "a string"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	}
	return kind
}
