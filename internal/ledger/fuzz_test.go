package ledger

import (
	"bytes"
	"testing"
)

// FuzzParseCheckpoint checks that ParseCheckpoint never panics, that whatever
// it accepts is valid and is exactly the canonical form of the result, and
// that the result survives Marshal and ParseCheckpoint again.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("guarantor.example.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		cp, err := ParseCheckpoint(body)
		if err != nil {
			return
		}
		if err := cp.Validate(); err != nil {
			t.Fatalf("parsed checkpoint is invalid: %v", err)
		}
		out := cp.Marshal()
		if !bytes.Equal(out, body) {
			t.Fatalf("Marshal(Parse(%q)) = %q", body, out)
		}
		cp2, err := ParseCheckpoint(out)
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if cp2.Origin != cp.Origin || cp2.Size != cp.Size || !bytes.Equal(cp2.Root, cp.Root) || len(cp2.Extensions) != len(cp.Extensions) {
			t.Fatalf("reparse = %+v, want %+v", cp2, cp)
		}
	})
}
