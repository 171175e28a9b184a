/**
 * Tag cells as exports write them: "russia, foreign" (comma, semicolon or pipe), Mailchimp's quoted
 * form `"Press","EU Affairs"` (a comma inside quotes is part of the tag), and Google Contacts'
 * `* myContacts ::: Press ::: EU Affairs` (":::" separates; "* " marks Google's own system groups).
 */

const COMMA = 44;
const SEMICOLON = 59;
const PIPE = 124;
const QUOTE = 34;

function isSeparator(c: number): boolean {
  return c === COMMA || c === SEMICOLON || c === PIPE;
}

/** "russia, foreign" → ["russia", "foreign"]; the common unquoted cell is one pass with no regex. */
export function splitTags(cell: string): string[] {
  if (cell.indexOf('"') !== -1) return splitQuoted(cell);
  if (cell.indexOf(':::') !== -1) return splitGoogle(cell);
  const tags: string[] = [];
  let start = 0;
  const n = cell.length;
  for (let i = 0; i <= n; i++) {
    if (i === n || isSeparator(cell.charCodeAt(i))) {
      const tag = start === 0 && i === n ? cell : cell.slice(start, i).trim();
      if (tag !== '') tags.push(tag);
      start = i + 1;
    }
  }
  return tags;
}

/** Google's groups: "* myContacts" and "* starred" are Google's, not the press office's, so they are left out. */
function splitGoogle(cell: string): string[] {
  return cell
    .split(':::')
    .map((t) => t.trim())
    .filter((t) => t !== '' && !t.startsWith('* '));
}

/**
 * A cell with quotes: a tag that starts with `"` runs to the matching close quote (`""` inside is one
 * quote); text after the close quote up to the next separator stays part of the tag, as does a stray
 * quote inside an unquoted tag. Linear in the cell.
 */
function splitQuoted(cell: string): string[] {
  const tags: string[] = [];
  const n = cell.length;
  let i = 0;
  while (i <= n) {
    while (i < n && (cell[i] === ' ' || cell[i] === '\t')) i++;
    let tag = '';
    if (i < n && cell.charCodeAt(i) === QUOTE) {
      i++;
      while (i < n) {
        if (cell.charCodeAt(i) === QUOTE) {
          if (cell.charCodeAt(i + 1) === QUOTE) {
            tag += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        tag += cell[i];
        i++;
      }
    }
    const start = i;
    while (i < n && !isSeparator(cell.charCodeAt(i))) i++;
    tag = (tag + cell.slice(start, i)).trim();
    if (tag !== '') tags.push(tag);
    i++;
  }
  return tags;
}
