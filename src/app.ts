import { systemClock, type Clock } from './time/clock.js';
import { loadConfig, readEnv, type Env } from './config/load.js';
import type { Config } from './config/schema.js';
import { openStore } from './store/open.js';
import type { Store } from './store/types.js';

/** What every command and the web server share: configuration, secrets, the store, the clock. */
export interface App {
  config: Config;
  env: Env;
  store: Store;
  clock: Clock;
  close(): Promise<void>;
}

/** The composition root: config → store → services. */
export async function createApp(options: { configFile?: string | undefined; clock?: Clock } = {}): Promise<App> {
  const config = loadConfig(options.configFile);
  const env = readEnv();
  const store = await openStore(config, env);
  return { config, env, store, clock: options.clock ?? systemClock, close: () => store.close() };
}

/** Runs one command with an app built from its `--config`, and closes the app whatever happens. */
export async function withApp<T>(configFile: string | undefined, run: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp({ configFile });
  try {
    return await run(app);
  } finally {
    await app.close();
  }
}

/** Config and env only, for commands that never touch the store (lists check, render). */
export function loadSettings(configFile?: string): { config: Config; env: Env } {
  return { config: loadConfig(configFile), env: readEnv() };
}
