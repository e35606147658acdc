package trigger

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// The keys of a finding as a condition sees it, in the order of
// findingValue.vals.
const (
	keyID = iota
	keyType
	keyParty
	keySeverity
	keyTime
	keyClause
	keyRegion
	findingKeys
)

// keyName is the name of a key.
func keyName(k int) string {
	return [findingKeys]string{"id", "type", "party", "severity", "time", "clause", "region"}[k]
}

// keyIndex is the key of a name, -1 for none.
func keyIndex(s string) int {
	switch s {
	case "id":
		return keyID
	case "type":
		return keyType
	case "party":
		return keyParty
	case "severity":
		return keySeverity
	case "time":
		return keyTime
	case "clause":
		return keyClause
	case "region":
		return keyRegion
	}
	return -1
}

// findingValue is a finding as a condition sees it: a map(string, dyn)
// with a fixed set of keys. Its values are converted on first access and
// kept for the rest of the evaluation, which is not concurrent.
type findingValue struct {
	f    *Finding
	vals [findingKeys]ref.Val
	keys traits.Lister // the key names, shared by the findings of an evaluation
}

// val returns the value of a key.
func (v *findingValue) val(k int) ref.Val {
	if x := v.vals[k]; x != nil {
		return x
	}
	var x ref.Val
	switch k {
	case keyID:
		x = types.String(v.f.ID)
	case keyType:
		x = types.String(v.f.Type)
	case keyParty:
		x = types.String(v.f.Party)
	case keySeverity:
		x = types.String(v.f.Severity)
	case keyTime:
		x = types.Timestamp{Time: v.f.Time.UTC()}
	case keyClause:
		x = types.String(v.f.Clause)
	case keyRegion:
		x = types.String(v.f.Region)
	}
	v.vals[k] = x
	return x
}

var _ traits.Mapper = (*findingValue)(nil)

// ConvertToNative implements ref.Val: a finding converts to a map[string]any.
func (v *findingValue) ConvertToNative(t reflect.Type) (any, error) {
	m := v.Value()
	if reflect.TypeOf(m).AssignableTo(t) {
		return m, nil
	}
	return nil, fmt.Errorf("a finding does not convert to %v", t)
}

// ConvertToType implements ref.Val.
func (v *findingValue) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.MapType:
		return v
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from map to '%s'", t)
}

// Equal implements ref.Val: equal to a map with the same keys and values.
func (v *findingValue) Equal(other ref.Val) ref.Val {
	o, ok := other.(traits.Mapper)
	if !ok || o.Size() != types.Int(findingKeys) {
		return types.False
	}
	for k := range findingKeys {
		ov, found := o.Find(types.String(keyName(k)))
		if !found || v.val(k).Equal(ov) != types.True {
			return types.False
		}
	}
	return types.True
}

// Type implements ref.Val.
func (v *findingValue) Type() ref.Type { return types.MapType }

// Value implements ref.Val: the finding as a map[string]any.
func (v *findingValue) Value() any {
	return map[string]any{
		"id": v.f.ID, "type": v.f.Type, "party": v.f.Party, "severity": v.f.Severity,
		"time": v.f.Time.UTC(), "clause": v.f.Clause, "region": v.f.Region,
	}
}

// Contains implements traits.Container: whether the finding has the key.
func (v *findingValue) Contains(key ref.Val) ref.Val {
	val, found := v.Find(key)
	if !found && val != nil {
		return val
	}
	return types.Bool(found)
}

// Get implements traits.Indexer.
func (v *findingValue) Get(key ref.Val) ref.Val {
	val, found := v.Find(key)
	if found {
		return val
	}
	if val != nil {
		return val
	}
	return types.NewErr("no such key: %v", key)
}

// Iterator implements traits.Iterable: over the key names.
func (v *findingValue) Iterator() traits.Iterator { return v.keys.Iterator() }

// Size implements traits.Sizer.
func (v *findingValue) Size() ref.Val { return types.Int(findingKeys) }

// Find implements traits.Mapper.
func (v *findingValue) Find(key ref.Val) (ref.Val, bool) {
	s, ok := key.(types.String)
	if !ok {
		if types.IsUnknownOrError(key) {
			return key, false
		}
		return nil, false
	}
	if k := keyIndex(string(s)); k >= 0 {
		return v.val(k), true
	}
	return nil, false
}

// findingList is the findings as a condition sees them: a list whose
// iterator hands out the findings without converting an index per step.
type findingList struct {
	traits.Lister
	vals []findingValue
}

// Iterator implements traits.Iterable.
func (l *findingList) Iterator() traits.Iterator { return &findingIterator{vals: l.vals} }

// findingIterator iterates over a findingList.
type findingIterator struct {
	vals []findingValue
	next int
}

// HasNext implements traits.Iterator.
func (it *findingIterator) HasNext() ref.Val { return types.Bool(it.next < len(it.vals)) }

// Next implements traits.Iterator.
func (it *findingIterator) Next() ref.Val {
	if it.next >= len(it.vals) {
		return types.NewErr("no more findings")
	}
	it.next++
	return &it.vals[it.next-1]
}

// ConvertToNative implements ref.Val: an iterator converts to nothing.
func (it *findingIterator) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("an iterator does not convert to %v", t)
}

// ConvertToType implements ref.Val.
func (it *findingIterator) ConvertToType(ref.Type) ref.Val {
	return types.NewErr("an iterator does not convert")
}

// Equal implements ref.Val.
func (it *findingIterator) Equal(ref.Val) ref.Val { return types.NewErr("an iterator is not compared") }

// Type implements ref.Val.
func (it *findingIterator) Type() ref.Type { return types.IteratorType }

// Value implements ref.Val.
func (it *findingIterator) Value() any { return nil }
