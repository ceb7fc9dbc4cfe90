package main

import (
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// cpuClock is the kernel's clock tick for /proc/<pid>/stat times (USER_HZ,
// 100 on Linux).
const cpuClock = 100

// cpuMeter is the CPU time of named processes and of loadgen itself at the
// start of the measured run.
type cpuMeter struct {
	pids  map[string]int
	start map[string]float64
}

// startCPU reads the CPU time of the processes of spec ("name=pid,…") and
// of loadgen; nil when spec is empty.
func startCPU(spec string) *cpuMeter {
	if spec == "" {
		return nil
	}
	m := &cpuMeter{pids: map[string]int{}}
	for _, part := range strings.Split(spec, ",") {
		name, pid, ok := strings.Cut(part, "=")
		if n, err := strconv.Atoi(pid); ok && err == nil {
			m.pids[name] = n
		}
	}
	m.start = m.read()
	return m
}

// read is each process's user+system CPU in ms (-1: unreadable).
func (m *cpuMeter) read() map[string]float64 {
	out := map[string]float64{}
	for name, pid := range m.pids {
		out[name] = procCPU(pid)
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		out["loadgen"] = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
	}
	return out
}

// perOK is the CPU each process spent since startCPU per 2xx answer, in ms.
func (m *cpuMeter) perOK(ok int64) map[string]float64 {
	if m == nil || ok == 0 {
		return nil
	}
	end := m.read()
	out := map[string]float64{}
	total := 0.0
	for name, t := range end {
		if t < 0 || m.start[name] < 0 {
			continue
		}
		v := (t - m.start[name]) / float64(ok)
		out[name] = math.Round(v*1000) / 1000
		total += v
	}
	out["total"] = math.Round(total*1000) / 1000
	return out
}

// procCPU is utime+stime of pid from /proc/<pid>/stat, in ms (-1 when
// unreadable).
func procCPU(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return -1
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (u + st) * 1000 / cpuClock
}
