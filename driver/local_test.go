package driver_test

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batchkit/batchkit/driver"
)

// deadEndpoint returns the URL of a loopback port nothing listens on.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// With no server at the endpoint, opening a mapping says so ("no SQS server
// at <endpoint>"), with or without -create, instead of "queue not found".
func TestOpenWithoutServer(t *testing.T) {
	t.Parallel()
	tpl, err := driver.ParseTemplate([]byte(`
Resources:
  Q: {Type: AWS::SQS::Queue}
  S: {Type: AWS::Kinesis::Stream}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        A: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}
        B: {Type: Kinesis, Properties: {Stream: !GetAtt S.Arn, StartingPosition: LATEST}}
`))
	require.NoError(t, err)
	maps, _, err := tpl.Mappings("")
	require.NoError(t, err)
	url := deadEndpoint(t)
	for _, create := range []bool{false, true} {
		env := &driver.Env{Create: create, SQS: driver.NewSQSClient(url), Kinesis: driver.NewKinesisClient(url)}
		for i, service := range []string{"SQS", "Kinesis"} {
			_, err = maps[i].Open(context.Background(), tpl, env)
			var ns *driver.NoServerError
			require.ErrorAs(t, err, &ns)
			require.ErrorContains(t, err, "no "+service+" server at "+url)
			require.NotContains(t, err.Error(), "not found")
		}
	}
}
