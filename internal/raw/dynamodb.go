package raw

import (
	"errors"

	"github.com/aws/aws-lambda-go/events"
	"github.com/batchkit/batchkit/internal/rawjson"
)

var DynamoDB = Kind[events.DynamoDBEventRecord]{
	Decode: decodeDynamoDBRecord,
	IDPath: []string{"dynamodb", "SequenceNumber"},
	SetID:  func(r *events.DynamoDBEventRecord, id string) { r.Change.SequenceNumber = id },
}

var dynamoDBRecordKeys = []string{"awsRegion", "dynamodb", "eventID", "eventName", "eventSource",
	"eventVersion", "eventSourceARN", "userIdentity"}

func decodeDynamoDBRecord(d *Dec, r *events.DynamoDBEventRecord) error {
	if err := d.OpenRecord(); err != nil {
		return err
	}
	return d.Fields(dynamoDBRecordKeys, func(key string) (bool, error) {
		switch key {
		case "awsRegion":
			return true, d.StrField(&r.AWSRegion)
		case "dynamodb":
			return true, decodeStreamRecord(d, &r.Change)
		case "eventID":
			return true, d.StrField(&r.EventID)
		case "eventName":
			return true, d.StrField(&r.EventName)
		case "eventSource":
			return true, d.StrField(&r.EventSource)
		case "eventVersion":
			return true, d.StrField(&r.EventVersion)
		case "eventSourceARN":
			return true, d.StrField(&r.EventSourceArn)
		case "userIdentity":
			return true, decodeUserIdentity(d, &r.UserIdentity)
		}
		return false, nil
	})
}

var userIdentityKeys = []string{"type", "principalId"}

func decodeUserIdentity(d *Dec, dst **events.DynamoDBUserIdentity) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	if *dst == nil {
		*dst = new(events.DynamoDBUserIdentity)
	}
	u := *dst
	return d.Fields(userIdentityKeys, func(key string) (bool, error) {
		switch key {
		case "type":
			return true, d.StrField(&u.Type)
		case "principalId":
			return true, d.StrField(&u.PrincipalID)
		}
		return false, nil
	})
}

var streamRecordKeys = []string{"ApproximateCreationDateTime", "Keys", "NewImage", "OldImage",
	"SequenceNumber", "SizeBytes", "StreamViewType"}

func decodeStreamRecord(d *Dec, c *events.DynamoDBStreamRecord) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		return err
	}
	return d.Fields(streamRecordKeys, func(key string) (bool, error) {
		switch key {
		case "ApproximateCreationDateTime":
			return true, epochField(d, &c.ApproximateCreationDateTime)
		case "Keys":
			return true, attributeMap(d, &c.Keys, 0)
		case "NewImage":
			return true, attributeMap(d, &c.NewImage, 0)
		case "OldImage":
			return true, attributeMap(d, &c.OldImage, 0)
		case "SequenceNumber":
			return true, d.StrField(&c.SequenceNumber)
		case "SizeBytes":
			return true, d.Int64Field(&c.SizeBytes)
		case "StreamViewType":
			return true, d.StrField(&c.StreamViewType)
		}
		return false, nil
	})
}

// attributeMap reads an object of attribute values into *dst (made when nil,
// sized as rawjson.Resize tells);
// null sets it to nil.
func attributeMap(d *Dec, dst *map[string]events.DynamoDBAttributeValue, depth int) error {
	if isNull, err := d.OpenObject(); err != nil || isNull {
		if isNull {
			*dst = nil
		}
		return err
	}
	made := *dst == nil
	if made {
		*dst = make(map[string]events.DynamoDBAttributeValue, rawjson.SmallMap)
	}
	for first := true; ; first = false {
		if made && len(*dst) == rawjson.SmallMap && d.Peek() == ',' {
			// A ninth member: one map of the right size (an item's
			// image often has more attributes than a map's first group).
			*dst, made = rawjson.Resize(d, *dst), false
		}
		name, more, err := d.NextKey(first)
		if err != nil || !more {
			return err
		}
		av, err := attributeValue(d, depth+1)
		if err != nil {
			return err
		}
		(*dst)[d.Keep(name)] = av
	}
}

var (
	errAttributeNotMap    = errors.New("DynamoDBAttributeValue: does not contain a map")
	errAttributeOneType   = errors.New("DynamoDBAttributeValue: map must contain a single type")
	errAttributeNotString = errors.New("DynamoDBAttributeValue: expected a string")
)

// attributeValue reads one attribute value, {"<type>": <value>}, with
// aws-lambda-go's rules: exactly one type key, among NULL, B, BOOL, BS, L,
// M, N, NS, S, SS (case-sensitive); any other is an
// events.UnsupportedDynamoDBTypeError.
func attributeValue(d *Dec, depth int) (events.DynamoDBAttributeValue, error) {
	var av events.DynamoDBAttributeValue
	if depth > rawjson.MaxDepth {
		return av, d.Errorf("exceeded max depth")
	}
	if d.Peek() != '{' {
		if d.Peek() == 'n' {
			return av, errAttributeNotMap
		}
		return av, d.Errorf("attribute value: expected an object, found %s", rawjson.KindOf(d.Peek()))
	}
	d.SetPos(d.Pos() + 1)
	// Fast path: {"S":"..."} or {"N":"..."} without whitespace, the shape
	// DynamoDB Streams sends most; anything else (an error included) takes
	// the general loop from the start of the object.
	if s := d.Input()[d.Pos():]; len(s) > 5 && s[0] == '"' && (s[1] == 'S' || s[1] == 'N') && s[2] == '"' && s[3] == ':' && s[4] == '"' {
		open := d.Pos()
		d.SetPos(d.Pos() + 4)
		if v, err := d.StrView(); err == nil && d.Pos() < len(d.Input()) && d.Input()[d.Pos()] == '}' {
			d.SetPos(d.Pos() + 1)
			return scalarAttribute(d, v, s[1] == 'N'), nil
		}
		d.SetPos(open)
	}
	label := ""
	for first := true; ; first = false {
		key, more, err := d.NextKey(first)
		if err != nil {
			return av, err
		}
		if !more {
			if label == "" {
				return av, errAttributeOneType
			}
			return av, nil
		}
		if label != "" && key != label {
			return av, errAttributeOneType
		}
		label = key
		if av, err = attributeOf(d, key, depth); err != nil {
			return av, err
		}
	}
}

// scalarAttribute returns the S (or, when number, N) attribute holding v, a
// string read with StrView. An attribute met before in the event (an
// item's key in its old and new image, a value unchanged by a MODIFY, a
// status many records share) is handed out again instead of being boxed
// again: aws-lambda-go's constructors put the string in an interface, one
// allocation each, and an attribute value cannot be changed through its API
// (its String and Number methods return copies of the string), so two
// records sharing one see no write of the other.
func scalarAttribute(d *Dec, v string, number bool) events.DynamoDBAttributeValue {
	want := events.DataTypeString
	if number {
		want = events.DataTypeNumber
	}
	m := rawjson.MemoOf[events.DynamoDBAttributeValue](d)
	av, slot, ok := m.Get(v)
	if ok && av.DataType() == want {
		return av
	}
	v = d.Keep(v)
	if number {
		av = events.NewNumberAttribute(v)
	} else {
		av = events.NewStringAttribute(v)
	}
	if v != "" {
		m.Put(slot, v, av)
	}
	return av
}

// attributeOf reads the value of an attribute of type label.
func attributeOf(d *Dec, label string, depth int) (events.DynamoDBAttributeValue, error) {
	switch label {
	case "S", "N":
		if d.Peek() != '"' {
			if err := d.Skip(); err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
			return events.DynamoDBAttributeValue{}, errors.New("DynamoDBAttributeValue: " + label + " type should contain a string")
		}
		s, err := d.StrView()
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return scalarAttribute(d, s, label == "N"), nil
	case "B":
		if d.Peek() != '"' {
			return events.DynamoDBAttributeValue{}, errors.New("DynamoDBAttributeValue: B type should contain a base64 string")
		}
		s, err := d.Str()
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		b, err := d.BytesOf(s)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewBinaryAttribute(b), nil
	case "BOOL":
		v, err := d.Bool()
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewBooleanAttribute(v), nil
	case "NULL":
		if err := d.Skip(); err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewNullAttribute(), nil
	case "SS", "NS":
		list, err := stringList(d, label)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		if label == "SS" {
			return events.NewStringSetAttribute(list), nil
		}
		return events.NewNumberSetAttribute(list), nil
	case "BS":
		list, err := stringList(d, label)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		set := make([][]byte, len(list))
		for i, s := range list {
			if set[i], err = d.BytesOf(s); err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
		}
		return events.NewBinarySetAttribute(set), nil
	case "L":
		if d.Peek() != '[' {
			return events.DynamoDBAttributeValue{}, errors.New("DynamoDBAttributeValue: L type should contain a list")
		}
		d.SetPos(d.Pos() + 1)
		// On an error the stack keeps this list's elements: the record
		// fails and decodeRecords empties the stacks.
		avs := rawjson.SlabOf[events.DynamoDBAttributeValue](d)
		base := avs.Mark()
		for first := true; ; first = false {
			more, err := d.NextElem(first)
			if err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
			if !more {
				return events.NewListAttribute(avs.List(base)), nil
			}
			av, err := attributeValue(d, depth+1)
			if err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
			avs.Push(av)
		}
	case "M":
		if d.Peek() != '{' {
			return events.DynamoDBAttributeValue{}, errors.New("DynamoDBAttributeValue: M type should contain a map")
		}
		m := map[string]events.DynamoDBAttributeValue{}
		if err := attributeMap(d, &m, depth); err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewMapAttribute(m), nil
	}
	return events.NewNullAttribute(), events.UnsupportedDynamoDBTypeError{Type: d.Keep(label)}
}

// stringList reads the array of strings of a set attribute.
func stringList(d *Dec, label string) ([]string, error) {
	if d.Peek() != '[' {
		return nil, errors.New("DynamoDBAttributeValue: " + label + " type should contain a list of strings")
	}
	d.SetPos(d.Pos() + 1)
	base := d.StrMark() // see the L case of attributeOf
	for first := true; ; first = false {
		more, err := d.NextElem(first)
		if err != nil {
			return nil, err
		}
		if !more {
			return d.StrList(base), nil
		}
		if d.Peek() != '"' {
			return nil, errAttributeNotString
		}
		s, err := d.Str()
		if err != nil {
			return nil, err
		}
		d.PushStr(s)
	}
}
