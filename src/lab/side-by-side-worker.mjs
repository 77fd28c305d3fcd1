// Entry point of a side-by-side child process (see side-by-side.ts): registers tsx, as
// bin/alignlab does for the main process, so the child can load the TypeScript sources.
import { register } from 'tsx/esm/api';

register();
await import('./side-by-side-worker.ts');
