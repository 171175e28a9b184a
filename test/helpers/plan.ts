import { persistPlan, preparePlan, type PersistOptions, type PlanInput, type PlanningDeps } from '../../src/campaigns/plan.js';
import { EXAMPLE_RELEASE } from './app.js';

/** What a test's plan changes from the usual one: the example release, every row, no --skip-invalid. */
export type PlanChoices = Partial<Omit<PlanInput, 'lists'>>;

/**
 * Plans a campaign to `lists` and stores it as `pressline send` does before sending (a draft,
 * unless `persist` schedules it or changes the double-send guard); returns its id.
 */
export async function planCampaign(app: PlanningDeps, lists: string[], choices: PlanChoices = {}, persist: PersistOptions = {}): Promise<number> {
  const plan = await preparePlan({ releaseFile: EXAMPLE_RELEASE, where: [], skipInvalid: false, ...choices, lists }, app);
  return persistPlan(plan, app, persist);
}
