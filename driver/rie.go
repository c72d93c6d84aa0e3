package driver

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
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

// Kill kills the emulator and the function's process at once (SIGKILL to the
// process group) and waits until the emulator is gone.
func (p *EmulatorProcess) Kill() {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Close stops the emulator and the function (SIGTERM, then SIGKILL after 5 s).
func (p *EmulatorProcess) Close() error {
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.Kill()
	}
	return nil
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
