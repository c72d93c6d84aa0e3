// Command s3batch is an S3 Batch Operations function ("Invoke AWS Lambda
// function", invocation schema 2.0): for each task it computes where the
// object is archived, under the job's destinationPrefix user argument, and
// returns one result per task. A handler error is a TemporaryFailure (S3
// retries the task); an error wrapped with s3batch.Permanent is a
// PermanentFailure. Object keys arrive URL-encoded: task.Key is decoded
// exactly once.
//
// Outside Lambda, `go run ./examples/s3batch` processes the bundled sample
// event (event.json) and prints the response; pass another event file as
// the first argument to process it instead.
package main

import (
	"context"
	_ "embed"
	"errors"
	"log/slog"
	"path"
	"strings"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/s3batch"

	"github.com/batchkit/batchkit/examples/internal/runlocal"
)

//go:embed event.json
var sampleEvent []byte

// Args are the job's user arguments.
type Args struct {
	DestinationPrefix string `json:"destinationPrefix"`
}

// Validate refuses a job without a destination: every task of it fails
// permanently, since retrying cannot add the argument.
func (a Args) Validate() error {
	if a.DestinationPrefix == "" {
		return errors.New("the job has no destinationPrefix user argument")
	}
	return nil
}

// processor is created once and reused by every invocation.
var processor = core.Must(s3batch.New(s3batch.Config{}))

// archive handles one task. A real function would copy the object with the
// AWS SDK here and return a TemporaryFailure on throttling.
func archive(ctx context.Context, args Args, task *s3batch.Task) (string, error) {
	if strings.HasSuffix(task.Key, ".tmp") {
		return "", s3batch.Permanent(errors.New("temporary files are not archived"))
	}
	dest := path.Join(args.DestinationPrefix, task.Bucket(), task.Key)
	slog.DebugContext(ctx, "archive", "bucket", task.Bucket(), "key", task.Key, "version", task.S3VersionID, "to", dest)
	return dest, nil
}

// handler is the Lambda handler, as lambda.Start takes it: it decodes the
// event bytes itself, so a task that does not decode fails alone.
var handler = s3batch.Handler(processor, s3batch.Args(archive))

func main() { runlocal.Main(handler, sampleEvent) }
