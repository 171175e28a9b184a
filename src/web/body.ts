import type { IncomingMessage } from 'node:http';

/** Largest request body any route accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A request the server answers with `status` and a short plain-text reason. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Logged with the request line, never shown to the client. */
    readonly logNote?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * The whole body, or HttpError 413 as soon as it passes `limit` bytes (by Content-Length or as
 * it streams), so a client can never make the server buffer more than `limit`.
 */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body larger than ${limit} bytes`);
}

/**
 * At most `max` bodies read at once, server-wide: a crowd of slow uploads then holds at most
 * `max` × the body limit in memory. One more is refused with 503 rather than queued (a queue
 * would hold its sockets and buffers all the same).
 */
export class BodySlots {
  private inUse = 0;

  constructor(private readonly max: number) {}

  async read(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
    if (this.inUse >= this.max) throw new HttpError(503, 'busy: too many requests are sending a body; try again shortly', `more than ${this.max} bodies in flight`);
    this.inUse++;
    try {
      return await readBody(req, limit);
    } finally {
      this.inUse--;
    }
  }
}
