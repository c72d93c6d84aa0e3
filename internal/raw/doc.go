// Package raw decodes Lambda events given as the bytes Lambda sent into
// aws-lambda-go's record types (SQS, Kinesis, DynamoDB Streams, Kafka,
// EventBridge Pipes) one record at a time, so that a record that does not
// decode fails alone ([DecodeEnvelope], [Process]) with a
// core.RecordDecodeError. The JSON machinery it reads with (the scanner,
// the arena, string scanning) is package rawjson, which knows no batchkit
// type. It is internal: the public raw-bytes entries are in processors and
// the contract packages.
package raw
