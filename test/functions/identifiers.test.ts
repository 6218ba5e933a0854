/**
 * Length-safe identifiers (docs/aws-behaviour.md §10), the copy-limit classification (§11) and tag
 * value sanitising (§15b).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exportTaskIdentifier } from '../../functions/shared/exports.js';
import { fitIdentifier, sanitizeTagValue, shortHash } from '../../functions/shared/identifiers.js';
import { COPY_IDENTIFIER_PREFIX, copyIdentifier, isCopyLimitMessage } from '../../functions/shared/snapshots.js';
import { isValidSnapshotIdentifier } from '../../sandbox/simulator/index';

const WHEN = new Date('2026-11-20T04:07:00Z');
const dbOf = (n: number, seed = 'a') => `${seed}${'b'.repeat(n - 2)}${seed}`;
/** What RDS checks (the sandbox's rule 10 check). */
const validFor = (id: string, kind: 'instance' | 'cluster') => isValidSnapshotIdentifier(id, kind === 'cluster' ? 63 : 255);

describe('copyIdentifier: DB cluster snapshots at most 63 characters, DB snapshots 255', () => {
  it('a 46-character DB cluster identifier fits as is (exactly 63)', () => {
    const id = copyIdentifier(dbOf(46), WHEN, 'cluster');
    expect(id).toBe(`rsv-${dbOf(46)}-202611200407`);
    expect(id).toHaveLength(63);
  });

  it('47 and 63 characters: database part cut, hash of the full name added, time stamp kept, at most 63', () => {
    for (const n of [47, 63]) {
      const db = dbOf(n);
      const id = copyIdentifier(db, WHEN, 'cluster');
      expect(id.length, id).toBeLessThanOrEqual(63);
      expect(validFor(id, 'cluster')).toBe(true);
      expect(id.startsWith(COPY_IDENTIFIER_PREFIX)).toBe(true);
      expect(id.endsWith('-202611200407')).toBe(true);
      expect(id).toContain(`-${shortHash(`rsv-${db}-202611200407`)}-`);
      // The same long identifier as a DB instance (255) needs no shortening.
      expect(copyIdentifier(db, WHEN, 'instance')).toBe(`rsv-${db}-202611200407`);
    }
  });

  it('two long identifiers that differ only after the cut get different copy identifiers', () => {
    const a = `${'x'.repeat(55)}-east-1`;
    const b = `${'x'.repeat(55)}-west-1`;
    expect(copyIdentifier(a, WHEN, 'cluster')).not.toBe(copyIdentifier(b, WHEN, 'cluster'));
    expect(copyIdentifier(a, WHEN, 'cluster').slice(0, 40)).toBe(copyIdentifier(b, WHEN, 'cluster').slice(0, 40));
  });

  it('for any database identifier and kind: valid, within the kind\'s length, deterministic, rsv- prefixed, distinct identifiers never collide', () => {
    const dbId = fc.stringMatching(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/).filter((s) => s.length >= 1 && s.length <= 63);
    fc.assert(
      fc.property(dbId, dbId, fc.constantFrom('instance' as const, 'cluster' as const), (a, b, kind) => {
        const ia = copyIdentifier(a, WHEN, kind);
        expect(validFor(ia, kind)).toBe(true);
        expect(ia.startsWith('rsv-')).toBe(true);
        expect(ia).toBe(copyIdentifier(a, new Date(WHEN.getTime()), kind));
        if (a !== b) expect(ia).not.toBe(copyIdentifier(b, WHEN, kind));
      }),
      { numRuns: 1000 },
    );
  });

  it('export task identifiers use the same helper (60 characters) and keep their format', () => {
    const long = copyIdentifier(dbOf(63), WHEN, 'instance');
    expect(exportTaskIdentifier(long)).toBe(fitIdentifier(long, 60));
    expect(exportTaskIdentifier(long)).toHaveLength(60);
    expect(exportTaskIdentifier('rsv-orders-db-202611200407')).toBe('rsv-orders-db-202611200407');
  });
});

describe('isCopyLimitMessage (SnapshotQuotaExceeded: copies in progress vs manual snapshot quota)', () => {
  it('tells the copy limit from the manual snapshot quota', () => {
    expect(isCopyLimitMessage('Cannot copy more than 5 snapshots across regions')).toBe(true);
    expect(isCopyLimitMessage('Cannot copy more than 5 cluster snapshots at the same time')).toBe(true);
    expect(isCopyLimitMessage('Cannot create more than 100 manual snapshots')).toBe(false);
    expect(isCopyLimitMessage('Cannot create more than 100 manual cluster snapshots')).toBe(false);
  });
});

describe('sanitizeTagValue (§15b)', () => {
  const ALLOWED = /^[\p{L}\p{Z}\p{N}\s_.:/=+\-@]*$/u;

  it('any string becomes a valid tag value of at most 256 characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.string({ maxLength: 600 }), (a, b) => {
        for (const v of [a, b, a + b]) {
          const out = sanitizeTagValue(v);
          expect(ALLOWED.test(out), JSON.stringify(out)).toBe(true);
          expect([...out].length).toBeLessThanOrEqual(256);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves valid values alone and maps the rest to _', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9 _.:/=+@-]{0,256}$/), (v) => sanitizeTagValue(v) === v),
      { numRuns: 500 },
    );
    expect(sanitizeTagValue('arn:aws:rds:us-east-1:111111111111:snapshot:rds:orders-db-2026-11-20-04-00')).toBe('arn:aws:rds:us-east-1:111111111111:snapshot:rds:orders-db-2026-11-20-04-00');
    expect(sanitizeTagValue("nightly!re-run(2)'x")).toBe('nightly_re-run_2__x');
    expect(sanitizeTagValue('x'.repeat(300))).toHaveLength(256);
  });
});
