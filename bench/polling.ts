/**
 * The polling table of `npm run bench` (issue 12 items 5 and 7): for copies of 5 min to 48 h, steady
 * and queued-then-jump, what one database costs and how late its copies are seen.
 *
 * - poll-status rule, measured: the real DatabaseBackup state machine on the local runner, one
 *   database per copy time and shape, every copy of it (source copy, vault copy, DR copy) given that
 *   copy time with the sandbox's `setCopyShape`. Polls = `Poll<X>` states entered per copy stage (the
 *   most of its stages); transitions = what the runner counts for that database's execution (what
 *   Step Functions bills, everything included); detection latency = the last poll of a stage minus
 *   when that copy became available (the worst of its stages); longest gap = the longest wait
 *   between two polls of a stage.
 * - fixed 60 s poll, computed: the same copy replayed against the sandbox's progress model
 *   (sandbox/simulator/copy-model.ts `percentProgressAt`) with a poll every 60 s from the request;
 *   transitions = the measured transitions of the same database with the poll-status rule, plus 3
 *   (`WaitFor<X>` -> `Poll<X>` -> `Is<X>Ready`) per extra poll in each stage. (Running it for real
 *   would take 2,880 polls per stage for 48 h: more history events than one execution may hold.)
 */
import { parseConfig, type VaultConfig } from '../infra/config/schema';
import { percentProgressAt, type CopyShape } from '../sandbox/simulator/index';
import { createLocalEnvironment } from '../sandbox/harness/index';
import { seedFleet, takeAutomatedSnapshots, type DemoDatabaseSpec } from '../sandbox/harness/index';
import type { ExecutionRecord } from '../sandbox/harness/index';
import example from '../config/example.json' with { type: 'json' };
import { POLL_LOOPS, pollState } from '../contracts/states';

/** The copy stages' poll states (`PollSourceCopy`, `PollVaultCopy`, `PollDrCopy`; not the export's). */
const COPY_POLL_STATES: ReadonlySet<string> = new Set(POLL_LOOPS.filter((l) => l !== 'Export').map(pollState));

/** Copy times of the table, label and seconds (request to available, queue included). */
export const COPY_TIMES: ReadonlyArray<readonly [string, number]> = [
  ['5 min', 300],
  ['30 min', 1800],
  ['2 h', 7200],
  ['10 h', 36_000],
  ['24 h', 86_400],
  ['48 h', 172_800],
];

/** Share of a queued-then-jump copy's time spent queued at 0% (then it transfers in the rest). */
export const QUEUED_SHARE = 0.8;

/** The progress shapes of the table for a copy of `copySeconds`. */
export function tableShape(name: 'steady' | 'queued-then-jump', copySeconds: number): CopyShape {
  return name === 'steady' ? { kind: 'steady' } : { kind: 'queued-then-jump', queuedSeconds: Math.round(QUEUED_SHARE * copySeconds) };
}

/** State transitions of one poll: `WaitFor<X>` -> `Poll<X>` -> `Is<X>Ready` (statemachines/database-backup.ts pollLoop). */
const TRANSITIONS_PER_POLL = 3;

/** Polls a fixed-interval poller makes for one copy, and when it sees it available after it became so (seconds). */
export function fixedIntervalPolls(copySeconds: number, shape: CopyShape, intervalSeconds: number): { polls: number; latencySeconds: number } {
  for (let polls = 1; ; polls++) {
    const t = polls * intervalSeconds;
    if (percentProgressAt(t, copySeconds, shape) >= 100) return { polls, latencySeconds: t - copySeconds };
  }
}

/** One row of the table. */
export interface PollingRow {
  readonly shape: 'steady' | 'queued-then-jump';
  readonly label: string;
  readonly copySeconds: number;
  readonly status: string;
  /** Copy stages of the database (2 vault-only, 3 with a two-hop DR Region). */
  readonly stages: number;
  readonly pollsPerStage: number;
  readonly transitions: number;
  readonly latencySeconds: number;
  readonly longestGapSeconds: number;
  readonly fixed60: { readonly polls: number; readonly transitions: number; readonly latencySeconds: number };
}

/** Runs one DatabaseBackup per copy time and shape (one BackupRun, all at once) with `drRegions`. */
export async function measurePolling(drRegions: readonly string[]): Promise<PollingRow[]> {
  const shapes = ['steady', 'queued-then-jump'] as const;
  const cases = shapes.flatMap((shape) => COPY_TIMES.map(([label, secs], i) => ({ shape, label, secs, id: `poll-${shape === 'steady' ? 's' : 'q'}-${i}` })));
  const specs: DemoDatabaseSpec[] = cases.map((c) => ({ identifier: c.id, kind: 'instance', engine: 'postgres', allocatedStorageGiB: 20, encryption: 'default-key' }));
  const config: VaultConfig = parseConfig({
    ...example,
    vault: { ...example.vault, drRegions: [...drRegions] },
    databases: specs.map((d) => ({ identifier: d.identifier, kind: d.kind })),
    discovery: undefined,
    concurrency: { maxDatabasesInParallel: 20 },
    // 48 h copies plus their detection latency must fit the elapsed bound.
    polling: { maxWaitHours: 72 },
  });
  const env = await createLocalEnvironment({ config });
  try {
    for (const c of cases) {
      env.sandbox.rds.setCopyShape({ match: (t) => t.dbIdentifier === c.id, shape: tableShape(c.shape, c.secs), durationSeconds: c.shape === 'steady' ? c.secs : c.secs - Math.round(QUEUED_SHARE * c.secs) });
    }
    seedFleet(env, specs);
    takeAutomatedSnapshots(env, specs);
    const run = await env.startBackupRun({ trigger: 'schedule' });
    const log = env.sandbox.rds.copyLog();
    return cases.map((c) => {
      const child = run.children.find((e: ExecutionRecord) => JSON.stringify(e.input).includes(`"${c.id}"`));
      const copies = log.filter((l) => l.dbIdentifier === c.id);
      const stages = new Map<string, { polls: number[]; endedAtMs?: number }>();
      for (const ev of child?.events ?? []) {
        if (ev.type !== 'StateEntered' || ev.state === undefined || !COPY_POLL_STATES.has(ev.state)) continue;
        const key = `${ev.state}#${ev.index ?? 0}`;
        const s = stages.get(key) ?? { polls: [] };
        s.polls.push(Date.parse(ev.at));
        stages.set(key, s);
      }
      let latency = 0;
      let longest = 0;
      for (const s of stages.values()) {
        const last = s.polls[s.polls.length - 1]!;
        // The copy this stage polled: the one that became available last before its last poll.
        const copy = copies.filter((l) => l.endedAtMs !== undefined && l.endedAtMs <= last).sort((a, b) => b.endedAtMs! - a.endedAtMs!)[0];
        if (copy) latency = Math.max(latency, (last - copy.endedAtMs!) / 1000);
        for (let i = 1; i < s.polls.length; i++) longest = Math.max(longest, (s.polls[i]! - s.polls[i - 1]!) / 1000);
      }
      const pollsPerStage = Math.max(0, ...[...stages.values()].map((s) => s.polls.length));
      const transitions = child?.transitions ?? 0;
      const fixed = fixedIntervalPolls(c.secs, tableShape(c.shape, c.secs), 60);
      const extra = [...stages.values()].reduce((n, s) => n + (fixed.polls - s.polls.length), 0);
      return {
        shape: c.shape,
        label: c.label,
        copySeconds: c.secs,
        status: child?.status ?? 'NOT RUN',
        stages: stages.size,
        pollsPerStage,
        transitions,
        latencySeconds: Math.round(latency),
        longestGapSeconds: Math.round(longest),
        fixed60: { polls: fixed.polls, transitions: transitions + TRANSITIONS_PER_POLL * extra, latencySeconds: fixed.latencySeconds },
      };
    });
  } finally {
    env.dispose();
  }
}

const pct = (latency: number, secs: number) => `${latency} s (${((100 * latency) / secs).toFixed(1)}%)`;

/** The polling tables (vault-only, and one two-hop DR Region) as Markdown lines. */
export async function pollingTables(): Promise<string[]> {
  const lines: string[] = [];
  for (const [title, dr] of [
    ['vault only (2 copy stages)', []],
    ['one DR Region, two-hop (3 copy stages)', ['us-west-2']],
  ] as const) {
    const rows = await measurePolling(dr);
    lines.push(
      '',
      `## polling per copy time, ${title}: poll-status rule (measured, real DatabaseBackup) beside a fixed 60 s poll (computed)`,
      'shape | copy time | status | polls per stage | transitions per database | detection latency (worst stage) | longest gap | fixed 60 s: polls per stage | transitions | latency',
      '---|---|---|---|---|---|---|---|---|---',
      ...rows.map(
        (r) =>
          `${r.shape} | ${r.label} | ${r.status} | ${r.pollsPerStage} | ${r.transitions} | ${pct(r.latencySeconds, r.copySeconds)} | ${r.longestGapSeconds} s | ${r.fixed60.polls} | ${r.fixed60.transitions} | ${r.fixed60.latencySeconds} s`,
      ),
    );
  }
  return lines;
}
