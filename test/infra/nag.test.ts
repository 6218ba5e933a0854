/**
 * cdk-nag (AwsSolutions and Serverless packs, v3 API) and CDK's built-in CloudFormation
 * validation: the app synthesizes with zero unacknowledged findings for the example (cross-account,
 * DR Region, export, Glue, events) and the same-account configuration, and every acknowledgement
 * names an exact finding id and gives a reason.
 *
 * The whole-app assertions include the state machines of statemachines/ (the lead's constructs).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/app';
import type { VaultConfig } from '../../infra/config/schema';
import { exampleConfig, projectConfig } from './helpers';

interface Violation {
  readonly plugin: string;
  readonly rule: string;
  readonly path: string;
}

interface NagResult {
  readonly violations: Violation[];
  readonly acknowledgements: Array<{ path: string; id: string; reason: string }>;
}

/** Synthesizes `app` and returns the validation report's violations (none when synth succeeds). */
function synthViolations(app: App, outdir: string): Violation[] {
  const log = console.error;
  try {
    console.error = () => undefined; // the CDK prints the whole report; the assertions list it
    app.synth();
    return [];
  } catch (err) {
    const reportPath = join(outdir, 'validation-report.json');
    if (!existsSync(reportPath)) throw err;
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
      pluginReports: Array<{
        pluginName: string;
        violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
      }>;
    };
    const violations = report.pluginReports.flatMap((p) =>
      p.violations.flatMap((v) => v.violatingConstructs.map((c) => ({ plugin: p.pluginName, rule: v.ruleName, path: c.constructPath }))),
    );
    if (violations.length === 0) throw err;
    return violations;
  } finally {
    console.error = log;
  }
}

function nag(config: VaultConfig): NagResult {
  const outdir = mkdtempSync(join(tmpdir(), 'rsv-nag-'));
  const { app } = createApp(config, { bundling: false, outdir });
  const violations = synthViolations(app, outdir);
  const acknowledgements = app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
  return { violations, acknowledgements };
}

const format = (vs: readonly Violation[]) => vs.map((v) => `${v.plugin}: ${v.rule} at ${v.path}`).join('\n');

/** Constructs of statemachines/ (their grants and acknowledgements live there). */
const STATE_MACHINE_PATH = /\/(DatabaseBackup|BackupRun|VaultRetention)\//;

describe.each([
  ['example (cross-account, DR Region, export, Glue, events)', () => exampleConfig()],
  ['same-account', () => projectConfig('same-account.json')],
])('cdk-nag AwsSolutions + Serverless: %s', (_name, config) => {
  let result: NagResult;
  beforeAll(() => {
    result = nag(config());
  });

  it('finds nothing unacknowledged in the constructs of infra/', () => {
    const mine = result.violations.filter((v) => !STATE_MACHINE_PATH.test(v.path));
    expect(mine, format(mine)).toEqual([]);
  });

  it('finds nothing unacknowledged in the whole app (app.synth() does not throw)', () => {
    expect(result.violations, format(result.violations)).toEqual([]);
  });

  it('acknowledges exact finding ids of the two packs, each with a reason', () => {
    expect(result.acknowledgements.length).toBeGreaterThan(0);
    for (const ack of result.acknowledgements) {
      // CDK itself acknowledges CloudFormation-Validate findings of the restore-drill VPC (issue 9):
      // W3010 (the stack's literal AZs) and F3002/F3003 (its flow log).
      if (ack.id === 'CloudFormation-Validate::W3010' || (/^CloudFormation-Validate::F300[23]$/.test(ack.id) && ack.path.includes('/RestoreDrills/Network/Vpc/FlowLog'))) continue;
      expect(ack.id, ack.path).toMatch(/^(Annotation::)?(AwsSolutions-[A-Z]+\d+|Serverless-[A-Za-z]+)(\[.+\])?$/);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(40);
    }
    // Never a blanket IAM5 without a finding id.
    expect(result.acknowledgements.filter((a) => /AwsSolutions-IAM5$/.test(a.id))).toEqual([]);
  });
});

describe('cdk-nag wiring', () => {
  it('runs both packs on every stack of the app (a violating resource fails synth in each pack)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'rsv-nag-'));
    const { app, drVaultStacks } = createApp(exampleConfig(), { bundling: false, outdir, validation: false });
    const stack = drVaultStacks[0] as Stack;
    // An unencrypted topic without an SSL-only policy (AwsSolutions-SNS2/SNS3) with an e-mail
    // subscription without a redrive policy (Serverless-SNSRedrivePolicy).
    const topic = new sns.Topic(stack, 'NagProbeTopic');
    new sns.Subscription(stack, 'NagProbeSubscription', { topic, protocol: sns.SubscriptionProtocol.EMAIL, endpoint: 'probe@example.com' });
    const violations = synthViolations(app, outdir);
    expect(violations.every((v) => v.path.includes('NagProbe')), format(violations)).toBe(true);
    expect(new Set(violations.map((v) => v.plugin))).toEqual(new Set(['AwsSolutions', 'Serverless']));
    expect(violations.map((v) => v.rule)).toEqual(expect.arrayContaining([expect.stringMatching(/SNSRedrivePolicy/), expect.stringMatching(/SNS3/)]));
  });
});
