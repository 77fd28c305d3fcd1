// Entry point of an RL worker thread (see rl-parallel.ts): registers tsx, as bin/alignlab does
// for the main thread, so the worker can load the TypeScript sources.
import { register } from 'tsx/esm/api';

register();
await import('./rl-worker.ts');
