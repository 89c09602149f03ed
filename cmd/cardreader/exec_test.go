package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// TestMain lets the test binary stand in for the command: with
// CARDREADER_RUN_MAIN=1 it runs main, so the tests see real exit codes
// and output streams without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("CARDREADER_RUN_MAIN") == "1" {
		os.Args = append([]string{"cardreader"}, os.Args[1:]...)
		main()
	}
	// The end-to-end test's gateway runs on a real PostgreSQL.
	pgtest.Main(m)
}

// command runs the command as a process and returns its exit code.
func command(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CARDREADER_RUN_MAIN=1", "CARDREADER_TOKEN=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

func TestProcess(t *testing.T) {
	t.Parallel()
	d, p, _ := counter(t)

	code, out, errOut := command(t, "read", "--socket", d.Socket, "--mrz-key", mrzKey(p))
	if code != 0 || !bytes.Contains([]byte(out), []byte(`"personal_id": "`+p.PersonalID+`"`)) {
		t.Fatalf("read: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	code, out, errOut = command(t, "read", "--socket", filepath.Join(t.TempDir(), "none"), "--mrz-key", mrzKey(p))
	if code != 1 || out != "" || !bytes.Contains([]byte(errOut), []byte("cardreader: pcsc: smart card service unavailable")) {
		t.Fatalf("no pcscd: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	code, _, errOut = command(t, "read", "--socket", d.Socket)
	if code != 2 || !bytes.Contains([]byte(errOut), []byte("--can or --mrz-key")) {
		t.Fatalf("no key: exit %d, stderr %q", code, errOut)
	}
}
