package pcscdtest

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMissingBinaries(t *testing.T) {
	t.Parallel()
	err := errors.New("pcscdtest: missing pcscd (Debian package pcscd)")
	for _, tc := range []struct {
		ci   string
		skip bool
	}{{"", true}, {"false", true}, {"0", true}, {"true", false}, {"1", false}, {"yes", false}} {
		skip, msg := missing(err, tc.ci)
		require.Equal(t, tc.skip, skip, "CI=%q", tc.ci)
		require.Contains(t, msg, "missing pcscd")
		if !skip {
			require.Contains(t, msg, "CI is set")
		}
	}
}

func TestBinariesReportWhatIsMissing(t *testing.T) {
	// Not parallel: it swaps the search paths.
	saved := []string{}
	saved = append(saved, driverPaths...)
	driverPaths = []string{"/nonexistent/libifdvpcd.so"}
	t.Cleanup(func() { driverPaths = saved })
	_, _, _, err := Binaries()
	require.ErrorContains(t, err, "vsmartcard-vpcd")
}

// TestFreePortPair: two consecutive ports, both in range. (Whether they
// are still free when pcscd binds them is a race no check here can close;
// Start retries with another pair when pcscd cannot bind.)
func TestFreePortPair(t *testing.T) {
	p, err := freePortPair()
	require.NoError(t, err)
	require.Greater(t, p, 1023)
	require.LessOrEqual(t, p+1, 0xFFFF)
}

func itoa(i int) string { return strconv.Itoa(i) }
