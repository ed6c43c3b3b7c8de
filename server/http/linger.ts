/**
 * Lingering close for answers given before the request's body was read (413 for a body over its
 * limit, 403 for a refused upload, …).
 *
 * Node's HTTP server closes such a connection as soon as the answer is written (`destroySoon`).
 * The client is still sending its body, and the bytes that keep arriving at a closed socket make
 * the kernel answer with a reset — which throws away the answer the client had not read yet: the
 * browser shows "the connection was reset" instead of "the file is larger than the limit", and a
 * script's fetch fails with EPIPE / ECONNRESET. So, as HTTP servers do (RFC 9112 §9.6, "lingering
 * close"): after the answer, send FIN, stop reading (the rest of the body waits in the client's
 * buffers, so it cannot stream on), and close the socket after `LINGER_MS`. (Not reading, the
 * socket does not see the client's own close; the timer ends it either way.)
 */
import type { Socket } from "node:net";

export const LINGER_MS = 2_000;

const patched = new WeakSet<Socket>();

/** Makes the server's "close after this answer" on `socket` a lingering close. */
export function lingerOnClose(socket: Socket, ms = LINGER_MS): void {
  if (patched.has(socket)) return;
  patched.add(socket);
  socket.destroySoon = function lingeringDestroySoon(this: Socket) {
    if (this.destroyed) return;
    this.pause();
    if (this.writable) this.end();
    const timer = setTimeout(() => this.destroy(), ms);
    timer.unref();
    this.once("close", () => clearTimeout(timer));
  };
}
