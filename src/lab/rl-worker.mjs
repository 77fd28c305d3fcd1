// Entry point of an RL child process (see rl-parallel.ts): registers tsx, as bin/alignlab does
// for the main process, so the child can load the TypeScript sources.
import { register } from 'tsx/esm/api';

register();
await import('./rl-worker.ts');
