// Drives the official openai SDK against Warden for the streams tests.
// Usage: node openai_client.mjs '<spec JSON>'; prints one JSON result line.
// spec: {baseURL, apiKey?, mode: "stream"|"helper"|"create", model?, messages, n?}
import OpenAI from 'openai';

const spec = JSON.parse(process.argv[2]);
const client = new OpenAI({ baseURL: spec.baseURL, apiKey: spec.apiKey ?? 'sk-test', maxRetries: 0, timeout: 30000 });
const params = { model: spec.model ?? 'gpt-fake', messages: spec.messages };
if (spec.n) params.n = spec.n;
const out = { text: null, finish_reason: null, usage: null, chunks: 0, error: null };
try {
  if (spec.mode === 'stream') {
    const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
    for await (const chunk of stream) {
      out.chunks++;
      if (chunk.usage) out.usage = chunk.usage;
      for (const ch of chunk.choices) {
        if (typeof ch.delta?.content === 'string') out.text = (out.text ?? '') + ch.delta.content;
        if (ch.finish_reason) out.finish_reason = ch.finish_reason;
      }
    }
  } else if (spec.mode === 'helper') {
    const runner = client.chat.completions.stream(params);
    let deltas = '';
    runner.on('content', (delta) => { deltas += delta; });
    const final = await runner.finalChatCompletion();
    out.text = final.choices[0].message.content;
    out.finish_reason = final.choices[0].finish_reason;
    out.deltas = deltas;
  } else {
    const r = await client.chat.completions.create(params);
    out.text = r.choices[0].message.content;
    out.finish_reason = r.choices[0].finish_reason;
    out.usage = r.usage;
  }
} catch (e) {
  out.error = { name: e.constructor.name, status: e.status ?? null, code: e.code ?? null, type: e.type ?? null, message: e.message };
}
console.log(JSON.stringify(out));
