import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One HTTP request an SDK client sent, as the proxy saw it. */
export interface SeenRequest {
  /** What the benchmark was doing when it arrived (set by `phase`). */
  phase: string;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /**
   * The status moto answered with; 502 when the proxy could not forward the request (moto refused or dropped the
   * connection); 0 while no answer has come, or if none ever came (the client gave up first).
   */
  status: number;
  /** Why forwarding failed, when it did (status 502). */
  error?: string;
}

export interface CountingProxy {
  /** Point SDK clients here (AWS_ENDPOINT_URL). */
  readonly endpoint: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly SeenRequest[];
  /** Requests from now on are tagged with this phase. */
  phase(name: string): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of moto that records every request passing through: each request the SDK sends,
 * retries included, whatever the client, middleware or library (Powertools' idempotency writes too).
 */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: SeenRequest[] = [];
  let phase = 'setup';
  const server = createServer((incoming, outgoing) => {
    // Recorded on arrival, before any answer: a request whose forwarding fails is still one the SDK sent, and
    // requests in flight together keep the order they came in (inOrder() reads meaning into that order).
    const seen: SeenRequest = {
      phase,
      method: incoming.method ?? 'GET',
      path: incoming.url ?? '/',
      headers: incoming.headers,
      body: '',
      status: 0,
    };
    requests.push(seen);
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.body = body.toString('utf8');
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
        },
        (answer) => {
          seen.status = answer.statusCode ?? 0;
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.on('error', (error) => {
        seen.status = 502;
        seen.error = String(error);
        // An answer already under way (headers sent) can only be cut short.
        if (outgoing.headersSent) outgoing.destroy(error);
        else {
          outgoing.writeHead(502);
          outgoing.end(String(error));
        }
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    phase: (name) => {
      phase = name;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
