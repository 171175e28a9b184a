export { loadRelease } from './load.js';
export {
  parseEmbargo,
  formatEmbargoNotice,
  zonedWallTimeToInstant,
  resolveWallTime,
  isValidTimeZone,
  zoneOffsetMs,
  type Embargo,
  type WallTimeResolution,
} from './embargo.js';
export { defaultGreeting } from './greetings.js';
export type { Release, ReleaseVariant, ReleaseContact, ReleaseLink, ReleaseAttachment, Organisation, ReleaseAddress } from './types.js';
