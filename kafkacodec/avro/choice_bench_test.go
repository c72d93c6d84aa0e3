package avro_test

import (
	"testing"

	hamba "github.com/hamba/avro/v2"
	"github.com/linkedin/goavro/v2"
	"github.com/stretchr/testify/require"
)

// BenchmarkLibraries decodes the same Avro bytes into the same Go struct with
// each candidate library (see the package documentation for the numbers and
// the choice).
func BenchmarkLibraries(b *testing.B) {
	data := encode(b, orderSchema, sampleOrder("o-1"))
	b.Run("hamba", func(b *testing.B) {
		schema := hamba.MustParse(orderSchema)
		b.ReportAllocs()
		for b.Loop() {
			var o Order
			if err := hamba.Unmarshal(schema, data, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("goavro", func(b *testing.B) {
		codec, err := goavro.NewCodec(orderSchema)
		require.NoError(b, err)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := goavroOrder(codec, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestLibrariesAgree checks that the benchmark's two paths decode the same
// order, so the comparison is of equal work.
func TestLibrariesAgree(t *testing.T) {
	want := sampleOrder("o-1")
	data := encode(t, orderSchema, want)
	codec, err := goavro.NewCodec(orderSchema)
	require.NoError(t, err)
	got, err := goavroOrder(codec, data)
	require.NoError(t, err)
	require.Equal(t, want, got)
	// hamba reads what goavro writes (goavro writes arrays without block
	// sizes, hamba with them: both are valid Avro).
	native, _, err := codec.NativeFromBinary(data)
	require.NoError(t, err)
	again, err := codec.BinaryFromNative(nil, native)
	require.NoError(t, err)
	var back Order
	require.NoError(t, hamba.Unmarshal(hamba.MustParse(orderSchema), again, &back))
	require.Equal(t, want, back)
}

// goavroOrder decodes with goavro and copies its native map into an Order.
func goavroOrder(codec *goavro.Codec, data []byte) (Order, error) {
	native, _, err := codec.NativeFromBinary(data)
	if err != nil {
		return Order{}, err
	}
	m := native.(map[string]any)
	c := m["customer"].(map[string]any)
	o := Order{
		ID:          m["id"].(string),
		AmountCents: m["amount_cents"].(int64),
		Currency:    m["currency"].(string),
		Customer:    Customer{ID: c["id"].(string), Email: c["email"].(string)},
	}
	for _, l := range m["lines"].([]any) {
		lm := l.(map[string]any)
		o.Lines = append(o.Lines, Line{SKU: lm["sku"].(string), Quantity: lm["quantity"].(int32), PriceCents: lm["price_cents"].(int64)})
	}
	if n, ok := m["note"].(map[string]any); ok {
		s := n["string"].(string)
		o.Note = &s
	}
	return o, nil
}
