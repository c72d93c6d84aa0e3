//go:build unix

package raw

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process used so far (user and system, all
// threads, the garbage collector's included). Benchmarks report it next to
// the wall time: on a shared machine a process waiting for a core adds wall
// time, not CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
