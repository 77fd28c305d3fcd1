// Entry point of a generation worker thread (see parallel.ts): registers tsx, as bin/alignlab
// does for the main thread, so the worker can load the TypeScript sources.
import { register } from 'tsx/esm/api';

register();
await import('./parallel-worker.ts');
