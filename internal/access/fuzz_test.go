package access

import (
	"testing"
)

// FuzzVerifyPassword feeds arbitrary stored hashes to VerifyPassword, as a
// damaged or planted users row would: it must never panic, and it must
// never accept a password for a string that is not a well-formed hash.
func FuzzVerifyPassword(f *testing.F) {
	for _, seed := range []string{
		"$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$yVbVXTr2PO6+i5Q7Vl6Sda4nXnMFeSdT0jnEEFDwmZ0",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2i$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$aGFzaA",
		"$argon2id$v=18$m=1024,t=1,p=1$$",
		"",
		"$",
		"plain text",
	} {
		f.Add(seed, "password")
	}
	f.Fuzz(func(t *testing.T, encoded, password string) {
		ok, err := VerifyPassword(encoded, password)
		if err != nil && ok {
			t.Fatalf("VerifyPassword(%q) = true with error %v", encoded, err)
		}
		NeedsRehash(encoded)
	})
}
