package accounts_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// FuzzNormalizeEmail: whatever a citizen types, an accepted address is
// plain (no name, no angle brackets, no spaces), bounded, normalises to
// itself, and its mask shows no more than its first letter and domain.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"an@example.vn", " An.Nguyen@Example.VN ", "An <an@example.vn>", "a@b", "\"a b\"@x.vn", "@x.vn"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := accounts.NormalizeEmail(s)
		if err != nil {
			return
		}
		if len(out) > 254 || strings.ContainsAny(out, "<> \t\r\n") && !strings.HasPrefix(out, "\"") {
			t.Fatalf("accepted %q as %q", s, out)
		}
		again, err := accounts.NormalizeEmail(out)
		if err != nil || again != out {
			t.Fatalf("not stable: %q → %q → %q, %v", s, out, again, err)
		}
		m := accounts.MaskEmail(out)
		if !strings.HasSuffix(out, m[strings.LastIndexByte(m, '@'):]) {
			t.Fatalf("mask %q of %q", m, out)
		}
	})
}

// FuzzApproxAddress: an approximate address is a prefix of at most /24
// (IPv4) or /48 (IPv6) that holds the address, or nothing.
func FuzzApproxAddress(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "2001:db8::1", "::ffff:192.0.2.1", "fe80::1%eth0", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := accounts.ApproxAddress(s)
		if out == "" {
			return
		}
		p, err := netip.ParsePrefix(out)
		if err != nil || (p.Addr().Is4() && p.Bits() != 24) || (!p.Addr().Is4() && p.Bits() != 48) {
			t.Fatalf("%q → %q", s, out)
		}
		a, _ := netip.ParseAddr(s)
		if !p.Contains(a.Unmap().WithZone("")) {
			t.Fatalf("%q not in %q", s, out)
		}
	})
}
