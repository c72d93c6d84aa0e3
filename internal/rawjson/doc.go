// Package rawjson is batchkit's JSON scanner: a decoder over one string
// ([Dec]) whose methods read one value each, for hand-written decoders of
// known shapes. It knows no batchkit or AWS type; the record decoders built
// on it are in internal/raw.
//
// # Why not encoding/json
//
// Two reasons, the first decisive.
//
// Isolation. A Lambda batch must fail one bad record alone. encoding/json
// (v1 and v2 alike) decodes an array of records as one value: one record of
// the wrong shape fails the whole event before any handler runs. With a Dec,
// the caller decodes each element on its own and, when one fails, skips it
// by its structure alone ([Dec.SkipFast]) and reads its identifier leniently
// ([FindString]): the other records are decoded as usual.
//
// Speed and memory. Strings without escapes are substrings of the input (the
// caller copies the input once), or, from a borrowed input
// ([NewBorrowedDec]: a buffer the caller reuses), copies in the arena, each
// string kept once however often it repeats; values that need memory of their own
// (unescaped strings, base64 data, *string fields, lists, and the caller's
// own list types through [Slab]) come from an arena of a few chunks per
// input, each value a distinct range capped at its length; strings are
// scanned eight bytes at a time, and a string with escapes is unescaped as
// it is scanned, in one pass. Measured side by side (BenchmarkMessages:
// 1,000 queue-message documents of 478 bytes, each with an escaped JSON
// body, a map of 4 attributes, a number and a list; the contenders run in
// rotating blocks of 20 ms in one process and each ratio is taken within a
// round; process CPU time, the garbage collector's included; go1.26.8 on 2
// shared AMD EPYC cores, load average about 9):
//
//	                                     CPU ns/message   allocations/message
//	rawjson                                       1,658                     2
//	encoding/json                                 5,895  (3.6x)            20
//
//	GOEXPERIMENT=jsonv2 (encoding/json is then built on v2), same run:
//	rawjson                                       2,092                     2
//	encoding/json                                 3,750  (1.9x)            13
//	encoding/json/v2                              4,194  (2.0x)            13
//
// The two allocations left are the map's (its header and first group). On
// strings alone (BenchmarkStr): a plain 75-byte string about 1.4 GB/s, an
// escaped 130-byte JSON body about 0.35 to 0.45 GB/s (0.2 GB/s when escaped
// strings were first delimited by their closing quote, then unescaped).
// encoding/json/v2 is an experiment in go1.26, not the default; it narrows
// the gap but keeps the whole-value failure. Reproduce with
//
//	go test -run '^$' -bench Messages -benchtime 20x ./internal/rawjson
//	GOEXPERIMENT=jsonv2 go test -run '^$' -bench Messages -benchtime 20x ./internal/rawjson
//
// # Rules
//
// A Dec follows encoding/json's: keys matched exactly, then ignoring case
// ([Dec.Fields]); null leaves a string or number unset and sets a map, slice
// or pointer to nil; invalid UTF-8 and lone surrogates become U+FFFD; an
// empty array or object is non-nil; unknown keys are skipped but must be
// valid JSON; nesting is bounded by [MaxDepth]. TestStrMatchesEncodingJSON
// and FuzzStr hold the string scanner to encoding/json on any literal,
// TestSkipMatchesValid and FuzzSkip hold the validator to json.Valid.
//
// A value handed out shares the input or an arena chunk: keeping one keeps
// that memory alive, and the input must not change while values are in use.
// From a borrowed input ([NewBorrowedDec]) no value shares the input, which
// may then change once the decoding is over.
package rawjson
