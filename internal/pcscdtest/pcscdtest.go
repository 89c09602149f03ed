package pcscdtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ReaderName is the first slot of the vpcd reader as pcscd names it; the
// card of Daemon.Port sits in it.
const ReaderName = "Virtual PCD 00 00"

// Where Debian installs the pieces (vsmartcard-vpcd puts the driver's
// reader.conf in /etc/reader.conf.d/vpcd).
var (
	pcscdPaths  = []string{"/usr/sbin/pcscd", "/usr/local/sbin/pcscd"}
	driverPaths = []string{"/usr/lib/pcsc/drivers/serial/libifdvpcd.so", "/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so"}
	startupWait = 10 * time.Second
)

// Daemon is a running private pcscd.
type Daemon struct {
	// Socket is the path of its socket, for pcsc.Establish.
	Socket string
	// Port is the TCP port where the vpcd driver waits for the card of
	// ReaderName (on every address); Port+1 is the second slot. 0 when
	// started WithoutReader.
	Port int

	log *syncBuffer
}

// Addr is the address for vpcd.Insert.
func (d *Daemon) Addr() string { return net.JoinHostPort("127.0.0.1", fmt.Sprint(d.Port)) }

// Log returns what pcscd printed so far.
func (d *Daemon) Log() string { return d.log.String() }

// Option changes how Start runs pcscd.
type Option func(*config)

type config struct{ noReader bool }

// WithoutReader starts pcscd with an empty reader.conf.d: a daemon with
// no reader at all.
func WithoutReader() Option { return func(c *config) { c.noReader = true } }

// Binaries returns the paths of pcscd, the vpcd driver and unshare, or an
// error naming what is missing.
func Binaries() (pcscd, driver, unshare string, err error) {
	var missing []string
	pcscd = find("pcscd", pcscdPaths)
	if pcscd == "" {
		missing = append(missing, "pcscd (Debian package pcscd)")
	}
	driver = find("", driverPaths)
	if driver == "" {
		missing = append(missing, "libifdvpcd.so (Debian package vsmartcard-vpcd)")
	}
	unshare = find("unshare", []string{"/usr/bin/unshare"})
	if unshare == "" {
		missing = append(missing, "unshare (util-linux)")
	}
	if missing != nil {
		err = fmt.Errorf("pcscdtest: missing %s", strings.Join(missing, ", "))
	}
	return pcscd, driver, unshare, err
}

func find(name string, paths []string) string {
	if name != "" {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// Start starts a private pcscd for t and stops it when t ends. It skips t
// when the binaries are missing and CI is unset, and fails it otherwise.
func Start(t testing.TB, opts ...Option) *Daemon {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	pcscd, driver, unshare, err := Binaries()
	if err != nil {
		if skip, msg := missing(err, os.Getenv("CI")); skip {
			t.Skip(msg)
		} else {
			t.Fatal(msg)
		}
	}
	var last error
	for range 3 { // a port taken between the probe and pcscd's bind: retry
		d, err := start(t, cfg, pcscd, driver, unshare)
		if err == nil {
			return d
		}
		last = err
	}
	t.Fatalf("pcscdtest: %v", last)
	return nil
}

// missing decides what a test does without the binaries: skip on a
// developer's machine, fail in CI (any non-empty CI but "false").
func missing(err error, ci string) (skip bool, msg string) {
	if ci != "" && ci != "false" && ci != "0" {
		return false, fmt.Sprintf("%v; CI is set, so this is a failure, not a skip (apt-get install pcscd vsmartcard-vpcd)", err)
	}
	return true, fmt.Sprintf("%v: install pcscd and vsmartcard-vpcd to run the PC/SC end-to-end tests", err)
}

func start(t testing.TB, cfg config, pcscd, driver, unshare string) (_ *Daemon, err error) {
	// Not t.TempDir: a unix socket path must stay under 108 bytes.
	dir, err := os.MkdirTemp("", "pcscd")
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if err != nil && !started {
			_ = os.RemoveAll(dir)
		}
	}()
	run, conf := filepath.Join(dir, "run"), filepath.Join(dir, "reader.conf.d")
	for _, p := range []string{run, conf} {
		if err := os.Mkdir(p, 0o755); err != nil {
			return nil, err
		}
	}
	d := &Daemon{Socket: filepath.Join(run, "pcscd.comm"), log: &syncBuffer{}}
	if !cfg.noReader {
		if d.Port, err = freePortPair(); err != nil {
			return nil, err
		}
		// The driver reads its port from DEVICENAME (hostname /dev/null
		// means: listen); it opens one port per slot, Port and Port+1.
		rc := fmt.Sprintf("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME   /dev/null:0x%X\nLIBPATH      %s\n", d.Port, driver)
		if err := os.WriteFile(filepath.Join(conf, "vpcd"), []byte(rc), 0o644); err != nil {
			return nil, err
		}
	}
	args := []string{"-m", "--propagation", "private"}
	if os.Geteuid() != 0 {
		args = append([]string{"-U", "-r"}, args...) // root in a user namespace, to mount
	}
	// unshare and sh exec in place, so the process started is pcscd.
	args = append(args, "sh", "-c", `mkdir -p /run/pcscd && mount --bind "$1" /run/pcscd && exec "$2" --foreground --info -c "$3"`,
		"sh", run, pcscd, conf)
	cmd := exec.Command(unshare, args...)
	cmd.Stdout, cmd.Stderr = d.log, d.log
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	setPdeathsig(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", unshare, err)
	}
	started = true // from here on, stop removes dir
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = os.RemoveAll(dir)
	}
	if err := d.wait(exited, cfg); err != nil {
		stop()
		return nil, fmt.Errorf("%w\npcscd log:\n%s", err, d.Log())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("pcscd log:\n%s", d.Log())
		}
	})
	return d, nil
}

// wait polls pcscd's log until it is ready and its vpcd slot listens.
// (It does not ask through PC/SC: this ground-floor package knows no
// domain package, cardreader/pcsc included.)
func (d *Daemon) wait(exited <-chan struct{}, cfg config) error {
	deadline := time.Now().Add(startupWait)
	listening := fmt.Sprintf("Waiting for virtual ICC on port %d", d.Port)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("pcscd exited during startup")
		case <-time.After(20 * time.Millisecond):
		}
		log := d.Log()
		if strings.Contains(log, "Could not initialize connection to virtual ICC") {
			return errors.New("the vpcd driver could not listen on its ports")
		}
		if _, err := os.Stat(d.Socket); err != nil || !strings.Contains(log, "daemon ready") {
			continue
		}
		if cfg.noReader || strings.Contains(log, listening) {
			return nil
		}
	}
	return fmt.Errorf("pcscd not ready after %v", startupWait)
}

// freePortPair returns a port p such that p and p+1 are free on every
// address, as the driver binds 0.0.0.0.
func freePortPair() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp4", "0.0.0.0:0")
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp4", fmt.Sprintf("0.0.0.0:%d", p+1))
		_ = l.Close()
		if err != nil || p+1 > 0xFFFF {
			continue
		}
		_ = l2.Close()
		return p, nil
	}
	return 0, errors.New("no two consecutive free TCP ports")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitCard waits until pcscd has seen a card inserted in reader
// (present) or removed from it (!present), as its log tells; it fails t
// after timeout. The PC/SC client has no card events, and a Connect made
// before pcscd's next poll would find the slot empty.
func (d *Daemon) WaitCard(t testing.TB, reader string, present bool, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if d.cardPresent(reader) == present {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pcscdtest: card present=%v not seen in %q after %v", present, reader, timeout)
}

// cardPresent reports the last card event pcscd logged for reader.
func (d *Daemon) cardPresent(reader string) bool { return cardPresent(d.Log(), reader) }

// cardPresent reads pcscd's log: the last "Card inserted into" or "Card
// Removed From" line naming reader decides. A card already in the slot
// when pcscd's polling thread takes its first look (a busy machine can
// start that thread after vpcd.Insert connected) is logged with its ATR
// only, no "inserted" line and no reader name; such an ATR line counts
// for ReaderName, the one slot Addr serves.
func cardPresent(log, reader string) bool {
	present := false
	inserted := false // the previous card line was "Card inserted into"
	for line := range strings.Lines(log) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasSuffix(line, "Card inserted into "+reader):
			present, inserted = true, true
			continue
		case strings.HasSuffix(line, "Card Removed From "+reader):
			present = false
		case strings.Contains(line, "Card inserted into "):
			inserted = true
			continue
		case strings.Contains(line, "Card ATR: "):
			if !inserted && reader == ReaderName {
				present = true
			}
		default:
			continue
		}
		inserted = false
	}
	return present
}
