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

// TestCardPresent reads the card events of logs pcscd 1.9 printed.
func TestCardPresent(t *testing.T) {
	t.Parallel()
	const (
		ready    = "00000218 pcscdaemon.c:666:main() pcsc-lite 1.9.9 daemon ready.\n"
		atr      = "00111365 Card ATR: 3B 80 80 01 01 \n"
		inserted = "00200000 eventhandler.c:418:EHStatusHandlerThread() Card inserted into Virtual PCD 00 00\n"
		removed  = "00000002 eventhandler.c:358:EHStatusHandlerThread() Card Removed From Virtual PCD 00 00\n"
		other    = "00200000 eventhandler.c:418:EHStatusHandlerThread() Card inserted into Virtual PCD 00 01\n"
	)
	for _, tc := range []struct {
		name   string
		log    string
		reader string
		want   bool
	}{
		{"nothing yet", ready, ReaderName, false},
		{"inserted", ready + inserted + atr, ReaderName, true},
		{"inserted then removed", ready + inserted + atr + removed, ReaderName, false},
		{"removed then inserted again", ready + inserted + atr + removed + inserted + atr, ReaderName, true},
		// CI's log: the polling thread's first look found the card.
		{"present at the first look", ready + atr, ReaderName, true},
		{"present at the first look, then removed", ready + atr + removed, ReaderName, false},
		{"the first look's ATR is not the second slot's", ready + atr, "Virtual PCD 00 01", false},
		{"the second slot's insertion", ready + other + atr, ReaderName, false},
		{"the second slot's insertion, asked for it", ready + other + atr, "Virtual PCD 00 01", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, cardPresent(tc.log, tc.reader))
		})
	}
}
