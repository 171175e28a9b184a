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
