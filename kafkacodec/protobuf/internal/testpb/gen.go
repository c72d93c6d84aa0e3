// Package testpb holds the generated Protobuf messages of the kafkacodec
// tests and benchmarks.
package testpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative order.proto
