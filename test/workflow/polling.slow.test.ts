/**
 * Issue 12 item 5 on the real DatabaseBackup: copies of any length cost a few polls and are seen soon
 * after they become available; a copy RDS holds queued at 0% is looked at every 30 min at most.
 * (The poll rule itself is property-tested in test/functions/poll-status.test.ts; the vault-only
 * transition bound is checked cheaply in test/workflow/retention.test.ts on a deployment it already has.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalEnvironment } from '../../sandbox/harness/index';
import type { ExecutionRecord } from '../../sandbox/harness/index';
import { childFor, fleetEnvironment } from './helpers';

let env: LocalEnvironment | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

const HOURS = 3600;
const POLL_STATES = ['PollSourceCopy', 'PollVaultCopy', 'PollDrCopy'] as const;

/** Virtual times (epoch ms) at which `exec` entered `state`. */
const pollTimes = (exec: ExecutionRecord, state: string): number[] => exec.events.filter((e) => e.type === 'StateEntered' && e.state === state).map((e) => Date.parse(e.at));

/** Every copy of `db`, from the sandbox's copy log, keyed by the poll state that waits on it. */
function copiesOf(e: LocalEnvironment, db: string): Record<(typeof POLL_STATES)[number], { startedAtMs?: number; endedAtMs?: number } | undefined> {
  const log = e.sandbox.rds.copyLog().filter((c) => c.dbIdentifier === db);
  const vaultAccount = e.config.vault.accountId ?? e.config.source.accountId;
  return {
    PollSourceCopy: log.find((c) => c.accountId === e.config.source.accountId && c.region === e.config.source.region),
    PollVaultCopy: log.find((c) => c.accountId === vaultAccount && c.region === e.config.vault.region),
    PollDrCopy: log.find((c) => c.accountId === vaultAccount && c.region === e.config.vault.drRegions[0]),
  };
}

describe('polling copies by their progress (real DatabaseBackup)', () => {
  it('48 h copies with steady progress: at most 4 polls per stage, seen within 3%, <= 60 transitions with a DR Region; a queued-then-jump copy is polled every 30 min while queued', async () => {
    env = await fleetEnvironment(); // example config: cross-account vault, one two-hop DR Region
    const copySeconds = 48 * HOURS;
    env.sandbox.rds.setCopyShape({ match: (c) => c.dbIdentifier === 'billing-db', shape: { kind: 'steady' }, durationSeconds: copySeconds });
    // 10 h queued at 0%, then 2 h of transfer.
    env.sandbox.rds.setCopyShape({ match: (c) => c.dbIdentifier === 'legacy-reports', shape: { kind: 'queued-then-jump', queuedSeconds: 10 * HOURS }, durationSeconds: 2 * HOURS });
    const run = await env.startBackupRun({ databases: ['billing-db', 'legacy-reports'] });
    expect(run.status, `${run.error} ${run.cause}`).toBe('SUCCEEDED');

    const steady = childFor(run, 'billing-db');
    const steadyCopies = copiesOf(env, 'billing-db');
    for (const state of POLL_STATES) {
      const times = pollTimes(steady, state);
      expect(times.length, state).toBeGreaterThanOrEqual(2);
      expect(times.length, state).toBeLessThanOrEqual(4);
      const ended = steadyCopies[state]?.endedAtMs;
      expect(ended, state).toBeDefined();
      const latency = (times[times.length - 1]! - ended!) / 1000;
      expect(latency, state).toBeGreaterThanOrEqual(0);
      expect(latency, state).toBeLessThanOrEqual(Math.max(60, 0.03 * copySeconds));
    }
    // Issue 12: <= 60 state transitions per database with one DR Region, whatever the copy time
    // (the old rule, a poll at most 15 min apart, failed this database: 48 h x 3 stages).
    expect(steady.transitions).toBeLessThanOrEqual(60);

    const queued = childFor(run, 'legacy-reports');
    const queuedCopies = copiesOf(env, 'legacy-reports');
    for (const state of POLL_STATES) {
      const times = pollTimes(queued, state);
      const copy = queuedCopies[state]!;
      // While the copy sat queued (before it started transferring), never more than 30 min between looks.
      const whileQueued = times.filter((t) => t <= copy.startedAtMs!);
      expect(whileQueued.length, state).toBeGreaterThanOrEqual(10 * 2);
      for (let i = 1; i < whileQueued.length; i++) expect((whileQueued[i]! - whileQueued[i - 1]!) / 1000, state).toBeLessThanOrEqual(1800);
      // Once it moves: seen within the 2 h transfer's budget plus nothing more than one back-off.
      expect((times[times.length - 1]! - copy.endedAtMs!) / 1000, state).toBeLessThanOrEqual(1800);
    }
  });
});
