// Reads, on stdin, a JSON array of aggregates, each an array of user records
// {"partitionKey": "...", "explicitHashKey": "..." (optional), "data": base64},
// and prints, one line per aggregate, the Kinesis record data that
// aws-kinesis-agg's RecordAggregator makes of them, in base64.
// Run with NODE_PATH set to the node_modules holding aws-kinesis-agg.
const { RecordAggregator } = require('aws-kinesis-agg');

let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  for (const records of JSON.parse(input)) {
    const out = [];
    const agg = new RecordAggregator();
    agg.aggregateRecords(records.map((r) => {
      const rec = { partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') };
      if (r.explicitHashKey) rec.explicitHashKey = r.explicitHashKey;
      return rec;
    }), true, (err, encoded) => {
      if (err) throw err;
      out.push(encoded.data.toString('base64'));
    });
    if (out.length !== 1) throw new Error('expected one aggregate, got ' + out.length);
    console.log(out[0]);
  }
});
