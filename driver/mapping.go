package driver

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Event source types of a SAM function's Events that the driver maps.
const (
	// TypeSQS is an SQS queue (standard or FIFO).
	TypeSQS = "SQS"
	// TypeKinesis is a Kinesis data stream.
	TypeKinesis = "Kinesis"
	// TypeDynamoDB is a DynamoDB table's stream.
	TypeDynamoDB = "DynamoDB"
	// TypeMSK is an Amazon MSK cluster's topics (run as [Kafka]).
	TypeMSK = "MSK"
	// TypeSelfManagedKafka is a Kafka cluster's topics (run as [Kafka]).
	TypeSelfManagedKafka = "SelfManagedKafka"
)

// Mapping is one event source mapping of a SAM function: an entry of its
// Events of type SQS, Kinesis, DynamoDB, MSK or SelfManagedKafka, with its
// settings as Lambda reads them. Open it on local servers with
// [Mapping.Open].
type Mapping struct {
	// Function is the function's logical ID.
	Function string
	// Event is the event's name in the function's Events.
	Event string
	// Type is [TypeSQS], [TypeKinesis] or [TypeDynamoDB].
	Type string
	// Source is the logical ID of the queue, stream or table the mapping
	// reads; empty for Kafka (see Topics).
	Source string
	// BatchSize is the most records per invocation; 0 means Lambda's
	// default (10 for SQS, 100 for streams).
	BatchSize int
	// MaximumBatchingWindow is MaximumBatchingWindowInSeconds.
	MaximumBatchingWindow time.Duration
	// StartingPosition is TRIM_HORIZON, LATEST or AT_TIMESTAMP (streams).
	StartingPosition string
	// StartingPositionTimestamp is where AT_TIMESTAMP starts.
	StartingPositionTimestamp time.Time
	// BisectBatchOnFunctionError splits failed batches (streams).
	BisectBatchOnFunctionError bool
	// MaximumRetryAttempts limits retries (streams); nil is -1, no limit.
	MaximumRetryAttempts *int
	// MaximumRecordAge is MaximumRecordAgeInSeconds (streams); 0 (or -1
	// in the template) is no limit.
	MaximumRecordAge time.Duration
	// OnFailure is the logical ID of the on-failure destination
	// (DestinationConfig.OnFailure.Destination: a queue, an SNS topic or
	// an S3 bucket of the template), or the topic of a Kafka topic
	// destination ("kafka://<topic>"), if any.
	OnFailure string
	// OnFailureType is the kind of OnFailure: [DestinationSQS],
	// [DestinationSNS], [DestinationS3] or [DestinationKafka].
	OnFailureType string
	// MaximumBatchingWindowSet is true when the event sets
	// MaximumBatchingWindowInSeconds (an explicit 0 included): a Kafka
	// mapping without it gathers for Lambda's default 500 ms.
	MaximumBatchingWindowSet bool
	// ParallelizationFactor is the batches in flight per shard (streams).
	ParallelizationFactor int
	// TumblingWindow is TumblingWindowInSeconds (streams).
	TumblingWindow time.Duration
	// ReportBatchItemFailures is set when FunctionResponseTypes holds it.
	ReportBatchItemFailures bool
	// FilterPatterns are FilterCriteria.Filters[].Pattern, as JSON.
	FilterPatterns []string
	// MaximumConcurrency is ScalingConfig.MaximumConcurrency (SQS).
	MaximumConcurrency int
	// Enabled is false when the event says Enabled: false.
	Enabled bool
	// Topics are the Kafka topics (MSK, SelfManagedKafka).
	Topics []string
	// KafkaBootstrapServers are a self-managed cluster's brokers; the local
	// run's brokers come from [Env.KafkaBrokers].
	KafkaBootstrapServers []string
	// ConsumerGroupID is the Kafka consumer group (the
	// *KafkaEventSourceConfig's ConsumerGroupId); empty means the mapping's.
	ConsumerGroupID string
	// MinimumPollers and MaximumPollers are ProvisionedPollerConfig (SQS
	// and Kafka); 0 is Lambda's default. On an SQS mapping, provisioned mode
	// bounds the batches in flight to MaximumPollers x
	// [EventPollerConcurrency].
	MinimumPollers, MaximumPollers int
	// FunctionTimeout is the function's Timeout (SAM's default, 3 s, when
	// the template sets none): an invocation that runs longer fails, and an
	// SQS queue's visibility timeout must be at least this long.
	FunctionTimeout time.Duration

	present []string // stream-only settings the template gives (refused on SQS)
}

// DefaultFunctionTimeout is a SAM function's Timeout when the template sets
// none (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html).
const DefaultFunctionTimeout = 3 * time.Second

// sourceFacts reads what validation needs of the mapping's source queue in
// the template: FIFO or not, and its visibility timeout (SQS's default, 30 s,
// when unset).
func (t *Template) sourceFacts(m *Mapping) queueFacts {
	r, ok := t.Resources[m.Source]
	if m.Type != TypeSQS || !ok {
		return queueFacts{}
	}
	q := queueFacts{fifo: truthy(r.Properties["FifoQueue"]), visibility: 30 * time.Second}
	if n, ok, err := integer(r.Properties["VisibilityTimeout"]); ok && err == nil {
		q.visibility = time.Duration(n) * time.Second
	}
	return q
}

// Name is "<function>/<event>", the mapping's name in reports.
func (m *Mapping) Name() string { return m.Function + "/" + m.Event }

// Mappings returns the event source mappings of function (a logical ID;
// empty means the template's only function), sorted by event name, and a
// note for each event that the driver ignores (such as S3 or Schedule
// events, which are not event source mappings).
func (t *Template) Mappings(function string) ([]Mapping, []string, error) {
	if function == "" {
		fns := t.Functions()
		switch len(fns) {
		case 0:
			return nil, nil, &TemplateError{Path: t.Path, Reason: "no AWS::Serverless::Function"}
		case 1:
			function = fns[0]
		default:
			return nil, nil, &TemplateError{Path: t.Path, Reason: fmt.Sprintf("several functions (%s): choose one with --function", strings.Join(fns, ", "))}
		}
	}
	fn, ok := t.Resources[function]
	if !ok || fn.Type != "AWS::Serverless::Function" {
		return nil, nil, &TemplateError{Path: t.Path, Where: function, Reason: fmt.Sprintf("not an AWS::Serverless::Function; the template's functions are %s", strings.Join(t.Functions(), ", "))}
	}
	evs, _ := fn.Properties["Events"].(map[string]any)
	names := make([]string, 0, len(evs))
	for name := range evs {
		names = append(names, name)
	}
	sort.Strings(names)
	var maps []Mapping
	var notes []string
	for _, name := range names {
		ev, _ := evs[name].(map[string]any)
		typ, _ := ev["Type"].(string)
		switch typ {
		case TypeSQS, TypeKinesis, TypeDynamoDB, TypeMSK, TypeSelfManagedKafka:
		default:
			notes = append(notes, fmt.Sprintf("%s/%s: events of type %s are not an SQS, Kinesis, DynamoDB or Kafka event source mapping; batchkit-driver ignores it", function, name, typ))
			continue
		}
		props, _ := ev["Properties"].(map[string]any)
		m, err := t.mapping(function, name, typ, props)
		if err != nil {
			return nil, notes, err
		}
		if m.FunctionTimeout, err = t.functionTimeout(function); err != nil {
			return nil, notes, err
		}
		// Everything Lambda checks when the mapping is created, before
		// anything is created on the servers or sent.
		if err := m.validateWith(t.sourceFacts(&m)); err != nil {
			return nil, notes, err
		}
		if err := t.validateFilters(&m); err != nil {
			return nil, notes, err
		}
		maps = append(maps, m)
	}
	return maps, notes, nil
}

// mapping reads one event's properties.
func (t *Template) mapping(function, event, typ string, p map[string]any) (Mapping, error) {
	where := fmt.Sprintf("%s.Events.%s", function, event)
	bad := func(prop string, err error) error {
		return &TemplateError{Path: t.Path, Where: where + ".Properties." + prop, Reason: err.Error()}
	}
	m := Mapping{Function: function, Event: event, Type: typ, Enabled: true}
	integer := func(v any) (int, bool, error) {
		if x, ok := v.(map[string]any); ok {
			s, err := t.scalar(x, DefaultRegion)
			if err != nil {
				return 0, false, err
			}
			return integer(s)
		}
		return integer(v)
	}
	var err error
	if typ == TypeMSK || typ == TypeSelfManagedKafka {
		if m.Topics, err = t.strings(p["Topics"]); err != nil || len(m.Topics) == 0 {
			return m, bad("Topics", fmt.Errorf("a Kafka event needs its Topics"))
		}
		if m.KafkaBootstrapServers, err = t.strings(p["KafkaBootstrapServers"]); err != nil {
			return m, bad("KafkaBootstrapServers", err)
		}
		for _, k := range []string{"AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig"} {
			if c, ok := p[k].(map[string]any); ok {
				if m.ConsumerGroupID, err = t.scalar(c["ConsumerGroupId"], DefaultRegion); c["ConsumerGroupId"] != nil && err != nil {
					return m, bad(k+".ConsumerGroupId", err)
				}
			}
		}
	} else {
		srcProp := map[string]string{TypeSQS: "Queue", TypeKinesis: "Stream", TypeDynamoDB: "Stream"}[typ]
		src, err := t.resourceOf(p[srcProp], map[string]string{TypeSQS: "AWS::SQS::Queue", TypeKinesis: "AWS::Kinesis::Stream", TypeDynamoDB: "AWS::DynamoDB::Table"}[typ])
		if err != nil {
			return m, bad(srcProp, err)
		}
		m.Source = src
	}
	ints := map[string]*int{"BatchSize": &m.BatchSize, "ParallelizationFactor": &m.ParallelizationFactor}
	for k, dst := range ints {
		if n, _, err := integer(p[k]); err != nil {
			return m, bad(k, err)
		} else {
			*dst = n
		}
	}
	secs := map[string]*time.Duration{"MaximumBatchingWindowInSeconds": &m.MaximumBatchingWindow, "MaximumRecordAgeInSeconds": &m.MaximumRecordAge, "TumblingWindowInSeconds": &m.TumblingWindow}
	for k, dst := range secs {
		n, set, err := integer(p[k])
		if err != nil {
			return m, bad(k, err)
		}
		if k == "MaximumBatchingWindowInSeconds" {
			m.MaximumBatchingWindowSet = set
		}
		switch {
		case k == "MaximumRecordAgeInSeconds" && n == -1:
			// -1 is no limit, the Mapping's 0.
		case k == "MaximumRecordAgeInSeconds" && n == 0 && p[k] != nil:
			return m, &ConfigError{Mapping: m.Name(), Setting: k, Value: "0", Allowed: "-1 (no limit) or 60-604,800"}
		default:
			// Out-of-range values (negative ones too) are kept for
			// Validate to refuse.
			*dst = time.Duration(n) * time.Second
		}
	}
	if typ == TypeSQS {
		for _, k := range streamOnly {
			if _, ok := p[k]; ok {
				m.present = append(m.present, k)
			}
		}
	}
	if n, ok, err := integer(p["MaximumRetryAttempts"]); err != nil {
		return m, bad("MaximumRetryAttempts", err)
	} else if ok {
		m.MaximumRetryAttempts = &n
	}
	if v, ok := p["Enabled"]; ok {
		m.Enabled = truthy(v)
	}
	m.BisectBatchOnFunctionError = truthy(p["BisectBatchOnFunctionError"])
	if s, ok := p["StartingPosition"]; ok {
		if m.StartingPosition, err = t.scalar(s, DefaultRegion); err != nil {
			return m, bad("StartingPosition", err)
		}
	}
	if v, ok := p["StartingPositionTimestamp"]; ok {
		switch x := v.(type) {
		case int:
			m.StartingPositionTimestamp = time.Unix(int64(x), 0)
		case float64:
			m.StartingPositionTimestamp = time.Unix(0, int64(x*1e9))
		case string:
			if m.StartingPositionTimestamp, err = time.Parse(time.RFC3339, x); err != nil {
				return m, bad("StartingPositionTimestamp", err)
			}
		case time.Time:
			m.StartingPositionTimestamp = x
		}
	}
	if types, ok := p["FunctionResponseTypes"].([]any); ok {
		for _, v := range types {
			if v == "ReportBatchItemFailures" {
				m.ReportBatchItemFailures = true
			}
		}
	}
	if sc, ok := p["ScalingConfig"].(map[string]any); ok {
		if m.MaximumConcurrency, _, err = integer(sc["MaximumConcurrency"]); err != nil {
			return m, bad("ScalingConfig.MaximumConcurrency", err)
		}
	}
	if pc, ok := p["ProvisionedPollerConfig"].(map[string]any); ok {
		for k, dst := range map[string]*int{"MinimumPollers": &m.MinimumPollers, "MaximumPollers": &m.MaximumPollers} {
			n, set, err := integer(pc[k])
			if err != nil {
				return m, bad("ProvisionedPollerConfig."+k, err)
			}
			if set && n <= 0 {
				return m, &ConfigError{Mapping: m.Name(), Setting: "ProvisionedPollerConfig." + k, Value: fmt.Sprint(n), Allowed: "1-200 (MinimumPollers), 1-10,000 (MaximumPollers); at least 2 for SQS"}
			}
			*dst = n
		}
	}
	if dc, ok := p["DestinationConfig"].(map[string]any); ok {
		if of, ok := dc["OnFailure"].(map[string]any); ok {
			var prop string
			if m.OnFailure, m.OnFailureType, prop, err = t.onFailure(typ, m.Topics, of); err != nil {
				return m, bad("DestinationConfig.OnFailure."+prop, err)
			}
		}
	}
	if fc, ok := p["FilterCriteria"].(map[string]any); ok {
		filters, _ := fc["Filters"].([]any)
		for i, f := range filters {
			fm, _ := f.(map[string]any)
			switch pat := fm["Pattern"].(type) {
			case string:
				m.FilterPatterns = append(m.FilterPatterns, pat)
			case map[string]any:
				b, _ := json.Marshal(pat)
				m.FilterPatterns = append(m.FilterPatterns, string(b))
			default:
				return m, bad(fmt.Sprintf("FilterCriteria.Filters[%d].Pattern", i), fmt.Errorf("a pattern is a JSON string"))
			}
		}
	}
	return m, nil
}

// strings reads a list of strings (each a literal or an intrinsic).
func (t *Template) strings(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list")
	}
	out := make([]string, len(l))
	for i, x := range l {
		s, err := t.scalar(x, DefaultRegion)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// resourceOf returns the logical ID of the resource of type typ that v
// names: a !Ref, a !GetAtt, or an ARN (literal or !Sub) of a resource of the
// template.
func (t *Template) resourceOf(v any, typ string) (string, error) {
	if v == nil {
		return "", fmt.Errorf("missing")
	}
	if id, _, ok := refTarget(v); ok {
		r, found := t.Resources[id]
		if !found {
			return "", fmt.Errorf("names %s, which is not a resource of the template", id)
		}
		if r.Type != typ {
			return "", fmt.Errorf("names %s, a %s, where a %s is expected", id, r.Type, typ)
		}
		return id, nil
	}
	arn, err := t.scalar(v, DefaultRegion)
	if err != nil {
		return "", err
	}
	for id, r := range t.Resources {
		if r.Type != typ {
			continue
		}
		for _, attr := range []string{"Arn", "StreamArn", ""} {
			if s, err := t.resolveRef(id, attr, DefaultRegion); err == nil && s == arn {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("%s is not the ARN of a %s of the template; the driver creates and reads only the template's own resources", arn, typ)
}
