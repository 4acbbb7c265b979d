/**
 * What `/metrics` counts, and how `serve --workers N` shows one server: each worker keeps its
 * own registry, and a scrape (which lands on any one worker) asks the cluster primary for the
 * sum over every worker (prom-client's AggregatorRegistry), so totals are the server's.
 */
import cluster from 'node:cluster';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TokenEvents } from '../tokens/service';
import { REFRESHD_VERSION } from '../version';

const REFRESH_OUTCOMES = ['rotated', 'grace_replay', 'rejected', 'store_unavailable'] as const;

export interface ServerMetrics {
  registry: Registry;
  /** Every api request answered, by api and status. */
  requests: Counter<'api' | 'status'>;
  latency: Histogram<'api'>;
  /** A store that could not serve an api request (its answer was the dialect's 503). */
  storeUnavailable: Counter<'api'>;
  /** Feeds the token engine's refresh, rejection and revocation counters. */
  tokenEvents: TokenEvents;
}

/** How often the event-loop delay monitor's timer is due. */
const EVENT_LOOP_SAMPLE_MS = 10;
const EVENT_LOOP_QUANTILES = [0.5, 0.9, 0.99, 0.999, 1] as const;
let eventLoopMonitor: IntervalHistogram | undefined;

/**
 * `refreshd_event_loop_delay_seconds{quantile}`: how late the event loop ran a timer due every
 * 10 ms, over the time since the previous scrape (each scrape starts a new window); quantile 1 is
 * the longest. Node's histogram holds the whole interval between two runs of the timer; the
 * interval itself is taken off here, so an idle loop reads 0. prom-client's
 * `nodejs_eventloop_lag_p99_seconds` and siblings keep it in (they never read below 0.01). Under
 * `--workers N` the highest worker's value is shown.
 */
function eventLoopDelayGauge(registers: Registry[]): void {
  eventLoopMonitor ??= monitorEventLoopDelay({ resolution: EVENT_LOOP_SAMPLE_MS });
  const monitor = eventLoopMonitor;
  monitor.enable();
  const intervalNs = EVENT_LOOP_SAMPLE_MS * 1e6;
  new Gauge({
    name: 'refreshd_event_loop_delay_seconds',
    help: 'How late the event loop ran a timer due every 10 ms, since the previous scrape, by quantile (1 = the longest)',
    labelNames: ['quantile'],
    registers,
    aggregator: 'max',
    collect() {
      for (const quantile of EVENT_LOOP_QUANTILES) {
        const ns = monitor.count === 0 ? 0 : quantile === 1 ? monitor.max : monitor.percentile(quantile * 100);
        this.set({ quantile: String(quantile) }, Math.max(0, ns - intervalNs) / 1e9);
      }
      monitor.reset();
    },
  });
}

/**
 * A fresh set of counters. The refresh counters of `apis` start at 0 for every outcome, so a
 * rate or an alert has a series from the first scrape on.
 */
export function createServerMetrics(apis: readonly string[] = []): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (cluster.isWorker) {
    // Constructing it makes this worker answer the primary's collection requests, with this registry.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries(registry);
  }
  const registers = [registry];
  eventLoopDelayGauge(registers);
  new Gauge({ name: 'refreshd_build_info', help: 'The running refreshd (value 1)', labelNames: ['version', 'node'], registers, aggregator: 'first' }).set(
    { version: REFRESHD_VERSION, node: process.version },
    1,
  );
  const refreshes = new Counter({
    name: 'refreshd_refreshes_total',
    help: 'Refresh calls by api and outcome: rotated, grace_replay (the same successor again inside the grace window), rejected, store_unavailable',
    labelNames: ['api', 'outcome'],
    registers,
  });
  for (const api of apis) for (const outcome of REFRESH_OUTCOMES) refreshes.inc({ api, outcome }, 0);
  const rejections = new Counter({
    name: 'refreshd_token_rejections_total',
    help: 'Refresh calls refused, by api and reason (the token engine error code, e.g. token_expired, token_reused)',
    labelNames: ['api', 'reason'],
    registers,
  });
  const reuse = new Counter({
    name: 'refreshd_reuse_detected_total',
    help: 'Used refresh tokens replayed after the grace window: each revoked its whole family',
    labelNames: ['api'],
    registers,
  });
  const revocations = new Counter({
    name: 'refreshd_revocations_total',
    help: 'Sessions revoked, by kind: session (one session), subject (revoke-subject), reuse (reuse detected)',
    labelNames: ['kind'],
    registers,
  });
  return {
    registry,
    requests: new Counter({ name: 'refreshd_requests_total', help: 'Requests answered, by api and status', labelNames: ['api', 'status'], registers }),
    latency: new Histogram({
      name: 'refreshd_request_duration_seconds',
      help: 'Time to answer an api request',
      labelNames: ['api'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers,
    }),
    storeUnavailable: new Counter({
      name: 'refreshd_store_unavailable_total',
      help: 'Api requests answered 503 because the store could not serve',
      labelNames: ['api'],
      registers,
    }),
    tokenEvents: {
      refreshed: (api, outcome) => refreshes.inc({ api, outcome }),
      rejected: (api, code) => {
        refreshes.inc({ api, outcome: 'rejected' });
        rejections.inc({ api, reason: code });
        if (code === 'token_reused') reuse.inc({ api });
      },
      storeUnavailable: (api) => refreshes.inc({ api, outcome: 'store_unavailable' }),
      revoked: (kind, sessions) => revocations.inc({ kind }, sessions),
    },
  };
}

const REQUEST = 'refreshd:metrics-request';
const RESPONSE = 'refreshd:metrics-response';
const CLUSTER_METRICS_TIMEOUT_MS = 5000;

interface MetricsMessage {
  type?: string;
  id?: number;
  text?: string;
  error?: string;
}

let nextRequestId = 0;

/**
 * The exposition text for a scrape: this process's registry alone, or in a cluster worker the
 * sum over every worker, from the primary ({@link serveClusterMetrics}).
 */
export function scrapeMetrics(registry: Registry): Promise<string> {
  if (!cluster.isWorker) return registry.metrics();
  const id = nextRequestId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the cluster primary did not answer the metrics request'));
    }, CLUSTER_METRICS_TIMEOUT_MS);
    const onMessage = (message: MetricsMessage) => {
      if (message?.type !== RESPONSE || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.text ?? '');
    };
    process.on('message', onMessage);
    process.send?.({ type: REQUEST, id });
  });
}

/** In the cluster primary: answers each worker's scrape with the metrics of all workers. */
export function serveClusterMetrics(): void {
  // Constructing it installs prom-client's listeners that collect every worker's registry.
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: MetricsMessage) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, text }),
      (error: Error) => worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, error: error.message }),
    );
  });
}

/** Content type of the exposition text. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
