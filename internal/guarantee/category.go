package guarantee

// Category is what a commitment provides.
type Category string

// The categories of commitment.
const (
	AirDefence          Category = "air_defence"
	ArtilleryAmmunition Category = "artillery_ammunition"
	Armour              Category = "armour"
	Aviation            Category = "aviation"
	Naval               Category = "naval"
	Drones              Category = "drones"
	IntelligenceSharing Category = "intelligence_sharing"
	Training            Category = "training"
	Logistics           Category = "logistics"
	CyberDefence        Category = "cyber_defence"
	Demining            Category = "demining"
	DefenceIndustry     Category = "defence_industry"
	Financial           Category = "financial"
	Humanitarian        Category = "humanitarian"
	Sanctions           Category = "sanctions"
	Diplomatic          Category = "diplomatic"
)

// categoryTitles holds every category, in the order of docs/guarantees.md,
// with its title.
var categoryTitles = [...]struct {
	c     Category
	title string
}{
	{AirDefence, "Air defence"},
	{ArtilleryAmmunition, "Artillery ammunition"},
	{Armour, "Armour"},
	{Aviation, "Aviation"},
	{Naval, "Naval"},
	{Drones, "Drones"},
	{IntelligenceSharing, "Intelligence sharing"},
	{Training, "Training"},
	{Logistics, "Logistics"},
	{CyberDefence, "Cyber defence"},
	{Demining, "Demining"},
	{DefenceIndustry, "Defence industry"},
	{Financial, "Financial"},
	{Humanitarian, "Humanitarian"},
	{Sanctions, "Sanctions"},
	{Diplomatic, "Diplomatic"},
}

// Categories returns every category, in the order of docs/guarantees.md.
func Categories() []Category {
	out := make([]Category, len(categoryTitles))
	for i, ct := range categoryTitles {
		out[i] = ct.c
	}
	return out
}

// Known reports whether c is one of Categories.
func (c Category) Known() bool {
	return c.Title() != ""
}

// Title returns c's name for people, such as "Air defence"; "" for an
// unknown category.
func (c Category) Title() string {
	for _, ct := range categoryTitles {
		if ct.c == c {
			return ct.title
		}
	}
	return ""
}
