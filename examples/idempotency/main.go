// Command idempotency is an SQS-triggered Lambda function that charges each
// order once, however many times its message is delivered: the SQS
// processor is wrapped by [idempotency.New], keyed on the order id in the
// body, with the body's hash checked (the same order id with another body
// fails instead of being skipped), against a DynamoDB table
// (template.yaml: the table, its Time to Live, the function's permissions).
//
// Environment:
//
//	IDEMPOTENCY_TABLE            the table (required under Lambda; template.yaml sets it)
//	BATCHKIT_DYNAMODB_ENDPOINT   a local DynamoDB endpoint (DynamoDB Local), for local runs
//
// Run it under the driver (the queue and the table are created from the
// template, the bundled event is sent, the function runs under the Lambda
// Runtime Interface Emulator):
//
//	batchkit-driver run -template examples/idempotency/template.yaml -create -send examples/idempotency/event.json
//
// or on its own, on the bundled event (order o-1 twice, o-2, o-1 with
// another amount, one message that is not an order), with DynamoDB Local
// at BATCHKIT_DYNAMODB_ENDPOINT: `go run .` creates the table if needed and
// prints the response. The second run finds every order completed.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchkit/batchkit/batchtest"
	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/processors"
)

//go:embed event.json
var sampleEvent []byte

// localTable is the table of a local run without IDEMPOTENCY_TABLE.
const localTable = "batchkit-idempotency-example"

// Order is a message body.
type Order struct {
	OrderID string `json:"orderId"`
	Amount  int    `json:"amount"`
}

// orderKey is the idempotency key: the order id in the body (a producer
// that sends an order twice sends two messages with two message ids).
func orderKey(m *events.SQSMessage) (string, error) {
	var o Order
	if err := json.Unmarshal([]byte(m.Body), &o); err != nil {
		return "", err
	}
	if o.OrderID == "" {
		return "", errors.New(`no "orderId"`)
	}
	return "order#" + o.OrderID, nil
}

// newProcessor is the SQS processor made idempotent against store.
func newProcessor(store idempotency.Store) (*idempotency.Processor[events.SQSMessage], error) {
	base, err := processors.NewSQS(processors.Config{})
	if err != nil {
		return nil, err
	}
	return idempotency.New(base, idempotency.Config[events.SQSMessage]{
		Store:   store,
		Key:     orderKey,
		Payload: func(m *events.SQSMessage) ([]byte, error) { return []byte(m.Body), nil },
		TTL:     24 * time.Hour, // longer than the queue can hold a duplicate back
	})
}

// newHandler returns the Lambda handler; charge runs once per order.
func newHandler(p core.PartialProcessor[events.SQSMessage], charge func(context.Context, Order) error) core.LambdaHandler[core.Response] {
	return processors.SQSHandler(p, processors.SQSJSON(func(ctx context.Context, o Order, _ *events.SQSMessage) error {
		return charge(ctx, o)
	}))
}

// charge stands for the side effect that must not happen twice.
func charge(ctx context.Context, o Order) error {
	slog.InfoContext(ctx, "charging order", "orderId", o.OrderID, "amount", o.Amount)
	return nil
}

// settings is what the function reads from its environment.
type settings struct {
	table, endpoint, region string
}

func loadSettings(lookup func(string) (string, bool)) (settings, error) {
	get := func(name string) string { v, _ := lookup(name); return v }
	s := settings{table: get("IDEMPOTENCY_TABLE"), endpoint: get("BATCHKIT_DYNAMODB_ENDPOINT"), region: get("AWS_REGION")}
	inLambda := get("AWS_LAMBDA_RUNTIME_API") != ""
	switch {
	case inLambda && s.table == "":
		return s, errors.New("IDEMPOTENCY_TABLE is unset (template.yaml sets it)")
	case !inLambda && s.endpoint == "":
		return s, errors.New("set BATCHKIT_DYNAMODB_ENDPOINT to a DynamoDB Local endpoint (bash scripts/test.sh installs one), or run under batchkit-driver")
	}
	if s.table == "" {
		s.table = localTable
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	return s, nil
}

// newClient returns the DynamoDB client: under Lambda with the execution
// role's credentials from the environment; locally, DynamoDB Local's.
func newClient(s settings) *dynamodb.Client {
	cfg := aws.Config{Region: s.region}
	if s.endpoint == "" {
		cfg.Credentials = credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN"))
		return dynamodb.NewFromConfig(cfg)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(s.endpoint)
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	})
}

// ensureTable creates the table as template.yaml defines it, for local
// runs outside the driver.
func ensureTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		return err
	}
	_, err = client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(idempotency.DefaultKeyAttribute), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(idempotency.DefaultKeyAttribute), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		return err
	}
	err = dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 30*time.Second)
	if err != nil {
		return err
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(idempotency.TTLAttribute), Enabled: aws.Bool(true)},
	})
	return err
}

func main() {
	s, err := loadSettings(os.LookupEnv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	client := newClient(s)
	if !batchtest.InLambda() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := ensureTable(ctx, client, s.table)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "DynamoDB at %s: %v\n", s.endpoint, err)
			os.Exit(1)
		}
	}
	store := core.Must(idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: client, Table: s.table}))
	p := core.Must(newProcessor(store))
	batchtest.Main(newHandler(p, charge), sampleEvent)
}
