package rawjson_test

import (
	"fmt"

	"github.com/batchkit/batchkit/internal/rawjson"
)

// A decoder for a known shape: each member's key is matched to a field,
// the rest are validated and skipped; a record that does not decode is
// skipped by its structure and the next one is read.
func ExampleDec() {
	type item struct {
		ID    string
		Count int64
	}
	d := rawjson.NewDec(`[{"id":"a","count":1,"extra":[true]},{"id":"b","count":"two"},{"ID":"c","count":3}]`)
	if _, err := d.OpenArray(); err != nil {
		panic(err)
	}
	for first := true; ; first = false {
		more, err := d.NextElem(first)
		if err != nil {
			panic(err)
		}
		if !more {
			break
		}
		start := d.Pos()
		var it item
		err = d.OpenRecord()
		if err == nil {
			err = d.Fields([]string{"id", "count"}, func(key string) (bool, error) {
				switch key {
				case "id":
					return true, d.StrField(&it.ID)
				case "count":
					return true, d.Int64Field(&it.Count)
				}
				return false, nil
			})
		}
		if err != nil {
			d.SetPos(start)
			if err := d.SkipFast(); err != nil {
				panic(err)
			}
			fmt.Println("failed:", rawjson.FindString(d.Input()[start:d.Pos()], []string{"id"}))
			continue
		}
		fmt.Println(it.ID, it.Count)
	}
	// Output:
	// a 1
	// failed: b
	// c 3
}
