package idempotency_test

// Shared test helpers: DynamoDB Local (started by scripts/test.sh, address
// in BATCHKIT_DYNAMODB_ENDPOINT; under CI=true a missing server fails the
// test), a table per test, and a handler that counts its calls.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/idempotency"
	"github.com/batchkit/batchkit/internal/testenv"
)

// newClient returns a client of a local endpoint: static credentials and
// its own HTTP client (AWS_CA_BUNDLE must not apply to plain HTTP).
// maxAttempts 0 keeps the SDK's default retries.
func newClient(endpoint string, maxAttempts int) *dynamodb.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
		if maxAttempts > 0 {
			o.RetryMaxAttempts = maxAttempts
		}
	})
}

func endpoint(t testing.TB) string {
	return testenv.Endpoint(t, "BATCHKIT_DYNAMODB_ENDPOINT", "DynamoDB Local")
}

// createTable creates a new, empty, ACTIVE table with the layout the
// package documents, deleted after the test.
func createTable(t testing.TB, client *dynamodb.Client) string {
	t.Helper()
	name := strings.NewReplacer("/", "-", " ", "-", "_", "-", ":", "-").Replace(t.Name())
	name = fmt.Sprintf("idem-%.150s-%s", name, rand.Text()[:8])
	ctx := context.Background()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	require.NoError(t, err)
	err = dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	}).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 30*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

// dynamoStore returns a DynamoDB store on a new table, and the client and
// table to inspect it.
func dynamoStore(t testing.TB) (*idempotency.DynamoDBStore, *dynamodb.Client, string) {
	t.Helper()
	client := newClient(endpoint(t), 0)
	table := createTable(t, client)
	s, err := idempotency.NewDynamoDBStore(idempotency.DynamoDBConfig{Client: client, Table: table})
	require.NoError(t, err)
	return s, client, table
}

// stores are the stores every behaviour is checked against.
var stores = []struct {
	name string
	new  func(t *testing.T) idempotency.Store
}{
	{"memory", func(*testing.T) idempotency.Store { return idempotency.NewMemoryStore() }},
	{"dynamodb", func(t *testing.T) idempotency.Store { s, _, _ := dynamoStore(t); return s }},
}

// eachStore runs f once per store.
func eachStore(t *testing.T, f func(t *testing.T, s idempotency.Store)) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { f(t, st.new(t)) })
	}
}

// getItem reads an item of a table (nil when absent).
func getItem(t testing.TB, client *dynamodb.Client, table, key string) map[string]types.AttributeValue {
	t.Helper()
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}},
	})
	require.NoError(t, err)
	return out.Item
}

func attrS(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// calls counts handler calls per body; bodies in fail fail.
type calls struct {
	mu   sync.Mutex
	n    map[string]int
	fail map[string]bool
}

func newCalls(fail ...string) *calls {
	c := &calls{n: map[string]int{}, fail: map[string]bool{}}
	for _, f := range fail {
		c.fail[f] = true
	}
	return c
}

func (c *calls) add(body string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[body]++
	if c.fail[body] {
		return errors.New("refused " + body)
	}
	return nil
}

func (c *calls) count(body string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[body]
}

// proxy forwards TCP connections to target until Close, after which it
// refuses new ones and has cut the open ones: DynamoDB going away.
type proxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t testing.TB, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &proxy{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); _ = u.Close() }()
			go func() { _, _ = io.Copy(c, u); _ = c.Close() }()
		}
	}()
	t.Cleanup(p.Close)
	return p
}

func (p *proxy) URL() string { return "http://" + p.l.Addr().String() }

// Close stops the proxy: open connections are cut, new ones refused.
func (p *proxy) Close() {
	_ = p.l.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}
