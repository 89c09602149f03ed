package pg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ClusterOptions configures a private PostgreSQL cluster.
type ClusterOptions struct {
	// Dir is the data directory; it is created (and initdb run) when empty.
	Dir string
	// Fast turns off fsync and friends: for throwaway test clusters only.
	Fast bool
	// MaxConnections defaults to 300 so load tests can size their pools.
	MaxConnections int
	Logger         *slog.Logger
}

// Cluster is a PostgreSQL server started by this process from the installed
// binaries. It listens only on a Unix socket inside its data directory, so it
// never collides with another server's TCP port.
type Cluster struct {
	Dir       string
	SocketDir string
	Port      int
	// Superuser is the cluster's bootstrap superuser role.
	Superuser string

	cmd    *exec.Cmd
	done   chan struct{}
	logger *slog.Logger
}

// BinDir finds the directory holding initdb and postgres: `pg_config --bindir`
// first, then the newest /usr/lib/postgresql/<version>/bin.
func BinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if isExecutable(filepath.Join(dir, "postgres")) && isExecutable(filepath.Join(dir, "initdb")) {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	for _, dir := range matches {
		if isExecutable(filepath.Join(dir, "postgres")) && isExecutable(filepath.Join(dir, "initdb")) {
			return dir, nil
		}
	}
	for _, name := range []string{"postgres", "initdb"} {
		if _, err := exec.LookPath(name); err != nil {
			return "", errors.New("pg: PostgreSQL server binaries not found: install the Debian package \"postgresql\" or set DATABASE_URL")
		}
	}
	p, _ := exec.LookPath("postgres")
	return filepath.Dir(p), nil
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// serverUser decides which OS user runs the server: the current user, or,
// when running as root (PostgreSQL refuses root), Debian's "postgres" user.
func serverUser() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("pg: running as root and no unprivileged \"postgres\" user exists to run the database")
}

// traversable reports whether every parent of dir can be searched by uid/gid.
func traversable(dir string, cred *syscall.Credential) bool {
	if cred == nil {
		return true
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return false
		}
		sys := st.Sys().(*syscall.Stat_t)
		mode := st.Mode().Perm()
		ok := mode&0o001 != 0 ||
			(sys.Uid == cred.Uid && mode&0o100 != 0) ||
			(sys.Gid == cred.Gid && mode&0o010 != 0)
		if !ok {
			return false
		}
		if p == "/" {
			return true
		}
	}
}

// StartCluster initialises (if needed) and starts a cluster in opts.Dir, and
// waits until it accepts connections. A stale postmaster.pid left by a crash
// is removed; a live one is an error naming the running process.
func StartCluster(ctx context.Context, opts ClusterOptions) (*Cluster, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	binDir, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pg: data directory: %w", err)
	}
	cred, err := serverUser()
	if err != nil {
		return nil, err
	}
	if cred != nil && !traversable(dir, cred) {
		// The unprivileged server user cannot reach the project folder (a home
		// folder with mode 0700, say). Keep the data in a folder it can reach
		// and leave a symlink where the caller asked for it.
		alt, err := relocate(dir)
		if err != nil {
			return nil, err
		}
		logger.Warn("database folder relocated: the postgres user cannot traverse the project folder", "path", dir, "target", alt)
		dir = alt
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pg: create data directory: %w", err)
	}
	if cred != nil {
		if err := chownTree(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	c := &Cluster{Dir: dir, SocketDir: dir, Port: 5432, Superuser: "postgres", logger: logger, done: make(chan struct{})}

	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		start := time.Now()
		cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"),
			"-D", dir, "-U", c.Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("pg: initdb in %s: %w\n%s", dir, err, tail(out))
		}
		logger.Info("database cluster initialised", "dir", dir, "took", time.Since(start).String())
	}
	if err := clearStalePID(dir); err != nil {
		return nil, err
	}

	maxConns := opts.MaxConnections
	if maxConns == 0 {
		maxConns = 300
	}
	args := []string{
		"-D", dir,
		"-k", dir,
		"-p", strconv.Itoa(c.Port),
		"-c", "listen_addresses=",
		"-c", "unix_socket_permissions=0700",
		"-c", "max_connections=" + strconv.Itoa(maxConns),
		"-c", "shared_buffers=256MB",
		"-c", "log_min_messages=warning",
	}
	if opts.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pg: open server log: %w", err)
	}
	cmd := exec.Command(filepath.Join(binDir, "postgres"), args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Own process group: a terminal's Ctrl-C reaches the gateway, which then
	// stops the database in order. Pdeathsig stops it if we die abruptly.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("pg: start postgres: %w", err)
	}
	c.cmd = cmd
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(c.done)
	}()

	deadline := time.Now().Add(60 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, c.URL(c.Superuser, "postgres"))
		if err == nil {
			conn.Close(ctx)
			break
		}
		select {
		case <-c.done:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("pg: postgres exited during start-up:\n%s", tail(log))
		case <-ctx.Done():
			c.Stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.Stop()
			return nil, fmt.Errorf("pg: postgres did not accept connections within 60s: %w", err)
		}
	}
	logger.Info("database started", "dir", dir, "pid", cmd.Process.Pid)
	return c, nil
}

// URL is a connection URL for role user on database db over the socket.
func (c *Cluster) URL(user, db string) string {
	q := url.Values{"host": {c.SocketDir}, "port": {strconv.Itoa(c.Port)}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User(user), Path: "/" + db, RawQuery: q.Encode()}).String()
}

// Stop shuts the server down with a fast shutdown and waits for it.
func (c *Cluster) Stop() {
	if c == nil || c.cmd == nil || c.cmd.Process == nil {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Signal(syscall.SIGQUIT)
		<-c.done
	}
	c.logger.Info("database stopped", "dir", c.Dir)
}

// Done is closed when the server process has exited.
func (c *Cluster) Done() <-chan struct{} { return c.done }

func clearStalePID(dir string) error {
	pidFile := filepath.Join(dir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("pg: read postmaster.pid: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	if pid > 0 && syscall.Kill(pid, 0) == nil {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if bytes.Contains(cmdline, []byte("postgres")) {
			return fmt.Errorf("pg: a PostgreSQL server (pid %d) is already running on %s; stop it first", pid, dir)
		}
	}
	if err := os.Remove(pidFile); err != nil {
		return fmt.Errorf("pg: remove stale postmaster.pid: %w", err)
	}
	return nil
}

func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(p, uid, gid); err != nil {
			return fmt.Errorf("pg: hand %s to the database user: %w", p, err)
		}
		return nil
	})
}

// relocate picks a reachable folder for dir's data and links dir to it.
func relocate(dir string) (string, error) {
	if target, err := os.Readlink(dir); err == nil {
		return target, nil
	}
	sum := sha256.Sum256([]byte(dir))
	base := filepath.Join("/var/tmp", "dinhdanh-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", fmt.Errorf("pg: relocate data directory: %w", err)
	}
	_ = os.Chmod(base, 0o755)
	target := filepath.Join(base, filepath.Base(dir))
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("pg: relocate data directory: %w", err)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 {
		_ = os.Remove(dir)
	}
	if err := os.Symlink(target, dir); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("pg: link %s to %s: %w", dir, target, err)
	}
	return target, nil
}

func tail(b []byte) string {
	const n = 2000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// Running returns the cluster already serving from dir (started by another
// process, such as a running `dinhdanh dev`), if there is one.
func Running(dir string) (*Cluster, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, false
	}
	if target, err := os.Readlink(abs); err == nil {
		abs = target
	}
	b, err := os.ReadFile(filepath.Join(abs, "postmaster.pid"))
	if err != nil {
		return nil, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return nil, false
	}
	return &Cluster{Dir: abs, SocketDir: abs, Port: 5432, Superuser: "postgres", done: make(chan struct{}), logger: slog.New(slog.DiscardHandler)}, true
}
