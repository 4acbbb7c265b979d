/**
 * What held up the slow requests of one paced run (`npm run bench -- --stalls`): the events
 * `stall-probe.js` recorded in the server, set against each request's wait.
 *
 * A request waits from when it was due to its answer. A slow one (over the budget) is put down to
 * the first kind of event, in the order of STALL_KINDS, that overlaps that wait: a request that
 * waited through a WAL RESTART and a scavenge counts once, for the RESTART. A slow request
 * that overlaps none of them waited behind other requests (queueing), or for something the probe
 * does not see (the load generator, the network stack).
 *
 * Overlap is not proof of cause: a kind of event that covers much of the run collects slow requests
 * by coincidence too, so the report gives each kind's share of the run's time next to its share
 * of the slow requests.
 */
import { readFileSync } from 'node:fs';

export interface StallEvent {
  kind: string;
  /** Wall-clock ms (epoch). */
  start: number;
  ms: number;
  /** loop-gap only: of the gap, ms the main thread ran, and ms it was runnable but waited for the core. */
  cpuMs?: number;
  waitMs?: number;
}

export interface StallKindSummary {
  kind: string;
  what: string;
  events: number;
  /** Summed duration of those events inside the run, ms. */
  totalMs: number;
  p50Ms: number;
  maxMs: number;
  /** Slow requests put down to this kind. */
  slowRequests: number;
}

export interface StallReport {
  budgetMs: number;
  /** From the first request's due time to the last answer, ms. */
  runMs: number;
  requests: number;
  slowRequests: number;
  kinds: StallKindSummary[];
  /** Slow requests that overlap no recorded event. */
  unexplained: number;
  /** Gaps of the event loop: ms the main thread ran during them, and ms it waited for its core. */
  loopGaps: { count: number; totalMs: number; onCpuMs: number; waitingForCoreMs: number };
}

/** In attribution order: the first that overlaps a slow request's wait takes it. */
const STALL_KINDS: ReadonlyArray<{ kind: string; what: string }> = [
  { kind: 'checkpoint-restart', what: 'WAL RESTART (writers held off)' },
  { kind: 'gc-major', what: 'major GC (mark-compact, its incremental steps)' },
  { kind: 'checkpoint-passive', what: 'PASSIVE checkpoint pass (a thread on the same core)' },
  { kind: 'gc-scavenge', what: 'scavenge (young-generation GC)' },
  { kind: 'loop-gap-waiting', what: 'event loop descheduled (runnable, another thread had the core)' },
  { kind: 'loop-gap', what: 'event loop busy over 2 ms in one turn' },
];

export function readStallEvents(file: string): StallEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const events: StallEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const event = JSON.parse(line) as StallEvent;
    // A gap the thread spent mostly waiting for its core is another thread's doing, not the loop's.
    if (event.kind === 'loop-gap' && event.waitMs !== undefined && event.waitMs > event.ms / 2) event.kind = 'loop-gap-waiting';
    events.push(event);
  }
  return events;
}

/** `requests`: [due (epoch ms), latency (ms)] per request of the run. */
export function attributeStalls(requests: ReadonlyArray<readonly [number, number]>, events: readonly StallEvent[], budgetMs: number): StallReport {
  if (requests.length === 0) throw new Error('no requests to attribute');
  let from = Infinity;
  let to = -Infinity;
  for (const [due, latency] of requests) {
    from = Math.min(from, due);
    to = Math.max(to, due + latency);
  }
  const inRun = events.filter((event) => event.start <= to && event.start + event.ms >= from);
  const byKind = new Map(STALL_KINDS.map(({ kind }) => [kind, sortedByStart(inRun.filter((event) => event.kind === kind))]));
  const slowBy = new Map<string, number>();
  let slowRequests = 0;
  let unexplained = 0;
  for (const [due, latency] of requests) {
    if (latency <= budgetMs) continue;
    slowRequests += 1;
    const culprit = STALL_KINDS.find(({ kind }) => overlapsAny(byKind.get(kind) as SortedEvents, due, due + latency));
    if (culprit) slowBy.set(culprit.kind, (slowBy.get(culprit.kind) ?? 0) + 1);
    else unexplained += 1;
  }
  const kinds = STALL_KINDS.map(({ kind, what }) => {
    const durations = (byKind.get(kind) as SortedEvents).events.map((event) => event.ms).sort((a, b) => a - b);
    return {
      kind,
      what,
      events: durations.length,
      totalMs: durations.reduce((sum, ms) => sum + ms, 0),
      p50Ms: durations.length > 0 ? durations[Math.floor(durations.length / 2)] : 0,
      maxMs: durations.length > 0 ? durations[durations.length - 1] : 0,
      slowRequests: slowBy.get(kind) ?? 0,
    };
  });
  const gaps = inRun.filter((event) => event.kind === 'loop-gap' || event.kind === 'loop-gap-waiting');
  return {
    budgetMs,
    runMs: to - from,
    requests: requests.length,
    slowRequests,
    kinds,
    unexplained,
    loopGaps: {
      count: gaps.length,
      totalMs: gaps.reduce((sum, event) => sum + event.ms, 0),
      onCpuMs: gaps.reduce((sum, event) => sum + (event.cpuMs ?? 0), 0),
      waitingForCoreMs: gaps.reduce((sum, event) => sum + (event.waitMs ?? 0), 0),
    },
  };
}

interface SortedEvents {
  events: StallEvent[];
  /** The longest of them: none that starts earlier than `from - longestMs` can reach `from`. */
  longestMs: number;
}

function sortedByStart(events: StallEvent[]): SortedEvents {
  return { events: events.sort((a, b) => a.start - b.start), longestMs: events.reduce((longest, event) => Math.max(longest, event.ms), 0) };
}

/** Whether any of the events overlaps [from, to]: a binary search to the first starting after `to`, then back as far as the longest reaches. */
function overlapsAny({ events, longestMs }: SortedEvents, from: number, to: number): boolean {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (events[middle].start <= to) low = middle + 1;
    else high = middle;
  }
  for (let i = low - 1; i >= 0 && events[i].start >= from - longestMs; i -= 1) {
    if (events[i].start + events[i].ms >= from) return true;
  }
  return false;
}

export function formatStallReport(report: StallReport): string {
  const pct = (n: number) => ((100 * n) / report.requests).toFixed(2);
  const lines = [
    `${report.slowRequests} of ${report.requests} requests (${pct(report.slowRequests)} %) took over ${report.budgetMs} ms; p99 needs under 1 %.`,
    'slow requests put down to the first event that overlaps their wait:',
    ...report.kinds.map(
      (k) =>
        `  ${String(k.slowRequests).padStart(6)} (${pct(k.slowRequests).padStart(5)} % of all)  ${k.what}: ${k.events} events, ${k.totalMs.toFixed(0)} ms in all (${((100 * k.totalMs) / report.runMs).toFixed(1)} % of the run), median ${k.p50Ms.toFixed(1)} ms, max ${k.maxMs.toFixed(1)} ms`,
    ),
    `  ${String(report.unexplained).padStart(6)} (${pct(report.unexplained).padStart(5)} % of all)  none of these (queued behind other requests, or outside the server)`,
    `event-loop gaps over 2 ms: ${report.loopGaps.count}, ${report.loopGaps.totalMs.toFixed(0)} ms in all; the main thread ran ${report.loopGaps.onCpuMs.toFixed(0)} ms of them and waited ${report.loopGaps.waitingForCoreMs.toFixed(0)} ms for its core`,
  ];
  return lines.join('\n');
}
