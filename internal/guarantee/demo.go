package guarantee

import (
	_ "embed"
	"fmt"
)

// demoYAML is the demonstration registry (demo.yaml).
//
//go:embed demo.yaml
var demoYAML []byte

// Demo returns a demonstration registry: about thirty guarantors shaped
// like the coalition (European nations, the United Kingdom, Canada,
// Australia, Japan, Türkiye, the United States, the EU and NATO),
// bilateral instruments shaped like the 2024 security agreements with
// Ukraine, each with a clause to consult within 24 hours after a verified
// major attack by party B of the simulated terms, a political multilateral
// declaration and a multinational force arrangement, and commitments in
// every category. Every instrument and commitment is illustrative: the
// figures are invented, not real pledges. Each call returns a fresh copy.
func Demo() Registry {
	r, err := ParseYAML(demoYAML, "demo.yaml")
	if err != nil {
		// demo.yaml is part of the package and tested: this is a bug.
		panic(fmt.Sprintf("guarantee: the embedded demonstration registry is invalid: %v", err))
	}
	return r
}
