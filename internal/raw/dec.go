package raw

import "github.com/batchkit/batchkit/internal/rawjson"

// Dec is the JSON decoder the record decoders read with (see
// [rawjson.Dec]); the alias keeps the decoders of the contract packages
// (firehose, s3batch, window) unchanged.
type Dec = rawjson.Dec

// NewDec returns a decoder at the start of s.
func NewDec(s string) Dec { return rawjson.NewDec(s) }

// PlainByte tells the bytes that a JSON string holds as they are
// ([rawjson.PlainByte]).
var PlainByte = &rawjson.PlainByte

// FindString reads the string at the path of keys in the JSON object s,
// leniently ([rawjson.FindString]).
func FindString(s string, path []string) string { return rawjson.FindString(s, path) }
