/**
 * `npm run bench`: every server under test in its own process on its own core (taskset), the
 * load generator in another process on the other core, side by side in one run; one table on
 * stdout (progress goes to stderr) and the same numbers in a JSON file.
 *
 *   npm run bench                         full run (about 5 min on 2 cores)
 *   npm run bench -- --quick              a second or so per measurement: proves the script works
 *   npm run bench -- --only serve-session,baseline
 *   npm run bench -- --specs-dir <dir>    a `serve-<api>` row for every api of <dir> (default specs/)
 *   npm run bench -- --profile            also one serve run under --cpu-prof, summarised
 *   npm run bench -- --stalls             also serve and the Express baseline under stall-probe.js: what
 *                                         held up their slow requests at half of peak (scripts/bench/stalls.ts)
 *
 * Options: --out <file> (default bench-results.json), --connections <n> (50), --warmup <s>,
 * --duration <s>, --half-duration <s>, --cold-repeats <n>, --server-log-level <level> (info,
 * refreshd's default), --profile-api <api> (session), --specs-dir <dir>, --no-build, --keep (keep the temp dir
 * with the servers' logs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, withPgClient } from '../embedded-postgres';
import { cpuSeconds, machineBusySeconds, peakRssMiB, processTree, rssMiB } from './procfs';
import { formatProfileSummary, summarizeProfile } from './profile-summary';
import { attributeStalls, formatStallReport, readStallEvents } from './stalls';
import { catalogueOf, type CatalogueEntry } from '../../src/spec/catalogue';
import { SPECS_DIR } from '../../src/paths';
import type { EventLoopDelay, LoadMessage, RunRequest, RunResult, SessionSeed, WorkloadSpec } from './protocol';
import { loadRefreshPlan, type RefreshPlan } from './refresh-plan';
import {
  budgetLines,
  COLD_START_IDS,
  formatReport,
  loadBound,
  median,
  P99_BUDGET_MS,
  rowIds,
  type BenchReport,
  type ColdStart,
  type ColdStartId,
  type Row,
  type RowId,
} from './report';
import {
  detectPinning,
  firstOk,
  freePort,
  killAllServers,
  logLine,
  pinned,
  pinProcess,
  request,
  startServer,
  stopServer,
  type Pinning,
  type StartedServer,
} from './servers';
import { compileRequest, STATIC_TOKEN, type HttpCall } from './workloads';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const REFRESHD_BIN = path.join(PROJECT_ROOT, 'bin', 'refreshd.js');
const ADMIN_TOKEN = `bench-admin-${randomUUID()}`;
/** Given to serve as `--api-keys`: the credential of the apiKey schemes an overlay declares `api-keys`. */
const API_KEY = `bench-key-${randomUUID()}`;
/** The api of the rows that compare servers on one document (mock, Prism, workers, PostgreSQL, cold start): always the project's. */
const SESSION_API = 'session';
/** Tokens added to a pool beyond one per connection: a run loses at most one per connection (its in-flight request). */
const SEED_MARGIN = 16;

interface Options {
  quick: boolean;
  out: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  halfRateSeconds: number;
  coldRepeats: number;
  serverLogLevel: string;
  only?: string[];
  profile: boolean;
  /** Serve of `profileApi` and the Express baseline once more, with stall-probe.js: slow requests at half of peak put down to their causes. */
  stalls: boolean;
  profileApi: string;
  specsDir: string;
  build: boolean;
  keep: boolean;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const options: Options = {
    quick,
    out: 'bench-results.json',
    connections: 50,
    warmupSeconds: quick ? 0.5 : 3,
    durationSeconds: quick ? 1 : 10,
    halfRateSeconds: quick ? 1 : 10,
    coldRepeats: quick ? 1 : 3,
    serverLogLevel: 'info',
    profile: false,
    stalls: false,
    profileApi: SESSION_API,
    specsDir: SPECS_DIR,
    build: true,
    keep: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    const number = () => {
      const n = Number(value());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
      return n;
    };
    switch (flag) {
      case '--quick':
        break;
      case '--out':
        options.out = value();
        break;
      case '--connections':
        options.connections = Math.round(number());
        break;
      case '--warmup':
        options.warmupSeconds = number();
        break;
      case '--duration':
        options.durationSeconds = number();
        break;
      case '--half-duration':
        options.halfRateSeconds = number();
        break;
      case '--cold-repeats':
        options.coldRepeats = Math.round(number());
        break;
      case '--server-log-level':
        options.serverLogLevel = value();
        break;
      case '--only':
        options.only = value().split(',').map((s) => s.trim()).filter(Boolean);
        break;
      case '--profile':
        options.profile = true;
        break;
      case '--stalls':
        options.stalls = true;
        break;
      case '--profile-api':
        options.profileApi = value();
        break;
      case '--specs-dir':
        options.specsDir = path.resolve(value());
        break;
      case '--no-build':
        options.build = false;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--help':
        process.stdout.write(`${readUsage()}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${flag} (see --help)`);
    }
  }
  return options;
}

function readUsage(): string {
  return 'usage: npm run bench -- [--quick] [--out file] [--only ids] [--profile] [--stalls] [--profile-api api] [--connections n] [--warmup s] [--duration s] [--half-duration s] [--cold-repeats n] [--server-log-level level] [--specs-dir dir] [--no-build] [--keep]';
}

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Newest modification time of the TypeScript the CLI is built from. */
function newestSourceMtime(): number {
  let newest = 0;
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  for (const dir of ['src', 'handlers', 'generated']) walk(path.join(PROJECT_ROOT, dir));
  return newest;
}

/** The servers run from dist/ (what `npx refreshd` runs); rebuild it when the sources are newer. */
function ensureBuilt(options: Options): void {
  const entry = path.join(PROJECT_ROOT, 'dist', 'src', 'cli', 'main.js');
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  if (built >= newestSourceMtime()) return;
  if (!options.build) {
    progress('warning: dist/ is older than the sources and --no-build was given: measuring the old build');
    return;
  }
  progress('dist/ is missing or older than the sources: npm run build');
  const result = spawnSync('npm', ['run', 'build'], { cwd: PROJECT_ROOT, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) throw new Error('npm run build failed: the bench measures the built CLI (dist/)');
}

/** The load-generator process and its request/answer protocol. */
class LoadGenerator {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: RunResult) => void; reject: (e: Error) => void }>();

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'ready') return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.type === 'result') waiter.resolve(message.result);
      else waiter.reject(new Error(`load generator: ${message.message}`));
    });
    child.on('exit', (code, signal) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`load generator exited (code ${code}, signal ${signal})`));
      this.pending.clear();
    });
  }

  static async start(pinning: Pinning): Promise<LoadGenerator> {
    const argv = pinned(pinning, pinning.load, [process.execPath, '--import', 'tsx', path.join(__dirname, 'load.ts')]);
    const child = spawn(argv[0], argv.slice(1), { cwd: PROJECT_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      child.once('message', (message: LoadMessage) => (message.type === 'ready' ? resolve() : reject(new Error('load generator: unexpected first message'))));
      child.once('exit', (code) => reject(new Error(`load generator exited during start-up (code ${code})`)));
    });
    return new LoadGenerator(child);
  }

  run(spec: Omit<RunRequest, 'type' | 'id'>): Promise<RunResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...spec, type: 'run', id } satisfies RunRequest);
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}

/**
 * A refreshd server's event-loop delay since the previous scrape of its `/metrics` (each scrape
 * starts a new window, so calling this before a run starts that run's): undefined for a server
 * without the metric (the references, Prism).
 */
async function eventLoopDelay(url: string): Promise<EventLoopDelay | undefined> {
  const reply = await request(`${url}/metrics`).catch(() => undefined);
  if (reply?.status !== 200) return undefined;
  const quantile = (q: string) => {
    const line = reply.body.split('\n').find((l) => l.startsWith(`refreshd_event_loop_delay_seconds{quantile="${q}"} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1)) * 1000;
  };
  const [p50, p90, p99, p999, max] = ['0.5', '0.9', '0.99', '0.999', '1'].map(quantile);
  if ([p50, p90, p99, p999, max].some((value) => value === undefined || Number.isNaN(value))) return undefined;
  return { p50, p90, p99, p999, max } as EventLoopDelay;
}

/** Mints sessions through the admin api, a few requests at a time, for subjects of the form the api declares. */
async function mintSessions(url: string, api: CatalogueEntry, count: number): Promise<SessionSeed[]> {
  const seeds: SessionSeed[] = [];
  let failure: Error | undefined;
  let issued = 0;
  const worker = async () => {
    while (issued < count && !failure) {
      issued += 1;
      const sub = api.declaration.subject === 'uuid4' ? randomUUID() : `bench-${randomUUID()}`;
      const reply = await request(`${url}/admin/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ api: api.name, sub }),
      });
      if (reply.status !== 201) {
        failure = new Error(`minting a ${api.name} session: HTTP ${reply.status} ${reply.body.slice(0, 300)}`);
        return;
      }
      const minted = JSON.parse(reply.body) as { refresh_token: string; access_token: string; sub: string };
      seeds.push({ refreshToken: minted.refresh_token, accessToken: minted.access_token, sub: minted.sub });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (failure) throw failure;
  return seeds;
}

/** The baseline servers' route, the same request every time. */
const BASELINE_WORKLOAD: WorkloadSpec = {
  kind: 'static',
  call: { method: 'POST', path: '/refresh', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: STATIC_TOKEN }) },
};

const int = (value: number | undefined) => (value === undefined ? '?' : Math.round(value).toString());

/**
 * Counts, with pg_stat_statements, every statement the database executes for refreshd during the
 * peak run (each a round trip: refreshd sends no two at once on a connection) and reads the
 * database's CPU around it; records both on `row`, per response and in percent of a core.
 */
async function databaseMeter(url: string, serverPid: number, row: Row): Promise<() => Promise<void>> {
  await withPgClient(url, (client) => client.query('SELECT pg_stat_statements_reset()'));
  const cpuBefore = cpuSeconds(processTree(serverPid));
  return async () => {
    const cpuAfter = cpuSeconds(processTree(serverPid));
    const statements = await withPgClient(url, async (client) => {
      const { rows } = await client.query<{ calls: string | null }>(
        `SELECT sum(calls) AS calls FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'`,
      );
      return Number(rows[0].calls ?? 0);
    });
    if (row.peak && row.peak.responses > 0) {
      row.storeRoundTripsPerRequest = statements / row.peak.responses;
      if (cpuBefore !== undefined && cpuAfter !== undefined) row.databaseCpuPercent = (100 * (cpuAfter - cpuBefore)) / row.peak.elapsedSeconds;
    }
  };
}

class Bench {
  readonly rows = new Map<RowId, Row>();
  readonly coldStarts = new Map<ColdStartId, ColdStart>();
  readonly notes: string[] = [];
  profile?: unknown;
  stalls?: unknown;
  prismVersion?: string;
  private readonly workDir: string;
  /** The apis of `--specs-dir`, one `serve-<api>` row each. */
  readonly apis: CatalogueEntry[];
  /** Each api's refresh plan, or why the bench cannot make one. */
  private readonly plans = new Map<string, RefreshPlan | Error>();
  /** The project's session api, for the rows that compare servers on its document. */
  private readonly session: { entry: CatalogueEntry; plan: RefreshPlan };

  constructor(
    readonly options: Options,
    readonly pinning: Pinning,
    readonly load: LoadGenerator,
  ) {
    this.workDir = mkdtempSync(path.join(os.tmpdir(), 'refreshd-bench-'));
    const credentials = { apiKey: API_KEY, adminToken: ADMIN_TOKEN };
    this.apis = catalogueOf(options.specsDir).apis;
    const sessionEntry = catalogueOf(SPECS_DIR).get(SESSION_API);
    this.session = { entry: sessionEntry, plan: loadRefreshPlan(sessionEntry, credentials) };
    const labels: Record<string, string> = {
      'node-http': 'node:http POST + JSON.parse (reference floor)',
      baseline: 'Express 5 POST + express.json() (baseline)',
      'prism-session': 'Prism mock, session document',
      'mock-session': 'refreshd mock, session document',
      'serve-workers-1': 'serve --workers 1: session refresh',
      'serve-workers-2': 'serve --workers 2: session refresh',
      'serve-pg-workers-1': 'serve on PostgreSQL, 1 process: session refresh',
      'serve-pg-workers-2': 'serve on PostgreSQL, --workers 2: session refresh',
    };
    const ratioTo: Partial<Record<RowId, RowId>> = {
      'mock-session': 'prism-session',
      'serve-workers-2': 'serve-workers-1',
      'serve-pg-workers-2': 'serve-pg-workers-1',
    };
    const apiOf = new Map<RowId, string>();
    for (const { name } of this.apis) {
      const id = `serve-${name}` as const;
      if (id in labels) throw new Error(`the api "${name}" of ${options.specsDir} would share its row id ${id} with a fixed row: rename its document`);
      let plan: RefreshPlan | Error;
      try {
        plan = loadRefreshPlan(catalogueOf(options.specsDir).get(name), credentials);
      } catch (error) {
        plan = error as Error;
      }
      this.plans.set(name, plan);
      labels[id] = `serve: ${name} refresh${plan instanceof Error || plan.traits.length === 0 ? '' : ` (${plan.traits.join(', ')})`}`;
      ratioTo[id] = 'baseline';
      apiOf.set(id, name);
    }
    for (const id of rowIds(this.apis.map((api) => api.name))) {
      this.rows.set(id, {
        id,
        label: labels[id],
        api: apiOf.get(id),
        status: 'skipped',
        note: 'not selected (--only)',
        ratioTo: ratioTo[id],
        serverCores: pinning.enabled ? pinning.server : 'any',
      });
    }
    if (options.profile && !this.apis.some((api) => api.name === options.profileApi)) throw new Error(`--profile-api: one of ${this.apis.map((api) => api.name).join(', ')}`);
    const coldLabels: Record<ColdStartId, string> = {
      'serve-healthz': 'serve → GET /healthz',
      'serve-refresh': 'serve → a real refresh (session)',
      'mock-healthz': 'mock → GET /healthz',
      'prism-first-200': 'Prism → POST /session/token/refresh',
    };
    for (const id of COLD_START_IDS) this.coldStarts.set(id, { id, label: coldLabels[id], status: 'skipped', note: 'not selected (--only)', samplesMs: [] });
  }

  get logDir(): string {
    return this.workDir;
  }

  selected(id: string): boolean {
    const only = this.options.only;
    return !only || only.some((pattern) => id === pattern || id.startsWith(`${pattern}-`));
  }

  private row(id: RowId): Row {
    return this.rows.get(id) as Row;
  }

  /**
   * Waits (up to `maxSeconds`) until the rest of the machine uses under 15% of a core, so a
   * scenario does not start in the middle of someone else's build or test run. Skipped in
   * quick mode; a machine that never settles is reported in the notes.
   */
  async waitForQuiet(what: string, maxSeconds = 60): Promise<void> {
    if (this.options.quick || machineBusySeconds() === undefined) return;
    const deadline = performance.now() + maxSeconds * 1000;
    for (;;) {
      const before = machineBusySeconds() as number;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const busy = (machineBusySeconds() as number) - before;
      if (busy < 0.15) return;
      if (performance.now() > deadline) {
        this.notes.push(`the machine was still busy (${Math.round(busy * 100)}% of a core) when ${what} started`);
        return;
      }
      progress(`waiting for a quiet machine before ${what} (others use ${Math.round(busy * 100)}% of a core)`);
    }
  }

  /** Runs one scenario; a failure marks its rows failed and the bench goes on. */
  async scenario(ids: RowId[], run: () => Promise<void>): Promise<void> {
    const chosen = ids.filter((id) => this.selected(id));
    if (chosen.length === 0) return;
    await this.waitForQuiet(chosen.join(', '));
    try {
      await run();
    } catch (error) {
      const message = (error as Error).message;
      progress(`FAILED ${chosen.join(', ')}: ${message}`);
      for (const id of chosen) {
        const row = this.row(id);
        if (row.status !== 'ok') Object.assign(row, { status: 'failed', note: message.split('\n')[0] });
      }
    } finally {
      killAllServers();
    }
  }

  private dataDir(name: string): string {
    const dir = path.join(this.workDir, `${name}-${randomUUID().slice(0, 8)}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private logPath(name: string): string {
    return path.join(this.workDir, `${name}.log`);
  }

  private refreshd(args: string[], nodeFlags: string[] = []): string[] {
    return [process.execPath, ...nodeFlags, REFRESHD_BIN, ...args];
  }

  private async startServe(name: string, cores: string, extraArgs: string[] = [], nodeFlags: string[] = [], env?: NodeJS.ProcessEnv): Promise<StartedServer> {
    const port = await freePort();
    const argv = this.refreshd(
      [
        'serve', '--port', String(port), '--specs-dir', this.options.specsDir, '--data-dir', this.dataDir(name), '--admin-token', ADMIN_TOKEN, '--api-keys', API_KEY,
        '--insecure-cookies', '--log-level', this.options.serverLogLevel, ...extraArgs,
      ],
      nodeFlags,
    );
    const server = startServer({ name, argv: pinned(this.pinning, cores, argv), port, logPath: this.logPath(name), env });
    await firstOk(server, () => request(`${server.url}/healthz`), { what: 'GET /healthz' });
    return server;
  }

  /** Warm-up, a closed-loop run at peak rate, an open-loop run at half of it. */
  private async measure(
    id: RowId,
    server: StartedServer,
    workload: WorkloadSpec,
    mint?: (count: number) => Promise<SessionSeed[]>,
    options: { halfRate?: boolean; aroundPeak?: (row: Row) => Promise<() => Promise<void>> } = {},
  ): Promise<void> {
    const row = this.row(id);
    const workloadKey = `${id}-${server.pid}`;
    const { connections } = this.options;
    const base = { url: server.url, workloadKey, workload, connections, serverPid: server.pid };
    const seeds = async () => (mint ? await mint(connections + SEED_MARGIN) : undefined);

    progress(`${id}: warm-up ${this.options.warmupSeconds} s`);
    await this.load.run({ ...base, mode: 'closed', durationSeconds: this.options.warmupSeconds, seeds: await seeds() });
    progress(`${id}: peak ${this.options.durationSeconds} s`);
    const peakSeeds = await seeds();
    const afterPeak = await options.aroundPeak?.(row);
    let rssUnderLoad = 0;
    const sampler = setInterval(() => {
      rssUnderLoad = Math.max(rssUnderLoad, rssMiB(processTree(server.pid)) ?? 0);
    }, 100);
    await eventLoopDelay(server.url);
    const peak = await this.load.run({ ...base, mode: 'closed', durationSeconds: this.options.durationSeconds, seeds: peakSeeds }).finally(() => clearInterval(sampler));
    peak.eventLoopDelayMs = await eventLoopDelay(server.url);
    row.peak = peak;
    if (rssUnderLoad > 0) row.rssUnderLoadMiB = rssUnderLoad;
    if (peak.serverCpuSeconds !== undefined && peak.responses > 0) row.cpuMicrosPerRequest = (peak.serverCpuSeconds * 1e6) / peak.responses;
    await afterPeak?.();
    if (options.halfRate !== false && peak.requestsPerSecond > 0) {
      const rate = peak.requestsPerSecond / 2;
      progress(`${id}: ${Math.round(rate)} req/s (half of peak) for ${this.options.halfRateSeconds} s`);
      const halfSeeds = await seeds();
      await eventLoopDelay(server.url);
      const half = await this.load.run({
        ...base,
        mode: 'paced',
        rate,
        durationSeconds: this.options.halfRateSeconds,
        pacedWarmupSeconds: Math.min(2, this.options.warmupSeconds),
        seeds: halfSeeds,
      });
      half.eventLoopDelayMs = await eventLoopDelay(server.url);
      row.half = { ...half, rate };
    }
    row.peakRssMiB = peakRssMiB(processTree(server.pid));
    row.status = 'ok';
    row.note = undefined;
    progress(`${id}: ${Math.round(peak.requestsPerSecond)} req/s, p99 ${peak.latencyMs.p99.toFixed(2)} ms, non-200 ${peak.non200}`);
  }

  async nodeHttp(): Promise<void> {
    await this.scenario(['node-http'], async () => {
      const port = await freePort();
      const argv = [process.execPath, '--import', 'tsx', path.join(__dirname, 'node-http-server.ts'), '--port', String(port)];
      const server = startServer({ name: 'node-http', argv: pinned(this.pinning, this.pinning.server, argv), port, logPath: this.logPath('node-http') });
      await firstOk(server, () => request(`${server.url}/healthz`), { what: 'GET /healthz' });
      await this.measure('node-http', server, BASELINE_WORKLOAD);
      await stopServer(server);
    });
  }

  async baseline(): Promise<void> {
    await this.scenario(['baseline'], async () => {
      const server = await this.startBaseline('baseline');
      await this.measure('baseline', server, BASELINE_WORKLOAD);
      await stopServer(server);
    });
  }

  /** The bare Express 5 route (`baseline-server.ts`) on the server's core, answering /healthz. */
  private async startBaseline(name: string, nodeFlags: string[] = [], env?: NodeJS.ProcessEnv): Promise<StartedServer> {
    const port = await freePort();
    const argv = [process.execPath, ...nodeFlags, '--import', 'tsx', path.join(__dirname, 'baseline-server.ts'), '--port', String(port)];
    const server = startServer({ name, argv: pinned(this.pinning, this.pinning.server, argv), port, logPath: this.logPath(name), env });
    await firstOk(server, () => request(`${server.url}/healthz`), { what: 'GET /healthz' });
    return server;
  }

  /** A refresh request of the session api with a token nobody checks (the mocks) or a real one (the cold start). */
  private sessionCall(refreshToken: string): HttpCall {
    return compileRequest(this.session.plan)({ refreshToken, accessToken: '', sub: '' });
  }

  private get sessionWorkload(): WorkloadSpec {
    return { kind: 'refresh', plan: this.session.plan };
  }

  /** The refresh of one api of `--specs-dir`, as its document and declaration describe it. */
  async serve(api: CatalogueEntry): Promise<void> {
    const id = `serve-${api.name}` as const;
    if (!this.selected(id)) return;
    const plan = this.plans.get(api.name) as RefreshPlan | Error;
    if (Object.keys(api.declaration.refresh).length === 0) {
      Object.assign(this.row(id), { status: 'skipped', note: `${api.name} declares no refresh in x-refreshd (a handler file serves it): the bench cannot tell what to send` });
      return;
    }
    if (plan instanceof Error) {
      Object.assign(this.row(id), { status: 'failed', note: plan.message });
      progress(`FAILED ${id}: ${plan.message}`);
      return;
    }
    await this.scenario([id], async () => {
      const server = await this.startServe(id, this.pinning.server);
      await this.measure(id, server, { kind: 'refresh', plan }, (count) => mintSessions(server.url, api, count));
      const exit = await stopServer(server);
      if (exit.code !== 0) this.row(id).note = `exited ${exit.code ?? exit.signal} on SIGTERM`;
    });
  }

  async mock(): Promise<void> {
    await this.scenario(['mock-session'], async () => {
      const port = await freePort();
      const argv = this.refreshd(['mock', '--apis', 'session', '--port', String(port), '--log-level', this.options.serverLogLevel]);
      const server = startServer({ name: 'mock', argv: pinned(this.pinning, this.pinning.server, argv), port, logPath: this.logPath('mock') });
      const cold = await firstOk(server, () => request(`${server.url}/healthz`), { what: 'GET /healthz' });
      this.recordCold('mock-healthz', [cold]);
      await this.measure('mock-session', server, { kind: 'static', call: this.sessionCall(STATIC_TOKEN) });
      await stopServer(server);
    });
  }

  /** Prism's CLI from node_modules (pinned in devDependencies), or why it is not there. */
  private prismCli(): { entry: string; version: string } | { missing: string } {
    let manifestPath: string;
    try {
      manifestPath = require.resolve('@stoplight/prism-cli/package.json', { paths: [PROJECT_ROOT] });
    } catch {
      return { missing: 'Prism is not installed (npm install --save-dev --save-exact @stoplight/prism-cli@5.14.2)' };
    }
    const manifest = require(manifestPath) as { version: string; bin: string | Record<string, string> };
    const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin.prism;
    return { entry: path.join(path.dirname(manifestPath), bin), version: manifest.version };
  }

  async prism(): Promise<void> {
    if (!this.selected('prism-session')) return;
    const cli = this.prismCli();
    if ('missing' in cli) {
      Object.assign(this.row('prism-session'), { status: 'skipped', note: cli.missing });
      Object.assign(this.coldStarts.get('prism-first-200') as ColdStart, { status: 'skipped', note: cli.missing });
      this.notes.push(`Prism skipped: ${cli.missing}`);
      return;
    }
    this.prismVersion = cli.version;
    await this.scenario(['prism-session'], async () => {
      const port = await freePort();
      // -v silent: no per-request log lines (the issue compares with Prism's logging silenced); --errors=false is its default.
      const argv = [process.execPath, cli.entry, 'mock', path.join(PROJECT_ROOT, 'specs', 'session.yaml'), '-h', '127.0.0.1', '-p', String(port), '-v', 'silent', '--errors=false'];
      const server = startServer({ name: 'prism', argv: pinned(this.pinning, this.pinning.server, argv), port, logPath: this.logPath('prism') });
      const call = this.sessionCall(STATIC_TOKEN);
      const probe = () => request(`${server.url}${call.path}`, call);
      const cold = await firstOk(server, probe, { what: `${call.method} ${call.path}`, intervalMs: 10 });
      this.recordCold('prism-first-200', [cold]);
      this.row('prism-session').note = `@stoplight/prism-cli ${cli.version}, -v silent`;
      await this.measure('prism-session', server, { kind: 'static', call });
      this.row('prism-session').note = `@stoplight/prism-cli ${cli.version}, -v silent`;
      await stopServer(server);
    });
  }

  private recordCold(id: ColdStartId, samples: number[]): void {
    const cold = this.coldStarts.get(id) as ColdStart;
    cold.samplesMs.push(...samples);
    cold.status = 'ok';
    cold.note = undefined;
    cold.medianMs = median(cold.samplesMs);
    cold.maxMs = Math.max(...cold.samplesMs);
  }

  /** Spawn to first 200, on a data dir that already holds a session (minted by the CLI beforehand, after a first, unmeasured start created the store). */
  async coldStart(): Promise<void> {
    if (!this.selected('serve-healthz') && !this.selected('cold')) return;
    const fail = (error: Error) => {
      for (const id of ['serve-healthz', 'serve-refresh'] as const) Object.assign(this.coldStarts.get(id) as ColdStart, { status: 'failed', note: error.message.split('\n')[0] });
    };
    await this.waitForQuiet('the cold starts');
    try {
      for (let i = 0; i < this.options.coldRepeats; i += 1) {
        const dataDir = this.dataDir('cold');
        // A first start creates the store and records its signing key, which `sessions create` requires; it is not measured.
        const primingPort = await freePort();
        const priming = startServer({ name: `cold-prime-${i}`, argv: this.refreshd(['serve', '--port', String(primingPort), '--data-dir', dataDir, '--log-level', 'warn']), port: primingPort, logPath: this.logPath(`cold-prime-${i}`) });
        await firstOk(priming, () => request(`${priming.url}/healthz`), { what: 'GET /healthz' });
        await stopServer(priming);
        const minted = spawnSync(process.execPath, [REFRESHD_BIN, 'sessions', 'create', '--api', SESSION_API, '--sub', 'cold-start', '--data-dir', dataDir], { encoding: 'utf8' });
        if (minted.status !== 0) throw new Error(`sessions create failed: ${minted.stderr}`);
        const call = this.sessionCall((JSON.parse(minted.stdout) as { refresh_token: string }).refresh_token);
        const port = await freePort();
        const argv = this.refreshd(['serve', '--port', String(port), '--data-dir', dataDir, '--insecure-cookies', '--log-level', this.options.serverLogLevel]);
        progress(`cold start ${i + 1}/${this.options.coldRepeats}`);
        const server = startServer({ name: `cold-${i}`, argv: pinned(this.pinning, this.pinning.server, argv), port, logPath: this.logPath(`cold-${i}`) });
        const [healthz, refresh] = await Promise.all([
          firstOk(server, () => request(`${server.url}/healthz`), { what: 'GET /healthz' }),
          firstOk(
            server,
            () => request(`${server.url}${call.path}`, call),
            { what: 'a refresh' },
          ),
        ]);
        await stopServer(server);
        this.recordCold('serve-healthz', [healthz]);
        this.recordCold('serve-refresh', [refresh]);
      }
    } catch (error) {
      fail(error as Error);
      progress(`FAILED cold start: ${(error as Error).message}`);
    } finally {
      killAllServers();
    }
  }

  /** Whether the built serve command has `--workers` (src/app/cluster.ts wired into src/cli/serve.ts). */
  private serveHasWorkers(): boolean {
    const help = spawnSync(process.execPath, [REFRESHD_BIN, 'serve', '--help'], { encoding: 'utf8' });
    return help.stdout.includes('--workers');
  }

  /**
   * One worker against two, on the session api. Neither run is pinned: two workers need both
   * cores, so the server and the load generator share the machine in both runs alike.
   */
  async workers(): Promise<void> {
    const ids: RowId[] = ['serve-workers-1', 'serve-workers-2'];
    if (!ids.some((id) => this.selected(id))) return;
    if (!this.serveHasWorkers()) {
      const note = 'serve has no --workers option in this build (wire src/app/cluster.ts into src/cli/serve.ts)';
      for (const id of ids) Object.assign(this.row(id), { status: 'skipped', note });
      return;
    }
    pinProcess(this.pinning, this.load.child.pid as number, this.pinning.all);
    try {
      for (const workers of [1, 2]) {
        const id = `serve-workers-${workers}` as RowId;
        await this.scenario([id], async () => {
          const row = this.row(id);
          row.serverCores = this.pinning.enabled ? this.pinning.all : 'any';
          const port = await freePort();
          const argv = this.refreshd([
            'serve', '--workers', String(workers), '--port', String(port), '--data-dir', this.dataDir(id),
            '--admin-token', ADMIN_TOKEN, '--insecure-cookies', '--log-level', this.options.serverLogLevel,
          ]);
          const server = startServer({ name: id, argv: pinned(this.pinning, this.pinning.all, argv), port, logPath: this.logPath(id) });
          if (workers > 1) await logLine(server, 'all workers listening');
          await firstOk(server, () => request(`${server.url}/healthz`), { what: 'GET /healthz' });
          await this.measure(id, server, this.sessionWorkload, (count) => mintSessions(server.url, this.session.entry, count), { halfRate: false });
          const loadCpu = row.peak?.loadGeneratorCpuPercent;
          row.note = `server and load generator share the cores${loadCpu === undefined ? '' : `; the load generator used ${Math.round(loadCpu)}% of a core`}`;
          const exit = await stopServer(server);
          if (exit.code !== 0) row.note = `${row.note ? `${row.note}; ` : ''}exited ${exit.code ?? exit.signal} on SIGTERM`;
        });
      }
    } finally {
      pinProcess(this.pinning, this.load.child.pid as number, this.pinning.load);
    }
  }

  /** Whether the built serve command has `--database-url` (the PostgreSQL store). */
  private serveHasDatabaseUrl(): boolean {
    const help = spawnSync(process.execPath, [REFRESHD_BIN, 'serve', '--help'], { encoding: 'utf8' });
    return help.stdout.includes('--database-url');
  }

  /**
   * The session api on PostgreSQL (an embedded PostgreSQL 18 from npm, default settings but
   * `synchronous_commit=off`: like serve's SQLite `synchronous=NORMAL`, a commit is not flushed
   * before it is acknowledged, so the last ones may be lost if the database server crashes, and
   * nothing is ever half-applied; with flushed commits this VM's disk, not refreshd, sets the
   * pace), one process against `--workers 2`, each on a database of its own. Nothing
   * is pinned: the server, PostgreSQL and the load generator share the cores, as in the SQLite
   * workers rows. Around the peak run the bench counts the statements the database executed
   * (round trips per refresh) and reads its CPU.
   */
  async postgres(): Promise<void> {
    const ids: RowId[] = ['serve-pg-workers-1', 'serve-pg-workers-2'];
    if (!ids.some((id) => this.selected(id))) return;
    if (!this.serveHasDatabaseUrl()) {
      for (const id of ids) Object.assign(this.row(id), { status: 'skipped', note: 'serve has no --database-url in this build' });
      return;
    }
    progress('starting an embedded PostgreSQL');
    const database = await startEmbeddedPostgres({ flags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'synchronous_commit=off'] });
    const keyFile = path.join(this.workDir, 'bench-key.jwk.json');
    writeFileSync(keyFile, JSON.stringify({ kty: 'oct', alg: 'HS256', kid: 'bench', k: randomBytes(32).toString('base64url') }), { mode: 0o600 });
    pinProcess(this.pinning, this.load.child.pid as number, this.pinning.all);
    try {
      for (const workers of [1, 2]) {
        const id = `serve-pg-workers-${workers}` as RowId;
        await this.scenario([id], async () => {
          const row = this.row(id);
          row.serverCores = 'any';
          const name = `bench_${workers}_${randomUUID().slice(0, 8)}`;
          await withPgClient(database.url(), (client) => client.query(`CREATE DATABASE ${name}`));
          const url = database.url(name);
          await withPgClient(url, (client) => client.query('CREATE EXTENSION pg_stat_statements'));
          const port = await freePort();
          const argv = this.refreshd([
            'serve', '--workers', String(workers), '--port', String(port), '--database-url', url, '--key-file', keyFile,
            '--admin-token', ADMIN_TOKEN, '--insecure-cookies', '--log-level', this.options.serverLogLevel,
          ]);
          const server = startServer({ name: id, argv, port, logPath: this.logPath(id) });
          if (workers > 1) await logLine(server, 'all workers listening');
          await firstOk(server, () => request(`${server.url}/healthz`), { what: 'GET /healthz' });
          await this.measure(id, server, this.sessionWorkload, (count) => mintSessions(server.url, this.session.entry, count), {
            halfRate: false,
            aroundPeak: (measured) => databaseMeter(url, database.serverPid, measured),
          });
          const loadCpu = row.peak?.loadGeneratorCpuPercent;
          row.note = [
            `PostgreSQL (synchronous_commit=off) used ${int(row.databaseCpuPercent)}% of a core`,
            loadCpu === undefined ? undefined : `the load generator ${Math.round(loadCpu)}%`,
            `${row.storeRoundTripsPerRequest?.toFixed(3) ?? '?'} database round trips per refresh`,
          ]
            .filter(Boolean)
            .join('; ');
          const exit = await stopServer(server);
          if (exit.code !== 0) row.note = `${row.note}; exited ${exit.code ?? exit.signal} on SIGTERM`;
        });
      }
    } finally {
      pinProcess(this.pinning, this.load.child.pid as number, this.pinning.load);
      await database.shutdown();
    }
  }

  /**
   * One serve process under `--cpu-prof`: a closed-loop run at peak, then an open-loop run at half
   * of that rate, each summarised by self time over its own window of the one profile.
   */
  async cpuProfile(): Promise<void> {
    if (!this.options.profile) return;
    const entry = this.apis.find((api) => api.name === this.options.profileApi) as CatalogueEntry;
    const api = entry.name;
    const profileDir = path.join(this.workDir, 'cpu-profile');
    try {
      const plan = this.plans.get(api) as RefreshPlan | Error;
      if (plan instanceof Error) throw plan;
      const server = await this.startServe(`profile-${api}`, this.pinning.server, [], ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
      const { connections } = this.options;
      const base = { url: server.url, workloadKey: `profile-${server.pid}`, workload: { kind: 'refresh', plan } as WorkloadSpec, connections, serverPid: server.pid } as const;
      const seeds = () => mintSessions(server.url, entry, connections + SEED_MARGIN);
      const nowUs = () => Number(process.hrtime.bigint() / 1000n);
      progress(`profile: serve ${api} under --cpu-prof, ${this.options.durationSeconds} s at peak, ${this.options.halfRateSeconds} s at half of it`);
      await this.load.run({ ...base, mode: 'closed', durationSeconds: this.options.warmupSeconds, seeds: await seeds() });
      const peakSeeds = await seeds();
      const peakWindow = { fromUs: nowUs(), toUs: 0 };
      const peak = await this.load.run({ ...base, mode: 'closed', durationSeconds: this.options.durationSeconds, seeds: peakSeeds });
      peakWindow.toUs = nowUs();
      const rate = peak.requestsPerSecond / 2;
      const halfSeeds = await seeds();
      const halfWindow = { fromUs: nowUs(), toUs: 0 };
      const half = await this.load.run({ ...base, mode: 'paced', rate, durationSeconds: this.options.halfRateSeconds, seeds: halfSeeds });
      halfWindow.toUs = nowUs();
      await stopServer(server);
      const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
      if (!file) throw new Error('no .cpuprofile written');
      // Only the measured runs: start-up (document compilation) would otherwise dominate a short profile.
      const atPeak = summarizeProfile(path.join(profileDir, file), 30, peakWindow);
      const atHalf = summarizeProfile(path.join(profileDir, file), 30, halfWindow);
      const perRequest = (summary: typeof atPeak, responses: number) => (responses > 0 ? (summary.totalMs * (1 - summary.idlePercent / 100) * 1000) / responses : Number.NaN);
      this.profile = {
        api,
        peak: { requestsPerSecondUnderProfiler: peak.requestsPerSecond, busyMicrosPerRequest: perRequest(atPeak, peak.responses), ...atPeak },
        half: { rate, responses: half.responses, busyMicrosPerRequest: perRequest(atHalf, half.responses), ...atHalf },
      };
      this.options.keep = true;
      const heading = (what: string, summary: typeof atPeak, responses: number) =>
        `${what}: ${responses} refreshes, main thread busy ${perRequest(summary, responses).toFixed(0)} µs per refresh`;
      process.stdout.write(`\n${heading('at peak', atPeak, peak.responses)}\n${formatProfileSummary(atPeak)}\n`);
      process.stdout.write(`\n${heading(`at half of peak (${Math.round(rate)} req/s)`, atHalf, half.responses)}\n${formatProfileSummary(atHalf)}\n`);
    } catch (error) {
      progress(`FAILED profile: ${(error as Error).message}`);
      this.profile = { error: (error as Error).message };
    } finally {
      killAllServers();
    }
  }

  /**
   * Two servers with stall-probe.js preloaded, never measured rows (the probe's 1 ms timer and its
   * records cost CPU): serve of `profileApi`, and the bare Express route as the same method sees
   * it. Each: warm-up, a closed-loop run to find its peak, then an open-loop run at half of it
   * whose every request's wait is set against what the probe saw in that server.
   */
  async stallReport(): Promise<void> {
    if (!this.options.stalls) return;
    const entry = this.apis.find((api) => api.name === this.options.profileApi) as CatalogueEntry;
    const probe = (name: string) => {
      const eventsFile = path.join(this.workDir, `stalls-${name}.jsonl`);
      return { eventsFile, env: { REFRESHD_BENCH_STALLS: eventsFile }, nodeFlags: ['--require', path.join(__dirname, 'stall-probe.js')] };
    };
    const reports: Record<string, unknown> = {};
    try {
      const plan = this.plans.get(entry.name) as RefreshPlan | Error;
      if (plan instanceof Error) throw plan;
      const serve = probe(`serve-${entry.name}`);
      const server = await this.startServe(`stalls-serve-${entry.name}`, this.pinning.server, [], serve.nodeFlags, serve.env);
      const seeds = () => mintSessions(server.url, entry, this.options.connections + SEED_MARGIN);
      reports.serve = await this.stallRun(`serve ${entry.name}`, server, { kind: 'refresh', plan }, seeds, serve.eventsFile);
      await stopServer(server);

      const baseline = probe('baseline');
      const express = await this.startBaseline('stalls-baseline', baseline.nodeFlags, baseline.env);
      reports.baseline = await this.stallRun('the bare Express 5 POST route', express, BASELINE_WORKLOAD, async () => undefined, baseline.eventsFile);
      await stopServer(express);
      this.stalls = { api: entry.name, ...reports };
    } catch (error) {
      progress(`FAILED stalls: ${(error as Error).message}`);
      this.stalls = { api: entry.name, ...reports, error: (error as Error).message };
    } finally {
      killAllServers();
    }
  }

  private async stallRun(label: string, server: StartedServer, workload: WorkloadSpec, seeds: () => Promise<SessionSeed[] | undefined>, eventsFile: string) {
    const base = { url: server.url, workloadKey: `stalls-${server.pid}`, workload, connections: this.options.connections, serverPid: server.pid } as const;
    progress(`stalls: ${label} with stall-probe.js, ${this.options.durationSeconds} s at peak, ${this.options.halfRateSeconds} s at half of it`);
    await this.load.run({ ...base, mode: 'closed', durationSeconds: this.options.warmupSeconds, seeds: await seeds() });
    const peak = await this.load.run({ ...base, mode: 'closed', durationSeconds: this.options.durationSeconds, seeds: await seeds() });
    const rate = peak.requestsPerSecond / 2;
    const half = await this.load.run({ ...base, mode: 'paced', rate, durationSeconds: this.options.halfRateSeconds, seeds: await seeds(), timeline: true });
    const report = attributeStalls(half.timeline ?? [], readStallEvents(eventsFile), P99_BUDGET_MS);
    const { timeline: _timeline, ...halfWithoutTimeline } = half;
    const cpuMicros = (run: RunResult) => ((run.serverCpuSeconds ?? Number.NaN) * 1e6) / run.responses;
    process.stdout.write(
      `\nstalls: ${label} at ${Math.round(rate)} req/s (half of ${Math.round(peak.requestsPerSecond)}), p99 ${half.latencyMs.p99.toFixed(2)} ms, CPU ${int(cpuMicros(half))} µs per request (${int(cpuMicros(peak))} at peak)\n${formatStallReport(report)}\n`,
    );
    return { rate, peakRequestsPerSecond: peak.requestsPerSecond, peakCpuMicrosPerRequest: cpuMicros(peak), half: halfWithoutTimeline, report };
  }

  finish(): void {
    if (this.options.keep) progress(`logs${this.options.profile ? ' and the CPU profile' : ''} kept in ${this.workDir}`);
    else rmSync(this.workDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  // Before pinning: availableParallelism() reads this process's affinity.
  const machineCores = os.availableParallelism();
  const pinning = detectPinning();
  pinProcess(pinning, process.pid, pinning.load);
  ensureBuilt(options);
  const load = await LoadGenerator.start(pinning);
  const bench = new Bench(options, pinning, load);
  const stop = () => {
    killAllServers();
    load.child.kill('SIGKILL');
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.on('exit', killAllServers);

  try {
    await bench.nodeHttp();
    await bench.baseline();
    for (const api of bench.apis) await bench.serve(api);
    await bench.prism();
    await bench.mock();
    await bench.coldStart();
    await bench.workers();
    await bench.postgres();
    await bench.cpuProfile();
    await bench.stallReport();
  } finally {
    load.close();
  }

  const rows = [...bench.rows.values()];
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const row of rows) {
    const other = row.ratioTo ? byId.get(row.ratioTo) : undefined;
    if (row.status === 'ok' && other?.status === 'ok' && row.peak && other.peak && other.peak.requestsPerSecond > 0) {
      row.ratio = row.peak.requestsPerSecond / other.peak.requestsPerSecond;
    }
  }
  const non200 = rows.filter((row) => (row.peak?.non200 ?? 0) + (row.half?.non200 ?? 0) > 0);
  if (non200.length > 0) bench.notes.push(`non-200 answers in ${non200.map((row) => row.id).join(', ')}: every request must be a 200; those rows measure something else`);
  const bound = rows.filter((row) => row.half && loadBound(row.half));
  if (bound.length > 0) {
    bench.notes.push(`load-gen bound: at ½ peak of ${bound.map((row) => row.id).join(', ')} the load generator fell behind its schedule (90th percentile send lag > 1 ms); those p99s measure it, not the server`);
  }
  const disturbed = rows.filter((row) => Math.max(row.peak?.foreignCpuPercent ?? 0, row.half?.foreignCpuPercent ?? 0) > 10);
  if (disturbed.length > 0) {
    const worst = disturbed.map((row) => `${row.id} ${Math.round(Math.max(row.peak?.foreignCpuPercent ?? 0, row.half?.foreignCpuPercent ?? 0))}%`);
    bench.notes.push(`other processes were busy during some runs (CPU in % of one core): ${worst.join(', ')}; those numbers are disturbed`);
  }
  if (!pinning.enabled) bench.notes.push('no CPU pinning (taskset missing or a single core): server and load generator share the CPUs');
  const coldStarts = [...bench.coldStarts.values()];
  const cpus = os.cpus();
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpuModel: cpus[0]?.model.trim() ?? 'unknown',
      cpus: machineCores,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      os: `${os.type()} ${os.release()}`,
      pinning: pinning.enabled ? `server on core ${pinning.server}, load generator on core ${pinning.load} (taskset)` : 'no pinning',
    },
    config: {
      quick: options.quick,
      connections: options.connections,
      warmupSeconds: options.warmupSeconds,
      durationSeconds: options.durationSeconds,
      halfRateSeconds: options.halfRateSeconds,
      coldStartRepeats: options.coldRepeats,
      serverLogLevel: options.serverLogLevel,
      prism: bench.prismVersion,
    },
    rows,
    coldStarts,
    budget: budgetLines(rows, coldStarts),
    notes: bench.notes,
    profile: bench.profile,
    stalls: bench.stalls,
  };
  const out = path.resolve(options.out);
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatReport(report)}\n\nresults: ${out}\n`);
  bench.finish();
  const failed = [...rows.filter((row) => row.status === 'failed'), ...coldStarts.filter((c) => c.status === 'failed')];
  if (failed.length > 0) {
    progress(`${failed.length} measurement(s) failed: ${failed.map((f) => f.id).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: Error) => {
  killAllServers();
  process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
