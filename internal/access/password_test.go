package access

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"testing"
)

const horse = "correct horse battery staple"

// The known answers come from the reference implementation's command-line
// tool (Debian's argon2 package), such as
//
//	echo -n "correct horse battery staple" | argon2 0123456789abcdef -id -t 2 -k 19456 -p 1 -l 32 -e
func TestHashPasswordKnownAnswer(t *testing.T) {
	const want = "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$gy5SuVm5Z7Vw7keB9se9p87QGcomaseB/S2U1OhTsM0"
	got, err := HashPassword(horse, strings.NewReader("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("HashPassword = %s\nwant           %s", got, want)
	}
	if NeedsRehash(got) {
		t.Errorf("a fresh hash needs rehashing")
	}
}

func TestHashPasswordErrors(t *testing.T) {
	if _, err := HashPassword(horse, strings.NewReader("short")); err == nil || !strings.Contains(err.Error(), "salt") {
		t.Errorf("short random source: err = %v", err)
	}
	a, err := HashPassword(horse, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := HashPassword(horse, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two hashes of one password with random salts are equal")
	}
}

func TestVerifyPassword(t *testing.T) {
	// Hashes with other parameters than HashPassword's, from the
	// reference tool, which VerifyPassword must still read.
	const (
		small = "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHRTT01FU0FMVA$wa2IE7/nxMwV9Df30Jz78fmOXU1/luRyCvkoAYDO72s"
		fresh = "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$gy5SuVm5Z7Vw7keB9se9p87QGcomaseB/S2U1OhTsM0"
	)
	tests := []struct {
		name, encoded, password string
		want                    bool
		wantErr                 string // a substring of the error; "" for none
	}{
		{"right", fresh, horse, true, ""},
		{"wrong", fresh, horse + "!", false, ""},
		{"empty password", fresh, "", false, ""},
		{"other parameters, right", small, horse, true, ""},
		{"other parameters, wrong", small, "Correct horse battery staple", false, ""},

		{"empty", "", horse, false, "malformed"},
		{"argon2i", strings.Replace(small, "argon2id", "argon2i", 1), horse, false, "algorithm"},
		{"bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", horse, false, "malformed"},
		{"old version", strings.Replace(small, "v=19", "v=16", 1), horse, false, "version"},
		{"no version", strings.Replace(small, "$v=19", "", 1), horse, false, "malformed"},
		{"parameters out of order", strings.Replace(small, "m=1024,t=2", "t=2,m=1024", 1), horse, false, "parameters"},
		{"missing parameter", strings.Replace(small, ",p=1", "", 1), horse, false, "parameters"},
		{"extra parameter", strings.Replace(small, "p=1", "p=1,k=2", 1), horse, false, "parameters"},
		{"non-numeric", strings.Replace(small, "t=2", "t=two", 1), horse, false, "parameter t"},
		{"negative", strings.Replace(small, "t=2", "t=-2", 1), horse, false, "parameter t"},
		{"zero time", strings.Replace(small, "t=2", "t=0", 1), horse, false, "time"},
		{"huge time", strings.Replace(small, "t=2", "t=100000", 1), horse, false, "time"},
		{"zero threads", strings.Replace(small, "p=1", "p=0", 1), horse, false, "parallelism"},
		{"too many threads", strings.Replace(small, "p=1", "p=256", 1), horse, false, "parallelism"},
		{"tiny memory", strings.Replace(small, "m=1024", "m=7", 1), horse, false, "memory"},
		{"huge memory", strings.Replace(small, "m=1024", "m=4194304", 1), horse, false, "memory"},
		{"memory over 32 bits", strings.Replace(small, "m=1024", "m=4294967296", 1), horse, false, "parameter m"},
		{"bad salt", strings.Replace(small, "c29tZXNhbHRTT01FU0FMVA", "c29tZXNhbHRTT01FU0FMVA==", 1), horse, false, "salt"},
		{"short salt", strings.Replace(small, "c29tZXNhbHRTT01FU0FMVA", "c2FsdA", 1), horse, false, "salt of 4 bytes"},
		{"bad hash", small + "!", horse, false, "hash"},
		{"short hash", strings.Replace(small, "wa2IE7/nxMwV9Df30Jz78fmOXU1/luRyCvkoAYDO72s", "AAAAAAAAAAA", 1), horse, false, "hash of 8 bytes"},
		{"trailing field", small + "$", horse, false, "malformed"},
		{"leading text", "x" + small, horse, false, "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := VerifyPassword(tc.encoded, tc.password)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if got {
					t.Errorf("true with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("VerifyPassword = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVerifyPasswordTruncatedHash(t *testing.T) {
	// A hash shortened to its first 16 bytes must not verify: the length is
	// read from the stored hash, but a prefix of the key is not the key of
	// another length.
	enc, err := HashPassword(horse, strings.NewReader("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(enc, "$")
	h, err := base64.RawStdEncoding.DecodeString(enc[i+1:])
	if err != nil {
		t.Fatal(err)
	}
	short := enc[:i+1] + base64.RawStdEncoding.EncodeToString(h[:16])
	if ok, err := VerifyPassword(short, horse); err != nil || ok {
		t.Errorf("VerifyPassword(truncated) = %v, %v, want false, nil", ok, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	tests := []struct {
		encoded string
		want    bool
	}{
		{"$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$gy5SuVm5Z7Vw7keB9se9p87QGcomaseB/S2U1OhTsM0", false},
		{"$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHRTT01FU0FMVA$wa2IE7/nxMwV9Df30Jz78fmOXU1/luRyCvkoAYDO72s", true},
		{"", true},
		{"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", true},
	}
	for _, tc := range tests {
		if got := NeedsRehash(tc.encoded); got != tc.want {
			t.Errorf("NeedsRehash(%q) = %v, want %v", tc.encoded, got, tc.want)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name, pw string
		wantErr  string // a substring of the error; "" for none
	}{
		{"empty", "", "0 characters long; it must have at least 12"},
		{"eleven", "abcdefghijk", "11 characters"},
		{"twelve", "abcdefghijkl", ""},
		{"passphrase", horse, ""},
		{"twelve non-ASCII characters", strings.Repeat("é", 12), ""},
		{"eleven non-ASCII characters in 22 bytes", strings.Repeat("é", 11), "11 characters"},
		{"longest", strings.Repeat("a", MaxPasswordLen), ""},
		{"too long", strings.Repeat("a", MaxPasswordLen+1), "at most 1024"},
		{"not UTF-8", "abcdefghijkl\xff", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPassword(tc.pw)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if tc.pw != "" && strings.Contains(err.Error(), tc.pw) {
				t.Errorf("the error contains the password")
			}
		})
	}
}
