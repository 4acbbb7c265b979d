/**
 * The load generator: its own process (the orchestrator pins it to its own core), driven over
 * IPC. Two modes:
 *
 * - closed: autocannon with `connections` connections, each sending its next request as soon
 *   as the previous answer arrives: the peak rate.
 * - paced: an open loop at a fixed rate, one request every 1/rate s, latency measured from the
 *   time each request was due (so queueing counts). autocannon's own `overallRate` is not used
 *   here because it releases each connection's quota for the second in one burst at the start
 *   of that second, which measures the peak-rate latency again rather than the latency at half
 *   of it. Its requests go over hand-written keep-alive connections (see RawConnection).
 *
 * Latencies are kept as exact floats (autocannon's histogram rounds to whole milliseconds).
 */
import net from 'node:net';
import autocannon from 'autocannon';
import { cpuSeconds, machineBusySeconds, processTree } from './procfs';
import type { LoadMessage, RunRequest, RunResult } from './protocol';
import { createWorkload, type HttpCall, type ResponseHeaders, type Workload } from './workloads';

const workloads = new Map<string, Workload>();

function send(message: LoadMessage): void {
  process.send?.(message);
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index];
}

class Recorder {
  private latencies = new Float64Array(1 << 16);
  private count = 0;
  readonly statusCounts: Record<string, number> = {};
  errors = 0;
  /** Paced runs: how late each request left after it was due (the load generator keeping up, or not). */
  sendLagsMs?: number[];
  /** When asked for: [due (epoch ms), latency (ms)] of every answered request. */
  timeline?: Array<[number, number]>;

  record(status: number, latencyMs: number): void {
    if (this.count === this.latencies.length) {
      const grown = new Float64Array(this.latencies.length * 2);
      grown.set(this.latencies);
      this.latencies = grown;
    }
    this.latencies[this.count++] = latencyMs;
    this.statusCounts[status] = (this.statusCounts[status] ?? 0) + 1;
  }

  result(elapsedSeconds: number, poolExhausted: number, cpu: CpuReading): RunResult {
    const sorted = this.latencies.slice(0, this.count).sort();
    let sum = 0;
    for (const value of sorted) sum += value;
    const non200 = Object.entries(this.statusCounts).reduce((n, [status, c]) => (status === '200' ? n : n + c), 0);
    return {
      responses: this.count,
      elapsedSeconds,
      requestsPerSecond: this.count / elapsedSeconds,
      latencyMs: {
        p50: percentile(sorted, 0.5),
        p90: percentile(sorted, 0.9),
        p99: percentile(sorted, 0.99),
        max: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
        mean: this.count > 0 ? sum / this.count : Number.NaN,
      },
      statusCounts: this.statusCounts,
      non200,
      errors: this.errors,
      poolExhausted,
      sendLagMs: this.sendLagsMs && this.sendLagsMs.length > 0 ? percentile(Float64Array.from(this.sendLagsMs).sort(), 0.9) : undefined,
      serverCpuSeconds: cpu.serverSeconds,
      foreignCpuPercent: cpu.foreignSeconds === undefined ? undefined : (100 * cpu.foreignSeconds) / elapsedSeconds,
      timeline: this.timeline,
    };
  }
}

interface CpuReading {
  serverSeconds?: number;
  foreignSeconds?: number;
  ownSeconds: number;
}

/**
 * CPU time around a run: the server's (with a cluster's workers), and the rest of the machine's
 * beyond the server and this process (other processes disturbing the run).
 */
function startCpuMeter(serverPid: number | undefined): () => CpuReading {
  const serverAt = () => (serverPid === undefined ? undefined : cpuSeconds(processTree(serverPid)));
  const ownAt = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  };
  const server0 = serverAt();
  const own0 = ownAt();
  const machine0 = machineBusySeconds();
  return () => {
    const server1 = serverAt();
    const own1 = ownAt();
    const machine1 = machineBusySeconds();
    const serverSeconds = server0 !== undefined && server1 !== undefined ? server1 - server0 : undefined;
    const foreignSeconds =
      serverSeconds !== undefined && machine0 !== undefined && machine1 !== undefined ? Math.max(0, machine1 - machine0 - serverSeconds - (own1 - own0)) : undefined;
    return { serverSeconds, foreignSeconds, ownSeconds: own1 - own0 };
  };
}

function runClosed(request: RunRequest, workload: Workload): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const recorder = new Recorder();
    const exhaustedBefore = workload.exhausted;
    const cpuMeter = startCpuMeter(request.serverPid);
    const startedAt = process.hrtime.bigint();
    const instance = autocannon(
      {
        url: request.url,
        connections: request.connections,
        pipelining: 1,
        duration: request.durationSeconds,
        timeout: 10,
        requests: [
          {
            setupRequest: (params) => {
              const call = workload.next();
              return { ...params, method: call.method, path: call.path, headers: call.headers, body: call.body };
            },
            onResponse: (status, body, _context, headers) => workload.onResponse(status, headers, body),
          },
        ],
      },
      (error) => {
        const elapsedSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
        const cpu = cpuMeter();
        if (error) return reject(error);
        const result = recorder.result(elapsedSeconds, workload.exhausted - exhaustedBefore, cpu);
        resolve({ ...result, loadGeneratorCpuPercent: (100 * cpu.ownSeconds) / elapsedSeconds });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, latencyMs: number) => recorder.record(status, latencyMs));
    // Connection errors and timeouts alike.
    instance.on('reqError', () => {
      recorder.errors += 1;
    });
  });
}

/**
 * One keep-alive HTTP/1.1 connection written and parsed by hand: node's http client costs the
 * load generator ~10x more CPU and garbage per request than the servers under test spend on
 * the bare route, and its own GC pauses would be counted as the server's latency. Only what the
 * servers here send is parsed: a status line, headers, a Content-Length body.
 */
class RawConnection {
  private socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private pending?: { done: (status: number, headers: ResponseHeaders, body: string) => void; failed: () => void };
  private closed = false;

  constructor(private readonly target: URL) {
    this.socket = this.connect();
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  private connect(): net.Socket {
    const socket = net.connect({ host: this.target.hostname, port: Number(this.target.port) });
    socket.setNoDelay(true);
    // An answer 10 s late is a failed request (the connection is replaced), not a hung run.
    socket.setTimeout(10_000, () => {
      if (this.pending) socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const pending = this.pending;
      this.pending = undefined;
      pending?.failed();
      this.buffered = Buffer.alloc(0);
      if (!this.closed) this.socket = this.connect();
    });
    return socket;
  }

  send(call: HttpCall, done: (status: number, headers: ResponseHeaders, body: string) => void, failed: () => void): void {
    this.pending = { done, failed };
    const body = call.body ?? '';
    let head = `${call.method} ${call.path} HTTP/1.1\r\nhost: ${this.target.host}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
    for (const [name, value] of Object.entries(call.headers)) head += `${name}: ${value}\r\n`;
    this.socket.write(`${head}\r\n${body}`);
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headerEnd = this.buffered.indexOf('\r\n\r\n');
    if (headerEnd === -1 || !this.pending) return;
    const lines = this.buffered.toString('latin1', 0, headerEnd).split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers: Record<string, string | string[]> = {};
    let length = 0;
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      const name = lines[i].slice(0, colon).toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      if (name === 'content-length') length = Number(value);
      if (name === 'set-cookie') headers[name] = [...((headers[name] as string[] | undefined) ?? []), value];
      else headers[name] = value;
    }
    const total = headerEnd + 4 + length;
    if (this.buffered.length < total) return;
    const body = this.buffered.toString('utf8', headerEnd + 4, total);
    this.buffered = this.buffered.subarray(total);
    const { done } = this.pending;
    this.pending = undefined;
    done(status, headers, body);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

/**
 * An open loop: request i is due at start + i/rate. A request due while every token of the pool
 * is out (the server has stalled) waits for one to come back; its latency still counts from when
 * it was due, so a stall shows in the percentiles instead of as a burst of 401s. The loop polls
 * with setImmediate rather than sleeping on 1 ms timers: the load generator has its own core,
 * and a timer's late wake-up would otherwise be counted as the server's latency.
 */
function pacedWindow(connections: RawConnection[], workload: Workload, rate: number, seconds: number, recorder: Recorder): Promise<number> {
  recorder.sendLagsMs = [];
  const total = Math.max(1, Math.round(rate * seconds));
  const startedAt = performance.now();
  const waiting: number[] = [];
  let scheduled = 0;
  let settled = 0;
  let inFlight = 0;

  return new Promise<number>((resolve) => {
    const finishOne = () => {
      settled += 1;
      inFlight -= 1;
      if (settled === total) resolve((performance.now() - startedAt) / 1000);
      else sendWaiting();
    };
    const fire = (connection: RawConnection, dueAt: number) => {
      recorder.sendLagsMs?.push(performance.now() - dueAt);
      inFlight += 1;
      connection.send(
        workload.next(),
        (status, headers, body) => {
          const latencyMs = performance.now() - dueAt;
          recorder.record(status, latencyMs);
          recorder.timeline?.push([performance.timeOrigin + dueAt, latencyMs]);
          workload.onResponse(status, headers, body);
          finishOne();
        },
        () => {
          recorder.errors += 1;
          finishOne();
        },
      );
    };
    // With nothing in flight no token can come back: send anyway (a counted 401) rather than wait forever.
    const sendWaiting = () => {
      while (waiting.length > 0 && (workload.available() > 0 || inFlight === 0)) {
        const idle = connections.find((connection) => !connection.busy);
        if (!idle) return;
        fire(idle, waiting.shift() as number);
      }
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - startedAt) / 1000) * rate) + 1);
      while (scheduled < due) {
        waiting.push(startedAt + (scheduled / rate) * 1000);
        scheduled += 1;
      }
      sendWaiting();
      if (scheduled < total) setImmediate(tick);
    };
    tick();
  });
}

/** A short unrecorded window first (connections opened, code paths warm), then the measured one. */
async function runPaced(request: RunRequest, workload: Workload): Promise<RunResult> {
  const rate = request.rate ?? 0;
  if (!(rate > 0)) throw new Error('paced run without a rate');
  const target = new URL(request.url);
  const connections = Array.from({ length: request.connections }, () => new RawConnection(target));
  try {
    if (request.pacedWarmupSeconds) await pacedWindow(connections, workload, rate, request.pacedWarmupSeconds, new Recorder());
    const recorder = new Recorder();
    if (request.timeline) recorder.timeline = [];
    const exhaustedBefore = workload.exhausted;
    const cpuMeter = startCpuMeter(request.serverPid);
    const elapsedSeconds = await pacedWindow(connections, workload, rate, request.durationSeconds, recorder);
    return recorder.result(elapsedSeconds, workload.exhausted - exhaustedBefore, cpuMeter());
  } finally {
    for (const connection of connections) connection.close();
  }
}

async function handle(request: RunRequest): Promise<void> {
  let workload = workloads.get(request.workloadKey);
  if (!workload) {
    workload = createWorkload(request.workload);
    workloads.set(request.workloadKey, workload);
  }
  if (request.seeds) workload.addSeeds(request.seeds);
  try {
    const result = request.mode === 'closed' ? await runClosed(request, workload) : await runPaced(request, workload);
    send({ type: 'result', id: request.id, result });
  } catch (error) {
    send({ type: 'error', id: request.id, message: (error as Error).message });
  }
}

process.on('message', (message: RunRequest) => {
  if (message?.type === 'run') void handle(message);
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
