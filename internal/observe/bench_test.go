package observe

import "testing"

func BenchmarkDecode(b *testing.B) {
	data, _ := Marshal(validAcoustic())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, errs := Decode(data, Checks{}); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	o := validAcoustic()
	for b.Loop() {
		if _, err := Marshal(o); err != nil {
			b.Fatal(err)
		}
	}
}
