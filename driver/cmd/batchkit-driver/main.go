// Command batchkit-driver is a local event source mapping: it polls an SQS
// queue, a Kinesis stream or a DynamoDB stream on a local server (fauxqs,
// kinesalite, DynamoDB Local, or any endpoint), invokes a function running
// under the AWS Lambda Runtime Interface Emulator with the event Lambda would
// send, and applies Lambda's rules to the partial batch response. It prints
// one JSON line per invocation.
//
// Usage:
//
//	batchkit-driver -source sqs -endpoint http://127.0.0.1:4566 \
//	    -queue-url http://127.0.0.1:4566/000000000000/orders \
//	    -function http://127.0.0.1:8080
//	batchkit-driver -source kinesis -endpoint http://127.0.0.1:4567 -stream orders -function 127.0.0.1:8080
//	batchkit-driver -source dynamodb -endpoint http://127.0.0.1:8000 -table orders -function 127.0.0.1:8080
//
// With a SAM template, `run` reads the function's Events (SQS, Kinesis,
// DynamoDB, MSK and SelfManagedKafka, with their settings: batch size,
// batching window, starting position, bisection, retries, record age,
// on-failure queue, parallelization factor, tumbling window, filters,
// maximum concurrency), creates the template's queues, streams and tables
// on the local servers (-create), builds the function in the template's
// directory and starts it under the emulator, runs the mappings until idle
// and prints a report per mapping (batches, records, invocations, retries,
// bisections, filtered, succeeded, on-failure, dead-letter):
//
//	batchkit-driver run -template examples/kinesis/template.yaml -create \
//	    -send examples/kinesis/event.json
//
// The endpoints default to $BATCHKIT_SQS_ENDPOINT, $BATCHKIT_KINESIS_ENDPOINT,
// $BATCHKIT_DYNAMODB_ENDPOINT and $BATCHKIT_KAFKA_BROKERS, the emulator to
// $BATCHKIT_RIE. A server the template needs and has no endpoint for is
// started for the run on 127.0.0.1 (fauxqs, kinesalite, DynamoDB Local from
// the installs of the repository's test command, found in $BATCHKIT_CACHE,
// os.UserCacheDir()/batchkit or the repository's .cache; an in-process
// kfake Kafka cluster) and stopped at the end, so that
//
//	batchkit-driver run -template examples/kinesis/template.yaml
//
// works with nothing running. The function runs under one emulator instance
// per concurrent invocation. `batchkit-driver -h` lists the commands,
// `batchkit-driver run -h` every flag, and docs/driver.md what each setting
// does.
//
// Without `run`, start the function with
// `aws-lambda-rie --runtime-interface-emulator-address 127.0.0.1:8080 ./bootstrap`.
// By default it stops after 3 polls in a row find nothing (-idle); -idle 0
// polls until interrupted.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/batchkit/batchkit/driver"
)

func main() {
	err := command(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "batchkit-driver:", err)
		os.Exit(1)
	}
}

// command runs `batchkit-driver args...`.
func command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "run" {
		return runTemplate(ctx, args[1:], stdout, stderr)
	}
	return run(ctx, args, stdout, stderr)
}

// usage is the text of `batchkit-driver -h`, before the flags.
const usage = `batchkit-driver: Lambda's event source mappings on local servers.

Commands:
  batchkit-driver run [flags]   run a SAM template's SQS, Kinesis, DynamoDB and
                                Kafka events against its function under the
                                Lambda Runtime Interface Emulator, then print a
                                report; without endpoints it starts the local
                                servers itself (batchkit-driver run -h)
  batchkit-driver [flags]       poll one queue or stream into a function already
                                running under the emulator (the flags below)

Flags:
`

// options are the command's flags.
type options struct {
	source, endpoint, function   string
	queueURL, stream, table, arn string
	batchSize                    int
	wait                         time.Duration
	idle                         int
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("batchkit-driver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.source, "source", "", "event source: sqs, kinesis or dynamodb")
	fs.StringVar(&o.endpoint, "endpoint", "", "URL of the queue's or stream's server")
	fs.StringVar(&o.function, "function", "", "address (host:port or URL) of the Runtime Interface Emulator running the function")
	fs.StringVar(&o.queueURL, "queue-url", "", "SQS: the queue's URL")
	fs.StringVar(&o.stream, "stream", "", "Kinesis: the stream's name")
	fs.StringVar(&o.table, "table", "", "DynamoDB: the table whose stream to read (or -stream-arn)")
	fs.StringVar(&o.arn, "stream-arn", "", "DynamoDB: the stream's ARN")
	fs.IntVar(&o.batchSize, "batch-size", 0, "most records per invocation (0: 10 for SQS, 100 for streams)")
	fs.DurationVar(&o.wait, "wait", time.Second, "SQS: long-poll wait of each receive")
	fs.IntVar(&o.idle, "idle", 3, "stop after this many polls in a row find nothing; 0 never stops")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.endpoint == "" || o.function == "" {
		return o, errors.New("-endpoint and -function are required")
	}
	switch o.source {
	case "sqs":
		if o.queueURL == "" {
			return o, errors.New("-source sqs needs -queue-url")
		}
	case "kinesis":
		if o.stream == "" {
			return o, errors.New("-source kinesis needs -stream")
		}
	case "dynamodb":
		if o.table == "" && o.arn == "" {
			return o, errors.New("-source dynamodb needs -table or -stream-arn")
		}
	default:
		return o, fmt.Errorf("-source must be sqs, kinesis or dynamodb, got %q", o.source)
	}
	return o, nil
}

// poller builds the event source mapping the options describe.
func poller(ctx context.Context, o options) (driver.Poller, error) {
	switch o.source {
	case "sqs":
		return &driver.SQS{ReportBatchItemFailures: true, Client: driver.NewSQSClient(o.endpoint), QueueURL: o.queueURL, BatchSize: int32(o.batchSize), WaitTime: o.wait}, nil
	case "kinesis":
		return &driver.Kinesis{Client: driver.NewKinesisClient(o.endpoint), StreamName: o.stream, BatchSize: int32(o.batchSize), StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}, nil
	default:
		arn := o.arn
		if arn == "" {
			var err error
			if arn, err = driver.LatestStreamARN(ctx, driver.NewDynamoDBClient(o.endpoint), o.table); err != nil {
				return nil, err
			}
		}
		return &driver.DynamoDBStreams{Client: driver.NewDynamoDBStreamsClient(o.endpoint), StreamARN: arn, BatchSize: int32(o.batchSize), StreamSettings: driver.StreamSettings{ReportBatchItemFailures: true}}, nil
	}
}

// line is one invocation as printed.
type line struct {
	Source     string   `json:"source"`
	Shard      string   `json:"shard,omitempty"`
	Records    int      `json:"records"`
	Failed     []string `json:"failed,omitempty"`
	Deleted    int      `json:"deleted,omitempty"`
	Checkpoint string   `json:"checkpoint,omitempty"`
	Error      string   `json:"error,omitempty"`
}

func run(ctx context.Context, args []string, out, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	p, err := poller(ctx, o)
	if err != nil {
		return err
	}
	fn := driver.NewEmulator(o.function)
	enc := json.NewEncoder(out)
	for empty := 0; o.idle == 0 || empty < o.idle; {
		batches, err := p.Poll(ctx, fn)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if len(batches) == 0 {
			empty++
			if o.source != "sqs" {
				time.Sleep(200 * time.Millisecond)
			}
			continue
		}
		empty = 0
		for _, b := range batches {
			l := line{Source: b.Source, Shard: b.Shard, Records: len(b.IDs), Failed: b.Failed, Deleted: len(b.Deleted), Checkpoint: b.Checkpoint}
			if b.Err != nil {
				l.Error = b.Err.Error()
			}
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
	}
	return nil
}
