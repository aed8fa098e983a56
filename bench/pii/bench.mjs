// Runs a JavaScript redaction library over the exported cases and writes
// its redacted texts and timings next to Warden's (see run.sh).
//   node bench/pii/bench.mjs <tool> <dir>     tool: redact-pii | openredaction
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const [tool, dir] = process.argv.slice(2);
const cases = fs.readFileSync(path.join(dir, 'cases.jsonl'), 'utf8').split('\n').filter(Boolean).map(JSON.parse);

let redact;
let description;
if (tool === 'redact-pii') {
  const rp = (await import('redact-pii')).default;
  const r = new rp.SyncRedactor();
  redact = async (t) => r.redact(t);
  description = 'redact-pii 3.4.0 SyncRedactor (defaults)';
} else if (tool === 'openredaction') {
  const { OpenRedaction } = await import('@openredaction/openredaction');
  const o = new OpenRedaction();
  redact = async (t) => (await o.detect(t)).redacted;
  description = '@openredaction/openredaction 1.0.4 detect() (defaults)';
} else {
  throw new Error(`unknown tool ${tool}`);
}

const out = [];
let total = 0;
for (const c of cases) {
  const t0 = performance.now();
  const red = await redact(c.text);
  total += performance.now() - t0;
  out.push(JSON.stringify({ id: c.id, redacted: red }));
}
fs.writeFileSync(path.join(dir, `${tool}.jsonl`), out.join('\n') + '\n');

const mixed = fs.readFileSync(path.join(dir, 'mixed.txt'), 'utf8');
let best = Infinity;
for (let i = 0; i < 2; i++) {
  const t0 = performance.now();
  await redact(mixed);
  best = Math.min(best, performance.now() - t0);
}
const timing = { tool, cases: cases.length, total_ms: total, per_case_us: (1000 * total) / cases.length, mixed_1mb_ms: best, description };
fs.writeFileSync(path.join(dir, `${tool}.timing.json`), JSON.stringify(timing, null, 2));
console.log(JSON.stringify(timing));
