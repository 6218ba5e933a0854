/**
 * createSandbox: a VirtualClock and an installed AwsSandbox on it (exported by sandbox/simulator/index.ts).
 *
 * ```ts
 * const { clock, sandbox } = createSandbox({ start: new Date('2026-11-20T05:00:00Z') });
 * const rds = new RDSClient({ region: 'eu-west-1', credentials: sandbox.credentialsFor('arn:aws:iam::111111111111:root') });
 * // ... afterEach: sandbox.uninstall()
 * ```
 */
import { VirtualClock } from './clock';
import { AwsSandbox } from './sandbox';

/**
 * Creates a VirtualClock and an installed AwsSandbox on it. Call `sandbox.uninstall()` when done
 * (e.g. in `afterEach`).
 * @param opts.start initial virtual time (UTC); default the VirtualClock default (2026-11-20T05:00:00Z)
 * @returns `{ clock, sandbox }`
 */
export function createSandbox(opts: { start?: Date } = {}): { clock: VirtualClock; sandbox: AwsSandbox } {
  const clock = new VirtualClock(opts.start);
  const sandbox = new AwsSandbox({ clock });
  sandbox.install();
  return { clock, sandbox };
}
