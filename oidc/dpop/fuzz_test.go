package dpop_test

import (
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/oidc/dpop"
)

// FuzzVerify feeds arbitrary DPoP header values to Check: it must never
// panic, and whatever it accepts carries a thumbprint and a jti.
func FuzzVerify(f *testing.F) {
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiZHBvcCtqd3QifQ.eyJqdGkiOiJ4In0.")
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6IjdjN2ZMTy1uOGZlTjJ0WjhyUjRYU2U0dEdjRHNCZzFUTTlFWTBGQnpvQUkiLCJ5IjoiYmZZNkdtS2JUV2Y4S2ZPbGZVUV9sRzhRY3ViRVhpQ0hpWUdKZV96QWYwUSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJqMSIsImh0bSI6IlBPU1QiLCJodHUiOiJodHRwczovL2lkLmV4YW1wbGUudm4vdG9rZW4iLCJpYXQiOjE3OTk1MzkyMDB9.AAAA")
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	v := &dpop.Verifier{Nonces: dpop.NewNonces(make([]byte, 32), func() time.Time { return now }), Now: func() time.Time { return now }}
	f.Fuzz(func(t *testing.T, proof string) {
		c, err := v.Check(dpop.Request{Proof: proof, Method: "POST", URL: "https://id.example.vn/token", AccessToken: "at", RequireNonce: true})
		if err == nil && (c.JKT == "" || c.JTI == "") {
			t.Fatalf("accepted without jkt or jti: %+v", c)
		}
	})
}
