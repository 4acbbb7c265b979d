/**
 * `serve --workers <n>`: n processes on one machine sharing one port (node:cluster) and one
 * SQLite store. The store is safe to share: WAL lets readers run beside the writer, the busy
 * timeout makes a writer wait for another process's lock, and rotation is a conditional UPDATE,
 * so exactly one process wins a refresh token. What is not safe to race is first start-up
 * (generating the data dir's key, migrating the schema), so the primary does that once, before
 * it forks.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { flushLogger } from './logger';
import { serveClusterMetrics } from './metrics';

export interface ClusterOptions {
  /** How many worker processes to fork (at least 1). */
  workers: number;
  logger: Logger;
  /**
   * Runs once in the primary before any worker starts: creates the data dir's signing key
   * and migrates the store, so workers find both ready. A throw stops the start-up.
   */
  prepare: () => Promise<void> | void;
  /** How long SIGTERM/SIGINT waits for the workers to finish in-flight requests before killing them. Default 30 000. */
  drainTimeoutMs?: number;
}

/** A crash this soon after the previous one counts towards the restart back-off. */
const CRASH_STREAK_WINDOW_MS = 10_000;
const MAX_RESTART_DELAY_MS = 5_000;

/** Whether this process prints the start-up banner: a single-process server, or a cluster's first worker. */
export function announcesStartup(): boolean {
  return cluster.isPrimary || cluster.worker?.id === 1;
}

/** Whether this process is a worker forked by {@link runClusterPrimary} (it then serves like a single process). */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

const READY = 'refreshd:worker-ready';
const isReadyMessage = (message: unknown) => (message as { type?: unknown } | null)?.type === READY;

/**
 * Tells the primary this worker serves: bound and with its app built. A worker binds before it
 * builds (a port in use must fail first), so binding alone ('listening') is not ready.
 */
export function announceReady(): void {
  if (cluster.isWorker) process.send?.({ type: READY });
}

/**
 * Runs this process's server start-up. In a cluster worker a failed start also disconnects from
 * the primary: the IPC channel would otherwise keep the failed worker alive, and the primary
 * would wait for it forever instead of seeing it exit.
 */
export async function startServing(start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    if (cluster.isWorker) cluster.worker?.disconnect();
    throw error;
  }
}

/**
 * The primary: prepares the data dir, forks the workers (each re-runs the same command line and
 * serves), restarts a worker that crashes, and on SIGTERM/SIGINT has every worker drain (each
 * runs its own graceful shutdown) before exiting 0. Resolves once every worker is ready ({@link announceReady});
 * rejects, after stopping the others, if a worker dies before it listens (a port in use, a bad
 * store), so a broken start fails like a single process would instead of restarting forever.
 */
export async function runClusterPrimary(options: ClusterOptions): Promise<void> {
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error(`--workers must be a positive integer (got ${options.workers})`);
  if (!cluster.isPrimary) throw new Error('runClusterPrimary called in a worker');
  const { logger } = options;
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  await options.prepare();
  serveClusterMetrics();

  const live = new Set<Worker>();
  const pendingRestarts = new Set<NodeJS.Timeout>();
  let shuttingDown = false;
  let started = false;
  let startupFailed = false;
  let crashStreak = 0;
  let lastCrashAtMs = 0;
  let failedDrains = 0;

  const fork = (): Worker => {
    const worker = cluster.fork();
    live.add(worker);
    return worker;
  };

  const exit = (code: number) => {
    void flushLogger(logger).then(() => process.exit(code));
  };

  const exitIfDrained = () => {
    if (live.size > 0 || pendingRestarts.size > 0) return;
    logger.info({ failedDrains }, 'stopped: all workers exited');
    exit(failedDrains > 0 ? 1 : 0);
  };

  const shutdown = (signal: NodeJS.Signals) => {
    if (shuttingDown || startupFailed) {
      logger.warn({ signal }, 'already shutting down: waiting for the workers to drain');
      return;
    }
    shuttingDown = true;
    logger.info({ signal, workers: live.size }, 'shutting down: draining every worker');
    for (const timer of pendingRestarts) clearTimeout(timer);
    pendingRestarts.clear();
    for (const worker of live) worker.process.kill('SIGTERM');
    setTimeout(() => {
      logger.error({ workers: [...live].map((w) => w.process.pid) }, `workers still running after ${drainTimeoutMs} ms: killing them`);
      for (const worker of live) worker.process.kill('SIGKILL');
      exit(1);
    }, drainTimeoutMs).unref();
    exitIfDrained();
  };

  await new Promise<void>((resolve, reject) => {
    let ready = 0;
    const onStartupReady = (_worker: Worker, message: unknown) => {
      if (!isReadyMessage(message)) return;
      ready += 1;
      if (ready === options.workers) {
        cluster.off('message', onStartupReady);
        started = true;
        resolve();
      }
    };
    cluster.on('message', onStartupReady);

    cluster.on('exit', (worker, code, signal) => {
      live.delete(worker);
      const pid = worker.process.pid;
      // The start-up already failed: the process ends with the rejection's exit code once the rest are gone.
      if (startupFailed) return;
      if (shuttingDown) {
        if (code !== 0) {
          failedDrains += 1;
          logger.warn({ worker: worker.id, pid, code, signal }, 'worker did not drain cleanly');
        }
        exitIfDrained();
        return;
      }
      if (!started) {
        logger.error({ worker: worker.id, pid, code, signal }, 'worker exited during start-up: stopping');
        startupFailed = true;
        for (const other of live) other.process.kill('SIGTERM');
        reject(new Error(`worker ${worker.id} exited during start-up (code ${code}, signal ${signal}); see its log above`));
        return;
      }
      if (code === 0 && !signal) {
        // A worker that drained on its own signal (a terminal's Ctrl-C reaches the whole process group) is not a crash.
        logger.info({ worker: worker.id, pid }, 'worker stopped');
        if (live.size === 0 && pendingRestarts.size === 0) {
          shuttingDown = true;
          exitIfDrained();
        }
        return;
      }
      const now = Date.now();
      crashStreak = now - lastCrashAtMs < CRASH_STREAK_WINDOW_MS ? crashStreak + 1 : 0;
      lastCrashAtMs = now;
      const delayMs = crashStreak === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 100 * 2 ** (crashStreak - 1));
      logger.error({ worker: worker.id, pid, code, signal, restartInMs: delayMs }, 'worker crashed: restarting it');
      const timer = setTimeout(() => {
        pendingRestarts.delete(timer);
        if (shuttingDown) return exitIfDrained();
        const replacement = fork();
        const onReady = (message: unknown) => {
          if (!isReadyMessage(message)) return;
          replacement.off('message', onReady);
          logger.info({ worker: replacement.id, pid: replacement.process.pid, replaced: worker.id }, 'worker restarted');
        };
        replacement.on('message', onReady);
      }, delayMs);
      pendingRestarts.add(timer);
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => shutdown(signal));
    for (let i = 0; i < options.workers; i += 1) fork();
  });

  logger.info({ workers: options.workers, pids: [...live].map((w) => w.process.pid) }, 'all workers listening');
}
