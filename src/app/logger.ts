import type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** `pretty` when a person reads stdout (a terminal), JSON lines for everything else (a pipe, a file, a collector). */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? 'pretty' : 'json';
}

/**
 * The process logger, the only writer of stdout in `serve` and `mock`: JSON lines, or
 * pino-pretty's human lines with `format: 'pretty'`. Written asynchronously so a request never
 * waits on a write(2); callers flush it before exiting ({@link flushLogger}). Nothing logged
 * anywhere in refreshd carries a token, cookie, Authorization header or key.
 */
export function createLogger(level: string, format: LogFormat = 'json'): Logger {
  // Loaded here, not at the top: the commands that only print (sessions, keys, --help) never log.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pino = require('pino') as typeof import('pino');
  if (format === 'pretty') {
    // Loaded only when asked for: the JSON path stays free of it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    return pino({ level }, pretty({ destination: 1, sync: false, colorize: Boolean(process.stdout.isTTY), ignore: 'pid,hostname' }));
  }
  return pino({ level }, pino.destination({ dest: 1, sync: false }));
}

export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
