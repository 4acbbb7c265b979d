import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { BuiltApp } from './app';
import { createEdgeServer, DEFAULT_EDGE_LIMITS, type EdgeLimits } from './edge';
import { fastapiDialect } from '../dialects/fastapi';
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
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, options.port, options.host)));
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

/**
 * What `listen` serves before the app exists: requests that arrive meanwhile wait for
 * {@link DeferredApp.open}, and a request refused at the edge meanwhile gets the plain JSON
 * answer. `serve` binds its port first, so a port in use fails before the data dir is touched.
 */
export interface DeferredApp extends Pick<BuiltApp, 'handler' | 'answerAtEdge' | 'maxBodyBytes'> {
  open(app: Pick<BuiltApp, 'handler' | 'answerAtEdge'>): void;
}

export function deferredApp(maxBodyBytes: number): DeferredApp {
  let current: Pick<BuiltApp, 'handler' | 'answerAtEdge'> | undefined;
  let open!: (app: Pick<BuiltApp, 'handler' | 'answerAtEdge'>) => void;
  const opened = new Promise<Pick<BuiltApp, 'handler' | 'answerAtEdge'>>((resolve) => (open = resolve));
  return {
    maxBodyBytes,
    handler: (req, res) => (current ? current.handler(req, res) : void opened.then((app) => app.handler(req, res))),
    answerAtEdge: (failure, request) =>
      current ? current.answerAtEdge(failure, request) : fastapiDialect.rejectedAtEdge(failure, { correlationId: randomUUID(), debug: false }),
    open: (app) => {
      current = app;
      open(app);
    },
  };
}

/** Fails, naming the address, when `host:port` cannot be bound (in use, not permitted); binds nothing. */
export async function assertCanListen(port: number, host: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, port, host)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** A bind failure an operator can act on. */
export function listenError(error: NodeJS.ErrnoException, port: number, host: string): Error {
  if (error.code === 'EADDRINUSE') return new Error(`cannot listen on ${host}:${port}: the port is in use (--port / REFRESHD_PORT)`);
  if (error.code === 'EACCES') return new Error(`cannot listen on ${host}:${port}: permission denied (ports below 1024 need privileges)`);
  if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') return new Error(`cannot listen on ${host}:${port}: no such local address (--host / REFRESHD_HOST)`);
  return error;
}
