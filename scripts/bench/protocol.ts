/**
 * Messages between the bench's orchestrator (run.ts) and its load-generator process (load.ts).
 * The load generator lives in its own process, pinned to its own core, so the cost of making
 * load never lands on the server's core.
 */
import type { RefreshPlan } from './refresh-plan';
import type { HttpCall } from './workloads';

/** One minted session: a never-used refresh token and what the api asks beside it. */
export interface SessionSeed {
  refreshToken: string;
  accessToken: string;
  sub: string;
}

/** What the load generator sends: one request again and again, or an api's refresh as its plan says. */
export type WorkloadSpec = { kind: 'static'; call: HttpCall } | { kind: 'refresh'; plan: RefreshPlan };

export interface RunRequest {
  type: 'run';
  id: number;
  /** Base URL of the server, e.g. `http://127.0.0.1:4100`. */
  url: string;
  /** Names the token pool: runs with the same key share it (warm-up, peak, half rate on one server). */
  workloadKey: string;
  /** Read on the first run of a `workloadKey` only. */
  workload: WorkloadSpec;
  /** Fresh sessions to add to the pool before the run (refresh workloads only). */
  seeds?: SessionSeed[];
  /** `closed`: autocannon, `connections` requests always in flight (peak rate). `paced`: open loop at `rate` req/s. */
  mode: 'closed' | 'paced';
  durationSeconds: number;
  connections: number;
  rate?: number;
  /** Paced runs: seconds at the same rate before the measured window, not recorded. */
  pacedWarmupSeconds?: number;
  /** The server's process (a cluster primary counts with its workers): CPU time is read around the run. */
  serverPid?: number;
  /** Paced runs: also return every request's due time and latency (`RunResult.timeline`). */
  timeline?: boolean;
}

export interface RunResult {
  /** Responses received inside the measured window. */
  responses: number;
  elapsedSeconds: number;
  requestsPerSecond: number;
  /** Latency in milliseconds (closed loop: send to response; paced: scheduled send to response). */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statusCounts: Record<string, number>;
  non200: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Requests sent with a placeholder because the token pool ran dry (each is a 401, counted in non200). */
  poolExhausted: number;
  /**
   * Paced runs: the 90th percentile of the delay between a request's due time and its sending.
   * Above a millisecond the load generator, not the server, could not keep the pace, and the
   * latencies say little.
   */
  sendLagMs?: number;
  /** Server CPU (user + system) spent during the run, summed over its processes; absent without /proc. */
  serverCpuSeconds?: number;
  /**
   * CPU used during the run by everything else on the machine (neither the server nor the load
   * generator), in percent of one core: other processes disturbing the measurement.
   */
  foreignCpuPercent?: number;
  /** The load generator's own CPU in percent of one core (closed runs; a paced run busy-polls its core). */
  loadGeneratorCpuPercent?: number;
  /** refreshd servers: how late their event loop ran (`refreshd_event_loop_delay_seconds`) over this run, in ms. */
  eventLoopDelayMs?: EventLoopDelay;
  /** When asked for (`RunRequest.timeline`): [due (epoch ms), latency (ms)] of every answered request. */
  timeline?: Array<[number, number]>;
}

/** Quantiles of the event-loop delay over one run, in ms. */
export interface EventLoopDelay {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export type LoadMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: RunResult }
  | { type: 'error'; id: number; message: string };
