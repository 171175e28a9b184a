// The store's contract, one interface per job (each in src/store/interfaces/), composed here.
// Callers import from this file; the interface files are where each job's members are read.
import type { BounceStore } from './interfaces/bounces.js';
import type { CampaignStore } from './interfaces/campaigns.js';
import type { DeliveryQueue } from './interfaces/delivery-queue.js';
import type { EngagementStore } from './interfaces/engagement.js';
import type { EventLog } from './interfaces/events.js';
import type { RateLedger } from './interfaces/rate-ledger.js';
import type { PublicationStore } from './interfaces/publications.js';
import type { ReadModels } from './interfaces/read-models.js';
import type { StoreIdentity, WriteGroups } from './interfaces/store-meta.js';
import type { SuppressionStore } from './interfaces/suppressions.js';

export * from '../domain/status.js';
export type * from './interfaces/campaigns.js';
export type * from './interfaces/delivery-queue.js';
export type * from './interfaces/rate-ledger.js';
export type * from './interfaces/events.js';
export type * from './interfaces/suppressions.js';
export type * from './interfaces/bounces.js';
export * from './interfaces/read-models.js';
export type * from './interfaces/store-meta.js';
export type * from './interfaces/publications.js';
export * from './interfaces/engagement.js';

/**
 * The source of truth. Every state change is one statement or one transaction, so a crash leaves
 * each delivery in exactly one status. Async so a PostgreSQL store can implement it unchanged.
 */
export interface Store
  extends StoreIdentity,
    CampaignStore,
    DeliveryQueue,
    RateLedger,
    EventLog,
    SuppressionStore,
    BounceStore,
    ReadModels,
    PublicationStore,
    EngagementStore,
    WriteGroups {}
