package tdoa

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLocate measures one fix from noisy arrivals at sensors on a
// ring, the source inside it, with and without an echo to reject.
func BenchmarkLocate(b *testing.B) {
	for _, k := range []int{8, 30} {
		for _, echo := range []bool{false, true} {
			name := fmt.Sprintf("arrivals=%d", k)
			if echo {
				name += "/echo"
			}
			b.Run(name, func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, uint64(k)))
				sc := scene{sensors: ring(k, 8000), tempDefault: DefaultTemperatureC, sigmaAll: 0.01}
				sets := make([][]Arrival, 64)
				for i := range sets {
					sets[i] = sc.arrivals(en(origin, 2000, -3000), r)
					if echo {
						sets[i][i%k].Time = sets[i][i%k].Time.Add(500e6)
					}
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := Locate(sets[i%len(sets)], Config{}); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
