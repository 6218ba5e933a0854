/**
 * Timing model of RDS snapshot copies: how long a copy takes, and when a queued copy starts.
 * The sandbox queues only copies of the same source DB into the same destination (one after
 * another, `scheduleCopies` with limit 1); the per-destination limit of copies in progress is a
 * rejection at request time (rds.ts, docs/aws-behaviour.md §11), not a queue. A copy may also be
 * given the `queued-then-jump` shape ({@link CopyShape}): held with 0% before it starts.
 *
 * Nothing runs on timers: every status is computed from the virtual clock when asked.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html
 * ("Depending on the Regions involved and the amount of data to be copied, a cross-Region snapshot
 * copy can take hours to complete ... Amazon RDS might put new cross-Region copy requests from that
 * source Region into a queue until some in-progress copies complete. No progress information is
 * displayed about copy requests while they are in the queue.")
 */

/** Fixed set-up time of a copy in the same Region, seconds. */
export const COPY_BASE_SECONDS = 60;
/** Transfer time per GiB in the same Region, seconds. */
export const COPY_SECONDS_PER_GIB = 9;
/** Fixed set-up time of a cross-Region copy, seconds. */
export const CROSS_REGION_BASE_SECONDS = 300;
/** Transfer time per GiB across Regions, seconds (1.5x the same-Region rate). */
export const CROSS_REGION_SECONDS_PER_GIB = 13.5;

/**
 * Virtual duration of one snapshot copy once it has started (queueing not included), whole seconds.
 * Same Region: 60 s + 9 s/GiB (20 GiB ~ 4 min; 4 TiB ~ 10.3 h). Cross-Region: 300 s + 13.5 s/GiB
 * (4 TiB ~ 15.4 h). DB instance and DB cluster snapshots use the same rates (`kind` is accepted so the
 * model can diverge later without changing callers).
 * @param opts.sizeGiB allocated storage of the snapshot, GiB (>= 0)
 * @param opts.kind `instance` (DB snapshot) or `cluster` (DB cluster snapshot)
 * @param opts.crossRegion true when the source snapshot is in another Region than the copy
 * @returns seconds of virtual time
 * @throws RangeError for a negative or non-finite size
 */
export function copyDurationSeconds(opts: { sizeGiB: number; kind: 'instance' | 'cluster'; crossRegion: boolean }): number {
  if (!Number.isFinite(opts.sizeGiB) || opts.sizeGiB < 0) throw new RangeError(`copyDurationSeconds: sizeGiB must be >= 0, got ${opts.sizeGiB}`);
  const base = opts.crossRegion ? CROSS_REGION_BASE_SECONDS : COPY_BASE_SECONDS;
  const perGiB = opts.crossRegion ? CROSS_REGION_SECONDS_PER_GIB : COPY_SECONDS_PER_GIB;
  return Math.round(base + perGiB * opts.sizeGiB);
}

/**
 * How a copy's PercentProgress moves; chosen per copy with `SandboxRds.setCopyShape` (default steady).
 * - `steady`: it starts transferring when requested (or when the copy ahead of it, of the same source
 *   DB into the same destination, ends) and progress rises linearly from 0.
 * - `queued-then-jump`: RDS first holds it in a queue for `queuedSeconds` with 0% and no sign of
 *   life, as AWS does with cross-Region copy requests ("No progress information is displayed about
 *   copy requests while they are in the queue", docs/aws-behaviour.md §11), then it transfers like a
 *   steady copy, so progress jumps from 0 late in the copy's life.
 */
export type CopyShape = { readonly kind: 'steady' } | { readonly kind: 'queued-then-jump'; readonly queuedSeconds: number };

/**
 * PercentProgress of a copy `transferredMs` after it started transferring, for a transfer of
 * `durationMs`: the whole percent transferred, rounded down, at most 99 (100 only once available),
 * 0 before it started. Rounding down is the stricter reading (AWS does not say how it rounds): a
 * reader of 0% cannot tell a slow copy from one not yet started.
 */
export function transferPercent(transferredMs: number, durationMs: number): number {
  if (!(transferredMs > 0)) return 0;
  return Math.min(99, Math.floor((100 * transferredMs) / Math.max(1, durationMs)));
}

/**
 * PercentProgress a reader sees `elapsedSeconds` after a copy of `shape` was requested, where the
 * copy is available `copySeconds` after its request (queue included): 100 from then on. The same
 * model as SandboxRds for a copy that waits behind no other copy (bench/polling.ts replays it).
 */
export function percentProgressAt(elapsedSeconds: number, copySeconds: number, shape: CopyShape = { kind: 'steady' }): number {
  if (elapsedSeconds >= copySeconds) return 100;
  const queued = shape.kind === 'queued-then-jump' ? Math.min(shape.queuedSeconds, copySeconds) : 0;
  return transferPercent((elapsedSeconds - queued) * 1000, (copySeconds - queued) * 1000);
}

/** The facts of one copy that the queue needs; all times epoch ms of virtual time. */
export interface QueuedCopy {
  readonly seq: number;
  readonly requestedAtMs: number;
  readonly durationMs: number;
  /** When the copy was failed or deleted (it stops occupying a slot then). */
  readonly terminatedAtMs?: number;
  /** A stalled copy never finishes by itself. */
  readonly stalled: boolean;
}

/**
 * First-in-first-out slot assignment (the sandbox uses `limit` 1 per source DB and destination):
 * at most `limit` copies are in progress at once; a copy starts
 * at the later of its request time and the moment a slot frees. A copy terminated before it started
 * never occupies a slot. Pure function of its inputs, so results never change retroactively.
 * @returns seq -> start time (epoch ms); absent when the copy never starts
 */
export function scheduleCopies(copies: readonly QueuedCopy[], limit: number): Map<number, number> {
  const starts = new Map<number, number>();
  const ordered = [...copies].sort((a, b) => a.seq - b.seq);
  let ends: number[] = [];
  let lastStart = Number.NEGATIVE_INFINITY;
  for (const c of ordered) {
    ends = ends.filter((e) => e > c.requestedAtMs).sort((a, b) => a - b);
    let start = Math.max(c.requestedAtMs, lastStart);
    if (ends.length >= limit) start = Math.max(start, ends[ends.length - limit]!);
    const term = c.terminatedAtMs ?? Number.POSITIVE_INFINITY;
    if (term <= start) continue;
    starts.set(c.seq, start);
    lastStart = start;
    ends.push(Math.min(term, c.stalled ? Number.POSITIVE_INFINITY : start + c.durationMs));
  }
  return starts;
}
