package sharing

import (
	"fmt"
	"slices"
	"strings"
)

// Select is what a holder does before showing a credential: it keeps the
// disclosures of the named attributes and drops the others. The issuer's
// signature covers only digests, so the result still verifies and discloses
// less (RFC 9901 §5). It does not check the signature; unreadable
// disclosures are an ErrMalformed error.
func Select(token string, keep []string) (string, error) {
	parts := strings.Split(strings.TrimSpace(token), "~")
	if len(parts) < 2 || parts[len(parts)-1] != "" {
		return "", fmt.Errorf("%w: not an SD-JWT without key binding", ErrMalformed)
	}
	out := []string{parts[0]}
	for i, d := range parts[1 : len(parts)-1] {
		name, _, err := decodeDisclosure(d)
		if err != nil {
			return "", fmt.Errorf("%w: disclosure %d: %v", ErrMalformed, i+1, err)
		}
		if slices.Contains(keep, name) {
			out = append(out, d)
		}
	}
	return strings.Join(out, "~") + "~", nil
}
