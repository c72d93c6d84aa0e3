package processors

// The eventSource values of the records (for Kafka, of the event) each
// processor accepts; a record from another source fails the invocation with
// an error matching [core.ErrEventSourceMismatch] before any handler runs. Kafka puts it
// on the event, not on each record: "aws:kafka" for Amazon MSK,
// "SelfManagedKafka" for self-managed Apache Kafka.
const (
	EventSourceSQS              = "aws:sqs"
	EventSourceKinesis          = "aws:kinesis"
	EventSourceDynamoDB         = "aws:dynamodb"
	EventSourceMSK              = "aws:kafka"
	EventSourceSelfManagedKafka = "SelfManagedKafka"
)
