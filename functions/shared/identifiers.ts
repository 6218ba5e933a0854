/**
 * Deterministic, length-safe RDS identifiers: one helper for every identifier rds-snapshot-vault
 * derives from longer names (copy identifiers of DB snapshots and DB cluster snapshots, export task
 * identifiers), and the tag-value sanitiser.
 *
 * Identifier rules (docs/aws-behaviour.md §10): letters, digits and hyphens, starting with a
 * letter, no `--`, no trailing hyphen; DB snapshot identifiers at most 255 characters, DB cluster
 * snapshot identifiers at most 63, export task identifiers at most 60 (see exports.ts).
 */
import { createHash } from 'node:crypto';

/** Length of the hash part of a shortened identifier (hex characters of SHA-256). */
export const IDENTIFIER_HASH_CHARS = 8;

/** The first {@link IDENTIFIER_HASH_CHARS} hex characters of the SHA-256 of `text` (UTF-8). Pure. */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, IDENTIFIER_HASH_CHARS);
}

/**
 * `text` as identifier text: lower-cased, characters other than letters, digits and hyphens turned
 * into hyphens, hyphen runs collapsed, no leading or trailing hyphen (`Orders_DB--2` ->
 * `orders-db-2`); empty when `text` has no letter or digit. It may still start with a digit: the
 * caller puts its own prefix in front. Pure.
 */
export function identifierText(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+/, '')
    .replace(/-+$/, '');
}

/**
 * `head + suffix` when that is at most `max` characters; else `head` cut to fit, then `-`, then
 * the {@link shortHash} of the full `head + suffix`, then `suffix`:
 * `<head cut, trailing hyphens removed>-<8 hex>` + `suffix`. Deterministic (a re-run finds the same
 * name) and unique in practice: two long names that differ anywhere, even after the cut, get
 * different hashes. `head` and `suffix` must already be valid identifier text (lower-case letters,
 * digits, single hyphens); `suffix` is kept whole (e.g. `-<yyyymmddhhmm>`).
 * @param max maximum length in characters
 * @throws RangeError when even `<1 character>-<hash><suffix>` cannot fit in `max`
 */
export function fitIdentifier(head: string, max: number, suffix = ''): string {
  const full = `${head}${suffix}`;
  if (full.length <= max) return full;
  const room = max - suffix.length - IDENTIFIER_HASH_CHARS - 1;
  if (room < 1) throw new RangeError(`fitIdentifier: suffix "${suffix}" leaves no room in ${max} characters`);
  const cut = head.slice(0, room).replace(/-+$/, '');
  return `${cut}-${shortHash(full)}${suffix}`;
}

/** Longest RDS tag value, characters (docs/aws-behaviour.md §15b). */
export const MAX_TAG_VALUE_LENGTH = 256;

/** Characters RDS does not allow in tag values (allowed: Unicode letters, digits, white space, `_ . : / = + - @`). */
const DISALLOWED_TAG_CHARS = /[^\p{L}\p{Z}\p{N}\s_.:/=+\-@]/gu;

/**
 * Makes any string a valid RDS tag value (docs/aws-behaviour.md §15b;
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Tagging.html): each disallowed
 * character (code point) becomes `_`, and the result is cut to 256 code points. Values already
 * valid (our run names, database identifiers and snapshot ARNs) come back unchanged. Pure.
 */
export function sanitizeTagValue(value: string): string {
  return [...value.replace(DISALLOWED_TAG_CHARS, '_')].slice(0, MAX_TAG_VALUE_LENGTH).join('');
}
