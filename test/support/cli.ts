import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * The CLI as a user runs it, through tsx on the sources (no build needed). Every helper here
 * spawns a real process.
 */
export const ROOT = path.join(__dirname, '..', '..');
export const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
export const CLI = path.join(ROOT, 'src', 'cli', 'run.ts');

/** Variables a test run inherits that would change what the CLI under test does. */
const CLEAN_ENV = Object.fromEntries(Object.keys(process.env).filter((name) => name.startsWith('REFRESHD_')).map((name) => [name, undefined]));

export function cliEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...CLEAN_ENV, ...env };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(TSX, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: cliEnv(env) });
}

/** One line of a server's stdout, parsed: stdout carries only JSON log lines. */
export type LogRecord = Record<string, any> & { level: number; msg: string };

export interface RunningCli {
  child: ChildProcess;
  url: string;
  /** Everything written to stdout so far. */
  stdout: () => string;
  stderr: () => string;
  /** stdout's lines as JSON (a line that is not JSON fails the caller's parse). */
  records: () => LogRecord[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Starts `refreshd <args>` and resolves once its "listening on" record names the url (for a
 * cluster, once `ready` also holds), or rejects with its output if it exits first.
 */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, ready: (records: LogRecord[]) => boolean = () => true): Promise<RunningCli> {
  const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, env: cliEnv({ REFRESHD_LOG_FORMAT: 'json', ...env }) });
  let stdout = '';
  let stderr = '';
  const records = () =>
    stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as LogRecord);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let settled = false;
    const check = () => {
      if (settled) return;
      const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1);
      const parsed = complete
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as LogRecord);
      const listening = parsed.find((record) => /listening on http/.test(record.msg));
      if (listening && ready(parsed)) {
        settled = true;
        resolve({ child, url: listening.url, stdout: () => stdout, stderr: () => stderr, records, exited });
      }
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
      check();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    void exited.then((code) => {
      if (!settled) reject(new Error(`refreshd ${args[0]} exited with ${code}: ${stderr}${stdout}`));
    });
  });
}

/** Polls `condition` every 50 ms until it holds, or fails after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
