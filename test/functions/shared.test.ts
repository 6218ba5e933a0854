import { RDSClient } from '@aws-sdk/client-rds';
import fc from 'fast-check';
import * as z from 'zod/mini';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClientFactory } from '../../functions/shared/clients.js';
import { createClients } from '../../functions/shared/clients/factory.js';
import { rds } from '../../functions/shared/clients/rds.js';
import { InvalidInput, SnapshotNotFound, TRANSIENT_ERROR_NAMES } from '../../contracts/errors.js';
import { formatIssues } from '../../functions/shared/env.js';
import { makeHandler, MAX_ERROR_MESSAGE_CHARS, type HandlerDeps } from '../../functions/shared/handler.js';
import { copyIdentifier, parseSnapshotArn } from '../../functions/shared/snapshots.js';
import { awsError, BASE_ENV, caught, fakeContext, NOW, testClients } from './helpers.js';

/** RDS snapshot identifier rules: 1-255 letters, digits, hyphens; starts with a letter; no `--`; no trailing hyphen. */
const VALID_SNAPSHOT_ID = /^[a-z](?!.*--)[a-z0-9-]{0,254}(?<!-)$/;

describe('copyIdentifier', () => {
  it('is rsv-<db>-<yyyymmddhhmm UTC>, lower-case', () => {
    expect(copyIdentifier('Orders-DB', new Date('2026-11-20T04:07:59.999Z'))).toBe('rsv-orders-db-202611200407');
    expect(copyIdentifier('orders-db', new Date('2026-01-02T03:04:00+02:00'))).toBe('rsv-orders-db-202601020104');
  });

  it('always satisfies the RDS identifier rules and is deterministic', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }), (db, when) => {
        const id = copyIdentifier(db, when);
        return id.length <= 255 && VALID_SNAPSHOT_ID.test(id) && id === copyIdentifier(db, new Date(when.getTime()));
      }),
      { numRuns: 2000 },
    );
  });

  it('throws RangeError for an invalid date', () => {
    expect(() => copyIdentifier('db', new Date('nope'))).toThrow(RangeError);
  });
});

describe('parseSnapshotArn', () => {
  it('recognises DB snapshot and DB cluster snapshot ARNs, including automated ones', () => {
    expect(parseSnapshotArn('arn:aws:rds:eu-west-1:111111111111:snapshot:rds:orders-db-2026-11-20-04-00')).toEqual({
      kind: 'instance', identifier: 'rds:orders-db-2026-11-20-04-00', accountId: '111111111111', region: 'eu-west-1', partition: 'aws',
    });
    expect(parseSnapshotArn('arn:aws:rds:eu-west-1:111111111111:cluster-snapshot:x')?.kind).toBe('cluster');
    expect(parseSnapshotArn('arn:aws:rds:eu-west-1:111111111111:db:orders-db')).toBeUndefined();
    expect(parseSnapshotArn('snapshot:x')).toBeUndefined();
  });
});

describe('createClientFactory', () => {
  it('caches per (service, Region, access key) and falls back to the default Region', async () => {
    const f = createClientFactory({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIADEFAULT', secretAccessKey: 's' } });
    const a = f.rds();
    expect(f.rds()).toBe(a);
    expect(f.rds({ region: 'eu-west-1' })).toBe(a);
    expect(a).toBeInstanceOf(RDSClient);
    expect(await a.config.region()).toBe('eu-west-1');
    const other = f.rds({ region: 'us-east-1' });
    expect(other).not.toBe(a);
    expect(await other.config.region()).toBe('us-east-1');
    const assumed = f.rds({ region: 'eu-west-1', credentials: { accessKeyId: 'ASIAOTHER', secretAccessKey: 's', sessionToken: 't' } });
    expect(assumed).not.toBe(a);
    expect((await assumed.config.credentials()).accessKeyId).toBe('ASIAOTHER');
    expect(f.sts()).toBe(f.sts());
    expect(f.sts()).not.toBe(a);
    expect(await f.rds().config.retryStrategy()).toMatchObject({ mode: 'standard' });
  });

  it('createClients hands out only the clients it was given makers for (a Lambda bundle carries no others)', async () => {
    const f = createClients({ rds }, { region: 'eu-west-1', maxAttempts: 5 });
    expect(Object.keys(f)).toEqual(['rds']);
    // @ts-expect-error an RDS-only factory has no STS client: a handler that needs one must say so in its HandlerDeps
    expect(f.sts).toBeUndefined();
    expect(f.rds()).toBeInstanceOf(RDSClient);
    expect(f.rds({ region: 'eu-west-1' })).toBe(f.rds());
    expect(await f.rds().config.maxAttempts()).toBe(5);
  });
});

describe('formatIssues', () => {
  const problems = (schema: z.ZodMiniType, value: unknown) => {
    const res = schema.safeParse(value, { reportInput: true });
    if (res.success) throw new Error('expected a problem');
    return formatIssues(res.error.issues);
  };

  it('says each bound with its unit and whether it is inclusive, on the field path', () => {
    const schema = z.object({
      tags: z.array(z.string()).check(z.minLength(2), z.maxLength(3)),
      name: z.string().check(z.minLength(1), z.maxLength(3)),
      days: z.array(z.number().check(z.gte(1), z.lt(10))),
      ratio: z.number().check(z.gt(0), z.lte(1)),
    });
    expect(problems(schema, { tags: ['a'], name: '', days: [0, 10], ratio: 0 })).toEqual([
      'tags: must have at least 2 item(s)',
      'name: must have at least 1 character(s)',
      'days[0]: must be >= 1',
      'days[1]: must be < 10',
      'ratio: must be > 0',
    ]);
    expect(problems(schema, { tags: ['a', 'b', 'c', 'd'], name: 'abcd', days: [], ratio: 2 })).toEqual([
      'tags: must have at most 3 item(s)',
      'name: must have at most 3 character(s)',
      'ratio: must be <= 1',
    ]);
    expect(problems(z.number().check(z.gte(1)), 0)).toEqual(['(input): must be >= 1']);
  });
});

describe('makeHandler', () => {
  const deps = (env: Record<string, string | undefined> = BASE_ENV): HandlerDeps => ({ env, clients: testClients().factory, now: () => NOW });
  const build = (run: () => Promise<unknown>, env?: Record<string, string | undefined>) =>
    makeHandler({ name: 'unit', deps: deps(env), envSchema: z.object({ ACCOUNT_ID: z.string() }), inputSchema: z.object({ n: z.number() }), run });
  afterEach(() => vi.restoreAllMocks());

  it('rethrows named errors and transient AWS errors unchanged; names socket errors by code', async () => {
    const named = new SnapshotNotFound('gone');
    expect(await caught(() => build(() => Promise.reject(named))({ n: 1 }, fakeContext()))).toBe(named);
    expect((await caught(() => build(() => Promise.reject(awsError('Throttling')))({ n: 1 }, fakeContext()))).name).toBe('Throttling');
    const socket = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect((await caught(() => build(() => Promise.reject(socket))({ n: 1 }, fakeContext()))).name).toBe('ECONNRESET');
    for (const n of ['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException', 'ServiceUnavailable', 'InternalFailure', 'ECONNRESET']) {
      expect(TRANSIENT_ERROR_NAMES).toContain(n);
    }
    expect(TRANSIENT_ERROR_NAMES).not.toContain('AccessDenied');
  });

  it('bounds what an error carries into Step Functions: message cut to 1,000 characters, stack one line, name kept', async () => {
    const long = new SnapshotNotFound(`rsv-${'x'.repeat(5000)}`);
    const err = await caught(() => build(() => Promise.reject(long))({ n: 1 }, fakeContext()));
    expect(err.name).toBe('SnapshotNotFound');
    expect(err.message).toHaveLength(MAX_ERROR_MESSAGE_CHARS);
    expect(err.message.endsWith('...')).toBe(true);
    expect(err.stack?.split('\n')).toHaveLength(1);
    const short = await caught(() => build(() => Promise.reject(new SnapshotNotFound('gone')))({ n: 1 }, fakeContext()));
    expect(short.message).toBe('gone');
  });

  it('validates the event at the boundary (InvalidInput with the path) before running', async () => {
    const run = vi.fn(() => Promise.resolve('ok'));
    const err = await caught(() => build(run)({ n: 'one' }, fakeContext()));
    expect(err).toBeInstanceOf(InvalidInput);
    expect(err.message).toContain('n: expected number');
    expect(run).not.toHaveBeenCalled();
  });

  it('parses the environment on the first invocation, not at build time', async () => {
    const h = build(() => Promise.resolve('ok'), { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
    const err = await caught(() => h({ n: 1 }, fakeContext()));
    expect(err.name).toBe('InvalidEnvironment');
    expect(err.message).toContain('ACCOUNT_ID: required');
  });

  it('emits EMF metrics (namespace RdsSnapshotVault) unless POWERTOOLS_METRICS_DISABLED, and logs nothing at SILENT', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    await build(() => Promise.reject(new SnapshotNotFound('gone')), { ACCOUNT_ID: '1', POWERTOOLS_LOG_LEVEL: 'ERROR' })({ n: 1 }, fakeContext()).catch(() => undefined);
    const all = writes.join('');
    expect(all).toContain('"Namespace":"RdsSnapshotVault"');
    expect(all).toContain('"Failed"');
    expect(all).toContain('failed: SnapshotNotFound');

    writes.length = 0;
    await build(() => Promise.reject(new SnapshotNotFound('gone')), BASE_ENV)({ n: 1 }, fakeContext()).catch(() => undefined);
    await build(() => Promise.resolve('ok'), BASE_ENV)({ n: 1 }, fakeContext());
    expect(writes.join('')).toBe('');

    // Warm invocations too: Powertools resets the level to the logger's initial one on each call.
    const warm = build(() => Promise.reject(new SnapshotNotFound('gone')), BASE_ENV);
    for (let i = 0; i < 3; i++) await warm({ n: 1 }, fakeContext()).catch(() => undefined);
    expect(writes.join('')).toBe('');
  });
});

describe('function modules', () => {
  it('import without side effects and fail with InvalidEnvironment (not at import) when the environment is missing', async () => {
    for (const name of ['plan-run', 'create-copy', 'poll-status', 'share', 'cross-account-copy', 'retention-sweep', 'notify']) {
      const mod = (await import(`../../functions/${name}/index.ts`)) as { handler: unknown; createHandler: unknown };
      expect(typeof mod.handler).toBe('function');
      expect(typeof mod.createHandler).toBe('function');
      const h = (mod.createHandler as (d: HandlerDeps) => (e: unknown, c: unknown) => Promise<unknown>)({
        env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
        clients: testClients().factory,
        now: () => NOW,
      });
      expect((await caught(() => h({}, fakeContext()))).name, name).toBe('InvalidEnvironment');
    }
  });
});
