// Package pipes runs a Lambda function that is the target of an EventBridge
// pipe (SQS, Kinesis or DynamoDB Streams source) with batchkit's guarantees.
package pipes
