// Drives the official @anthropic-ai/sdk against Warden for the streams tests.
// Usage: node anthropic_client.mjs '<spec JSON>'; prints one JSON result line.
// spec: {baseURL, mode: "stream"|"events"|"create", model?, messages}
import Anthropic from '@anthropic-ai/sdk';

const spec = JSON.parse(process.argv[2]);
const client = new Anthropic({ baseURL: spec.baseURL, apiKey: spec.apiKey ?? 'sk-ant-test', maxRetries: 0, timeout: 30000 });
const params = { model: spec.model ?? 'claude-fake', max_tokens: 256, messages: spec.messages };
const out = { text: null, stop_reason: null, stop_details: null, events: [], error: null };
const textOf = (msg) => msg.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
try {
  if (spec.mode === 'stream') {
    const stream = client.messages.stream(params);
    let deltas = '';
    stream.on('text', (t) => { deltas += t; });
    const msg = await stream.finalMessage();
    out.text = textOf(msg);
    out.deltas = deltas;
    out.stop_reason = msg.stop_reason;
    out.stop_details = msg.stop_details ?? null;
    out.blocks = msg.content.map((b) => b.type);
  } else if (spec.mode === 'events') {
    const stream = await client.messages.create({ ...params, stream: true });
    let text = '';
    for await (const ev of stream) {
      out.events.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
      if (ev.type === 'message_delta') out.stop_reason = ev.delta.stop_reason;
    }
    out.text = text;
  } else {
    const msg = await client.messages.create(params);
    out.text = textOf(msg);
    out.stop_reason = msg.stop_reason;
    out.stop_details = msg.stop_details ?? null;
  }
} catch (e) {
  out.error = { name: e.constructor.name, status: e.status ?? null, type: e.error?.error?.type ?? e.type ?? null, message: e.message };
}
console.log(JSON.stringify(out));
