// Package kafkapayload decodes the keys, values and headers of Kafka records
// (Amazon MSK and self-managed Apache Kafka) for batchkit handlers: base64,
// schema-registry framing, and the payload itself, each record on its own.
//
// A [Decoder] names a [Codec] for the key and one for the value;
// [Decoder.Handler] turns it into the handler of a Kafka processor, and
// [Values] is the short form for values alone:
//
//	var decoder = &kafkapayload.Decoder[string, Order]{Key: kafkapayload.String(), Value: kafkapayload.JSON[Order]()}
//	lambda.Start(processors.KafkaHandler(processor, decoder.Handler(handleOrder)))
//
// Decoded keys and values are validated by payload.Validate (a Validate
// method on the type, or on what a pointer type points to). This package
// brings the dependency-free ones, [JSON], [String] and [Bytes]; Avro and
// Protobuf live in the nested module github.com/batchkit/batchkit/kafkacodec
// (packages avro and protobuf), so a function that reads only JSON imports
// no Avro or Protobuf library.
//
// Before the codec runs, the framing a schema registry put around the bytes
// is read and removed (see [WireFormat] and [Unframe]):
//
//   - Confluent, magic byte 0 and a 4-byte big-endian schema id, or magic
//     byte 1 and a 16-byte schema GUID; for Protobuf, the message-index list
//     that follows (zig-zag varints, a single 0 byte meaning [0]);
//   - Confluent schema ids carried in the __key_schema_id and
//     __value_schema_id headers, the payload then being plain;
//   - AWS Glue Schema Registry: header version byte 3, compression byte (0
//     none, 5 zlib), 16-byte schema version UUID, then the (decompressed)
//     payload, for Protobuf preceded by Glue's message index (a varint that
//     counts every message type of the file, nested ones and map entries
//     included, sorted by full name);
//   - plain payloads.
//
// The framing is detected from the bytes ([WireAuto], the default) or
// configured. What was found is the record's [Schema], which the handler
// reads (schema id, GUID or UUID, message indexes).
//
// The event source mapping's own schema registry integration adds
// keySchemaMetadata and valueSchemaMetadata to each record and, in its JSON
// record format, delivers the value already converted to JSON even when the
// metadata says AVRO or PROTOBUF. aws-lambda-go's events.KafkaRecord has no
// field for that metadata: receive the event as an [Event] (the typed-event
// entry, processors.ProcessKafka), or wrap the Kafka adapter with
// [WithRawMetadata] (the raw entry), and the [Decoder] decodes such a value
// with the codec's DecodeJSON into the same Go type, so one type serves both
// forms; the record's [Schema] holds the metadata (MetadataFormat,
// MetadataID). Set
// [Decoder.EventRecordFormat] to the mapping's record format to say which
// form to expect ("JSON": a value that is not JSON fails; "SOURCE": the
// producer's bytes, without the schema id, and for Protobuf possibly with
// the message-index prefix). On a topic read with a binary codec (Avro,
// Protobuf) and [WireAuto], a value that is a JSON object fails as such
// rather than being decoded as binary, and a codec must consume the whole
// payload.
//
// A record that does not decode fails alone with a [*DecodeError] naming the
// part (key, value or header), the format, the framing and the offset; as
// with any failure on a Kafka processor, the later offsets of its partition
// are then not handled and Lambda delivers them again from the failed one.
// Every DecodeError matches core.ErrDecode. No codec can panic the process:
// a panic of Decode or DecodeJSON fails the record with a *core.PanicError.
// A zlib-compressed Glue payload may inflate to 6 MiB (the Lambda
// invocation payload limit), into a buffer that grows to that bound and no
// further, with concurrent inflations sharing a process-wide budget.
package kafkapayload
