package accounts

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testParams keep tests fast; production uses DefaultArgon2Params.
var testParams = Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerifyPassword(t *testing.T) {
	h, err := HashPassword("Mật khẩu đúng 1", testParams)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$"), h)
	h2, err := HashPassword("Mật khẩu đúng 1", testParams)
	require.NoError(t, err)
	require.NotEqual(t, h, h2, "salts must differ")

	ok, rehash, err := VerifyPassword("Mật khẩu đúng 1", h, testParams)
	require.NoError(t, err)
	require.True(t, ok)
	require.False(t, rehash)

	ok, _, err = VerifyPassword("Mật khẩu sai 1", h, testParams)
	require.NoError(t, err)
	require.False(t, ok)

	stronger := testParams
	stronger.Time = 2
	ok, rehash, err = VerifyPassword("Mật khẩu đúng 1", h, stronger)
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, rehash, "parameters changed: rehash")

	_, rehash, err = VerifyPassword("Mật khẩu sai 1", h, stronger)
	require.NoError(t, err)
	require.False(t, rehash, "never ask to rehash on a wrong password")
}

func TestVerifyPasswordRejectsMalformedHashes(t *testing.T) {
	good, err := HashPassword("password-1", testParams)
	require.NoError(t, err)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":       "",
		"bcrypt":      "$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234",
		"argon2i":     strings.Replace(good, "argon2id", "argon2i", 1),
		"version":     strings.Replace(good, "v=19", "v=16", 1),
		"params":      strings.Replace(good, "m=64,t=1,p=1", "m=x,t=1,p=1", 1),
		"zero time":   strings.Replace(good, "t=1", "t=0", 1),
		"huge memory": strings.Replace(good, "m=64", "m=99999999", 1),
		"salt":        strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"short key":   strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "YWJj"}, "$"),
		"extra part":  good + "$x",
	} {
		t.Run(name, func(t *testing.T) {
			ok, _, err := VerifyPassword("password-1", h, testParams)
			require.ErrorIs(t, err, ErrMalformedHash)
			require.False(t, ok)
		})
	}
}

func TestPasswordRules(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short1":                 false,
		"12345678901":            false,
		"Dài đủ tám":             true,
		"correct horse":          true,
		strings.Repeat("a", 257): false,
	} {
		err := CheckPasswordRules(pw)
		if ok {
			require.NoError(t, err, pw)
		} else {
			require.ErrorIs(t, err, ErrWeakPassword, pw)
		}
	}
}

func TestTOTPSealBindsAccount(t *testing.T) {
	c, err := newTOTPCipher(make([]byte, 32))
	require.NoError(t, err)
	sealed, err := c.seal("account-a", "JBSWY3DPEHPK3PXP")
	require.NoError(t, err)
	require.NotContains(t, string(sealed), "JBSWY3DPEHPK3PXP")
	got, err := c.open("account-a", sealed)
	require.NoError(t, err)
	require.Equal(t, "JBSWY3DPEHPK3PXP", got)
	_, err = c.open("account-b", sealed)
	require.Error(t, err, "a secret moved to another account must not open")
	_, err = newTOTPCipher(make([]byte, 16))
	require.Error(t, err)
}

func TestLockoutPolicyGrows(t *testing.T) {
	p := DefaultLockoutPolicy
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	th := Throttle{ThrottleKey: ThrottleKey{Scope: ScopeAccount, Key: "x"}}
	var locks []int
	for round := range 3 {
		for i := 1; i <= 5; i++ {
			until, locked := p.fail(&th, now)
			require.Equal(t, i == 5, locked, "round %d failure %d", round, i)
			if locked {
				locks = append(locks, int(until.Sub(now).Minutes()))
				now = until
			}
		}
	}
	require.Equal(t, []int{15, 30, 60}, locks)

	// After a day without trouble, the next lock is short again.
	now = now.Add(25 * 60 * 60 * 1e9)
	for i := 1; i <= 5; i++ {
		until, locked := p.fail(&th, now)
		if locked {
			require.Equal(t, 15.0, until.Sub(now).Minutes())
		}
	}
}

func TestIPKey(t *testing.T) {
	require.Equal(t, "192.0.2.7", ipKey("192.0.2.7"))
	require.Equal(t, "192.0.2.7", ipKey("::ffff:192.0.2.7"))
	require.Equal(t, "2001:db8:1:2::/64", ipKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"))
	require.Equal(t, ipKey("2001:db8:1:2::1"), ipKey("2001:db8:1:2::2"))
}
