package guarantee

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"github.com/guarantor-project/guarantor/internal/problem"
)

// ParseYAML decodes a registry written in YAML or JSON and validates it.
// Decoding is strict: an unknown or misspelt field (field names match
// exactly, case included), a key given twice and a value of the wrong type
// are refused, each naming the field. name identifies the file in errors,
// which wrap Problems.
func ParseYAML(data []byte, name string) (Registry, error) {
	r, ps := decodeYAML(data)
	if len(ps) > 0 {
		return Registry{}, fmt.Errorf("%s: %w", name, ps)
	}
	if err := r.Validate(); err != nil {
		return Registry{}, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// decodeYAML decodes data into a Registry, or returns what stops it.
func decodeYAML(data []byte) (Registry, Problems) {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return Registry{}, yamlProblems(err)
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		return Registry{}, Problems{{Reason: err.Error()}}
	}
	var ps Problems
	checkJSON(&ps, v, reflect.TypeFor[Registry](), "")
	if len(ps) > 0 {
		return Registry{}, ps
	}
	var r Registry
	d := json.NewDecoder(bytes.NewReader(j))
	d.DisallowUnknownFields()
	if err := d.Decode(&r); err != nil {
		return Registry{}, Problems{{Reason: err.Error()}}
	}
	return r, nil
}

// yamlLine matches the "line N: ..." parts of a YAML decoding error.
var yamlLine = regexp.MustCompile(`line \d+: .*`)

// yamlProblems turns an error of the YAML parser into Problems, one for
// each line it names (duplicate keys are reported together).
func yamlProblems(err error) Problems {
	msg := err.Error()
	if found := yamlLine.FindAllString(msg, -1); len(found) > 0 {
		ps := make(Problems, len(found))
		for i, s := range found {
			ps[i] = Problem{Reason: strings.TrimSpace(s)}
		}
		return ps
	}
	return Problems{{Reason: strings.TrimPrefix(msg, "yaml: ")}}
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// checkJSON walks v, decoded from JSON, against the Go type t and reports
// at path every field t does not have (names are compared exactly, where
// encoding/json would ignore case) and every value t cannot hold, with the
// error of the type's own decoder where it has one.
func checkJSON(ps *Problems, v any, t reflect.Type, path string) {
	if v == nil {
		return // null leaves the zero value, which validation judges
	}
	pt := reflect.PointerTo(t)
	switch {
	case pt.Implements(jsonUnmarshaler):
		raw, _ := json.Marshal(v)
		if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(raw); err != nil {
			ps.Add(path, "%v", err)
		}
		return
	case pt.Implements(textUnmarshaler):
		s, ok := v.(string)
		if !ok {
			ps.Add(path, "want a string, got %s", describe(v))
			return
		}
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			ps.Add(path, "%v", err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		checkJSON(ps, v, t.Elem(), path)
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			ps.Add(path, "want an object, got %s", describe(v))
			return
		}
		fields := map[string]reflect.Type{}
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" && f.IsExported() {
				fields[name] = f.Type
			}
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			p := problem.Join(path, k)
			ft, ok := fields[k]
			if !ok {
				ps.Add(p, "unknown field")
				continue
			}
			checkJSON(ps, obj[k], ft, p)
		}
	case reflect.Slice, reflect.Array:
		list, ok := v.([]any)
		if !ok {
			ps.Add(path, "want a list, got %s", describe(v))
			return
		}
		for i, e := range list {
			checkJSON(ps, e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			ps.Add(path, "want an object, got %s", describe(v))
			return
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			checkJSON(ps, obj[k], t.Elem(), problem.Join(path, k))
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			ps.Add(path, "want a string, got %s (quote it)", describe(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			ps.Add(path, "want true or false, got %s", describe(v))
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(float64); !ok {
			ps.Add(path, "want a number, got %s", describe(v))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			ps.Add(path, "want a whole number, got %s", describe(v))
		}
	}
}

// describe names a decoded JSON value for a message.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", v)
	case float64:
		return "the number " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// MarshalYAML returns the registry as a YAML document: block style, fields
// in the order of the types (as in docs/registry-formats.md), absent
// fields left out, strings quoted only where YAML would read them as
// something else. ParseYAML reads back exactly the registry written. The
// result is the file itself, not a value for a YAML encoder.
func (r Registry) MarshalYAML() ([]byte, error) {
	j, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encoding the registry: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(j))
	d.UseNumber()
	n, err := readNode(d)
	if err != nil {
		return nil, fmt.Errorf("encoding the registry: %w", err)
	}
	var b bytes.Buffer
	if len(n.keys) == 0 {
		b.WriteString("{}\n")
	} else {
		n.writeMap(&b, 0)
	}
	return b.Bytes(), nil
}

// WriteYAML writes the registry to w as MarshalYAML does.
func (r Registry) WriteYAML(w io.Writer) error {
	b, err := r.MarshalYAML()
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("writing the registry: %w", err)
	}
	return nil
}

// node is a JSON value with the order of its object's keys kept.
type node struct {
	kind   byte   // '{', '[' or 's' for a scalar
	scalar string // the YAML text of a scalar
	keys   []string
	vals   []*node // an object's values, or a list's items
}

// readNode reads one JSON value from d.
func readNode(d *json.Decoder) (*node, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		n := &node{kind: byte(tok)}
		for d.More() {
			if n.kind == '{' {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, k.(string))
			}
			v, err := readNode(d)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return &node{kind: 's', scalar: yamlString(tok)}, nil
	case json.Number:
		return &node{kind: 's', scalar: tok.String()}, nil
	case bool:
		return &node{kind: 's', scalar: strconv.FormatBool(tok)}, nil
	}
	return &node{kind: 's', scalar: "null"}, nil
}

// flowWidth is the longest line a list of scalars is written on, as
// [a, b, c]; longer lists are written one item a line.
const flowWidth = 100

// inline returns n written on one line, when it can be.
func (n *node) inline() (string, bool) {
	switch {
	case n.kind == 's':
		return n.scalar, true
	case len(n.vals) == 0 && n.kind == '{':
		return "{}", true
	case len(n.vals) == 0:
		return "[]", true
	case n.kind == '[':
		items := make([]string, len(n.vals))
		for i, v := range n.vals {
			if v.kind != 's' {
				return "", false
			}
			items[i] = v.scalar
		}
		s := "[" + strings.Join(items, ", ") + "]"
		return s, len(s) <= flowWidth
	}
	return "", false
}

// writeMap writes the object n, one key a line, at indent.
func (n *node) writeMap(b *bytes.Buffer, indent int) {
	pad := strings.Repeat(" ", indent)
	for i, k := range n.keys {
		v := n.vals[i]
		if s, ok := v.inline(); ok {
			fmt.Fprintf(b, "%s%s: %s\n", pad, k, s)
			continue
		}
		fmt.Fprintf(b, "%s%s:\n", pad, k)
		if v.kind == '{' {
			v.writeMap(b, indent+2)
		} else {
			v.writeList(b, indent+2)
		}
	}
}

// writeList writes the list n, one item after each "- ", at indent.
func (n *node) writeList(b *bytes.Buffer, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, v := range n.vals {
		if s, ok := v.inline(); ok && (v.kind != '[' || len(v.vals) == 0) {
			fmt.Fprintf(b, "%s- %s\n", pad, s)
			continue
		}
		if v.kind == '[' {
			fmt.Fprintf(b, "%s-\n", pad)
			v.writeList(b, indent+2)
			continue
		}
		var item bytes.Buffer
		v.writeMap(&item, indent+2)
		b.WriteString(pad)
		b.WriteString("- ")
		b.Write(item.Bytes()[indent+2:])
	}
}

// yamlKeywords are the plain scalars YAML 1.1 reads as booleans or null.
var yamlKeywords = map[string]bool{
	"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true,
}

// digitText matches the strings starting with a digit that YAML reads as
// text: dates (which it would take for timestamps only when asked to) and
// Go durations such as 24h or 1h30m.
var digitText = regexp.MustCompile(`^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|(?:[0-9]+(?:\.[0-9]+)?(?:h|m|s|ms|us|µs|ns))+)$`)

// yamlString writes s as a YAML scalar: plain when nothing in it could be
// read otherwise, in single quotes when it is one line of printable text,
// and otherwise in double quotes with escapes.
func yamlString(s string) string {
	if plain(s) {
		return s
	}
	if s != "" && utf8.ValidString(s) && !strings.HasPrefix(s, " ") && !strings.HasSuffix(s, " ") &&
		!strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return strconv.Quote(s)
}

// plain reports whether s can be written as a plain YAML scalar and be read
// back as the same string: it starts with a letter (or is a date or a
// duration), holds
// only letters, digits, spaces and a few harmless marks, does not end in a
// space and is no YAML keyword.
func plain(s string) bool {
	if digitText.MatchString(s) {
		return true
	}
	if s == "" || strings.HasSuffix(s, " ") || strings.Contains(s, "  ") || yamlKeywords[strings.ToLower(s)] {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.Is(unicode.Latin, r):
		case i == 0:
			return false
		case r >= '0' && r <= '9', r == ' ', strings.ContainsRune("_./()-'+–—’", r):
		default:
			return false
		}
	}
	return true
}
