import type { Contact } from '../lists/contact.js';
import type { Release, ReleaseVariant } from '../releases/types.js';
import type { EncodedBodies } from '../mime/message.js';
import type { MergeSpecials } from './merge.js';

/** One recipient's message parts, ready for MIME. */
export interface RenderedMessage {
  language: string;
  subject: string;
  html: string;
  text: string;
  /** html and text in quoted-printable pieces, for the MIME builder (see EncodedBodies). */
  encoded?: EncodedBodies;
}

/** A language variant compiled once; `render` is a cheap, pure join per recipient. */
export interface CompiledVariant {
  language: string;
  file: string;
  /** Merge fields the variant reads (canonical names), in first-use order. */
  fields: string[];
  /** The release variant it was compiled from (attachments, from/replyTo overrides). */
  source: ReleaseVariant;
  render(contact: Contact, specials?: MergeSpecials): RenderedMessage;
}

/** A release compiled for one moment (`now` decides the embargo wording). */
export interface CompiledRelease {
  release: Release;
  variants: CompiledVariant[];
  /** The variant for a contact's language: exact tag, then primary subtag, else the original. */
  pickVariant(contact: Contact): CompiledVariant;
  /** True when compiled before the embargo lifts: notice band and subject prefix present. */
  embargoed: boolean;
}
