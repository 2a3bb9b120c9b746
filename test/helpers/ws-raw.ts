/**
 * A WebSocket client written by hand over TCP, for peers the `ws` client will not imitate: one that
 * stops inside a message, or trickles it.
 */
import { connect, type Socket } from 'node:net';

/** Opens a TCP connection and completes the WebSocket upgrade; resolves with the raw socket. */
export async function rawWebSocket(port: number): Promise<Socket> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => undefined);
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await new Promise<void>((resolve, reject) => {
    socket.once('data', (chunk: Buffer) => (chunk.toString('latin1').startsWith('HTTP/1.1 101') ? resolve() : reject(new Error(chunk.toString('latin1').split('\r\n')[0]))));
    socket.once('close', () => reject(new Error('closed during the upgrade')));
  });
  return socket;
}

/** The header of a masked binary frame of `length` bytes (mask 0: the payload goes as is). */
export function wsBinaryHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x82; // FIN, binary
  header[1] = 0x80 | 127; // masked, 64-bit length
  header.writeBigUInt64BE(BigInt(length), 2);
  return header; // the last 4 bytes: the zero mask
}
