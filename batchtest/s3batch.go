package batchtest

import (
	"fmt"
	"net/url"
	"strings"
)

// S3BatchEvent returns an S3 Batch Operations invocation of a Lambda
// function with one task per key of bucket, in invocation schema
// schemaVersion, "1.0" or "2.0", in the shapes of the Amazon S3 user guide
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html):
// 1.0 names the bucket by s3BucketArn, 2.0 by s3Bucket and carries the job's
// userArguments (nil: none; 1.0 has none, and userArguments with "1.0"
// panics, as does another version). Keys are given decoded; S3 Batch
// Operations URL-encodes them in the event, as here (a space is +).
//
//	resp, err := s3batch.Handler(p, h)(ctx, batchtest.S3BatchEvent("2.0", "reports", map[string]string{"mode": "full"}, "2024/jan.csv"))
func S3BatchEvent(schemaVersion, bucket string, userArguments map[string]string, keys ...string) []byte {
	type task struct {
		TaskID      string `json:"taskId"`
		S3Key       string `json:"s3Key"`
		S3VersionID string `json:"s3VersionId"`
		S3BucketArn string `json:"s3BucketArn,omitempty"`
		S3Bucket    string `json:"s3Bucket,omitempty"`
	}
	type job struct {
		ID            string            `json:"id"`
		UserArguments map[string]string `json:"userArguments,omitempty"`
	}
	ev := struct {
		InvocationSchemaVersion string `json:"invocationSchemaVersion"`
		InvocationID            string `json:"invocationId"`
		Job                     job    `json:"job"`
		Tasks                   []task `json:"tasks"`
	}{
		InvocationSchemaVersion: schemaVersion,
		InvocationID:            "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
		Job:                     job{ID: "f3cc4f60-61f6-4a2b-8a21-d07600c373ce"},
		Tasks:                   make([]task, len(keys)),
	}
	switch schemaVersion {
	case "1.0":
		if userArguments != nil {
			panic("batchtest: S3BatchEvent: schema 1.0 has no userArguments")
		}
	case "2.0":
		ev.Job.UserArguments = userArguments
	default:
		panic(fmt.Sprintf("batchtest: S3BatchEvent: schema version %q is not 1.0 or 2.0", schemaVersion))
	}
	for i, k := range keys {
		t := task{TaskID: fmt.Sprintf("dGFza2lkZ29lc2hlcmU%d", i), S3Key: s3Key(k), S3VersionID: "1"}
		if schemaVersion == "1.0" {
			t.S3BucketArn = "arn:aws:s3:::" + bucket
		} else {
			t.S3Bucket = bucket
		}
		ev.Tasks[i] = t
	}
	return []byte(mustJSON(ev))
}

// s3Key URL-encodes a key as S3 does in its events: form encoding, a space
// as +, the slashes kept.
func s3Key(k string) string {
	return strings.ReplaceAll(url.QueryEscape(k), "%2F", "/")
}
