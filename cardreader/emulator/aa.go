package emulator

import (
	"github.com/dinhdanh/dinhdanh/cardreader"
)

// internalAuthenticate signs (SignActiveAuth, issuer.go) the terminal's 8-byte challenge with the
// Active Authentication key (ICAO 9303-11 §6.1).
func (c *Card) internalAuthenticate(cmd cardreader.Command) ([]byte, uint16) {
	if c.aaKey == nil {
		return nil, cardreader.SWINSNotSupported
	}
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return nil, cardreader.SWIncorrectP1P2
	}
	if len(cmd.Data) != cardreader.ChallengeSize {
		return nil, cardreader.SWWrongLength
	}
	sig, err := SignActiveAuth(c.aaKey, c.aaHash, cmd.Data, c.rand)
	if err != nil {
		return nil, 0x6F00
	}
	return sig, cardreader.SWOK
}
