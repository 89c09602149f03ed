package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/<pid>/stat: USER_HZ,
// which Linux fixes at 100 for user space on every architecture it
// reports to (sysconf(_SC_CLK_TCK) would need cgo to ask).
const clockTick = 10 * time.Millisecond

// cpuMeter reads the CPU time of the gateway and of PostgreSQL from /proc,
// before and after a row (never inside the timed requests). A pid of 0
// means "not measured": the row prints a dash.
type cpuMeter struct {
	// gateway is the gateway's process: this one (in-process, where it
	// also includes the load client) or -gateway-pid.
	gateway int
	// postmaster is the PostgreSQL cluster's postmaster; its children (the
	// backends, WAL writer, checkpointer, ...) are found by their ppid.
	postmaster int
}

// cpuSample is the CPU time used so far; negative when not measured.
type cpuSample struct{ gateway, postgres time.Duration }

func (m cpuMeter) sample() cpuSample {
	s := cpuSample{gateway: -1, postgres: -1}
	if m.gateway > 0 {
		if st, err := readStat(m.gateway); err == nil {
			s.gateway = st.utime + st.stime
		}
	}
	if m.postmaster > 0 {
		s.postgres = clusterCPU(m.postmaster)
	}
	return s
}

// since is the CPU time used between s0 and s; negative when not measured.
func (s cpuSample) since(s0 cpuSample) cpuSample {
	d := cpuSample{gateway: -1, postgres: -1}
	if s.gateway >= 0 && s0.gateway >= 0 {
		d.gateway = s.gateway - s0.gateway
	}
	if s.postgres >= 0 && s0.postgres >= 0 {
		d.postgres = s.postgres - s0.postgres
	}
	return d
}

type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime time.Duration
}

// readStat parses /proc/<pid>/stat (proc(5)): the fields after the
// command name, which is in parentheses and may itself hold spaces.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime..cstime 14..17.
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	n := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
	t := func(k int) time.Duration { return time.Duration(n(k)) * clockTick }
	return procStat{ppid: int(n(1)), utime: t(11), stime: t(12), cutime: t(13), cstime: t(14)}, nil
}

// clusterCPU is the CPU time of a PostgreSQL cluster: the postmaster's,
// with that of its children it has reaped (cutime, cstime: backends that
// ended), plus every live child's. A backend that ends between two samples
// moves from the second term to the first, so differences stay right.
func clusterCPU(postmaster int) time.Duration {
	pm, err := readStat(postmaster)
	if err != nil {
		return -1
	}
	total := pm.utime + pm.stime + pm.cutime + pm.cstime
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == postmaster {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.ppid != postmaster {
			continue
		}
		total += st.utime + st.stime + st.cutime + st.cstime
	}
	return total
}

// postmasterPID reads the first line of a data directory's postmaster.pid.
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0, fmt.Errorf("%s/postmaster.pid: %w", dataDir, err)
	}
	return pid, nil
}
