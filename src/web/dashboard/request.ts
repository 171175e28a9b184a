import { PresslineError } from '../../errors.js';
import { HttpError } from '../body.js';
import type { RequestContext } from '../context.js';

// Small request helpers the dashboard's pages share.

export function query(ctx: RequestContext): URLSearchParams {
  return new URL(ctx.req.url ?? '/', 'http://x').searchParams;
}

export function idParam(ctx: RequestContext): number {
  const id = Number(ctx.params[0]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new HttpError(404, 'not found');
  return id;
}

export async function orNotFound<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof PresslineError && err.code === 'NOT_FOUND') throw new HttpError(404, err.message);
    throw err;
  }
}
