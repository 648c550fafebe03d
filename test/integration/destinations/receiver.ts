// A real local HTTP endpoint (node:http on 127.0.0.1, a free port) that records every request and answers as
// the test says: a status, a delay until the test releases it, or never (until the client gives up). Tests
// wait on it with `until(condition)`: checked on every request and every answer, no clock involved.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  /** 1, 2, ... across all paths. */
  n: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the body was complete. */
  at: number;
  /** The status answered; null while pending or when the client went away first. */
  status: number | null;
  /** The client closed the connection before an answer (e.g. its timeout). */
  aborted: boolean;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** How to answer; a promise holds the request until it settles (a promise that never settles: hang). */
export type Behaviour = (req: ReceivedRequest, nthOnPath: number) => Reply | Promise<Reply>;

export const OK: Reply = { status: 200, body: '{"ok":true}' };

/** A message the endpoint accepted (2xx), with the Idempotency-Key of its request. */
export interface Accepted {
  key: string;
  message: Record<string, unknown>;
  request: ReceivedRequest;
}

export const NEVER = new Promise<Reply>(() => undefined);

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly waiters = new Set<() => void>();
  private readonly inFlightByPath = new Map<string, number>();
  private readonly maxInFlightByPath = new Map<string, number>();
  private readonly open = new Set<ServerResponse>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new Receiver(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => receiver.handle(req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** How requests to `path` are answered from now on (default: 200). */
  on(path: string, behaviour: Behaviour): void {
    this.behaviours.set(path, behaviour);
    this.notify();
  }

  requestsTo(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Requests to `path` in flight at once, at most, so far. */
  maxInFlight(path: string): number {
    return this.maxInFlightByPath.get(path) ?? 0;
  }

  inFlight(path: string): number {
    return this.inFlightByPath.get(path) ?? 0;
  }

  /** Every message of every 2xx-answered request to `path`, unwrapping `{"batch": [...]}`. */
  accepted(path: string): Accepted[] {
    const out: Accepted[] = [];
    for (const request of this.requestsTo(path)) {
      if (request.status === null || request.status < 200 || request.status >= 300) continue;
      const body = JSON.parse(request.body) as Record<string, unknown>;
      const key = String(request.headers['idempotency-key']);
      const messages = Array.isArray(body.batch) ? (body.batch as Record<string, unknown>[]) : [body];
      for (const message of messages) out.push({ key, message, request });
    }
    return out;
  }

  /** Resolves once `condition()` holds (checked now and after every request event). */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (condition()) {
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private handle(path: string, headers: IncomingHttpHeaders, body: string, res: ServerResponse): void {
    const request: ReceivedRequest = { n: this.requests.length + 1, path, headers, body, at: performance.now(), status: null, aborted: false };
    this.requests.push(request);
    const nth = this.requestsTo(path).length;
    const inFlight = (this.inFlightByPath.get(path) ?? 0) + 1;
    this.inFlightByPath.set(path, inFlight);
    this.maxInFlightByPath.set(path, Math.max(inFlight, this.maxInFlightByPath.get(path) ?? 0));
    this.open.add(res);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.open.delete(res);
      this.inFlightByPath.set(path, (this.inFlightByPath.get(path) ?? 1) - 1);
      this.notify();
    };
    res.on('close', () => {
      if (request.status === null) request.aborted = true;
      finish();
    });
    this.notify();
    const behaviour = this.behaviours.get(path) ?? (() => OK);
    void Promise.resolve(behaviour(request, nth)).then((reply) => {
      if (request.aborted || res.destroyed) return;
      request.status = reply.status;
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
      finish();
    });
  }
}
