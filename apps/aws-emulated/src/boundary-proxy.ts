import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request through the boundary, with its buffered bodies. */
export interface Exchange {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  /** The request body; a `before` hook may replace it (the forwarded request carries the new one). */
  body: Buffer;
  status: number;
  responseHeaders: IncomingHttpHeaders;
  responseBody: Buffer;
}

export interface BoundaryHooks {
  /** Before forwarding: may answer itself (a fault, an emulated operation) by returning a response. */
  readonly before?: (
    exchange: Exchange,
  ) => Promise<{ status: number; headers: Record<string, string>; body: Buffer } | undefined>;
  /** After the backend answered; the response is sent once it resolves. */
  readonly after?: (exchange: Exchange) => Promise<void>;
}

const toHeaders = (raw: IncomingHttpHeaders): Headers => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
};

/** The request's headers for a buffered body: a content-length instead of chunked framing. */
const forwardedHeaders = (headers: IncomingHttpHeaders, length: number): IncomingHttpHeaders => {
  const forwarded = { ...headers, 'content-length': String(length) };
  delete forwarded['transfer-encoding'];
  return forwarded;
};

const readAll = async (stream: AsyncIterable<unknown>): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/**
 * A reverse proxy on 127.0.0.1 in front of an emulator: the boundary where the emulated stack counts
 * requests (and where the S3 notification stand-in sees objects being created). Headers, including
 * `host` and the SigV4 `authorization`, are forwarded untouched.
 */
export const startBoundaryProxy = async (
  backend: string,
  hooks: BoundaryHooks,
): Promise<{ url: string; server: Server; close(): Promise<void> }> => {
  const target = new URL(backend);
  const server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await readAll(incoming);
      const exchange: Exchange = {
        method: incoming.method ?? 'GET',
        url: new URL(incoming.url ?? '/', 'http://boundary'),
        headers: toHeaders(incoming.headers),
        body,
        status: 0,
        responseHeaders: {},
        responseBody: Buffer.alloc(0),
      };
      const early = await hooks.before?.(exchange);
      if (early) {
        outgoing.writeHead(early.status, early.headers);
        outgoing.end(early.body);
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const forward = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: incoming.method,
            path: incoming.url,
            headers: forwardedHeaders(incoming.headers, exchange.body.length),
          },
          (response) => {
            readAll(response).then((responseBody) => {
              exchange.status = response.statusCode ?? 502;
              exchange.responseHeaders = response.headers;
              exchange.responseBody = responseBody;
              resolve();
            }, reject);
          },
        );
        forward.on('error', reject);
        forward.end(exchange.body);
      });
      await hooks.after?.(exchange);
      const headers = { ...exchange.responseHeaders };
      delete headers['transfer-encoding'];
      // A HEAD response announces the object's length without a body.
      if (exchange.method !== 'HEAD') headers['content-length'] = String(exchange.responseBody.length);
      outgoing.writeHead(exchange.status, headers);
      outgoing.end(exchange.responseBody);
    })().catch((error: unknown) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
      outgoing.end(`boundary proxy: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
