// Package raw is batchkit's JSON decoder for Lambda events given as the
// bytes Lambda sent: a scanner over one string ([Dec]), the decoders of
// aws-lambda-go's record types (SQS, Kinesis, DynamoDB Streams, Kafka,
// EventBridge Pipes) and the loop that decodes a records array one record at
// a time, so that a record that does not decode fails alone
// ([DecodeEnvelope], [Process]). It is internal: the public raw-bytes
// entries are in processors and the contract packages.
package raw
