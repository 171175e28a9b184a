import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/time/clock.js';
import { preparePlan } from '../../src/campaigns/plan.js';
import { preflightPlan, preflightProblems, refuseUnlessClear } from '../../src/campaigns/preflight.js';
import { PresslineError } from '../../src/errors.js';
import { loadRelease } from '../../src/releases/load.js';
import { testApp, type TestApp } from '../helpers/app.js';

// releases/examples/embargoed.md: embargo 2027-03-16 09:00 Europe/Brussels = 08:00 UTC.
const LIFT = new Date('2027-03-16T08:00:00Z');
const HOUR = 3_600_000;

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The stock layout with an unknown merge field in the lifted copy only (the branch a plan made before the lift never compiles). */
function appWithBrokenLiftedCopy(): { a: TestApp; release: string } {
  const clock = new ManualClock(new Date(LIFT.getTime() - 48 * HOUR));
  const probe = readFileSync('templates/press-release.mjml', 'utf8');
  const marker = '<mj-text css-class="notice" color="#555555" font-size="13px" font-weight="bold" letter-spacing="1px">{% notice.text %}';
  expect(probe).toContain(marker);
  const a = testApp({ clock });
  writeFileSync(join(a.dir, 'layout.mjml'), probe.replace(marker, `${marker} {{ no_such_field }}`));
  a.config.templates = { dir: a.dir, layout: 'layout.mjml' };
  const release = join(a.dir, 'embargoed.md');
  copyFileSync('releases/examples/embargoed.md', release);
  return { a, release };
}

describe('preflight: every copy a send can go out in compiles', () => {
  it('a send started before the lift also compiles the lifted copy (it may be resumed after the lift)', async () => {
    const { a, release } = appWithBrokenLiftedCopy();
    app = a;
    const plan = await preparePlan({ releaseFile: release, lists: [a.list(['j1@news.example,Jo,Doe,Daily,science,en'])], where: [], skipInvalid: false }, a);
    expect(plan.compiled.embargoed).toBe(true); // the plan itself compiled fine

    const problems = await preflightPlan(a, plan);
    expect(problems.map((p) => p.code)).toEqual(['MERGE_FIELD_UNKNOWN']);
    expect(problems[0]!.message).toMatch(/no_such_field/);
    // The embargoed phase never goes out lifted; the public phase only does.
    expect(await preflightPlan(a, plan, { phase: 'embargoed', startsAt: a.clock.now() })).toEqual([]);
    expect((await preflightPlan(a, plan, { phase: 'public', startsAt: LIFT })).map((p) => p.code)).toEqual(['MERGE_FIELD_UNKNOWN']);
  });

  it('an attachment that is gone by the time of the check names the file', async () => {
    app = testApp();
    writeFileSync(join(app.dir, 'factsheet.txt'), 'facts\n');
    const file = join(app.dir, 'release.md');
    writeFileSync(file, '---\ntitle: Test release\nlanguage: en\nattachments:\n  - file: factsheet.txt\n---\nBody text.\n');
    const release = await loadRelease(file, app.config);
    expect(await preflightProblems(app, { release, templateFile: 'templates/press-release.mjml', columns: [] })).toEqual([]);
    rmSync(join(app.dir, 'factsheet.txt'));
    const problems = await preflightProblems(app, { release, templateFile: 'templates/press-release.mjml', columns: [] });
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/factsheet\.txt.*cannot be read \(ENOENT\)/)]);
  });

  it('without SMTP_URL, an outbox folder that cannot be made (a file in the way) names paths.outbox', async () => {
    app = testApp();
    const release = await loadRelease('releases/eu-russia-summit.md', app.config);
    const target = { release, templateFile: 'templates/press-release.mjml', columns: [] };
    expect(await preflightProblems(app, target)).toEqual([]); // a folder that does not exist yet is made at the first message
    writeFileSync(join(app.dir, 'blocker'), '');
    app.config.paths.outbox = join(app.dir, 'blocker', 'outbox');
    expect((await preflightProblems(app, target)).map((p) => p.message)).toEqual([expect.stringMatching(/\(paths\.outbox\): .*ENOTDIR.*blocker/)]);
    // With a relay the outbox is not used.
    expect(await preflightProblems({ ...app, env: { ...app.env, smtpUrl: 'smtp://127.0.0.1:2525' } }, target)).toEqual([]);
  });

  it('refuseUnlessClear: nothing, the one problem as it is, or several one line each', () => {
    expect(() => refuseUnlessClear([])).not.toThrow();
    const one = new PresslineError('TEMPLATE_INVALID', 'bad tag');
    expect(() => refuseUnlessClear([one, one])).toThrow(one);
    try {
      refuseUnlessClear([one, new PresslineError('CONFIG_INVALID', 'no secret')]);
      expect.unreachable();
    } catch (err) {
      expect((err as PresslineError).exitCode).toBe(2);
      expect((err as PresslineError).message).toBe('2 problems stop this send; fix them first:\n  - bad tag\n  - no secret');
    }
  });
});
