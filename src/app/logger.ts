import type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** `pretty` when a person reads stdout (a terminal), JSON lines for everything else (a pipe, a file, a collector). */
export function defaultLogFormat(): LogFormat {
  return process.stdout.isTTY ? 'pretty' : 'json';
}

/**
 * JSON lines are gathered up to this many bytes before one write(2), and written at the latest
 * {@link LOG_FLUSH_INTERVAL_MS} after they were logged. Without it every access-log line is its own
 * write handed to libuv's thread pool: at a moderate request rate each request then pays for that
 * hand-off and the thread switch on its core (a write per line showed as 13 % of the main thread's
 * busy time at half of peak rate; at peak the writes batch themselves while one is in flight).
 */
const LOG_BUFFER_BYTES = 32 * 1024;
const LOG_FLUSH_INTERVAL_MS = 100;

/**
 * The process logger, the only writer of stdout in `serve` and `mock`: JSON lines, or
 * pino-pretty's human lines with `format: 'pretty'`. Written asynchronously and in batches so a
 * request never waits on a write(2); callers flush it before exiting ({@link flushLogger}). A line
 * reaches stdout within {@link LOG_FLUSH_INTERVAL_MS}. Nothing logged anywhere in refreshd carries
 * a token, cookie, Authorization header or key.
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
  // sonic-boom needs its largest single write above the batch size.
  const destination = pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, maxWrite: 2 * LOG_BUFFER_BYTES });
  // Unreferenced: it never holds the process open. `flush` waits for a write already in flight, and throws once the destination is closed.
  const flusher = setInterval(() => {
    try {
      destination.flush();
    } catch {
      clearInterval(flusher);
    }
  }, LOG_FLUSH_INTERVAL_MS).unref();
  return pino({ level }, destination);
}

export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
