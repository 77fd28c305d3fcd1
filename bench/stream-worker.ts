/**
 * One side of the single-stream benchmark (bench/llamacpp.ts starts it, once per side and round,
 * in a fresh process so that neither library's idle thread pool runs beside the other's work):
 *
 *   tsx bench/stream-worker.ts engine   --model DIR  --ids 11,48,… --new-tokens 112 --threads 2 --runs 5 --warmup 2
 *   tsx bench/stream-worker.ts llamacpp --gguf FILE --ids 11,48,… --new-tokens 112 --threads 2 --runs 5 --warmup 2
 *
 * Both sides decode greedily at batch 1 from the same prompt and record the moment each new
 * token becomes known to the caller: the engine through `generate`'s `shouldStop` callback (the
 * code path of `alignlab bench generate --batch 1`), llama.cpp when node-llama-cpp's
 * `sequence.evaluate` generator yields the token. `streamTiming` turns those stamps into the
 * prompt phase (prompt forward + the first token's choice) and the decode phase (one
 * single-token forward + choice per further token). The last stdout line is JSON:
 * `{ backend, threads, tokens, runs: [{ prefillMs, decodeMs, decodeTokens, totalMs }], … }`.
 */
import { loadNodeLlamaCpp } from '../src/cli/generate.js';
import { loadModel } from '../src/model/checkpoint.js';
import { Runtime } from '../src/engine/session.js';
import { generate } from '../src/sample/generate.js';
import { streamTiming, type StreamTiming } from './llamacpp.js';

interface Run {
  tokens: number[];
  timing: StreamTiming;
}

const argv = process.argv.slice(2);
const backend = argv[0];
const opt = (name: string): string => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0 || argv[i + 1] === undefined) throw new Error(`stream-worker: missing --${name}`);
  return argv[i + 1];
};
const ids = opt('ids').split(',').map(Number);
const N = Number(opt('new-tokens'));
const threads = Number(opt('threads'));
const runs = Number(opt('runs'));
const warmup = Number(opt('warmup'));

/** Runs `once` warmup + runs times; every run must produce the same tokens. */
async function measure(once: () => Promise<Run>): Promise<{ tokens: number[]; runs: StreamTiming[] }> {
  const timed: StreamTiming[] = [];
  let tokens: number[] | undefined;
  for (let r = 0; r < warmup + runs; r++) {
    const out = await once();
    if (out.tokens.length !== N) throw new Error(`stream-worker ${backend}: run ${r} produced ${out.tokens.length} tokens, expected ${N}`);
    if (tokens && out.tokens.join(',') !== tokens.join(',')) throw new Error(`stream-worker ${backend}: greedy run ${r} differs from run 0`);
    tokens ??= out.tokens;
    if (r >= warmup) timed.push(out.timing);
  }
  return { tokens: tokens!, runs: timed };
}

async function engine(): Promise<Record<string, unknown>> {
  const runtime = new Runtime({ threads });
  const model = loadModel(opt('model'), { runtime });
  const result = await measure(async () => {
    const stamps: number[] = [];
    const t0 = performance.now();
    const [g] = await generate(model, [ids], {
      maxNewTokens: N,
      temperature: 0,
      shouldStop: () => {
        stamps.push(performance.now());
        return false;
      },
    });
    return { tokens: g!.tokens, timing: streamTiming(t0, stamps) };
  });
  await runtime.release();
  return { backend: 'engine', threads: runtime.threads, ...result };
}

/** llama.cpp's own counters (llama_perf_context_print): total ms and count of its decode calls. */
function parsePerf(lines: string[]): { promptMs: number; promptTokens: number; evalMs: number; evalRuns: number } {
  const text = lines.join('\n');
  const prompt = /prompt eval time =\s*([\d.]+) ms \/\s*(\d+) tokens/.exec(text);
  const ev = /\s eval time =\s*([\d.]+) ms \/\s*(\d+) runs/.exec(text);
  if (!prompt || !ev) throw new Error('stream-worker llamacpp: llama.cpp printed no performance counters');
  return { promptMs: Number(prompt[1]), promptTokens: Number(prompt[2]), evalMs: Number(ev[1]), evalRuns: Number(ev[2]) };
}

async function llamacpp(): Promise<Record<string, unknown>> {
  const lib = await loadNodeLlamaCpp();
  // maxThreads caps the Llama instance's pool; threads {ideal, min} makes the context use exactly
  // that many for both the prompt batch and single-token steps. Logs at info level reach the
  // logger, which keeps only llama.cpp's performance counters and passes on warnings and errors.
  let perfLines: string[] = [];
  const logger = (level: string, message: string) => {
    if (message.includes('llama_perf_context_print')) perfLines.push(message);
    // llama.cpp rounds the context up to 256 cells and warns that this exceeds the model's 128.
    else if (/warn|error|fatal/.test(level) && !message.includes('n_ctx_train')) process.stderr.write(`llama.cpp: ${message.trim()}\n`);
  };
  const llama = await lib.getLlama({ gpu: false, maxThreads: threads, logLevel: 'info', logger });
  const model = await llama.loadModel({ modelPath: opt('gguf') });
  // Context and batch settings: the context is the prompt plus the new tokens (llama.cpp may round
  // it up; attention cost follows the filled cells, not the capacity) and the batch holds the whole
  // prompt, so the prompt is one forward pass as in the engine's prefill. One sequence, no flash
  // attention (the engine has none), and an F32 KV cache like the engine's, so both run F32 end to
  // end and greedy choices can be compared token for token.
  const contextSize = ids.length + N;
  const context = await model.createContext({
    contextSize,
    batchSize: contextSize,
    sequences: 1,
    threads: { ideal: threads, min: threads },
    flashAttention: false,
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    performanceTracking: true,
  });
  const seq = context.getSequence();
  // llama.cpp's own counters (time inside llama_decode, without node-llama-cpp's JS side) restart
  // after each printTimings: print once after the warmup runs, read them after the timed ones.
  const perf = async () => {
    perfLines = [];
    await context.printTimings();
    return parsePerf(perfLines);
  };
  let run = 0;
  const result = await measure(async () => {
    if (run++ === warmup) await perf();
    await seq.clearHistory();
    const stamps: number[] = [];
    const tokens: number[] = [];
    const t0 = performance.now();
    // temperature 0 = greedy; yieldEogToken so an end-of-generation id does not end the stream
    // (the engine is not given stop ids either).
    for await (const t of seq.evaluate(ids, { temperature: 0, yieldEogToken: true })) {
      stamps.push(performance.now());
      tokens.push(t);
      if (tokens.length >= N) break;
    }
    return { tokens, timing: streamTiming(t0, stamps) };
  });
  const p = await perf();
  const settings = {
    contextSize: context.contextSize,
    batchSize: context.batchSize,
    llamaPerf: { promptEvalMsPerRun: p.promptMs / runs, evalMsPerToken: p.evalMs / p.evalRuns, evalRuns: p.evalRuns, promptTokens: p.promptTokens },
  };
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { backend: 'llamacpp', threads, ...settings, ...result };
}

if (backend !== 'engine' && backend !== 'llamacpp') throw new Error(`stream-worker: expected engine or llamacpp, got "${backend}"`);
const out = backend === 'engine' ? await engine() : await llamacpp();
process.stdout.write(JSON.stringify({ promptTokens: ids.length, newTokens: N, ...out }) + '\n');
