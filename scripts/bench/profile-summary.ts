/**
 * Where a V8 CPU profile (`node --cpu-prof`) spends its self time: the top functions, and the
 * same time grouped by where the code lives (a package, the project's own files, node's
 * internals, the garbage collector). Used by `npm run bench -- --profile`, and on its own:
 *
 *     npx tsx scripts/bench/profile-summary.ts <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeEntry {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Share of the samples where the thread was idle (waiting for I/O). */
  idlePercent: number;
  topFunctions: SelfTimeEntry[];
  byLocation: Array<{ where: string; selfMs: number; percent: number }>;
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** A short name for where a function lives: `express`, `src/app/pipeline.ts`, `node:internal`, ... */
function locationOf(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nodeModules = file.lastIndexOf('/node_modules/');
  if (nodeModules !== -1) {
    const rest = file.slice(nodeModules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  return path.relative(PROJECT_ROOT, file) || file;
}

function fileOf(url: string): string {
  if (!url) return '';
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nodeModules = file.lastIndexOf('/node_modules/');
  return nodeModules !== -1 ? file.slice(nodeModules + '/node_modules/'.length) : path.relative(PROJECT_ROOT, file) || file;
}

/**
 * `window` keeps only the samples taken between two CLOCK_MONOTONIC instants in microseconds
 * (`process.hrtime.bigint() / 1000n` in any process on the machine: V8 stamps its samples with
 * the same clock), so start-up does not drown the steady state.
 */
export function summarizeProfile(file: string, top = 25, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  let totalUs = 0;
  let idleUs = 0;
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const locations = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = functionName || '(anonymous)';
    const where = url ? `${fileOf(url)}:${lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const location = functionName.startsWith('(') && !url ? functionName : locationOf(url);
    locations.set(location, (locations.get(location) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const share = (us: number) => (busyUs > 0 ? (100 * us) / busyUs : 0);
  return {
    file,
    totalMs: totalUs / 1000,
    idlePercent: totalUs > 0 ? (100 * idleUs) / totalUs : 0,
    topFunctions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((entry) => ({ name: entry.name, where: entry.where, selfMs: entry.us / 1000, percent: share(entry.us) })),
    byLocation: [...locations.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, us]) => ({ where, selfMs: us / 1000, percent: share(us) })),
  };
}

/** The summary as console text; percentages are of the non-idle time. */
export function formatProfileSummary(summary: ProfileSummary): string {
  const lines = [
    `CPU profile ${summary.file}: ${(summary.totalMs / 1000).toFixed(1)} s of samples, ${summary.idlePercent.toFixed(0)}% idle; shares below are of the busy time`,
    '',
    'self time by location:',
    ...summary.byLocation.map((entry) => `  ${entry.percent.toFixed(1).padStart(5)}%  ${entry.where}`),
    '',
    'top functions by self time:',
    ...summary.topFunctions.map((entry) => `  ${entry.percent.toFixed(1).padStart(5)}%  ${entry.name}  ${entry.where}`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx scripts/bench/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatProfileSummary(summarizeProfile(file, top ? Number(top) : 25))}\n`);
}
