package main

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFormFields: a browser submits a form's hidden inputs and its ticked,
// enabled checkboxes, and nothing from other forms.
func TestFormFields(t *testing.T) {
	page := []byte(`<form method="post" action="/other"><input type="hidden" name="x" value="1"></form>
<form method="post" action="/consent">
  <input type="hidden" name="csrf_token" value="a&#43;b">
  <input type="hidden" name="challenge" value="c1">
  <input type="checkbox" id="claim-name" checked disabled>
  <input type="checkbox" id="claim-address" name="claim" value="address" checked>
  <input type="checkbox" id="claim-nationality" name="claim" value="nationality">
  <input type="text" name="code">
  <button type="submit" name="action" value="approve">OK</button>
</form>`)
	for _, tc := range []struct {
		name, action string
		want         url.Values
		ok           bool
	}{
		{"consent", "/consent", url.Values{"csrf_token": {"a+b"}, "challenge": {"c1"}, "claim": {"address"}}, true},
		{"other form", "/other", url.Values{"x": {"1"}}, true},
		{"no such form", "/login", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := formFields(page, tc.action)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestReadCitizens(t *testing.T) {
	p := filepath.Join(t.TempDir(), "citizens.txt")
	require.NoError(t, os.WriteFile(p, []byte("# id password secret\n\n001085000001 Demo@12345\tJBSWY3DP\n"), 0o600))
	got, err := readCitizens(p)
	require.NoError(t, err)
	require.Equal(t, []citizen{{"001085000001", "Demo@12345", "JBSWY3DP"}}, got)

	require.NoError(t, os.WriteFile(p, []byte("001085000001 Demo@12345\n"), 0o600))
	_, err = readCitizens(p)
	require.ErrorContains(t, err, ":1: want")
}

// TestReadStat reads this process's own /proc entry (Linux).
func TestReadStat(t *testing.T) {
	st, err := readStat(os.Getpid())
	require.NoError(t, err)
	require.Equal(t, os.Getppid(), st.ppid)
	require.GreaterOrEqual(t, st.utime+st.stime, st.utime)
	_, err = postmasterPID(t.TempDir())
	require.Error(t, err)
}
