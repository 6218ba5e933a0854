import { describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/plan-run/index.js';
import type { PlanRunOutput } from '../../functions/shared/contracts.js';
import { BASE_ENV, caught, fakeContext, NOW, REGION, SOURCE_ACCOUNT, testClients } from './helpers.js';

const DATABASES = [
  { identifier: 'orders-db', kind: 'instance' },
  { identifier: 'users-cluster', kind: 'cluster' },
  { identifier: 'audit-db', kind: 'instance' },
];
const ENV = { ...BASE_ENV, DATABASES: JSON.stringify(DATABASES) };
const invokeRaw = (event: unknown, env: Record<string, string | undefined> = ENV) =>
  createHandler({ env, clients: testClients().factory, now: () => NOW })(event, fakeContext('plan-run')) as Promise<PlanRunOutput>;
/** Sends `{ input: <execution input>, runId }` as the PlanRun state does, from a flat test event. */
const invoke = (event: Record<string, unknown>, env?: Record<string, string | undefined>) => {
  const { runId, ...input } = event;
  return invokeRaw({ input, runId }, env);
};
const snapArn = `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:before-upgrade`;
const clusterSnapArn = `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:cluster-snapshot:before-upgrade`;

describe('plan-run', () => {
  it('plans all configured databases by default, without a sourceSnapshotArn key', async () => {
    const out = await invoke({ runId: 'exec-1' });
    expect(out).toEqual({ runId: 'exec-1', databases: DATABASES.map((database) => ({ database, runId: 'exec-1' })) });
    expect(out.databases.every((d) => !('sourceSnapshotArn' in d))).toBe(true);
  });

  it('plans a subset, removing duplicates (case-insensitively), in the given order', async () => {
    const out = await invoke({ runId: 'r', databases: ['audit-db', 'orders-db', 'AUDIT-DB'] });
    expect(out.databases.map((d) => d.database.identifier)).toEqual(['audit-db', 'orders-db']);
  });

  it('rejects unknown databases, naming them and listing the configured ones', async () => {
    const err = await caught(() => invoke({ runId: 'r', databases: ['orders-db', 'billing-db', 'crm'] }));
    expect(err.name).toBe('UnknownDatabase');
    expect(err.message).toContain('billing-db, crm');
    expect(err.message).toContain('orders-db, users-cluster, audit-db');
  });

  it('rejects an empty list, unknown keys and bad types with the field path', async () => {
    const empty = await caught(() => invoke({ runId: 'r', databases: [] }));
    expect(empty.name).toBe('InvalidInput');
    expect(empty.message).toContain('databases');
    const extra = await caught(() => invoke({ runId: 'r', database: ['orders-db'] }));
    expect(extra.name).toBe('InvalidInput');
    expect(extra.message).toContain('database: unknown key');
    const type = await caught(() => invoke({ runId: 'r', databases: ['orders-db', 7] }));
    expect(type.message).toContain('databases[1]');
    const missing = await caught(() => invoke({}));
    expect(missing.message).toContain('runId: required');
    const flat = await caught(() => invokeRaw({ runId: 'r', databases: ['orders-db'] }));
    expect(flat.name).toBe('InvalidInput');
    expect(flat.message).toContain('input');
  });

  it('sourceSnapshotArn: needs exactly one database of the matching kind; copied onto that item only', async () => {
    const ok = await invoke({ runId: 'r', databases: ['orders-db'], sourceSnapshotArn: snapArn });
    expect(ok.databases).toEqual([{ database: DATABASES[0], runId: 'r', sourceSnapshotArn: snapArn }]);
    const cl = await invoke({ runId: 'r', databases: ['users-cluster'], sourceSnapshotArn: clusterSnapArn });
    expect(cl.databases[0]?.sourceSnapshotArn).toBe(clusterSnapArn);

    for (const event of [
      { runId: 'r', sourceSnapshotArn: snapArn }, // all three databases
      { runId: 'r', databases: ['orders-db', 'audit-db'], sourceSnapshotArn: snapArn },
      { runId: 'r', databases: ['users-cluster'], sourceSnapshotArn: snapArn }, // kind mismatch
      { runId: 'r', databases: ['orders-db'], sourceSnapshotArn: clusterSnapArn }, // kind mismatch
      { runId: 'r', databases: ['orders-db'], sourceSnapshotArn: 'arn:aws:s3:::bucket/key' },
      { runId: 'r', databases: ['orders-db'], sourceSnapshotArn: 'before-upgrade' },
      { runId: 'r', databases: ['orders-db'], sourceSnapshotArn: snapArn.replace(SOURCE_ACCOUNT, '999999999999') },
    ]) {
      const err = await caught(() => invoke(event));
      expect(err.name, JSON.stringify(event)).toBe('InvalidInput');
      expect(err.message).toContain('sourceSnapshotArn');
    }
  });

  it('bad DATABASES -> InvalidEnvironment naming the variable; import and createHandler do not throw', async () => {
    expect(() => createHandler({ env: {}, clients: testClients().factory, now: () => NOW })).not.toThrow();
    const notJson = await caught(() => invoke({ runId: 'r' }, { ...BASE_ENV, DATABASES: '[{' }));
    expect(notJson.name).toBe('InvalidEnvironment');
    expect(notJson.message).toContain('DATABASES: must be valid JSON');
    const badKind = await caught(() => invoke({ runId: 'r' }, { ...BASE_ENV, DATABASES: '[{"identifier":"a","kind":"table"}]' }));
    expect(badKind.message).toContain('DATABASES[0].kind');
    const missing = await caught(() => invoke({ runId: 'r' }, { DATABASES: ENV.DATABASES }));
    expect(missing.message).toContain('AWS_REGION');
    expect(missing.message).toContain('ACCOUNT_ID');
  });
});
