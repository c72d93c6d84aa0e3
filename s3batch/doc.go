// Package s3batch runs an Amazon S3 Batch Operations function with batchkit's
// lifecycle.
package s3batch
