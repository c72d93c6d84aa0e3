package envelope

import (
	"reflect"
	"testing"
)

// FuzzSNSExactKeys: the fast path (struct decoding, taken when every
// top-level key is spelled exactly) decodes what the key-by-key path does.
func FuzzSNSExactKeys(f *testing.F) {
	f.Add([]byte(`{"Type":"Notification","Message":"m","MessageAttributes":{"a":{"Type":"String","Value":"v"}}}`))
	f.Add([]byte(`{"type":"Notification","Message":"m"}`))
	f.Add([]byte(`{"Type":"Notification","Subject":"a \" } ,\"type\":1","Message":"{}","Timestamp":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"Type":"Notification","Message":"m","Message":"n"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, fastMsg, fastErr := decodeSNS(data)
		slow := new(SNSNotification)
		slowMsg, slowErr := decodeSNSExact(data, slow)
		if !exactTopLevelKeys(data, snsKeys) || fastErr != nil || slowErr != nil {
			return
		}
		if fastMsg != slowMsg || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast %+v (message %v) != exact %+v (message %v)", fast, fastMsg, slow, slowMsg)
		}
	})
}
