/**
 * Starting, probing and stopping the servers under test, each in its own process, optionally
 * pinned to a set of cores with `taskset`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';

export interface Pinning {
  /** Whether `taskset` is used at all (Linux with it installed and at least two cores). */
  enabled: boolean;
  /** Cores of the server under test, e.g. `0`. */
  server: string;
  /** Cores of the load generator (and the orchestrator), e.g. `1`. */
  load: string;
  /** Every core, for the runs where the server needs more than one (workers). */
  all: string;
}

export function detectPinning(): Pinning {
  const cores = os.availableParallelism();
  const all = cores > 1 ? `0-${cores - 1}` : '0';
  const hasTaskset = process.platform === 'linux' && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  if (!hasTaskset || cores < 2) return { enabled: false, server: all, load: all, all };
  return { enabled: true, server: '0', load: '1', all };
}

/** Re-pins a running process and all its threads. */
export function pinProcess(pinning: Pinning, pid: number, cores: string): void {
  if (!pinning.enabled) return;
  spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

/** The command line that runs `argv` on `cores` (taskset execs it, so the pid is the server's). */
export function pinned(pinning: Pinning, cores: string, argv: string[]): string[] {
  return pinning.enabled ? ['taskset', '-c', cores, ...argv] : argv;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface StartedServer {
  name: string;
  child: ChildProcess;
  pid: number;
  url: string;
  logPath: string;
  /** `performance.now()` just before the spawn: cold-start times count from here. */
  spawnedAt: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<StartedServer>();

/** Spawns a server with its stdout and stderr going to `logPath`. */
export function startServer(options: { name: string; argv: string[]; port: number; logPath: string; env?: NodeJS.ProcessEnv }): StartedServer {
  const log = openSync(options.logPath, 'a');
  const spawnedAt = performance.now();
  const [command, ...args] = options.argv;
  const child = spawn(command, args, { stdio: ['ignore', log, log], env: { ...process.env, ...options.env } });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${options.name}: could not spawn ${command}`);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const server: StartedServer = {
    name: options.name,
    child,
    pid: child.pid,
    url: `http://127.0.0.1:${options.port}`,
    logPath: options.logPath,
    spawnedAt,
    exited,
  };
  running.add(server);
  void exited.then(() => running.delete(server));
  return server;
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopServer(server: StartedServer, graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exited;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  const result = await server.exited;
  clearTimeout(timer);
  return result;
}

/** Kills whatever is still running (the orchestrator is exiting). */
export function killAllServers(): void {
  for (const server of running) {
    try {
      server.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function logTail(server: StartedServer, lines = 20): string {
  try {
    return readFileSync(server.logPath, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection. */
export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false, timeout: options.timeoutMs ?? 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Repeats `probe` every `intervalMs` until it answers 200; returns the milliseconds from the
 * server's spawn to that answer. Fails when the server exits or `timeoutMs` passes.
 */
export async function firstOk(
  server: StartedServer,
  probe: () => Promise<HttpReply>,
  options: { intervalMs?: number; timeoutMs?: number; what: string },
): Promise<number> {
  const deadline = performance.now() + (options.timeoutMs ?? 60_000);
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  let last = 'no answer';
  for (;;) {
    if (exited) throw new Error(`${server.name} exited before ${options.what} answered 200 (${last}); log:\n${logTail(server)}`);
    if (performance.now() > deadline) throw new Error(`${server.name}: ${options.what} did not answer 200 in time (${last}); log:\n${logTail(server)}`);
    try {
      const reply = await probe();
      if (reply.status === 200) return performance.now() - server.spawnedAt;
      last = `HTTP ${reply.status}: ${reply.body.slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(options.intervalMs ?? 5);
  }
}

/** Waits until `needle` appears in the server's log (a cluster primary's "all workers listening"). */
export async function logLine(server: StartedServer, needle: string, timeoutMs = 60_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!readFileSync(server.logPath, 'utf8').includes(needle)) {
    if (server.child.exitCode !== null) throw new Error(`${server.name} exited before logging "${needle}"; log:\n${logTail(server)}`);
    if (performance.now() > deadline) throw new Error(`${server.name}: no "${needle}" in its log in time; log:\n${logTail(server)}`);
    await sleep(20);
  }
}
