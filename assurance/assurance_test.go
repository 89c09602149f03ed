package assurance_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dinhdanh/dinhdanh/assurance"
)

func TestACRRoundTrip(t *testing.T) {
	tests := []struct {
		level assurance.Level
		acr   string
	}{
		{assurance.Level1, "urn:vn:eid:loa:1"},
		{assurance.Level2, "urn:vn:eid:loa:2"},
	}
	for _, tc := range tests {
		t.Run(tc.acr, func(t *testing.T) {
			assert.Equal(t, tc.acr, tc.level.ACR())
			l, ok := assurance.ParseACR(tc.acr)
			assert.True(t, ok)
			assert.Equal(t, tc.level, l)
		})
	}
	for _, bad := range []string{"", "urn:vn:eid:loa:0", "urn:vn:eid:loa:3", "URN:VN:EID:LOA:1", "1"} {
		_, ok := assurance.ParseACR(bad)
		assert.False(t, ok, bad)
	}
	assert.Empty(t, assurance.None.ACR(), "no acr for an unidentified account")
	assert.Empty(t, assurance.Level(3).ACR())
	assert.Equal(t, []string{assurance.ACR1, assurance.ACR2}, assurance.Supported())
}

func TestOfIsTheLowerOfAccountAndStrength(t *testing.T) {
	tests := []struct {
		name              string
		account, strength assurance.Level
		want              assurance.Level
	}{
		{"level 2 account, password only", assurance.Level2, assurance.Level1, assurance.Level1},
		{"level 2 account, second factor", assurance.Level2, assurance.Level2, assurance.Level2},
		{"level 1 account, second factor", assurance.Level1, assurance.Level2, assurance.Level1},
		{"unidentified account", assurance.None, assurance.Level2, assurance.None},
		{"nothing proven", assurance.Level2, assurance.None, assurance.None},
		{"negative never leaks", assurance.Level(-1), assurance.Level2, assurance.None},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, assurance.Of(tc.account, tc.strength))
		})
	}
}

func TestSatisfiesAndValid(t *testing.T) {
	assert.True(t, assurance.Level2.Satisfies(assurance.Level1), "level 2 satisfies a request for level 1")
	assert.True(t, assurance.Level1.Satisfies(assurance.Level1))
	assert.False(t, assurance.Level1.Satisfies(assurance.Level2))
	assert.False(t, assurance.None.Satisfies(assurance.Level1))
	for l, want := range map[assurance.Level]bool{-1: false, 0: true, 1: true, 2: true, 3: false} {
		assert.Equal(t, want, l.Valid(), l)
	}
	assert.Equal(t, assurance.Level2, assurance.Max(assurance.Level1, assurance.Level2))
	assert.Equal(t, "2", assurance.Level2.String())
}
