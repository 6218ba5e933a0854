/**
 * cdk-nag (AwsSolutions pack, v3 API) and CDK's built-in CloudFormation validation: the app
 * synthesizes with zero unacknowledged findings, and every acknowledgement names an exact finding
 * id and gives a reason.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app';
import { exampleConfig } from './helpers';

interface Violation {
  readonly plugin: string;
  readonly rule: string;
  readonly path: string;
}

let violations: Violation[];
let acknowledgements: Array<{ path: string; id: string; reason: string }>;

beforeAll(() => {
  const outdir = mkdtempSync(join(tmpdir(), 'rsv-nag-'));
  const { app } = createApp(exampleConfig(), { bundling: false, outdir });
  violations = [];
  const log = console.error;
  try {
    console.error = () => undefined; // the CDK prints the whole report; the assertion below lists it
    app.synth();
  } catch (err) {
    const reportPath = join(outdir, 'validation-report.json');
    if (!existsSync(reportPath)) throw err;
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
      pluginReports: Array<{
        pluginName: string;
        violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
      }>;
    };
    violations = report.pluginReports.flatMap((p) =>
      p.violations.flatMap((v) => v.violatingConstructs.map((c) => ({ plugin: p.pluginName, rule: v.ruleName, path: c.constructPath }))),
    );
    if (violations.length === 0) throw err;
  } finally {
    console.error = log;
  }
  acknowledgements = app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
});

const format = (vs: readonly Violation[]) => vs.map((v) => `${v.plugin}: ${v.rule} at ${v.path}`).join('\n');

/** Constructs of statemachines/ (their grants and acknowledgements live there). */
const STATE_MACHINE_PATH = /\/(DatabaseBackup|BackupRun|VaultRetention)\//;

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the constructs of infra/', () => {
    const mine = violations.filter((v) => !STATE_MACHINE_PATH.test(v.path));
    expect(mine, format(mine)).toEqual([]);
  });

  it('finds nothing unacknowledged in the whole app (app.synth() does not throw)', () => {
    expect(violations, format(violations)).toEqual([]);
  });

  it('acknowledges exact finding ids, each with a reason', () => {
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const ack of acknowledgements) {
      expect(ack.id, ack.path).toMatch(/^(Annotation::)?AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(40);
    }
    // Never a blanket IAM5 without a finding id.
    expect(acknowledgements.filter((a) => /AwsSolutions-IAM5$/.test(a.id))).toEqual([]);
  });
});
