package label

import (
	"testing"
)

// FuzzParseScheme feeds arbitrary bytes to ParseScheme: it must never
// panic, and a scheme it accepts must validate and judge labels without
// panicking.
func FuzzParseScheme(f *testing.F) {
	for _, seed := range []string{
		"levels: [PUBLIC, RESTRICTED, CONFIDENTIAL, SECRET]\npublic: PUBLIC\n",
		`{"levels":["OFFICIAL","SECRET"]}`,
		"levels: []\n",
		"levels: [A, A]\n",
		"public: X\n",
		"levels: [PUBLIC]\npublic: PUBLIC\nextra: 1\n",
		"\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseScheme(data)
		if err != nil {
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseScheme accepted a scheme that does not validate: %v", err)
		}
		for _, c := range s.Levels {
			if !s.Covers(c, c) {
				t.Fatalf("level %q does not cover itself", c)
			}
			s.Check(Label{Classification: c, RelTo: []string{"FRA"}})
			s.Covered(c)
		}
	})
}
