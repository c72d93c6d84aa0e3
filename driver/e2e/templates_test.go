package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// decode turns a YAML node into plain Go values. CloudFormation's short
// intrinsic functions (!Ref, !GetAtt, !Sub, ...) are YAML tags that plain
// decoding rejects; here a tagged node becomes a one-key map, as in the long
// form: !GetAtt Queue.Arn -> {"Fn::GetAtt": "Queue.Arn"}, !Ref X -> {"Ref": "X"}.
func decode(t *testing.T, n *yaml.Node) any {
	t.Helper()
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return decode(t, n.Content[0])
	case yaml.AliasNode:
		return decode(t, n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i < len(n.Content); i += 2 {
			m[n.Content[i].Value] = decode(t, n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = decode(t, c)
		}
		v = s
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!!") {
			require.NoError(t, n.Decode(&v))
		} else {
			v = n.Value
		}
	}
	if tag := n.Tag; strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") {
		name := strings.TrimPrefix(tag, "!")
		if name != "Ref" {
			name = "Fn::" + name
		}
		return map[string]any{name: v}
	}
	return v
}

// loadTemplate parses an example's SAM template.
func loadTemplate(t *testing.T, example string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "examples", example, "template.yaml"))
	require.NoError(t, err, "every event source has a SAM template")
	var n yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &n))
	m, ok := decode(t, &n).(map[string]any)
	require.True(t, ok, "the template is a mapping")
	return m
}

// get follows keys through nested maps, failing the test when one is missing.
func get(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%s is not a mapping", strings.Join(keys[:i], "."))
		v, ok = m[k]
		require.True(t, ok, "missing %s", strings.Join(keys[:i+1], "."))
	}
	return v
}

// number reads an integer property, written as a number or a string.
func number(t *testing.T, v any) int {
	t.Helper()
	switch v := v.(type) {
	case int:
		return v
	case string:
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		return n
	}
	require.Failf(t, "not a number", "%v (%T)", v, v)
	return 0
}

// getAtt returns the resource and attribute of a !GetAtt Resource.Attr.
func getAtt(t *testing.T, v any) (resource, attr string) {
	t.Helper()
	s, ok := get(t, v, "Fn::GetAtt").(string)
	require.True(t, ok, "!GetAtt Resource.Attribute")
	resource, attr, ok = strings.Cut(s, ".")
	require.True(t, ok)
	return resource, attr
}

// The SAM templates, which `sam validate` cannot check here: each has one
// function for provided.al2023 with the event source's permissions, partial
// batch responses, the batch settings people tune, and the queue, stream or
// table it reads.
func TestSAMTemplates(t *testing.T) {
	tests := []struct {
		example, eventType, policy, sourceProp, sourceType, sourceAttr string
		stream, fifo                                                   bool
	}{
		{"sqs", "SQS", "SQSPollerPolicy", "Queue", "AWS::SQS::Queue", "Arn", false, false},
		{"sqs_fifo", "SQS", "SQSPollerPolicy", "Queue", "AWS::SQS::Queue", "Arn", false, true},
		{"kinesis", "Kinesis", "KinesisStreamReadPolicy", "Stream", "AWS::Kinesis::Stream", "Arn", true, false},
		{"dynamodb", "DynamoDB", "DynamoDBStreamReadPolicy", "Stream", "AWS::DynamoDB::Table", "StreamArn", true, false},
		{"sns_sqs", "SQS", "SQSPollerPolicy", "Queue", "AWS::SQS::Queue", "Arn", false, false},
		{"kinesis_window", "Kinesis", "KinesisStreamReadPolicy", "Stream", "AWS::Kinesis::Stream", "Arn", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			tpl := loadTemplate(t, tt.example)
			require.Equal(t, "AWS::Serverless-2016-10-31", tpl["Transform"])
			resources := get(t, tpl, "Resources").(map[string]any)

			var fn map[string]any
			for name, r := range resources {
				if get(t, r, "Type") == "AWS::Serverless::Function" {
					require.Nil(t, fn, "one function per template (%s)", name)
					fn = get(t, r, "Properties").(map[string]any)
				}
			}
			require.NotNil(t, fn, "a AWS::Serverless::Function")
			require.Equal(t, "provided.al2023", fn["Runtime"])
			require.Equal(t, "bootstrap", fn["Handler"])
			require.Equal(t, "dist/", fn["CodeUri"], "the bootstrap built into the example's dist/")
			archs := get(t, fn, "Architectures").([]any)
			require.Len(t, archs, 1)
			param := get(t, archs[0], "Ref").(string)
			require.ElementsMatch(t, []any{"arm64", "x86_64"}, get(t, tpl, "Parameters", param, "AllowedValues"))
			timeout := number(t, get(t, fn, "Timeout"))

			var policies []string
			for _, p := range get(t, fn, "Policies").([]any) {
				for name := range p.(map[string]any) {
					policies = append(policies, name)
				}
			}
			require.Contains(t, policies, tt.policy, "the event source's read permissions")

			events := get(t, fn, "Events").(map[string]any)
			require.Len(t, events, 1)
			for _, ev := range events {
				require.Equal(t, tt.eventType, get(t, ev, "Type"))
				props := get(t, ev, "Properties").(map[string]any)
				require.Equal(t, []any{"ReportBatchItemFailures"}, props["FunctionResponseTypes"])
				require.Positive(t, number(t, get(t, props, "BatchSize")))

				src, attr := getAtt(t, get(t, props, tt.sourceProp))
				require.Equal(t, tt.sourceAttr, attr)
				require.Equal(t, tt.sourceType, get(t, resources, src, "Type"))
				srcProps := get(t, resources, src, "Properties")

				if tt.stream {
					require.Equal(t, "TRIM_HORIZON", props["StartingPosition"])
					if w, windowed := props["TumblingWindowInSeconds"]; windowed {
						// A window's state follows the shard's records in
						// order: no bisection, at most 15 minutes.
						require.Positive(t, number(t, w))
						require.LessOrEqual(t, number(t, w), 900)
					} else {
						require.Equal(t, true, props["BisectBatchOnFunctionError"])
					}
					require.Positive(t, number(t, get(t, props, "MaximumRetryAttempts")), "bounded retries, then the on-failure destination")
					require.Equal(t, 1, number(t, get(t, props, "ParallelizationFactor")))
					require.GreaterOrEqual(t, number(t, get(t, props, "MaximumBatchingWindowInSeconds")), 0)
					dest, _ := getAtt(t, get(t, props, "DestinationConfig", "OnFailure", "Destination"))
					require.Equal(t, "AWS::SQS::Queue", get(t, resources, dest, "Type"))
					require.Contains(t, policies, "SQSSendMessagePolicy", "permission to send to the on-failure queue")
					if tt.sourceType == "AWS::DynamoDB::Table" {
						require.Equal(t, "NEW_AND_OLD_IMAGES", get(t, srcProps, "StreamSpecification", "StreamViewType"))
					}
					return
				}

				// SQS: a dead-letter queue after 2 receives, and a visibility
				// timeout of at least 6 times the function timeout.
				require.Equal(t, 2, number(t, get(t, srcProps, "RedrivePolicy", "maxReceiveCount")))
				dlq, _ := getAtt(t, get(t, srcProps, "RedrivePolicy", "deadLetterTargetArn"))
				require.NotEqual(t, src, dlq)
				require.Equal(t, "AWS::SQS::Queue", get(t, resources, dlq, "Type"))
				require.GreaterOrEqual(t, number(t, get(t, srcProps, "VisibilityTimeout")), 6*timeout)
				if tt.fifo {
					require.Equal(t, true, get(t, srcProps, "FifoQueue"))
					require.Equal(t, true, get(t, resources, dlq, "Properties", "FifoQueue"), "a FIFO queue's DLQ is FIFO")
					require.NotContains(t, props, "MaximumBatchingWindowInSeconds", "FIFO event sources take no batching window")
				} else {
					require.NotContains(t, srcProps, "FifoQueue")
					require.Positive(t, number(t, get(t, props, "MaximumBatchingWindowInSeconds")))
				}
			}
		})
	}
}
