package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EmulatorProcess is a Lambda function running under the AWS Lambda Runtime
// Interface Emulator (aws-lambda-rie), started by [StartEmulator]: the
// emulator and the function's bootstrap run in their own process group.
type EmulatorProcess struct {
	// Emulator invokes the function.
	*Emulator
	// Cmd is the emulator's process.
	Cmd *exec.Cmd

	done chan struct{}
}

// EmulatorConfig says how to start a function under the emulator.
type EmulatorConfig struct {
	// RIE is the path of the aws-lambda-rie binary.
	RIE string
	// Bootstrap is the function's executable (built with
	// GOOS=linux, -tags lambda.norpc, named bootstrap).
	Bootstrap string
	// Env is added to the emulator's environment, which the function
	// inherits (AWS_LAMBDA_FUNCTION_TIMEOUT sets the timeout in seconds).
	Env []string
	// Output receives the emulator's and the function's output; nil
	// discards it.
	Output io.Writer
}

// StartEmulator starts c.Bootstrap under the emulator on free loopback ports
// (the Invoke API and the Runtime API) and waits until it accepts
// connections. The emulator starts the function at the first invocation.
// Close stops it; Kill kills it and the function at once, as a crash would.
func StartEmulator(ctx context.Context, c EmulatorConfig) (*EmulatorProcess, error) {
	if _, err := os.Stat(c.Bootstrap); err != nil {
		return nil, fmt.Errorf("batchkit/driver: the function's bootstrap: %w", err)
	}
	invokeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	runtimeAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.RIE,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		"--log-level", "error",
		c.Bootstrap)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdout, cmd.Stderr = c.Output, c.Output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Do not wait for the output of a function process that outlives the
	// emulator.
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("batchkit/driver: start the emulator %s (install it with `go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@latest`): %w", c.RIE, err)
	}
	p := &EmulatorProcess{Emulator: NewEmulator(invokeAddr), Cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	for {
		conn, err := net.DialTimeout("tcp", invokeAddr, time.Second)
		if err == nil {
			conn.Close()
			return p, nil
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("batchkit/driver: the emulator exited before listening on %s: %s", invokeAddr, cmd.ProcessState)
		case <-ctx.Done():
			p.Kill()
			return nil, fmt.Errorf("batchkit/driver: the emulator did not listen on %s: %w", invokeAddr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Kill kills the emulator and the function's process at once, as a crash
// would (SIGKILL to the emulator's process group and to every process it
// started, which the emulator puts in process groups of their own), and waits
// until the emulator is gone.
func (p *EmulatorProcess) Kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

// Close stops the emulator and the function (SIGTERM, then SIGKILL after 5 s).
func (p *EmulatorProcess) Close() error {
	p.signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.Kill()
	}
	return nil
}

// signal sends sig to the emulator's process group and to its descendants.
func (p *EmulatorProcess) signal(sig syscall.Signal) {
	pid := p.Cmd.Process.Pid
	for _, d := range descendants(pid) {
		_ = syscall.Kill(d, sig)
	}
	_ = syscall.Kill(-pid, sig)
}

// descendants lists the processes below pid, read from /proc (Linux).
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The parent is the second field after the command, which is in
		// parentheses and may hold spaces.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(stat[i+1:]))
		if len(fields) < 2 {
			continue
		}
		if parent, err := strconv.Atoi(fields[1]); err == nil {
			children[parent] = append(children[parent], child)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, c := range children[next] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// freeAddr returns a free loopback TCP address.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("batchkit/driver: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// EmulatorPool runs a function under as many emulator instances as there
// are invocations at once, as Lambda runs one execution environment per
// concurrent invocation
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html):
// the emulator runs one invocation at a time, so each instance serves one
// invocation, and a new one is started when every instance is busy, up to
// Max. The event source mappings bound how many invocations run at once
// (ScalingConfig.MaximumConcurrency, ParallelizationFactor per shard, one
// per Kafka partition), so the pool grows to what the mappings allow. It is
// a [Function], safe for concurrent use.
type EmulatorPool struct {
	config EmulatorConfig
	sem    chan struct{}
	mu     sync.Mutex
	idle   []*EmulatorProcess
	all    []*EmulatorProcess
	closed bool
}

// StartEmulatorPool starts a first instance of the function (so that a
// broken bootstrap fails here) and returns the pool; max bounds the
// instances (0 means 64).
func StartEmulatorPool(ctx context.Context, c EmulatorConfig, max int) (*EmulatorPool, error) {
	if max <= 0 {
		max = 64
	}
	p := &EmulatorPool{config: c, sem: make(chan struct{}, max)}
	first, err := StartEmulator(ctx, c)
	if err != nil {
		return nil, err
	}
	p.idle, p.all = []*EmulatorProcess{first}, []*EmulatorProcess{first}
	return p, nil
}

// Invoke runs the event on an idle instance, starting one when every
// instance is busy (up to the pool's bound, then it waits for one).
func (p *EmulatorPool) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &InvokeError{Err: ctx.Err()}
	}
	defer func() { <-p.sem }()
	inst, err := p.acquire(ctx)
	if err != nil {
		return nil, &InvokeError{Err: err}
	}
	defer p.release(inst)
	return inst.Invoke(ctx, event)
}

// acquire takes an idle instance or starts one.
func (p *EmulatorPool) acquire(ctx context.Context) (*EmulatorProcess, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("batchkit/driver: the emulator pool is closed")
	}
	if n := len(p.idle); n > 0 {
		inst := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return inst, nil
	}
	p.mu.Unlock()
	inst, err := StartEmulator(ctx, p.config)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = inst.Close()
		return nil, errors.New("batchkit/driver: the emulator pool is closed")
	}
	p.all = append(p.all, inst)
	return inst, nil
}

func (p *EmulatorPool) release(inst *EmulatorProcess) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = append(p.idle, inst)
}

// Started returns how many instances the pool started: the most
// invocations that ran at once (at least 1).
func (p *EmulatorPool) Started() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.all)
}

// Close stops every instance.
func (p *EmulatorPool) Close() error {
	p.mu.Lock()
	p.closed = true
	all := p.all
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, inst := range all {
		wg.Add(1)
		go func() { defer wg.Done(); _ = inst.Close() }()
	}
	wg.Wait()
	return nil
}
