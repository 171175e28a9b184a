/** Anything a test opens and must close: an app, an SMTP or web server, a proxy, a browser. */
export interface Closable {
  close(): unknown;
}

/**
 * Closes what a test left open, in the order given (servers before the app whose store they
 * use), skipping what it never opened. Each one is closed even when an earlier one fails to
 * close, so one failure does not leak the rest into the next test; the first failure is thrown.
 */
export async function closeAll(...opened: (Closable | undefined)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const thing of opened) {
    try {
      await thing?.close();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
}
