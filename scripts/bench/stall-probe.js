'use strict';
/**
 * Preloaded (`node --require`) into the servers of `npm run bench -- --stalls` (serve, and the bare
 * Express route), never into a server that is measured for speed: it records, with wall-clock
 * times, what can hold a request up, and appends it as JSON lines to the file named by
 * REFRESHD_BENCH_STALLS.
 *
 * - Main thread: every garbage collection (perf_hooks 'gc' entries: kind, start, duration), and
 *   every gap of more than GAP_MS between two turns of a 1 ms interval timer, with how much of that
 *   gap the thread spent on a CPU and how much waiting for one (/proc schedstat: runnable, but
 *   another thread of the pinned core ran).
 * - Any thread, the checkpointer's included (a preload runs in worker threads too): every
 *   `wal_checkpoint(...)` pragma better-sqlite3 runs, with its mode and duration.
 *
 * Plain JavaScript, so the compiled server loads it without a TypeScript runtime.
 */
const out = process.env.REFRESHD_BENCH_STALLS;
if (out) {
  const fs = require('node:fs');
  const { performance, PerformanceObserver } = require('node:perf_hooks');
  const { isMainThread } = require('node:worker_threads');
  const GAP_MS = 2;
  const lines = [];
  const at = (relative) => performance.timeOrigin + relative;
  const flush = () => {
    if (lines.length === 0) return;
    fs.appendFileSync(out, `${lines.join('\n')}\n`);
    lines.length = 0;
  };
  setInterval(flush, 500).unref();
  process.on('exit', flush);

  // Patched where the driver defines it, so the store's own `pragma` calls are the ones timed.
  const Database = require('better-sqlite3');
  const pragma = Database.prototype.pragma;
  Database.prototype.pragma = function timedPragma(source, options) {
    const mode = /^wal_checkpoint\((\w+)\)$/i.exec(String(source).trim());
    if (!mode) return pragma.call(this, source, options);
    const start = performance.now();
    try {
      return pragma.call(this, source, options);
    } finally {
      lines.push(JSON.stringify({ kind: `checkpoint-${mode[1].toLowerCase()}`, start: at(start), ms: performance.now() - start }));
    }
  };

  if (isMainThread) {
    const GC_KINDS = { 1: 'scavenge', 4: 'major', 8: 'major', 16: 'weak-callbacks' };
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        lines.push(JSON.stringify({ kind: `gc-${GC_KINDS[entry.detail?.kind] ?? 'other'}`, start: at(entry.startTime), ms: entry.duration }));
      }
    }).observe({ entryTypes: ['gc'] });

    let schedstat;
    try {
      schedstat = fs.openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
    } catch {
      schedstat = undefined;
    }
    const buffer = Buffer.alloc(128);
    /** [on-CPU ms, runnable-but-waiting ms] of the main thread since it started. */
    const cpuAndWait = () => {
      if (schedstat === undefined) return [Number.NaN, Number.NaN];
      const read = fs.readSync(schedstat, buffer, 0, buffer.length, 0);
      const [onCpu, waiting] = buffer.toString('latin1', 0, read).split(' ').map(Number);
      return [onCpu / 1e6, waiting / 1e6];
    };
    let last = performance.now();
    let [lastCpu, lastWait] = cpuAndWait();
    setInterval(() => {
      const now = performance.now();
      const [cpu, wait] = cpuAndWait();
      if (now - last > GAP_MS) {
        lines.push(JSON.stringify({ kind: 'loop-gap', start: at(last), ms: now - last, cpuMs: cpu - lastCpu, waitMs: wait - lastWait }));
      }
      last = now;
      lastCpu = cpu;
      lastWait = wait;
    }, 1).unref();
  }
}
