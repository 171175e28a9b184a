import { it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { afterDelivery } from '../../test/helpers/after-delivery.js';
it('show', async () => {
  const s = await afterDelivery();
  Object.assign(process.env, s.app.storeEnv);
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  for (const id of [s.sent, s.again]) {
    (process.stdout as any).write = (c: string) => (chunks.push(String(c)), true);
    await buildProgram().parseAsync(['report', String(id)], { from: 'user' });
    (process.stdout as any).write = write;
  }
  (await import('node:fs')).writeFileSync('/tmp/table.txt', chunks.join(''));
  await s.close();
}, 60000);
