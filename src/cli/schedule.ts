import type { Command } from 'commander';
import { campaignTracking, trackChoice } from '../engagement/settings.js';
import { withApp } from '../app.js';
import { overlapRefusal, transition } from '../campaigns/lifecycle.js';
import { preflightPlan, refuseUnlessClear } from '../campaigns/preflight.js';
import { attachmentsLine } from '../campaigns/message-size.js';
import { PresslineError } from '../errors.js';
import { formatInZone, formatTriple, relativeTo } from '../scheduler/display.js';
import { planSchedule, storeSchedule } from '../scheduler/schedule.js';
import { collect, printJson, table } from './output.js';
import { oneLine } from '../terminal/sanitise.js';
import { realSenderWithoutRelay } from '../send/outbox-relay.js';
import { parseCampaignId } from './send.js';
import { confirm } from './terminal.js';
import { pauseHeadline } from '../campaigns/pause.js';

export function registerScheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('schedule a send for later, or an embargoed release in two phases (`pressline worker` sends them)')
    .argument('[release]', 'release file')
    .option('--list <file...>', 'one scheduled send to these lists')
    .option('--embargoed <file...>', 'two phases: these lists get the embargoed copy at --at')
    .option('--public <file...>', 'two phases: these lists get the public copy at the lift (or --public-at)')
    .option('--at <time>', 'ISO 8601 with offset, "2026-12-01 09:00 Europe/Brussels", "embargo - 24h", "embargo", "now + 10m"')
    .option('--public-at <time>', 'when the public phase starts (default: embargo)')
    .option('--local-time <hh:mm>', "each journalist gets it at this time in their own zone (the list's time zone column, else defaultTimeZone); not for embargoed releases")
    .option('--where <k=v>', 'segment filter, repeatable', collect, [])
    .option('--encoding <enc>', 'character encoding of the lists when not UTF-8')
    .option('--skip-invalid', 'schedule for the valid rows of a list that has invalid ones')
    .option('--rate <rate>', 'global ceiling for these sends (default from config)')
    .option('--new-only', 'only journalists who have not had this release yet (from an earlier campaign)')
    .option('--again', 'schedule even for journalists another campaign of this release reached or is about to reach')
    .option('--track <what>', 'track opens, clicks, or both (opens,clicks) or none; default from config tracking')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print the scheduled campaigns as JSON')
    .addHelpText(
      'after',
      `
Examples:
  pressline schedule releases/examples/embargoed.md --list lists/journalists.csv --at "2027-03-16 09:00 Europe/Brussels"
  pressline schedule releases/examples/embargoed.md --embargoed lists/trusted.csv --at "embargo - 24h" --public lists/journalists.csv
  pressline schedule list
  pressline schedule cancel 4
`,
    )
    .action(async (release: string | undefined, flags) => {
      if (!release) throw new PresslineError('USAGE', 'name the release to schedule, or use `schedule list` / `schedule cancel <id>`');
      if (!flags.at) throw new PresslineError('USAGE', 'say when with --at (e.g. --at "embargo - 24h" or --at "2026-12-01 09:00 Europe/Brussels")');
      await withApp(program.opts().config, async (app) => {
        // Refused now, not when the worker starts: tracking links need a public origin and the secret.
        const track = trackChoice(app.config, flags.track);
        campaignTracking(app.config, track, app.env.secret, []);
        const plan = await planSchedule(
          { releaseFile: release, lists: flags.list, embargoed: flags.embargoed, public: flags.public, at: flags.at, publicAt: flags.publicAt, localTime: flags.localTime, where: flags.where, encoding: flags.encoding, skipInvalid: Boolean(flags.skipInvalid) },
          app,
        );
        // Before anything is shown, confirmed or stored: a schedule that could never go is refused now.
        const problems = [];
        for (const p of plan.phases) problems.push(...(await preflightPlan(app, p.plan, { phase: p.phase, startsAt: p.at.instant })));
        refuseUnlessClear(problems);
        const out = flags.json ? process.stderr : process.stdout;
        for (const p of plan.phases) {
          const t = formatTriple(p.at.instant, p.at.zone);
          out.write(`${p.phase.padEnd(9)}  ${t.zone} · ${t.utc} · ${t.local} (your time), ${relativeTo(p.at.instant, app.clock.now())}: ${p.plan.recipients} recipients from ${p.plan.input.lists.join(', ')}\n`);
        }
        if (plan.phases[0]) out.write(`${oneLine(attachmentsLine(plan.phases[0].plan.compiled))}\n`);
        for (const w of plan.warnings) out.write(`Warning: ${oneLine(w)}\n`);
        if (!app.env.smtpUrl) {
          // The worker sends it later, maybe with another environment: say what this one would do.
          out.write(`Warning: no SMTP_URL set here; a worker without one writes these messages to the outbox folder and sends nothing\n`);
          const real = realSenderWithoutRelay(plan.phases[0]?.plan.release.variants[0]?.from?.address ?? app.config.from?.address);
          if (real) out.write(`Warning: ${oneLine(real)}\n`);
        }
        // A second send of the release to the same journalists is refused now, not after confirming.
        for (const p of plan.phases) {
          const refusal = overlapRefusal(p.plan, flags);
          if (refusal) throw refusal;
        }
        if (!(await confirm('Schedule this?', Boolean(flags.yes)))) {
          out.write('Nothing scheduled.\n');
          process.exitCode = 1;
          return;
        }
        const ids = await storeSchedule(plan, app, flags.rate ? { rate: flags.rate } : {}, { again: flags.again, newOnly: flags.newOnly, track });
        if (flags.json) printJson(ids.map((id, i) => ({ id, phase: plan.phases[i]!.phase, at: plan.phases[i]!.at.instant.toISOString(), zone: plan.phases[i]!.at.zone })));
        else out.write(`Scheduled as campaign${ids.length > 1 ? 's' : ''} ${ids.join(' and ')}. Keep \`pressline worker\` running to send ${ids.length > 1 ? 'them' : 'it'}.\n`);
      });
    });

  schedule
    .command('list')
    .description('scheduled sends, with their time in the zone given, in UTC and in your zone')
    .option('--json', 'one JSON document on stdout')
    .action(async (flags) => {
      await withApp(program.opts().config, async (app) => {
        const now = app.clock.now();
        const rows = (await app.store.listCampaigns()).filter((c) => c.scheduledAt && ['scheduled', 'sending', 'paused', 'missed'].includes(c.status));
        if (flags.json) {
          printJson(
            rows.map((c) => {
              const zone = c.embargoZone ?? c.scheduleZone ?? app.config.defaultTimeZone;
              return { id: c.id, release: c.releaseFile, title: c.releaseTitle, phase: c.phase, status: c.status, statusReason: c.statusReason ?? null, pausedKind: c.pausedKind ?? null, pausedSince: c.pausedSince?.toISOString() ?? null, at: c.scheduledAt!.toISOString(), zone, embargo: c.embargoAt?.toISOString() ?? null, shown: formatTriple(c.scheduledAt!, zone) };
            }),
          );
          return;
        }
        if (rows.length === 0) {
          process.stdout.write('Nothing scheduled.\n');
          return;
        }
        process.stdout.write(
          table(
            ['id', 'phase', 'status', 'when (release zone)', 'UTC', 'your time', '', 'release'],
            rows.map((c) => {
              const zone = c.embargoZone ?? c.scheduleZone ?? app.config.defaultTimeZone;
              const t = formatTriple(c.scheduledAt!, zone);
              const paused = pauseHeadline(c);
              return [c.id, c.phase ?? 'single', paused ? `paused: ${paused}` : c.status, t.zone, t.utc, t.local, relativeTo(c.scheduledAt!, now), c.releaseTitle.slice(0, 40)];
            }),
          ) + '\n',
        );
        for (const c of rows.filter((r) => r.embargoAt)) {
          process.stdout.write(`  campaign ${c.id}: embargo until ${formatInZone(c.embargoAt!, c.embargoZone!)}${c.statusReason ? ` — ${oneLine(c.statusReason)}` : ''}\n`);
        }
      });
    });

  schedule
    .command('cancel')
    .description('cancel a scheduled send before it starts')
    .argument('<campaign>', 'campaign id')
    .action(async (id: string) => {
      await withApp(program.opts().config, async (app) => {
        const campaignId = parseCampaignId(id);
        const ok = await transition(app, campaignId, 'cancel', app.clock.now(), { reason: 'schedule cancelled by an operator' });
        if (!ok) throw new PresslineError('REFUSED', `campaign ${campaignId} is already finished or cancelled (see \`pressline schedule list\`)`);
        process.stdout.write(`Scheduled campaign ${campaignId} cancelled.\n`);
      });
    });
}
