package hatest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/internal/pg"
)

// tools are the binaries the test runs.
type tools struct {
	patroni, etcd, pgbouncer, pgBin string
}

func findTools() (tools, error) {
	var tl tools
	var missing []string
	look := func(name string, alts ...string) string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		for _, a := range alts {
			if st, err := os.Stat(a); err == nil && !st.IsDir() {
				return a
			}
		}
		missing = append(missing, name)
		return ""
	}
	tl.patroni = look("patroni", "/usr/bin/patroni")
	tl.etcd = look("etcd", "/usr/bin/etcd")
	tl.pgbouncer = look("pgbouncer", "/usr/sbin/pgbouncer")
	bin, err := pg.BinDir()
	if err != nil {
		missing = append(missing, "postgresql")
	}
	tl.pgBin = bin
	if len(missing) > 0 {
		return tl, fmt.Errorf("hatest: not installed: %s", strings.Join(missing, ", "))
	}
	return tl, nil
}

// requireTools skips t without the binaries on a developer's machine and
// fails it under CI (any CI but "", "false" and "0").
func requireTools(t *testing.T) tools {
	t.Helper()
	tl, err := findTools()
	if err == nil {
		return tl
	}
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatalf("%v; CI is set, so this is a failure, not a skip (apt-get install patroni etcd-server pgbouncer)", err)
	}
	t.Skipf("%v: install patroni, etcd-server and pgbouncer to run the failover test", err)
	return tl
}

// serverCred is who runs the servers: this user, or "postgres" as root.
func serverCred(t *testing.T) *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("hatest: running as root and no \"postgres\" user to run the servers: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a server process the test started.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func start(t *testing.T, dir, name string, cred *syscall.Credential, bin string, args ...string) *proc {
	t.Helper()
	logPath := filepath.Join(dir, name+".out")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("hatest: start %s: %v", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return fmt.Sprintf("--- %s log (%s):\n%s", p.name, p.log, b)
}

// node is one PostgreSQL under Patroni.
type node struct {
	name          string
	dir, dataDir  string
	pgPort, api   int
	bouncer       int
	patroni, pgbc *proc
}

// postmasterPID reads the node's postmaster.pid (0 when not running).
func (n *node) postmasterPID() int {
	b, err := os.ReadFile(filepath.Join(n.dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

// killHard takes the node away as a machine's loss does: Patroni and the
// postmaster (and so every backend) SIGKILLed at once.
func (n *node) killHard() {
	pid := n.postmasterPID()
	_ = syscall.Kill(-n.patroni.cmd.Process.Pid, syscall.SIGKILL)
	if pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	<-n.patroni.done
}

// stopPostgres is the test's cleanup of a node's server, which Patroni
// runs in a session of its own.
func (n *node) stopPostgres() {
	if pid := n.postmasterPID(); pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGQUIT)
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// role asks the node's Patroni REST API: 200 on /primary or /sync.
func (n *node) is(path string) bool {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d/%s", n.api, path))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func patroniConfig(scope string, n *node, etcdPort int, pgBin string) string {
	return fmt.Sprintf(`scope: %[1]s
namespace: /dinhdanh-hatest/
name: %[2]s
log:
  level: INFO
restapi:
  listen: 127.0.0.1:%[3]d
  connect_address: 127.0.0.1:%[3]d
etcd3:
  host: 127.0.0.1:%[4]d
bootstrap:
  dcs:
    # Short timings keep the test fast: the leader key lives 10 s, the
    # loop runs every second.
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    # An acknowledged commit is on the synchronous standby too, so the
    # promoted node holds every acknowledged token and audit event.
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 200
        wal_keep_size: 128MB
  initdb:
  - encoding: UTF8
  - locale: C
  pg_hba:
  - local all all trust
  - host replication replicator 127.0.0.1/32 trust
  - host all all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:%[5]d
  connect_address: 127.0.0.1:%[5]d
  data_dir: %[6]s
  bin_dir: %[7]s
  # A killed primary may hold WAL its standby never got: rewound when it
  # comes back, or cloned afresh when that fails.
  remove_data_directory_on_rewind_failure: true
  remove_data_directory_on_diverged_timelines: true
  pgpass: %[8]s/pgpass
  authentication:
    replication:
      username: replicator
      password: replicator
    superuser:
      username: postgres
      password: postgres
    rewind:
      username: postgres
      password: postgres
  parameters:
    unix_socket_directories: %[8]s
    shared_buffers: 32MB
    fsync: "off"
    full_page_writes: "off"
    log_min_messages: warning
`, scope, n.name, n.api, etcdPort, n.pgPort, n.dataDir, pgBin, n.dir)
}

// pgbouncerConfig pools the node's connections in transaction mode.
func pgbouncerConfig(n *node) string {
	return fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%d

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s/userlist.txt
pool_mode = transaction
default_pool_size = 40
max_client_conn = 400
server_connect_timeout = 2
server_login_retry = 1
query_wait_timeout = 10
ignore_startup_parameters = extra_float_digits
logfile = %s/pgbouncer.log
pidfile = %s/pgbouncer.pid
`, n.pgPort, n.bouncer, n.dir, n.dir, n.dir)
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool, procs ...*proc) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > within {
			var logs []string
			for _, p := range procs {
				logs = append(logs, p.tail())
			}
			t.Fatalf("hatest: %s: not within %s\n%s", what, within, strings.Join(logs, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// cluster is etcd and two Patroni nodes with a PgBouncer each.
type cluster struct {
	dir   string
	etcd  *proc
	nodes [2]*node
}

func startCluster(t *testing.T, tl tools) *cluster {
	t.Helper()
	cred := serverCred(t)
	// Not t.TempDir: the postgres user must traverse it, and unix socket
	// paths stay short.
	dir, err := os.MkdirTemp("", "dinhdanh-ha-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("HATEST_KEEP") != "" {
			t.Logf("hatest: logs kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	chown := func(p string) {
		if cred != nil {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	mkdir := func(p string) string {
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		chown(p)
		return p
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		chown(p)
	}
	chown(dir)
	c := &cluster{dir: dir}
	etcdDir := mkdir(filepath.Join(dir, "etcd"))
	client, peer := freePort(t), freePort(t)
	c.etcd = start(t, etcdDir, "etcd", cred, tl.etcd,
		"--name", "hatest", "--data-dir", filepath.Join(etcdDir, "data"),
		"--listen-client-urls", fmt.Sprintf("http://127.0.0.1:%d", client),
		"--advertise-client-urls", fmt.Sprintf("http://127.0.0.1:%d", client),
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peer),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peer),
		"--initial-cluster", fmt.Sprintf("hatest=http://127.0.0.1:%d", peer))
	waitFor(t, "etcd healthy", 30*time.Second, func() bool {
		resp, err := (&http.Client{Timeout: time.Second}).Get(fmt.Sprintf("http://127.0.0.1:%d/health", client))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, c.etcd)

	for i := range c.nodes {
		n := &node{name: fmt.Sprintf("n%d", i), pgPort: freePort(t), api: freePort(t), bouncer: freePort(t)}
		n.dir = mkdir(filepath.Join(dir, n.name))
		n.dataDir = filepath.Join(n.dir, "data")
		write(filepath.Join(n.dir, "patroni.yml"), patroniConfig("hatest", n, client, tl.pgBin))
		write(filepath.Join(n.dir, "pgbouncer.ini"), pgbouncerConfig(n))
		write(filepath.Join(n.dir, "userlist.txt"), `"`+pg.AppRole+`" "`+password+`"`+"\n")
		c.nodes[i] = n
		t.Cleanup(n.stopPostgres)
	}
	// n0 bootstraps the cluster and leads; n1 clones it and follows as the
	// synchronous standby.
	n0, n1 := c.nodes[0], c.nodes[1]
	n0.patroni = start(t, n0.dir, "patroni", cred, tl.patroni, filepath.Join(n0.dir, "patroni.yml"))
	waitFor(t, "n0 leads", 90*time.Second, func() bool { return n0.is("primary") }, n0.patroni)
	n1.patroni = start(t, n1.dir, "patroni", cred, tl.patroni, filepath.Join(n1.dir, "patroni.yml"))
	waitFor(t, "n1 is the synchronous standby", 90*time.Second, func() bool { return n1.is("sync") }, n0.patroni, n1.patroni)
	for _, n := range c.nodes {
		n.pgbc = start(t, n.dir, "pgbouncer", cred, tl.pgbouncer, filepath.Join(n.dir, "pgbouncer.ini"))
	}
	for _, n := range c.nodes {
		waitFor(t, n.name+"'s pgbouncer listens", 30*time.Second, func() bool {
			conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.bouncer), time.Second)
			if err != nil {
				return false
			}
			conn.Close()
			return true
		}, n.pgbc)
	}
	return c
}

const password = "hatest-password"

// dsn is a multi-host connection URL over the nodes' PostgreSQL ports (or
// their PgBouncers) that only ever settles on the primary.
func (c *cluster) dsn(user, db string, bouncers bool, extra string) string {
	var hosts []string
	for _, n := range c.nodes {
		port := n.pgPort
		if bouncers {
			port = n.bouncer
		}
		hosts = append(hosts, fmt.Sprintf("127.0.0.1:%d", port))
	}
	u := fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable&target_session_attrs=read-write&connect_timeout=2", user, password, strings.Join(hosts, ","), db)
	if extra != "" {
		u += "&" + extra
	}
	return u
}

var errNoPrimary = errors.New("hatest: no primary")

func (c *cluster) primary() (*node, error) {
	for _, n := range c.nodes {
		if n.is("primary") {
			return n, nil
		}
	}
	return nil, errNoPrimary
}

var _ = context.Background
