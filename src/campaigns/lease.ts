import { ownerIsDead } from '../process/owner.js';
import type { Store } from '../store/types.js';

/**
 * Takes the campaign's lease for `owner`: free, expired or ours; or held by a process on this
 * host that no longer exists, whose lease and claims are then ended at once. False while another
 * live owner holds it.
 */
export async function acquireOrTakeOver(store: Store, id: number, owner: string, now: Date, leaseMs: number): Promise<boolean> {
  if (await store.acquireCampaign(id, owner, now, leaseMs)) return true;
  const holder = await store.campaignOwner(id);
  if (!holder || !ownerIsDead(holder.owner)) return false;
  await store.forceReleaseCampaign(id, holder.owner);
  return store.acquireCampaign(id, owner, now, leaseMs);
}
