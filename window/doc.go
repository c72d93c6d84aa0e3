// Package window runs a tumbling-window aggregation of Kinesis or DynamoDB
// Streams records with batchkit's lifecycle.
package window
