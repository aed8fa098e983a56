// Reference token ids for the Go tokenizer parity tests.
//
// stdin:  {"tokenizers": {"<name>": "<path to tokenizer.json>", ...}, "texts": ["...", ...]}
// stdout: {"<name>": [[ids of text 0], [ids of text 1], ...], ...}
//
// Ids are those of a single sequence with the post-processor's special
// tokens (add_special_tokens: true), no truncation. The module is the
// tokenizers.js implementation that @huggingface/transformers bundles
// (transformers 4.3.1 ships @huggingface/tokenizers 0.2.0 verbatim).
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';

const input = JSON.parse(readFileSync(0, 'utf8'));
const out = {};
for (const [name, path] of Object.entries(input.tokenizers)) {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  const tok = new Tokenizer(json, {});
  out[name] = input.texts.map((t) => tok.encode(t, { add_special_tokens: true }).ids);
}
process.stdout.write(JSON.stringify(out));
