// Times @aws-lambda-powertools/batch on the events that main.go generated:
// for each kind, processPartialResponse with a no-op async record handler,
// repeated, printing "<kind> <ns per record>" (the median of the runs).
// Usage: node bench.mjs <events dir> <powertools node_modules dir>
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, modules] = process.argv.slice(2);
const require = createRequire(join(modules, 'index.js'));
const { BatchProcessor, SqsFifoPartialProcessorAsync, EventType, processPartialResponse } =
  require('@aws-lambda-powertools/batch');

const kinds = {
  sqs: () => new BatchProcessor(EventType.SQS),
  fifo: () => new SqsFifoPartialProcessorAsync(),
  kinesis: () => new BatchProcessor(EventType.KinesisDataStreams),
  dynamodb: () => new BatchProcessor(EventType.DynamoDBStreams),
};
const handler = async () => {};
const context = { getRemainingTimeInMillis: () => 900000 };
const runs = Number(process.env.RUNS || 15);

for (const [kind, make] of Object.entries(kinds)) {
  const event = JSON.parse(readFileSync(join(dir, `${kind}.json`), 'utf8'));
  const n = event.Records.length;
  const processor = make();
  for (let i = 0; i < 3; i++) await processPartialResponse(event, handler, processor, { context }); // warm up
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const resp = await processPartialResponse(event, handler, processor, { context });
    times.push(Number(process.hrtime.bigint() - t0) / n);
    if (resp.batchItemFailures.length !== 0) throw new Error(`${kind}: unexpected failures`);
  }
  times.sort((a, b) => a - b);
  console.log(`${kind} ${times[Math.floor(times.length / 2)].toFixed(1)}`);
}
