import { connect, type Socket } from 'node:net';

/**
 * Opens a raw socket to the gateway and sends the head of a multipart `POST /api/jobs` that promises
 * 1000 bytes of body, and nothing of the body: the caller decides how (and whether) the bytes arrive.
 */
export const startRawUpload = async (port: number): Promise<Socket> => {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(
    'POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000\r\n\r\n',
  );
  return socket;
};

/** Everything the server sent on `socket`, once the socket has closed. */
export const readUntilClose = (socket: Socket): Promise<string> =>
  new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.once('close', () => resolve(text));
  });

/**
 * PUTs `data` to `path` over a raw socket at about `bytesPerSecond` (a chunk every 100 ms), declaring its whole
 * length; resolves with everything the server sent and the seconds until it closed the connection (or, once it
 * has answered, until the answer arrived).
 */
export const pacedPut = async (
  port: number,
  path: string,
  data: Buffer,
  bytesPerSecond: number,
): Promise<{ answer: string; seconds: number }> => {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const started = Date.now();
  socket.write(`PUT ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${data.length}\r\n\r\n`);
  const chunk = Math.max(1, Math.round(bytesPerSecond / 10));
  let sent = 0;
  const timer = setInterval(() => {
    if (sent >= data.length || socket.destroyed) return;
    socket.write(data.subarray(sent, sent + chunk));
    sent += chunk;
  }, 100);
  let answer = '';
  await new Promise<void>((resolve) => {
    socket.on('data', (bytes) => {
      answer += bytes.toString();
      // A whole answer (its JSON body ends with '}') is enough: keep-alive may hold the socket open.
      if (/\r\n\r\n[\s\S]*}$/.test(answer)) resolve();
    });
    socket.once('close', () => resolve());
  });
  clearInterval(timer);
  socket.destroy();
  return { answer, seconds: (Date.now() - started) / 1000 };
};
