// Command cardreader reads a chip ID card (CCCD) at a counter through
// pcscd and prints what it found, or enrols it at the gateway.
//
//	cardreader read  [--socket PATH] [--reader NAME] [--wait D] (--can CAN | --mrz-key DOCNO,DOB,EXPIRY)
//	                 [--face FILE] [--trust PATH]
//	cardreader enrol --gateway URL --token ddo_... [--socket PATH] [--reader NAME]
//	                 (--can CAN | --mrz-key DOCNO,DOB,EXPIRY) [--passport]
//	cardreader virtual --card DIR [--addr HOST:PORT]
//
// read prints the card's identity and each check that was really made, as
// JSON; the checks not made are listed as such, never reported as passed.
// With --trust (the CSCA list: a master list, a PEM bundle or a folder) it
// runs passive authentication (the SOD's signer chains to a trusted CSCA,
// every data group matches its hash) and active authentication (the chip
// signs a challenge the reader drew with its DG15 key, so a copy fails);
// a failure is reported in the JSON and ends the command with exit code 1.
// The portrait never goes into the JSON: with --face, DG2's image is
// written to FILE (checked against EF.SOD too with --trust).
//
// enrol asks the gateway for a challenge, reads the card and sends the chip
// data (never DG3, and DG2 only for a passport: the gateway shows a
// foreigner's chip portrait to the officer; --passport insists on one) to
// the gateway, then
// prints the gateway's answer:
// a refused read (422) too, with every check, and the command then fails
// naming the failed ones.
//
// virtual puts a card folder (the demo cards of `dinhdanh dev`) into
// pcscd's vpcd reader as a software card, until interrupted.
//
// The PC/SC client is cardreader/pcsc (pure Go, pcscd protocol 4:4).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `cardreader: read a chip ID card (CCCD) or passport through pcscd

Usage:
  cardreader read  [--socket PATH] [--reader NAME] (--can CAN | --mrz-key DOCNO,DOB,EXPIRY)
                   [--face FILE] [--trust PATH]
        print the card's identity and every check made, as JSON; --trust
        (a CSCA master list, PEM bundle or folder) adds passive and active
        authentication, and a failed one ends with exit code 1
  cardreader enrol --gateway URL --token ddo_... [--socket PATH] [--reader NAME]
                   (--can CAN | --mrz-key DOCNO,DOB,EXPIRY) [--passport]
        read the card (or a passport, with its portrait; --passport insists
        on one) over the gateway's challenge and send the chip data to the
        gateway's counter API; print its JSON answer
  cardreader virtual --card DIR [--addr HOST:PORT]
        put a card folder (the demo cards under .data/demo-cards) into pcscd's
        vpcd reader (vsmartcard-vpcd) as a software card, until Ctrl-C

  --mrz-key DOCNO,DOB,EXPIRY  document number (9 characters, or the 12-digit ID
                              number; a passport's number), date of birth and
                              expiry as YYMMDD
  --can CAN                   card access number (the last 6 digits of the ID)
  --wait DURATION             wait that long for a card on the reader (e.g. 30s)
  --token                     the officer's API credential; $CARDREADER_TOKEN if unset
Every command takes -h for its flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cardreader:", err)
	}
	stop()
	os.Exit(exitCode(err))
}

// errUsage marks a command line that does not parse (exit code 2).
var errUsage = errors.New("usage")

func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "read":
		return runRead(ctx, args[1:], stdout, stderr)
	case "enrol", "enroll":
		return runEnrol(ctx, args[1:], stdout, stderr)
	case "virtual":
		return runVirtual(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}
