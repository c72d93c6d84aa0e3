// Package e2e runs batchkit's envelopes against a real local SNS and SQS
// server (fauxqs, started by scripts/test.sh, endpoint in
// BATCHKIT_SQS_ENDPOINT): messages published to a topic reach a subscribed
// queue as SNS writes them, and the local event source mapping
// (batchkit/driver) delivers them to a function that unwraps them. It is its
// own module so that the library does not depend on the SNS client.
package e2e
