import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { BuiltApp } from './app';
import { createEdgeServer, DEFAULT_EDGE_LIMITS, type EdgeLimits } from './edge';
import { flushLogger } from './logger';

export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish, then runs `onClosed`. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` with the edge of src/app/edge.ts (its timeouts, overridable here);
 * SIGTERM/SIGINT close gracefully when `handleSignals` is set.
 */
export async function listen(
  app: Pick<BuiltApp, 'handler' | 'answerAtEdge' | 'maxBodyBytes'>,
  options: { port: number; host: string; logger: Logger; handleSignals?: boolean; onClosed?: () => Promise<void> | void; limits?: Partial<EdgeLimits> },
): Promise<RunningServer> {
  const server = createEdgeServer(app, { ...DEFAULT_EDGE_LIMITS, ...options.limits });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }).then(() => options.onClosed?.());
    return closing;
  };
  if (options.handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        options.logger.info({ signal }, 'shutting down: finishing in-flight requests');
        void close()
          .then(() => {
            options.logger.info('stopped');
            return flushLogger(options.logger);
          })
          .then(() => process.exit(0));
      });
    }
  }
  return { server, url, close };
}
