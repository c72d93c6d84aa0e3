package driver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	// OnFailureURL is the URL of the on-failure queue, if any.
	OnFailureURL string
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
			Bisections: k.Bisections, Filtered: k.Filtered, OnFailure: k.Discarded, RecordAgeExceeded: k.RecordAgeExceeded}
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
	var onFailure Destination
	if m.OnFailure != "" {
		url, err := t.queue(ctx, env, m.OnFailure)
		if err != nil {
			return nil, err
		}
		o.OnFailureURL = url
		onFailure = &SQSDestination{Client: env.SQS, QueueURL: url}
	}
	if m.Type == TypeMSK || m.Type == TypeSelfManagedKafka {
		return o, m.openKafka(o, env, rf)
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
	if m.MaximumBatchingWindow > 0 {
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
	if o.OnFailureURL != "" {
		k.OnFailure = &KafkaSQSDestination{Client: env.SQS, QueueURL: o.OnFailureURL}
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
		var inUse *ktypes.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return "", fmt.Errorf("batchkit/driver: create stream %s (%s): %w", id, name, err)
		}
	}
	for {
		out, err := env.Kinesis.DescribeStream(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)})
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
		var inUse *ddbtypes.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) {
			return "", "", fmt.Errorf("batchkit/driver: create table %s (%s): %w", id, name, err)
		}
	}
	arn, err := LatestStreamARN(ctx, env.DynamoDB, name)
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
