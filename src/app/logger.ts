import pino, { type Logger } from 'pino';

/**
 * The process logger: JSON lines on stdout, written asynchronously so a request never waits
 * on a write(2). Callers flush it before exiting ({@link flushLogger}). Nothing logged
 * anywhere in refreshd carries a token, cookie, Authorization header or key.
 */
export function createLogger(level: string): Logger {
  return pino({ level }, pino.destination({ dest: 1, sync: false }));
}

export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
