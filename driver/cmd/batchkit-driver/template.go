package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/batchkit/batchkit/driver"
)

// templateOptions are the flags of `batchkit-driver run`.
type templateOptions struct {
	template, function             string
	create                         bool
	bootstrap, rie, emulator       string
	sqsEndpoint, kinesisEndpoint   string
	snsEndpoint, s3Endpoint        string
	dynamodbEndpoint, prefix       string
	kafkaBrokers                   string
	idle                           int
	visibility                     time.Duration
	jsonOut, verbose, waitInFlight bool
	sendFile, sendMapping          string
	maxEmulators, kafkaPartitions  int
}

func parseTemplate(args []string, stderr io.Writer) (templateOptions, error) {
	var o templateOptions
	fs := flag.NewFlagSet("batchkit-driver run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.template, "template", "template.yaml", "the SAM template")
	fs.StringVar(&o.function, "function", "", "the function's logical ID (needed when the template has several)")
	fs.BoolVar(&o.create, "create", false, "create the queues, streams and tables of the template on the local servers")
	fs.StringVar(&o.bootstrap, "bootstrap", "", "the function's bootstrap; default: build the Go package in the template's directory, or CodeUri/bootstrap when there is none")
	fs.StringVar(&o.rie, "rie", os.Getenv("BATCHKIT_RIE"), "the Lambda Runtime Interface Emulator binary (default: aws-lambda-rie on the PATH, or the one the test command installed in its cache)")
	fs.StringVar(&o.emulator, "emulator", "", "address of an emulator already running the function (skips building and starting one)")
	fs.StringVar(&o.sqsEndpoint, "sqs-endpoint", os.Getenv("BATCHKIT_SQS_ENDPOINT"), "SQS server (fauxqs) URL")
	fs.StringVar(&o.snsEndpoint, "sns-endpoint", os.Getenv("BATCHKIT_SNS_ENDPOINT"), "SNS server URL (default: the SQS endpoint, fauxqs serves both)")
	fs.StringVar(&o.s3Endpoint, "s3-endpoint", os.Getenv("BATCHKIT_S3_ENDPOINT"), "S3 server URL (default: the SQS endpoint, fauxqs serves both)")
	fs.StringVar(&o.kinesisEndpoint, "kinesis-endpoint", os.Getenv("BATCHKIT_KINESIS_ENDPOINT"), "Kinesis server (kinesalite) URL")
	fs.StringVar(&o.dynamodbEndpoint, "dynamodb-endpoint", os.Getenv("BATCHKIT_DYNAMODB_ENDPOINT"), "DynamoDB Local URL")
	fs.StringVar(&o.kafkaBrokers, "kafka-brokers", os.Getenv("BATCHKIT_KAFKA_BROKERS"), "Kafka brokers (host:port,...) of the MSK and SelfManagedKafka events")
	fs.StringVar(&o.prefix, "prefix", "", "prefix of the resource names on the servers")
	fs.IntVar(&o.idle, "idle", 3, "stop a mapping after this many polls in a row find nothing")
	fs.DurationVar(&o.visibility, "visibility-timeout", 0, "override the queues' visibility timeout at receive (to see retries sooner)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON lines")
	fs.BoolVar(&o.verbose, "v", false, "print a JSON line per invocation to stderr as it happens")
	fs.BoolVar(&o.waitInFlight, "wait-in-flight", false, "SQS: not idle while the queue has messages in flight (their retries and redrive happen before the report)")
	fs.StringVar(&o.sendFile, "send", "", "a Lambda event JSON file (such as the example's event.json) whose records are first put on the source")
	fs.StringVar(&o.sendMapping, "send-to", "", "the event name of the mapping --send feeds; default: the first mapping")
	fs.IntVar(&o.kafkaPartitions, "kafka-partitions", 1, "partitions of each topic of the in-process Kafka cluster started when no -kafka-brokers is given")
	fs.IntVar(&o.maxEmulators, "max-emulators", 64, "most emulator instances at once (one per concurrent invocation, as the mappings allow)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	return o, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// runTemplate is `batchkit-driver run`: the template's mappings on local
// servers, feeding the function under the emulator, then a report.
func runTemplate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseTemplate(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	t, err := driver.LoadTemplate(o.template)
	if err != nil {
		return err
	}
	maps, notes, err := t.Mappings(o.function)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, "batchkit-driver: note:", n)
	}
	if len(maps) == 0 {
		return errors.New("the function has no SQS, Kinesis, DynamoDB or Kafka event: nothing to run")
	}
	// No endpoint for a server the template needs: start it (from the
	// test command's installs) and stop it at the end; its resources are
	// created, as the servers start empty.
	servers, started, err := startServers(ctx, t, maps, &o, stderr)
	if err != nil {
		return err
	}
	defer servers.Stop()
	if started {
		o.create = true
	}
	env := &driver.Env{Create: o.create, Prefix: o.prefix, VisibilityTimeout: o.visibility}
	if o.sqsEndpoint != "" {
		env.SQS = driver.NewSQSClient(o.sqsEndpoint)
	}
	if o.kinesisEndpoint != "" {
		env.Kinesis = driver.NewKinesisClient(o.kinesisEndpoint)
	}
	if o.kafkaBrokers != "" {
		env.KafkaBrokers = strings.Split(o.kafkaBrokers, ",")
	}
	// fauxqs serves SNS and S3 on the SQS endpoint.
	if o.snsEndpoint == "" {
		o.snsEndpoint = o.sqsEndpoint
	}
	if o.s3Endpoint == "" {
		o.s3Endpoint = o.sqsEndpoint
	}
	if o.snsEndpoint != "" {
		env.SNS = driver.NewSNSClient(o.snsEndpoint)
	}
	if o.s3Endpoint != "" {
		env.S3 = driver.NewS3Client(o.s3Endpoint)
	}
	if o.dynamodbEndpoint != "" {
		env.DynamoDB = driver.NewDynamoDBClient(o.dynamodbEndpoint)
		env.DynamoDBStreams = driver.NewDynamoDBStreamsClient(o.dynamodbEndpoint)
	}
	for _, m := range maps {
		if o.visibility > 0 && m.Type == driver.TypeSQS && m.MaximumBatchingWindow >= o.visibility {
			fmt.Fprintf(stderr, "batchkit-driver: note: %s: the visibility timeout (%s) is not longer than the batching window (%s): messages come back while a batch is gathered\n", m.Name(), o.visibility, m.MaximumBatchingWindow)
		}
	}
	if o.create {
		created, err := t.Create(ctx, env)
		for _, n := range created {
			fmt.Fprintln(stderr, "batchkit-driver: note:", n)
		}
		if err != nil {
			return err
		}
	}
	opened := make([]*driver.OpenMapping, len(maps))
	for i := range maps {
		if opened[i], err = maps[i].Open(ctx, t, env); err != nil {
			return err
		}
		defer opened[i].Close()
	}
	if o.sendFile != "" {
		target := opened[0]
		for _, m := range opened {
			if m.Event == o.sendMapping {
				target = m
			}
		}
		n, err := driver.SendEvent(ctx, env, target, o.sendFile)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "batchkit-driver: put %d records of %s on %s\n", n, o.sendFile, target.SourceName)
	}
	fn, closeFn, err := startFunction(ctx, t, maps[0].Function, o, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	opts := driver.RunOptions{Idle: o.idle, WaitInFlight: o.waitInFlight}
	if o.verbose {
		var mu sync.Mutex
		enc := json.NewEncoder(stderr)
		opts.OnBatch = func(m *driver.OpenMapping, b driver.Batch) {
			l := batchLine{Mapping: m.Name(), Shard: b.Shard, Records: len(b.IDs), Attempt: b.Attempt, Failed: b.Failed,
				Deleted: len(b.Deleted), Checkpoint: b.Checkpoint, FinalForWindow: b.FinalForWindow}
			if b.Err != nil {
				l.Error = b.Err.Error()
			}
			if b.Discarded != nil {
				l.Discarded = b.Discarded.RequestContext.Condition
			}
			mu.Lock()
			defer mu.Unlock()
			_ = enc.Encode(l)
		}
	}
	reports, runErr := driver.Run(ctx, opened, fn, opts)
	for _, r := range reports {
		if o.jsonOut {
			b, _ := json.Marshal(r)
			fmt.Fprintln(stdout, string(b))
		} else if err := r.WriteText(stdout); err != nil {
			return err
		}
	}
	return runErr
}

// batchLine is one invocation, as -v prints it.
type batchLine struct {
	Mapping        string   `json:"mapping"`
	Shard          string   `json:"shard,omitempty"`
	Records        int      `json:"records"`
	Attempt        int      `json:"attempt"`
	Failed         []string `json:"failed,omitempty"`
	Deleted        int      `json:"deleted,omitempty"`
	Checkpoint     string   `json:"checkpoint,omitempty"`
	Discarded      string   `json:"discarded,omitempty"`
	FinalForWindow bool     `json:"finalForWindow,omitempty"`
	Error          string   `json:"error,omitempty"`
}

// startFunction starts the function under the emulator (building its
// bootstrap unless given one), or connects to a running emulator.
func startFunction(ctx context.Context, t *driver.Template, id string, o templateOptions, stderr io.Writer) (driver.Function, func(), error) {
	if o.emulator != "" {
		return driver.NewEmulator(o.emulator), func() {}, nil
	}
	cfg, err := t.WithPrefix(o.prefix).Function(id)
	if err != nil {
		return nil, nil, err
	}
	if o.rie == "" {
		o.rie = findRIE(t.Dir())
	}
	bootstrap := o.bootstrap
	if gofiles, _ := filepath.Glob(filepath.Join(t.Dir(), "*.go")); bootstrap == "" && len(gofiles) == 0 && cfg.CodeURI != "" {
		// No Go package beside the template: the function's CodeUri holds
		// its built bootstrap.
		bootstrap = filepath.Join(t.Dir(), cfg.CodeURI, "bootstrap")
	}
	var cleanup func()
	if bootstrap == "" {
		dir, err := os.MkdirTemp("", "batchkit-driver-")
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		bootstrap = filepath.Join(dir, "bootstrap")
		cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, ".")
		cmd.Dir = t.Dir()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("build the function in %s (or pass --bootstrap): %v: %s", t.Dir(), err, out)
		}
	}
	// The function reaches the local servers as the driver does: their
	// endpoints, the region and test credentials (unless set).
	env := []string{"AWS_REGION=" + driver.DefaultRegion, "AWS_DEFAULT_REGION=" + driver.DefaultRegion}
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"} {
		if os.Getenv(k) == "" {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range map[string]string{"BATCHKIT_SQS_ENDPOINT": o.sqsEndpoint, "BATCHKIT_KINESIS_ENDPOINT": o.kinesisEndpoint, "BATCHKIT_DYNAMODB_ENDPOINT": o.dynamodbEndpoint} {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, cfg.Environment...)
	if cfg.Timeout > 0 {
		env = append(env, "AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(cfg.Timeout))
	}
	env = append(env, "AWS_LAMBDA_FUNCTION_NAME="+id)
	// As many emulator instances as invocations run at once, as Lambda
	// runs one execution environment per concurrent invocation: the
	// mappings bound that (MaximumConcurrency, ParallelizationFactor, one
	// per Kafka partition).
	p, err := driver.StartEmulatorPool(ctx, driver.EmulatorConfig{RIE: o.rie, Bootstrap: bootstrap, Env: env, Output: stderr}, o.maxEmulators)
	if err != nil {
		if cleanup != nil {
			cleanup()
		}
		return nil, nil, err
	}
	return p, func() {
		_ = p.Close()
		if cleanup != nil {
			cleanup()
		}
	}, nil
}

// findRIE returns aws-lambda-rie from the PATH, else the one the test
// command installed in a cache directory (bin/rie-<version>/aws-lambda-rie).
func findRIE(templateDir string) string {
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	for _, d := range cacheDirs(templateDir) {
		// scripts/lib/server-rie.sh installs it in bin/rie-<version>/.
		if m, _ := filepath.Glob(filepath.Join(d, "bin", "rie-*", "aws-lambda-rie")); len(m) > 0 {
			return m[len(m)-1]
		}
		if p := filepath.Join(d, "bin", "aws-lambda-rie"); fileExists(p) {
			return p
		}
	}
	return "aws-lambda-rie"
}
