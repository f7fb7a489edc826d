import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** The path of an upgrade request's URL, or undefined when the URL cannot be read. */
export const pathnameOf = (request: IncomingMessage): string | undefined => {
  try {
    return new URL(request.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
};

/** Answers an upgrade request with a plain HTTP error in the API's error shape, then closes the socket. */
export const rejectUpgrade = (socket: Duplex, status: number, code: string, message: string): void => {
  const body = JSON.stringify({ error: { code, message } });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer'] : []),
  ];
  socket.on('error', () => undefined);
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
};
