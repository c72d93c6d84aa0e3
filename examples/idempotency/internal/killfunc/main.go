// Command killfunc is the function of the example's kill test, built as a
// bootstrap and run under the Lambda Runtime Interface Emulator: the SQS
// processor made idempotent (key: the body) against the DynamoDB table
// IDEMPOTENCY_TABLE at BATCHKIT_DYNAMODB_ENDPOINT. Each message it handles
// is appended to the file E2E_LOG as "<messageId> <body>"; a body "block",
// when E2E_BLOCK_MARKER is set, creates that file and blocks until the
// process is killed.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/processors"
)

var logMu sync.Mutex

func handle(ctx context.Context, msg *events.SQSMessage) error {
	if msg.Body == "block" {
		if marker := os.Getenv("E2E_BLOCK_MARKER"); marker != "" {
			if err := os.WriteFile(marker, []byte(msg.MessageId), 0o600); err != nil {
				return err
			}
			<-ctx.Done()
			return ctx.Err()
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	f, err := os.OpenFile(os.Getenv("E2E_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%s %s\n", msg.MessageId, msg.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func main() {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(os.Getenv("BATCHKIT_DYNAMODB_ENDPOINT"))
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	})
	store := core.Must(idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: client, Table: os.Getenv("IDEMPOTENCY_TABLE")}))
	p := core.Must(idempotency.New(core.Must(processors.NewSQS(processors.Config{})), idempotency.Config[events.SQSMessage]{
		Store: store,
		Key:   func(m *events.SQSMessage) (string, error) { return m.Body, nil },
	}))
	lambda.Start(processors.SQSHandler(p, handle))
}
