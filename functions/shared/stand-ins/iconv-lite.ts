/**
 * Stands in, inside the Lambda bundles only, for `iconv-lite`, which `mysql2` requires for text in
 * encodings Node's `Buffer` cannot decode (lib/parsers/string.js): its code page tables (cp1252, GBK,
 * Shift-JIS, ...) are ~490 KB of validate-restore's bundle, and validate-restore never needs them.
 * Its connections ask for utf8mb4 (mysql2's default handshake collation `UTF8MB4_UNICODE_CI`, and
 * `SET NAMES utf8mb4` right after connecting, which holds even where the server ignores the handshake
 * or `init_connect` sets another), so the server converts every text result to utf8mb4 before sending
 * it (`character_set_results`: https://dev.mysql.com/doc/refman/8.4/en/charset-connection.html,
 * https://mariadb.com/kb/en/setting-character-sets-and-collations/); binary columns come as bytes.
 *
 * The one encoding mysql2 still asks for is `cesu8`, its name for MySQL's `utf8mb3` (metadata such as
 * column names is sent in `character_set_system`, utf8mb3). utf8mb3 holds only characters of the Basic
 * Multilingual Plane, and for those CESU-8 and UTF-8 are the same bytes (CESU-8 differs only in
 * encoding a supplementary character as two 3-byte surrogates: https://www.unicode.org/reports/tr26/).
 * So `cesu8` is decoded and encoded here as UTF-8, and refused with {@link CharsetNotBundled} when the
 * bytes hold an encoded surrogate or the text a supplementary character, the only cases where the two
 * differ. Any other encoding is refused the same way: a failed check naming it, never mis-decoded text.
 *
 * test/mariadb/bundled-driver.test.ts reads latin1, GBK, Shift-JIS and utf8mb4 columns through the
 * bundled driver from a real MariaDB server, also for a user whose `init_connect` sets latin1; test/functions/bundles.test.ts compares `cesu8` here with
 * iconv-lite's. Wired by `BUNDLE_ALIASES` in infra/constructs/vault-function.ts; tests, the sandbox
 * and the CLI use the real package.
 */

/** mysql2 asked for an encoding (or CESU-8 text) this stand-in does not carry, inside a Lambda bundle. */
export class CharsetNotBundled extends Error {
  constructor(encoding: string, detail = '') {
    super(`character set ${encoding} is not bundled into rds-snapshot-vault Lambda functions (their database connections use utf8mb4)${detail}`);
    this.name = 'CharsetNotBundled';
  }
}

const isCesu8 = (encoding: string): boolean => encoding.toLowerCase().replace(/[^a-z0-9]/g, '') === 'cesu8';

/** An encoded UTF-16 surrogate (U+D800-U+DFFF as 3 bytes: ED A0-BF xx), where CESU-8 and UTF-8 part ways. */
const hasEncodedSurrogate = (b: Uint8Array): boolean => {
  for (let i = 0; i + 1 < b.length; i++) if (b[i] === 0xed && (b[i + 1] as number) >= 0xa0 && (b[i + 1] as number) <= 0xbf) return true;
  return false;
};

/** In place of `iconv.getDecoder(encoding, options)`: `cesu8` only. @throws CharsetNotBundled */
export function getDecoder(encoding: string, _options?: unknown): { write(buf: Buffer): string; end(): string | undefined } {
  if (!isCesu8(encoding)) throw new CharsetNotBundled(encoding);
  return {
    write: (buf) => {
      if (hasEncodedSurrogate(buf)) throw new CharsetNotBundled(encoding, ': the text holds a supplementary character');
      return buf.toString('utf8');
    },
    end: () => undefined,
  };
}

/** In place of `iconv.getEncoder(encoding, options)`: `cesu8` only. @throws CharsetNotBundled */
export function getEncoder(encoding: string, _options?: unknown): { write(str: string): Buffer; end(): Buffer | undefined } {
  if (!isCesu8(encoding)) throw new CharsetNotBundled(encoding);
  return {
    write: (str) => {
      if (/[\uD800-\uDFFF]/.test(str)) throw new CharsetNotBundled(encoding, ': the text holds a supplementary character');
      return Buffer.from(str, 'utf8');
    },
    end: () => undefined,
  };
}
