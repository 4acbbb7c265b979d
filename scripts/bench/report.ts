/**
 * The bench's results: one row per scenario, cold starts, and the issue's budget lines,
 * rendered as one console table (markdown, so it pastes into the README) and as JSON.
 */
import type { RunResult } from './protocol';

/** The rows before the per-api ones. */
export const REFERENCE_ROW_IDS = ['node-http', 'baseline'] as const;
/** The rows after them: the session document's mock and scaling rows. */
export const SESSION_ROW_IDS = ['prism-session', 'mock-session', 'serve-workers-1', 'serve-workers-2', 'serve-pg-workers-1', 'serve-pg-workers-2'] as const;
type FixedRowId = (typeof REFERENCE_ROW_IDS)[number] | (typeof SESSION_ROW_IDS)[number];

/** A fixed row, or `serve-<api>`: one per api the documents declare. */
export type RowId = FixedRowId | `serve-${string}`;

/** Every row of a run over `apis` (the catalogue's names), in table order. */
export function rowIds(apis: readonly string[]): RowId[] {
  return [...REFERENCE_ROW_IDS, ...apis.map((api) => `serve-${api}` as const), ...SESSION_ROW_IDS];
}

/** The budget's tail: p99 at half of peak rate, ms. */
export const P99_BUDGET_MS = 5;

export const COLD_START_IDS = ['serve-healthz', 'serve-refresh', 'mock-healthz', 'prism-first-200'] as const;
export type ColdStartId = (typeof COLD_START_IDS)[number];

export interface Row {
  id: RowId;
  label: string;
  /** A `serve-<api>` row: the api whose refresh it measures (one pinned process on SQLite). */
  api?: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why a row was skipped or failed, or a caveat about how it ran. */
  note?: string;
  /** The row this one is compared with (req/s over req/s). */
  ratioTo?: RowId;
  ratio?: number;
  /** The closed-loop run at peak rate. */
  peak?: RunResult;
  /** The open-loop run at half of `peak.requestsPerSecond`. */
  half?: RunResult & { rate: number };
  cpuMicrosPerRequest?: number;
  /** Largest resident set sampled during the peak-rate run. */
  rssUnderLoadMiB?: number;
  /** VmHWM at the end: the largest resident set since the process started, start-up included. */
  peakRssMiB?: number;
  /** Cores the server ran on (`taskset -c`), or `any`. */
  serverCores: string;
  /** PostgreSQL rows: statements the database executed per response during the peak run (pg_stat_statements). */
  storeRoundTripsPerRequest?: number;
  /** PostgreSQL rows: the database's CPU during the peak run, in percent of one core. */
  databaseCpuPercent?: number;
}

export interface ColdStart {
  id: ColdStartId;
  label: string;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  samplesMs: number[];
  medianMs?: number;
  maxMs?: number;
}

export interface BudgetLine {
  line: string;
  measured: string;
  /** null: not measured in this run. */
  holds: boolean | null;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpuModel: string; cpus: number; memoryGiB: number; node: string; os: string; pinning: string };
  config: {
    quick: boolean;
    connections: number;
    warmupSeconds: number;
    durationSeconds: number;
    halfRateSeconds: number;
    coldStartRepeats: number;
    serverLogLevel: string;
    prism?: string;
  };
  rows: Row[];
  coldStarts: ColdStart[];
  budget: BudgetLine[];
  notes: string[];
  profile?: unknown;
  /** `--stalls`: what held up the slow requests of one run at half of peak (scripts/bench/stalls.ts). */
  stalls?: unknown;
}

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Missing values arrive as undefined, or as null where a NaN went through JSON (no responses). */
const ms = (value: number | null | undefined) => (value === undefined || value === null || Number.isNaN(value) ? '–' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const int = (value: number | null | undefined) => (value === undefined || value === null || Number.isNaN(value) ? '–' : Math.round(value).toString());

function non200Cell(run: RunResult | undefined, half: RunResult | undefined): string {
  if (!run) return '–';
  const counts: Record<string, number> = {};
  let errors = 0;
  for (const r of [run, half]) {
    if (!r) continue;
    errors += r.errors;
    for (const [status, n] of Object.entries(r.statusCounts)) if (status !== '200') counts[status] = (counts[status] ?? 0) + n;
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const parts = Object.entries(counts).map(([status, n]) => `${status}×${n}`);
  let cell = total === 0 ? '0' : `**${total}** (${parts.join(', ')})`;
  if (errors > 0) cell += ` +${errors} errors`;
  return cell;
}

/** Whether a paced run was limited by the load generator falling behind its schedule. */
export function loadBound(run: RunResult): boolean {
  return (run.sendLagMs ?? 0) > 1;
}

export function rowsTable(rows: readonly Row[]): string {
  const header =
    '| scenario | req/s | p50 ms | p99 ms | p99 ms at ½ peak | event-loop delay ms at ½ peak: p50 / p99 / max | CPU µs/req | RSS MiB under load / peak | non-200 | ratio |';
  const lines = [header, '|---|--:|--:|--:|--:|--:|--:|--:|---|---|'];
  for (const row of rows) {
    if (row.status !== 'ok') {
      lines.push(`| ${row.label} | ${row.status}: ${row.note ?? ''} |||||||||`);
      continue;
    }
    const half = row.half ? `${ms(row.half.latencyMs.p99)} (${int(row.half.rate)}/s)${loadBound(row.half) ? ' load-gen bound' : ''}` : '–';
    const delay = row.half?.eventLoopDelayMs;
    const delayCell = delay ? `${ms(delay.p50)} / ${ms(delay.p99)} / ${ms(delay.max)}` : '–';
    const ratio = row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}× ${row.ratioTo}`;
    lines.push(
      `| ${row.label} | ${int(row.peak?.requestsPerSecond)} | ${ms(row.peak?.latencyMs.p50)} | ${ms(row.peak?.latencyMs.p99)} | ${half} | ${delayCell} | ${int(row.cpuMicrosPerRequest)} | ${int(row.rssUnderLoadMiB)} / ${int(row.peakRssMiB)} | ${non200Cell(row.peak, row.half)} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

export function coldStartTable(coldStarts: readonly ColdStart[]): string {
  const lines = ['| cold start (spawn → first 200) | median ms | max ms | samples |', '|---|--:|--:|--:|'];
  for (const cold of coldStarts) {
    if (cold.status !== 'ok') lines.push(`| ${cold.label} | ${cold.status}: ${cold.note ?? ''} |||`);
    else lines.push(`| ${cold.label} | ${int(cold.medianMs)} | ${int(cold.maxMs)} | ${cold.samplesMs.length} |`);
  }
  return lines.join('\n');
}

export function budgetTable(budget: readonly BudgetLine[]): string {
  const lines = ['| budget | measured | holds |', '|---|---|---|'];
  for (const b of budget) lines.push(`| ${b.line} | ${b.measured} | ${b.holds === null ? 'not measured' : b.holds ? 'yes' : '**no**'} |`);
  return lines.join('\n');
}

/** The issue's budget, each line from this run's numbers. */
export function budgetLines(rows: readonly Row[], coldStarts: readonly ColdStart[]): BudgetLine[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const ok = (id: RowId) => {
    const row = byId.get(id);
    return row?.status === 'ok' ? row : undefined;
  };
  // The per-api rows; the workers and PostgreSQL rows have lines of their own.
  const serveRows = rows.filter((row) => row.api !== undefined && row.status === 'ok');
  const lines: BudgetLine[] = [];

  const express = ok('baseline');
  const ratioLine = 'full refresh ≥ 1.0× bare Express 5 POST, every api (SQLite) and on PostgreSQL';
  const ratios = serveRows.filter((row) => row.ratio !== undefined);
  if (ratios.length > 0) {
    const worst = ratios.reduce((a, b) => ((a.ratio ?? 0) <= (b.ratio ?? 0) ? a : b));
    const postgres = ok('serve-pg-workers-1');
    const pgRatio = postgres?.peak && express?.peak ? postgres.peak.requestsPerSecond / express.peak.requestsPerSecond : undefined;
    const pgNote =
      pgRatio === undefined ? '' : `; PostgreSQL (session) ${pgRatio.toFixed(2)}×, the database taking ${int(postgres?.databaseCpuPercent)} % of a core on the same box`;
    lines.push({
      line: ratioLine,
      measured: ratios.map((row) => `${row.api} ${row.ratio?.toFixed(2)}×`).join(', ') + ` (worst ${worst.api})${pgNote}`,
      holds: ratios.every((row) => (row.ratio ?? 0) >= 1) && (pgRatio === undefined || pgRatio >= 1),
    });
  } else lines.push({ line: ratioLine, measured: 'not measured', holds: null });

  const mock = ok('mock-session');
  lines.push(
    mock?.ratio !== undefined
      ? { line: 'mock ≥ 1.5× Prism (session document)', measured: `${mock.ratio.toFixed(2)}×`, holds: mock.ratio >= 1.5 }
      : { line: 'mock ≥ 1.5× Prism (session document)', measured: 'not measured', holds: null },
  );
  const floorRow = ok('node-http');
  const mockToFloor = mock?.peak && floorRow?.peak ? mock.peak.requestsPerSecond / floorRow.peak.requestsPerSecond : undefined;
  lines.push(
    mockToFloor !== undefined
      ? { line: 'mock ≥ 0.6× the node:http reference', measured: `${mockToFloor.toFixed(2)}×`, holds: mockToFloor >= 0.6 }
      : { line: 'mock ≥ 0.6× the node:http reference', measured: 'not measured', holds: null },
  );

  const halves = serveRows.filter((row) => row.half);
  if (halves.length > 0) {
    const worst = Math.max(...halves.map((row) => row.half?.latencyMs.p99 ?? Number.POSITIVE_INFINITY));
    // The references at half of their own peak, measured the same way: what this machine allows a node process at all.
    const references = [
      ['bare node:http', ok('node-http')?.half?.latencyMs.p99],
      ['bare Express route', ok('baseline')?.half?.latencyMs.p99],
    ].filter((entry): entry is [string, number] => typeof entry[1] === 'number');
    const floorNote = references.length === 0 ? '' : ` (same method: ${references.map(([name, p99]) => `${name} ${ms(p99)} ms`).join(', ')})`;
    const delays = halves.map((row) => row.half?.eventLoopDelayMs?.p99).filter((value): value is number => value !== undefined);
    const delayNote = delays.length === 0 ? '' : `; event-loop delay p99 ≤ ${ms(Math.max(...delays))} ms`;
    lines.push({ line: 'p99 ≤ 5 ms at half of peak rate (serve)', measured: `worst ${ms(worst)} ms${floorNote}${delayNote}`, holds: worst <= P99_BUDGET_MS });
  } else lines.push({ line: 'p99 ≤ 5 ms at half of peak rate (serve)', measured: 'not measured', holds: null });

  const colds = coldStarts.filter((c) => (c.id === 'serve-healthz' || c.id === 'serve-refresh') && c.status === 'ok' && c.maxMs !== undefined);
  if (colds.length > 0) {
    const worst = Math.max(...colds.map((c) => c.maxMs as number));
    lines.push({ line: 'cold start ≤ 0.5 s (serve, to /healthz and to a refresh)', measured: colds.map((c) => `${c.id.slice(6)} ${int(c.medianMs)} ms (max ${int(c.maxMs)})`).join(', '), holds: worst <= 500 });
  } else lines.push({ line: 'cold start ≤ 0.5 s (serve, to /healthz and to a refresh)', measured: 'not measured', holds: null });

  const rss = serveRows.filter((row) => row.rssUnderLoadMiB !== undefined);
  if (rss.length > 0) {
    const worst = Math.max(...rss.map((row) => row.rssUnderLoadMiB as number));
    const peak = Math.max(...rss.map((row) => row.peakRssMiB ?? 0));
    lines.push({ line: 'RSS ≤ 128 MiB under load (serve, one process)', measured: `worst ${int(worst)} MiB under load (${int(peak)} MiB peak since start)`, holds: worst <= 128 });
  } else lines.push({ line: 'RSS ≤ 128 MiB under load (serve, one process)', measured: 'not measured', holds: null });

  const workers = ok('serve-workers-2');
  lines.push(
    workers?.ratio !== undefined
      ? { line: '2 workers ≥ 1.6× one worker', measured: `${workers.ratio.toFixed(2)}×`, holds: workers.ratio >= 1.6 }
      : { line: '2 workers ≥ 1.6× one worker', measured: 'not measured', holds: null },
  );
  lines.push(...postgresBudgetLines(ok));
  return lines;
}

/**
 * The PostgreSQL lines: refreshd's CPU against SQLite's, one round trip per refresh, two instances
 * against one. The round trips hold at one statement per refresh or fewer: the rotations of one
 * turn of the event loop share one.
 */
function postgresBudgetLines(ok: (id: RowId) => Row | undefined): BudgetLine[] {
  const lines: BudgetLine[] = [];
  const sqlite = ok('serve-workers-1');
  const postgres = ok('serve-pg-workers-1');
  const cpuLine = "refreshd CPU per refresh on PostgreSQL ≤ 1.2× on SQLite (one process each)";
  if (sqlite?.cpuMicrosPerRequest !== undefined && postgres?.cpuMicrosPerRequest !== undefined) {
    const ratio = postgres.cpuMicrosPerRequest / sqlite.cpuMicrosPerRequest;
    lines.push({ line: cpuLine, measured: `${int(postgres.cpuMicrosPerRequest)} µs against ${int(sqlite.cpuMicrosPerRequest)} µs: ${ratio.toFixed(2)}×`, holds: ratio <= 1.2 });
  } else lines.push({ line: cpuLine, measured: postgres?.cpuMicrosPerRequest === undefined ? 'not measured' : `${int(postgres.cpuMicrosPerRequest)} µs; SQLite not measured in this run`, holds: null });

  const counted = [postgres, ok('serve-pg-workers-2')].filter((row): row is Row => row?.storeRoundTripsPerRequest !== undefined);
  lines.push(
    counted.length > 0
      ? {
          line: 'one database round trip per refresh (PostgreSQL)',
          measured: counted.map((row) => `${row.id} ${(row.storeRoundTripsPerRequest as number).toFixed(3)}`).join(', '),
          holds: counted.every((row) => (row.storeRoundTripsPerRequest as number) <= 1),
        }
      : { line: 'one database round trip per refresh (PostgreSQL)', measured: 'not measured', holds: null },
  );

  const two = ok('serve-pg-workers-2');
  lines.push(
    two?.ratio !== undefined
      ? { line: 'PostgreSQL: 2 instances ≥ 1.6× one', measured: `${two.ratio.toFixed(2)}×`, holds: two.ratio >= 1.6 }
      : { line: 'PostgreSQL: 2 instances ≥ 1.6× one', measured: 'not measured', holds: null },
  );
  return lines;
}

export function formatReport(report: BenchReport): string {
  const m = report.machine;
  const c = report.config;
  const heading = [
    `refreshd bench · ${report.startedAt} · ${m.cpuModel} × ${m.cpus} · ${m.memoryGiB} GiB · node ${m.node} · ${m.os}`,
    `${m.pinning} · ${c.connections} connections · ${c.warmupSeconds} s warm-up, ${c.durationSeconds} s at peak, ${c.halfRateSeconds} s at ½ peak · server log level ${c.serverLogLevel}${c.quick ? ' · QUICK MODE: numbers are not meaningful' : ''}`,
  ];
  return [
    ...heading,
    '',
    rowsTable(report.rows),
    '',
    coldStartTable(report.coldStarts),
    '',
    budgetTable(report.budget),
    ...(report.notes.length > 0 ? ['', ...report.notes.map((note) => `- ${note}`)] : []),
  ].join('\n');
}
