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
