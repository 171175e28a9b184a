export {
  compileRelease,
  summariseVariants,
  formatReleaseDate,
  telHref,
  type CompiledRelease,
  type CompiledVariant,
  type RenderedMessage,
  type CompileOptions,
} from './compile.js';
export { buildMime, type Address, type OutgoingMessage } from './mime.js';
export { createFieldCatalog, snakeCase, SPECIAL_FIELDS, type MergeSpecials } from './merge.js';
export { escapeHtml, neutraliseLine, neutraliseText } from './escape.js';
export { outgoingFor, writePreviews, placeholderContact, senderFor, deterministicMessageId, type PreviewFiles } from './preview.js';
