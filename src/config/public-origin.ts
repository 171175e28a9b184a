import type { Config } from './schema.js';

/**
 * The origin mailed links to `serve`'s public face are built on (tracking links, newsroom pages):
 * web.publicOrigin, else the origin of unsubscribe.baseUrl when that base sits at the site root.
 * A base under a path (https://ngo.example/press/u) says a proxy may forward only that path, so
 * links at the root could lead to the main site instead: then only web.publicOrigin will do.
 */
export function publicLinkOrigin(config: Config): string | undefined {
  if (config.web.publicOrigin) return config.web.publicOrigin.replace(/\/+$/, '');
  const base = config.unsubscribe.baseUrl;
  if (!base) return undefined;
  const url = new URL(base);
  return url.pathname.replace(/\/+$/, '') === '' ? url.origin : undefined;
}
