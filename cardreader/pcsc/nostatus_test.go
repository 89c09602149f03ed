package pcsc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// An answer without a status word is a card that went away mid-command
// (vpcd's driver reports it so; internal/pcscdtest shows it end to end).
func TestNoStatusWordIsCardRemoved(t *testing.T) {
	t.Parallel()
	c := &Card{c: &emuCard{err: errNoStatusWord}}
	_, err := c.Transmit(t.Context(), []byte{0, 0xA4, 4, 0x0C})
	require.ErrorIs(t, err, ErrCardRemoved)
	require.ErrorIs(t, err, errNoStatusWord)
}
