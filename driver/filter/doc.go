// Package filter is Lambda's event filtering (an event source mapping's
// FilterCriteria) as a library: the same pattern syntax, applied to the same
// view of a record that Lambda filters, so that a test can tell which records
// a function will see before the mapping is deployed.
//
// [New] compiles the patterns of a FilterCriteria (the Pattern strings of its
// Filters); a record is kept when any pattern matches it, and every record is
// kept when there is no pattern. A pattern that Lambda would reject is a
// [*PatternError] naming the pattern, where in it the problem is and what the
// problem is.
//
// The syntax is EventBridge's, as Lambda documents it:
//
//   - exact values: "Name": ["Alice"], numbers ("Price": [100]), null and
//     booleans; a number matches only the same JSON number text (300 does not
//     match 300.0 or 3.0e2) and never a string ("101" is not 101);
//   - "prefix", "suffix" (both also as {"equals-ignore-case": "..."}),
//     "equals-ignore-case", "wildcard" ("*" for any characters, "\*" for a
//     star), "cidr";
//   - "anything-but" with a value, a list of strings or of numbers, or
//     {"prefix"}, {"suffix"}, {"equals-ignore-case"}, {"wildcard"}; it never
//     matches an absent field;
//   - "numeric" with "=" or a range of at most one lower (">", ">=") and one
//     upper ("<", "<=") bound; it matches JSON numbers only;
//   - "exists": true or false, on leaf values only: an object is not a value,
//     so {"exists": false} matches a field that holds an object;
//   - several values in a list match when any matches, several fields when
//     all match, "$or": [pattern, pattern, ...] when any alternative matches;
//   - nested objects follow the record's objects; when the record holds an
//     array, the pattern matches when any element matches.
//
// Lambda filters a view of each record that depends on its source; the
// Match methods build it:
//
//   - [Criteria.MatchSQS]: the record's fields (messageId, body, attributes,
//     messageAttributes, eventSourceARN, ...). A body that is a JSON object is
//     matched as JSON under "body"; any other body as a plain string. A
//     pattern whose "body" has the other form (an object for a plain body, a
//     list of values for a JSON body) does not match: Lambda drops the
//     message.
//   - [Criteria.MatchKinesis]: the fields of the "kinesis" record
//     (partitionKey, sequenceNumber, approximateArrivalTimestamp, ...) and of
//     the event record (eventID, eventName, awsRegion, ...) side by side, with
//     the decoded "data" as JSON. Lambda accepts only JSON patterns for "data"
//     and drops records whose data is not a JSON object when a pattern filters
//     on "data".
//   - [Criteria.MatchDynamoDB]: the record as Lambda sends it; attribute
//     values are typed ({"N": "101"}), so a number attribute is the string
//     "101" under "N", matched by ["101"] and never by "numeric".
//   - [Criteria.MatchKafka]: the record's fields (topic, partition, offset,
//     timestamp, timestampType, key, headers) with the decoded "value": a JSON
//     object is matched as JSON, any value as a plain string by a list of
//     values. When the value is not a JSON object, the object part of a
//     pattern under "value" is ignored (Lambda does not drop the record for
//     it) and the rest of the pattern decides.
//
// [Criteria.Match] applies the patterns to any decoded JSON object, such as
// an EventBridge event or a record built by hand.
package filter
