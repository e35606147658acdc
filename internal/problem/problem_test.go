package problem

import "testing"

func TestError(t *testing.T) {
	tests := []struct {
		name string
		l    List
		want string
	}{
		{"none", nil, "no problems"},
		{"one", List{{Field: "parties[1].side", Reason: "unknown side"}}, "parties[1].side: unknown side"},
		{"whole document", List{{Reason: "empty file"}}, "empty file"},
		{"two", List{{Field: "a", Reason: "x"}, {Reason: "y"}}, "2 problems:\n\ta: x\n\ty"},
	}
	for _, tt := range tests {
		if got := tt.l.Error(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestAddUnderJoinHas(t *testing.T) {
	var inner List
	inner.Add("allocated", "must be at most committed (%d)", 5)
	inner.Add("[2]", "repeated")
	inner.Add("", "no deliveries")
	var l List
	l.Under("commitments[3]", inner)
	want := []string{"commitments[3].allocated", "commitments[3][2]", "commitments[3]"}
	if len(l) != len(want) {
		t.Fatalf("%d problems, want %d: %v", len(l), len(want), l)
	}
	for i, w := range want {
		if l[i].Field != w {
			t.Errorf("problem %d field %q, want %q", i, l[i].Field, w)
		}
	}
	if l[0].Reason != "must be at most committed (5)" {
		t.Errorf("reason %q", l[0].Reason)
	}
	if !l.Has("commitments[3][2]") || l.Has("allocated") {
		t.Errorf("Has: %v", l)
	}
	for _, tt := range []struct{ path, field, want string }{
		{"", "a", "a"}, {"a", "b", "a.b"}, {"a", "[0]", "a[0]"}, {"", "[0]", "[0]"},
	} {
		if got := Join(tt.path, tt.field); got != tt.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tt.path, tt.field, got, tt.want)
		}
	}
}
