/**
 * A progress line for long work: on a terminal, a bar with count, rate and ETA redrawn on
 * stderr; elsewhere (CI, pipes, ALIGNLAB_QUIET=1) silent. Results never go through here.
 *
 *   const bar = progress('train', 300);
 *   for (...) bar.tick({ loss: 2.31 });
 *   bar.done();
 */
export interface Progress {
  tick(info?: Record<string, number | string>, n?: number): void;
  done(): void;
}

export function progress(label: string, total: number): Progress {
  const live = process.stderr.isTTY && !process.env.CI && !process.env.ALIGNLAB_QUIET;
  const start = performance.now();
  let count = 0;
  let last = 0;
  const draw = (info: Record<string, number | string> = {}) => {
    const elapsed = (performance.now() - start) / 1000;
    const rate = count / Math.max(elapsed, 1e-9);
    const eta = rate > 0 ? (total - count) / rate : 0;
    const width = 24;
    const filled = Math.round((width * count) / Math.max(total, 1));
    const extra = Object.entries(info)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(4)) : v}`)
      .join('  ');
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count}/${total}  ${rate.toFixed(2)}/s  ETA ${eta.toFixed(0)}s  ${extra}\x1b[K`);
  };
  return {
    tick(info, n = 1) {
      count += n;
      if (!live) return;
      const now = performance.now();
      if (now - last > 100 || count >= total) {
        last = now;
        draw(info);
      }
    },
    done() {
      if (live) process.stderr.write('\n');
    },
  };
}
