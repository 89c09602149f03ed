package accounts

import "context"

// LocalityFigures are the accounts of the people who live in one province:
// how many registered, how many activated (and so counted), and how many
// reached level 2. Localities track activation against registration
// (e.g. 4.2 million registered, 1.4 million activated: 33.7%).
type LocalityFigures struct {
	Province   string `json:"province"`
	Registered int64  `json:"registered"`
	Activated  int64  `json:"activated"`
	Level2     int64  `json:"level2"`
	Locked     int64  `json:"locked"`
}

// ActivationRate is activated / registered, in percent (0 with none).
func (f LocalityFigures) ActivationRate() float64 {
	if f.Registered == 0 {
		return 0
	}
	return 100 * float64(f.Activated) / float64(f.Registered)
}

// Reports answers operators' questions about accounts in aggregate; it never
// returns anyone's data.
type Reports interface {
	// ActivationByProvince lists every province of residence with accounts,
	// by name; people without a recorded residence come under "".
	ActivationByProvince(ctx context.Context) ([]LocalityFigures, error)
}
