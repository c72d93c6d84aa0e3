package driver

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	ktypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchkit/batchkit/driver/filter"
)

// Env is where a template's mappings run: the local servers' clients, and
// whether to create the queues, streams and tables the template declares.
type Env struct {
	// SQS talks to the queues' server (fauxqs); needed by SQS mappings and
	// on-failure destinations.
	SQS *sqs.Client
	// Kinesis talks to the streams' server (kinesalite).
	Kinesis *kinesis.Client
	// DynamoDB talks to DynamoDB Local's tables.
	DynamoDB *dynamodb.Client
	// DynamoDBStreams talks to DynamoDB Local's streams.
	DynamoDBStreams *dynamodbstreams.Client
	// SNS talks to the SNS topics' server (fauxqs); needed by SNS
	// on-failure destinations.
	SNS *sns.Client
	// S3 talks to the S3 buckets' server (fauxqs, path-style:
	// [NewS3Client]); needed by S3 on-failure destinations.
	S3 *s3.Client
	// Create creates the resources that do not exist yet, with the
	// template's properties; otherwise they must exist.
	Create bool
	// Prefix is prepended to every resource's name on the servers, so that
	// several runs of one template do not share queues.
	Prefix string
	// Filter builds the RecordFilter of a mapping's FilterCriteria patterns;
	// nil means package driver/filter, Lambda's pattern syntax.
	Filter func(patterns []string) (RecordFilter, error)
	// KafkaBrokers are the brokers of the Kafka mappings (MSK and
	// SelfManagedKafka events) on this machine; empty means the event's
	// KafkaBootstrapServers.
	KafkaBrokers []string
	// WaitTime is the SQS long-poll wait; 0 means 1 s.
	WaitTime time.Duration
	// VisibilityTimeout, when positive, overrides the queues' visibility
	// timeout at receive, to see retries sooner than the template's.
	VisibilityTimeout time.Duration
}

// OpenMapping is a [Mapping] opened on local servers.
type OpenMapping struct {
	// Mapping is the template's mapping.
	Mapping
	// Poller polls its source: a *SQS, *Kinesis or *DynamoDBStreams.
	Poller Poller
	// SourceName is the queue URL, stream name, table name or Kafka topics
	// it reads.
	SourceName string
	// OnFailureURL is the URL of the on-failure queue, the ARN of the
	// on-failure topic, the name of the on-failure bucket or the
	// on-failure Kafka topic, if any.
	OnFailureURL string
	// OnFailureDestination is the on-failure destination as the template
	// names it: the logical ID of the queue, topic or bucket, or
	// "kafka://<topic>".
	OnFailureDestination string
	// DeadLetterURL is the URL of the source queue's dead-letter queue, if
	// its RedrivePolicy names one of the template's queues.
	DeadLetterURL string
}

// Stats returns what the mapping did so far.
func (o *OpenMapping) Stats() Stats {
	switch p := o.Poller.(type) {
	case interface{ Stats() Stats }:
		return p.Stats()
	case *Kafka:
		k := p.Stats()
		return Stats{Batches: k.Invocations - k.Retries, Records: k.Records, Invocations: k.Invocations, Retries: k.Retries,
			Bisections: k.Bisections, Filtered: k.Filtered, Succeeded: k.Succeeded, OnFailure: k.Discarded, RecordAgeExceeded: k.RecordAgeExceeded}
	}
	return Stats{}
}

// Close releases the mapping's connections (a Kafka client).
func (o *OpenMapping) Close() {
	if c, ok := o.Poller.(interface{ Close() }); ok {
		c.Close()
	}
}

// Open creates (with env.Create) or finds the mapping's resources on the
// local servers and returns the poller that runs it with the template's
// settings. It first checks everything Lambda checks when the mapping is
// created ([Mapping.Validate], the filters): a mapping Lambda would refuse
// fails with a [*ConfigError] before anything is created.
func (m *Mapping) Open(ctx context.Context, t *Template, env *Env) (*OpenMapping, error) {
	o := &OpenMapping{Mapping: *m}
	if err := m.validateWith(t.sourceFacts(m)); err != nil {
		return nil, err
	}
	var rf RecordFilter
	if len(m.FilterPatterns) > 0 {
		if env.Filter != nil {
			var err error
			if rf, err = env.Filter(m.FilterPatterns); err != nil {
				return nil, fmt.Errorf("batchkit/driver: %s: FilterCriteria: %w", m.Name(), err)
			}
		} else {
			c, err := t.compileFilters(m)
			if err != nil {
				return nil, err
			}
			rf = c
		}
	}
	if m.Type == TypeMSK || m.Type == TypeSelfManagedKafka {
		// Every setting is checked before anything is created.
		if err := m.openKafka(o, env, rf); err != nil {
			return o, err
		}
	}
	onFailure, err := m.destination(ctx, t, env, o)
	if err != nil {
		return nil, err
	}
	if k, ok := o.Poller.(*Kafka); ok {
		k.OnFailure = onFailure
		return o, k.Validate()
	}
	settings := StreamSettings{
		BisectBatchOnFunctionError: m.BisectBatchOnFunctionError,
		MaximumRetryAttempts:       m.MaximumRetryAttempts,
		MaximumRecordAge:           m.MaximumRecordAge,
		OnFailure:                  onFailure,
		ParallelizationFactor:      m.ParallelizationFactor,
		MaximumBatchingWindow:      m.MaximumBatchingWindow,
		TumblingWindow:             m.TumblingWindow,
		StartingPositionTimestamp:  m.StartingPositionTimestamp,
		Filter:                     rf,
		ReportBatchItemFailures:    m.ReportBatchItemFailures,
		FunctionTimeout:            m.FunctionTimeout,
		FunctionARN:                fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", DefaultRegion, LocalAccountID, m.Function),
	}
	switch m.Type {
	case TypeSQS:
		url, err := t.queue(ctx, env, m.Source)
		if err != nil {
			return nil, err
		}
		if dlq, ok := t.deadLetterQueue(m.Source); ok {
			if o.DeadLetterURL, err = t.queue(ctx, env, dlq); err != nil {
				return nil, err
			}
		}
		wait := env.WaitTime
		if wait == 0 {
			wait = time.Second
		}
		o.SourceName = url
		o.Poller = &SQS{Client: env.SQS, QueueURL: url, BatchSize: int32(m.BatchSize), WaitTime: wait,
			VisibilityTimeout: env.VisibilityTimeout, MaximumBatchingWindow: m.MaximumBatchingWindow,
			MaximumConcurrency: m.MaximumConcurrency, MaximumPollers: m.provisionedPollers(), Filter: rf,
			ReportBatchItemFailures: m.ReportBatchItemFailures, FunctionTimeout: m.FunctionTimeout}
	case TypeKinesis:
		name, err := t.stream(ctx, env, m.Source)
		if err != nil {
			return nil, err
		}
		o.SourceName = name
		o.Poller = &Kinesis{Client: env.Kinesis, StreamName: name, BatchSize: int32(m.BatchSize), StartingPosition: m.StartingPosition, StreamSettings: settings}
	case TypeDynamoDB:
		name, arn, err := t.table(ctx, env, m.Source)
		if err != nil {
			return nil, err
		}
		o.SourceName = name
		o.Poller = &DynamoDBStreams{Client: env.DynamoDBStreams, StreamARN: arn, BatchSize: int32(m.BatchSize), StartingPosition: m.StartingPosition, StreamSettings: settings}
	}
	return o, nil
}

// provisionedPollers is an SQS mapping's MaximumPollers in provisioned mode
// (200 when only MinimumPollers is set), 0 when it is not in provisioned
// mode.
func (m *Mapping) provisionedPollers() int {
	switch {
	case m.MaximumPollers > 0:
		return m.MaximumPollers
	case m.MinimumPollers > 0:
		return DefaultMaximumPollers
	}
	return 0
}

// compileFilters compiles a mapping's FilterCriteria with package
// driver/filter, checking what Lambda checks when the mapping is created
// (the syntax, the template's FilterQuota, the source's rules); an error is
// a [*ConfigError] wrapping the *filter.PatternError.
func (t *Template) compileFilters(m *Mapping) (*filter.Criteria, error) {
	source := map[string]string{TypeSQS: "aws:sqs", TypeKinesis: "aws:kinesis", TypeDynamoDB: "aws:dynamodb", TypeMSK: KafkaSourceMSK, TypeSelfManagedKafka: KafkaSourceSelfManaged}[m.Type]
	c, err := filter.Compile(filter.Options{Source: source, Quota: t.FilterQuota}, m.FilterPatterns...)
	if err != nil {
		setting := "FilterCriteria.Filters"
		var pe *filter.PatternError
		if errors.As(err, &pe) {
			setting = fmt.Sprintf("FilterCriteria.Filters[%d].Pattern", pe.Index)
		}
		return nil, &ConfigError{Mapping: m.Name(), Setting: setting, Reason: err.Error(), Err: err}
	}
	return c, nil
}

// validateFilters checks a mapping's FilterCriteria when the template is
// read.
func (t *Template) validateFilters(m *Mapping) error {
	if len(m.FilterPatterns) == 0 {
		return nil
	}
	_, err := t.compileFilters(m)
	return err
}

// Create creates every queue, stream and table of the template on the
// local servers, not only the mappings' sources (a function may use a table
// of its own), and returns a note for each it skipped because env has no
// client for its server.
func (t *Template) Create(ctx context.Context, env *Env) ([]string, error) {
	if !env.Create {
		c := *env
		c.Create = true
		env = &c
	}
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var notes []string
	for _, id := range ids {
		var err error
		switch t.Resources[id].Type {
		case "AWS::SQS::Queue":
			if env.SQS == nil {
				notes = append(notes, id+": no SQS endpoint, not created")
				continue
			}
			_, err = t.queue(ctx, env, id)
		case "AWS::Kinesis::Stream":
			if env.Kinesis == nil {
				notes = append(notes, id+": no Kinesis endpoint, not created")
				continue
			}
			_, err = t.stream(ctx, env, id)
		case "AWS::DynamoDB::Table":
			if env.DynamoDB == nil || env.DynamoDBStreams == nil {
				notes = append(notes, id+": no DynamoDB endpoint, not created")
				continue
			}
			_, _, err = t.table(ctx, env, id)
		case "AWS::SNS::Topic":
			if env.SNS == nil {
				notes = append(notes, id+": no SNS endpoint, not created")
				continue
			}
			_, err = t.snsTopic(ctx, env, id)
		case "AWS::S3::Bucket":
			if env.S3 == nil {
				notes = append(notes, id+": no S3 endpoint, not created")
				continue
			}
			_, err = t.bucket(ctx, env, id)
		}
		if err != nil {
			return notes, err
		}
	}
	return notes, nil
}

// openKafka builds the [Kafka] poller of an MSK or SelfManagedKafka event.
func (m *Mapping) openKafka(o *OpenMapping, env *Env, rf RecordFilter) error {
	brokers := env.KafkaBrokers
	if len(brokers) == 0 {
		brokers = m.KafkaBootstrapServers
	}
	if len(brokers) == 0 {
		return &ConfigError{Setting: "KafkaBootstrapServers", Reason: m.Name() + ": no brokers to read " + strings.Join(m.Topics, ", ") + " from; give them (Env.KafkaBrokers, -kafka-brokers)"}
	}
	k := NewKafka(brokers, m.Topics...)
	k.EventSource = KafkaSourceMSK
	if m.Type == TypeSelfManagedKafka {
		k.EventSource = KafkaSourceSelfManaged
	}
	k.FunctionARN = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", DefaultRegion, LocalAccountID, m.Function)
	k.ConsumerGroupID = m.ConsumerGroupID
	if m.BatchSize > 0 {
		k.BatchSize = m.BatchSize
	}
	if m.MaximumBatchingWindowSet || m.MaximumBatchingWindow > 0 {
		// An explicit 0 does not wait: Lambda's 500 ms is the default
		// only when the setting is absent
		// (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html#lambda-CreateEventSourceMapping-request-MaximumBatchingWindowInSeconds).
		k.MaximumBatchingWindow = m.MaximumBatchingWindow
	}
	if m.StartingPosition != "" {
		k.StartingPosition = m.StartingPosition
	}
	k.StartingPositionTimestamp = m.StartingPositionTimestamp
	if m.MaximumRetryAttempts != nil {
		k.MaximumRetryAttempts = *m.MaximumRetryAttempts
	}
	k.BisectBatchOnFunctionError = m.BisectBatchOnFunctionError
	if m.MaximumRecordAge > 0 {
		k.MaximumRecordAgeInSeconds = int(m.MaximumRecordAge / time.Second)
	}
	k.ReportBatchItemFailures = m.ReportBatchItemFailures
	if m.OnFailureType == DestinationKafka {
		// Validate refuses a source topic before anything is created.
		k.OnFailure = &KafkaTopicDestination{Topic: m.OnFailure}
	}
	if rf != nil {
		c, ok := rf.(*filter.Criteria)
		if !ok {
			return &ConfigError{Setting: "FilterCriteria", Reason: m.Name() + ": a Kafka mapping filters with package driver/filter; Env.Filter must return a *filter.Criteria"}
		}
		k.Filter = c
	}
	o.SourceName = strings.Join(m.Topics, ",")
	o.Poller = k
	return k.Validate()
}

// deadLetterQueue returns the logical ID of the queue that a queue's
// RedrivePolicy names.
func (t *Template) deadLetterQueue(id string) (string, bool) {
	rp, ok := t.Resources[id].Properties["RedrivePolicy"].(map[string]any)
	if !ok {
		return "", false
	}
	dlq, err := t.resourceOf(rp["deadLetterTargetArn"], "AWS::SQS::Queue")
	return dlq, err == nil
}

// needClient fails when env lacks the client a resource needs.
func needClient(ok bool, id, server string) error {
	if ok {
		return nil
	}
	return fmt.Errorf("batchkit/driver: resource %s needs %s: give its endpoint (Env and the --*-endpoint flags)", id, server)
}

// queue creates or finds a queue of the template and returns its URL.
func (t *Template) queue(ctx context.Context, env *Env, id string) (string, error) {
	if err := needClient(env.SQS != nil, id, "an SQS server (fauxqs)"); err != nil {
		return "", err
	}
	name := env.Prefix + t.physicalName(id)
	if !env.Create {
		out, err := env.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if e := noServer(err, "SQS", env.SQS.Options().BaseEndpoint); e != nil {
			return "", e
		}
		if err != nil {
			return "", fmt.Errorf("batchkit/driver: queue %s (%s) not found; create it or pass --create: %w", id, name, err)
		}
		return aws.ToString(out.QueueUrl), nil
	}
	props := t.Resources[id].Properties
	attrs := map[string]string{}
	for _, k := range []string{"VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize", "ReceiveMessageWaitTimeSeconds"} {
		if n, ok, _ := integer(props[k]); ok {
			attrs[k] = strconv.Itoa(n)
		}
	}
	if truthy(props["FifoQueue"]) {
		attrs["FifoQueue"] = "true"
		if truthy(props["ContentBasedDeduplication"]) {
			attrs["ContentBasedDeduplication"] = "true"
		}
	}
	if rp, ok := props["RedrivePolicy"].(map[string]any); ok {
		dlq, err := t.resourceOf(rp["deadLetterTargetArn"], "AWS::SQS::Queue")
		if err != nil {
			return "", &TemplateError{Path: t.Path, Where: id + ".Properties.RedrivePolicy.deadLetterTargetArn", Reason: err.Error()}
		}
		dlqURL, err := t.queue(ctx, env, dlq)
		if err != nil {
			return "", err
		}
		a, err := env.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlqURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return "", fmt.Errorf("batchkit/driver: read the ARN of dead-letter queue %s: %w", dlq, err)
		}
		max, _, _ := integer(rp["maxReceiveCount"])
		b, _ := json.Marshal(map[string]any{"deadLetterTargetArn": a.Attributes["QueueArn"], "maxReceiveCount": strconv.Itoa(max)})
		attrs["RedrivePolicy"] = string(b)
	}
	out, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if e := noServer(err, "SQS", env.SQS.Options().BaseEndpoint); e != nil {
		return "", e
	}
	if err != nil {
		return "", fmt.Errorf("batchkit/driver: create queue %s (%s): %w", id, name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// stream creates or finds a Kinesis stream of the template, waits until it
// is active, and returns its name.
func (t *Template) stream(ctx context.Context, env *Env, id string) (string, error) {
	if err := needClient(env.Kinesis != nil, id, "a Kinesis server (kinesalite)"); err != nil {
		return "", err
	}
	name := env.Prefix + t.physicalName(id)
	if env.Create {
		shards, ok, _ := integer(t.Resources[id].Properties["ShardCount"])
		if !ok || shards <= 0 {
			shards = 1
		}
		_, err := env.Kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(int32(shards))})
		if e := noServer(err, "Kinesis", env.Kinesis.Options().BaseEndpoint); e != nil {
			return "", e
		}
		var inUse *ktypes.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return "", fmt.Errorf("batchkit/driver: create stream %s (%s): %w", id, name, err)
		}
	}
	for {
		out, err := env.Kinesis.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)})
		if e := noServer(err, "Kinesis", env.Kinesis.Options().BaseEndpoint); e != nil {
			return "", e
		}
		if err != nil {
			return "", fmt.Errorf("batchkit/driver: stream %s (%s) not found; create it or pass --create: %w", id, name, err)
		}
		if out.StreamDescription.StreamStatus == ktypes.StreamStatusActive {
			return name, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// table creates or finds a DynamoDB table of the template with its stream
// and returns its name and stream ARN.
func (t *Template) table(ctx context.Context, env *Env, id string) (string, string, error) {
	if err := needClient(env.DynamoDB != nil && env.DynamoDBStreams != nil, id, "DynamoDB Local"); err != nil {
		return "", "", err
	}
	name := env.Prefix + t.physicalName(id)
	if env.Create {
		in, err := t.createTableInput(id, name)
		if err != nil {
			return "", "", err
		}
		_, err = env.DynamoDB.CreateTable(ctx, in)
		if e := noServer(err, "DynamoDB", env.DynamoDB.Options().BaseEndpoint); e != nil {
			return "", "", e
		}
		var inUse *ddbtypes.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return "", "", fmt.Errorf("batchkit/driver: create table %s (%s): %w", id, name, err)
		}
	}
	arn, err := LatestStreamARN(ctx, env.DynamoDB, name)
	if e := noServer(err, "DynamoDB", env.DynamoDB.Options().BaseEndpoint); e != nil {
		return "", "", e
	}
	return name, arn, err
}

// createTableInput reads a table's KeySchema, AttributeDefinitions and
// StreamSpecification.
func (t *Template) createTableInput(id, name string) (*dynamodb.CreateTableInput, error) {
	props := t.Resources[id].Properties
	bad := func(prop, reason string) error {
		return &TemplateError{Path: t.Path, Where: id + ".Properties." + prop, Reason: reason}
	}
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest}
	defs, _ := props["AttributeDefinitions"].([]any)
	for _, d := range defs {
		m, _ := d.(map[string]any)
		n, _ := m["AttributeName"].(string)
		typ, _ := m["AttributeType"].(string)
		in.AttributeDefinitions = append(in.AttributeDefinitions, ddbtypes.AttributeDefinition{AttributeName: aws.String(n), AttributeType: ddbtypes.ScalarAttributeType(typ)})
	}
	keys, _ := props["KeySchema"].([]any)
	for _, k := range keys {
		m, _ := k.(map[string]any)
		n, _ := m["AttributeName"].(string)
		typ, _ := m["KeyType"].(string)
		in.KeySchema = append(in.KeySchema, ddbtypes.KeySchemaElement{AttributeName: aws.String(n), KeyType: ddbtypes.KeyType(typ)})
	}
	if len(in.KeySchema) == 0 {
		return nil, bad("KeySchema", "missing")
	}
	view := ddbtypes.StreamViewTypeNewAndOldImages
	if ss, ok := props["StreamSpecification"].(map[string]any); ok {
		if v, _ := ss["StreamViewType"].(string); v != "" {
			view = ddbtypes.StreamViewType(strings.ToUpper(v))
		}
	}
	in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: view}
	return in, nil
}

// destination creates (with env.Create) or finds the mapping's on-failure
// destination and returns it; nil when there is none.
func (m *Mapping) destination(ctx context.Context, t *Template, env *Env, o *OpenMapping) (Destination, error) {
	if m.OnFailure == "" {
		return nil, nil
	}
	o.OnFailureDestination = m.OnFailure
	switch m.OnFailureType {
	case DestinationSNS:
		arn, err := t.snsTopic(ctx, env, m.OnFailure)
		if err != nil {
			return nil, err
		}
		o.OnFailureURL = arn
		return &SNSDestination{Client: env.SNS, TopicARN: arn}, nil
	case DestinationS3:
		name, err := t.bucket(ctx, env, m.OnFailure)
		if err != nil {
			return nil, err
		}
		o.OnFailureURL = name
		return &S3Destination{Client: env.S3, Bucket: name, MappingUUID: mappingUUID(m.Name())}, nil
	case DestinationKafka:
		o.OnFailureDestination = "kafka://" + m.OnFailure
		o.OnFailureURL = m.OnFailure
		if k, ok := o.Poller.(*Kafka); ok && k.OnFailure != nil {
			return k.OnFailure, nil
		}
		return nil, &ConfigError{Setting: "DestinationConfig.OnFailure", Reason: m.Name() + ": a Kafka topic destination is for Kafka event source mappings only"}
	default:
		url, err := t.queue(ctx, env, m.OnFailure)
		if err != nil {
			return nil, err
		}
		o.OnFailureURL = url
		return &SQSDestination{Client: env.SQS, QueueURL: url}, nil
	}
}

// mappingUUID is a stable UUID-shaped name of a mapping (the ESM UUID in
// S3 on-failure keys).
func mappingUUID(name string) string {
	h := sha256.Sum256([]byte(name))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// snsTopic creates or finds an SNS topic of the template and returns its
// ARN.
func (t *Template) snsTopic(ctx context.Context, env *Env, id string) (string, error) {
	if err := needClient(env.SNS != nil, id, "an SNS server (fauxqs)"); err != nil {
		return "", err
	}
	name := env.Prefix + t.physicalName(id)
	if !env.Create {
		arn := fmt.Sprintf("arn:aws:sns:%s:%s:%s", DefaultRegion, LocalAccountID, name)
		if _, err := env.SNS.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)}); err != nil {
			if e := noServer(err, "SNS", env.SNS.Options().BaseEndpoint); e != nil {
				return "", e
			}
			return "", fmt.Errorf("batchkit/driver: SNS topic %s (%s) not found; create it or pass --create: %w", id, name, err)
		}
		return arn, nil
	}
	out, err := env.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		if e := noServer(err, "SNS", env.SNS.Options().BaseEndpoint); e != nil {
			return "", e
		}
		return "", fmt.Errorf("batchkit/driver: create SNS topic %s (%s): %w", id, name, err)
	}
	return aws.ToString(out.TopicArn), nil
}

// bucket creates or finds an S3 bucket of the template and returns its
// name.
func (t *Template) bucket(ctx context.Context, env *Env, id string) (string, error) {
	if err := needClient(env.S3 != nil, id, "an S3 server (fauxqs)"); err != nil {
		return "", err
	}
	name := env.Prefix + t.physicalName(id)
	if !env.Create {
		if _, err := env.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)}); err != nil {
			if e := noServer(err, "S3", env.S3.Options().BaseEndpoint); e != nil {
				return "", e
			}
			return "", fmt.Errorf("batchkit/driver: S3 bucket %s (%s) not found; create it or pass --create: %w", id, name, err)
		}
		return name, nil
	}
	_, err := env.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	var owned *s3types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		if e := noServer(err, "S3", env.S3.Options().BaseEndpoint); e != nil {
			return "", e
		}
		return "", fmt.Errorf("batchkit/driver: create S3 bucket %s (%s): %w", id, name, err)
	}
	return name, nil
}

// NoServerError is the error of a resource whose server does not answer at
// its endpoint (nothing listens there).
type NoServerError struct {
	// Service is "SQS", "SNS", "S3", "Kinesis" or "DynamoDB".
	Service string
	// Endpoint is the server's URL.
	Endpoint string
	// Err is the connection's error.
	Err error
}

// Error says which server is missing where.
func (e *NoServerError) Error() string {
	return fmt.Sprintf("batchkit/driver: no %s server at %s (start it, or give its endpoint): %v", e.Service, e.Endpoint, e.Err)
}

// Unwrap returns the connection's error.
func (e *NoServerError) Unwrap() error { return e.Err }

// noServer returns a [*NoServerError] when err is a failed connection,
// else nil.
func noServer(err error, service string, endpoint *string) error {
	var op *net.OpError
	if err == nil || !errors.As(err, &op) {
		return nil
	}
	return &NoServerError{Service: service, Endpoint: aws.ToString(endpoint), Err: op}
}
