package accounts_test

import (
	"net/mail"
	"testing"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// FuzzNormalizeEmail: whatever a citizen types, an accepted address is one
// bare address that reads back as itself, no longer than RFC 5321 allows,
// and normalising it again changes nothing.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@b.vn", " An.Le@Example.VN ", "A <a@b.vn>", "a@b.vn, c@d.vn", "\"a b\"@c.vn", "a@[127.0.0.1]", "ä@ü.vn"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := accounts.NormalizeEmail(in)
		if err != nil {
			return
		}
		a, perr := mail.ParseAddress(got)
		if perr != nil || a.Address != got || a.Name != "" || len(got) > 254 {
			t.Fatalf("NormalizeEmail(%q) = %q, not one bare address", in, got)
		}
		again, err := accounts.NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, got, again, err)
		}
	})
}
