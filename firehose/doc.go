// Package firehose runs an Amazon Data Firehose data-transformation function
// with batchkit's lifecycle.
package firehose
