package foreigners

import (
	"context"
	"errors"
	"fmt"

	"github.com/dinhdanh/dinhdanh/attributes"
)

// People is the attributes registry that knows foreigners: the population
// registry, with what the foreigners' registry holds about a foreigner laid
// over it (passport, residence permit, nationality from the passport). A
// foreigner the population registry does not hold is read from the
// foreigners' registry alone. Citizens (nationality VN in the population
// registry) cost no second lookup.
type People struct {
	Population attributes.Registry
	Foreigners Registry
}

var _ attributes.Registry = People{}

// Person implements attributes.Registry.
func (p People) Person(ctx context.Context, id string) (attributes.Person, error) {
	person, err := p.Population.Person(ctx, id)
	switch {
	case err == nil && (person.Nationality == "VN" || person.Nationality == ""):
		return person, nil
	case err != nil && !errors.Is(err, attributes.ErrNotFound):
		return attributes.Person{}, err
	}
	inPopulation := err == nil
	r, ferr := p.Foreigners.ByID(ctx, id)
	if errors.Is(ferr, ErrNotFound) {
		if inPopulation {
			return person, nil
		}
		return attributes.Person{}, attributes.ErrNotFound
	}
	if ferr != nil {
		return attributes.Person{}, fmt.Errorf("foreigners: person: %w", ferr)
	}
	fp := r.Person()
	if !inPopulation {
		return fp, nil
	}
	if fp.Nationality != "" {
		person.Nationality = fp.Nationality
	}
	person.PassportNo = r.PassportNo
	return withDocuments(person, r), nil
}

// Dependents implements attributes.Registry: the population registry's.
func (p People) Dependents(ctx context.Context, id string) ([]attributes.Dependent, error) {
	return p.Population.Dependents(ctx, id)
}

func withDocuments(p attributes.Person, r Resident) attributes.Person {
	p.Passport = &attributes.Passport{Number: r.PassportNo, IssuingCountry: r.IssuingCountry, Expiry: r.PassportExpiry}
	p.ResidencePermit = &attributes.ResidencePermit{Kind: string(r.PermitKind), Number: r.PermitNumber, Expiry: r.PermitExpiry}
	return p
}
