//go:build goexperiment.jsonv2

package rawjson

import jsonv2 "encoding/json/v2"

// With GOEXPERIMENT=jsonv2, encoding/json is itself built on v2; v2 joins
// the contenders of BenchmarkMessages.
func init() {
	decoders = append(decoders, decoder{"json-v2", func(data []byte) error {
		var m []message
		return jsonv2.Unmarshal(data, &m)
	}})
}
