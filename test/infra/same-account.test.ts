/**
 * Same-account mode (config/same-account.json: no vault.accountId): the vault stacks go to the
 * source account, nothing is shared, no role is assumed, and cross-account-copy copies into the
 * vault Region of its own account with its own, copy-only permissions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { vaultModeOf } from '../../infra/config/schema';
import { TAGS } from '../../contracts/shapes';
import {
  type Statement,
  type Synthesized,
  actionsOf,
  asArray,
  functionOwnStatements,
  functionsByName,
  projectConfig,
  roleIdOfFunction,
  roleStatements,
  synth,
} from './helpers';

let s: Synthesized;
beforeAll(() => {
  s = synth(projectConfig('same-account.json'));
});

/** Statements of a function's role other than logs and X-Ray. */
const own = (name: string): Statement[] => functionOwnStatements(s.source, name);

describe('same-account mode', () => {
  it('deploys the vault stack into the source account, in vault.region', () => {
    expect(vaultModeOf(s.config)).toBe('same-account');
    expect(s.vaultStack.stackName).toBe('rds-snapshot-vault-sa-vault');
    expect(s.vaultStack.account).toBe('111111111111');
    expect(s.vaultStack.region).toBe('us-west-2');
    expect(s.sourceStack.region).toBe('us-east-1');
    expect(s.drVaultStacks).toEqual([]);
  });

  it('has no copy role anywhere', () => {
    expect(s.vaultStack.vaultCopyRole).toBeUndefined();
    for (const t of [s.source, s.vault]) {
      expect(Object.values(t.findResources('AWS::IAM::Role')).map((r) => r.Properties.RoleName)).not.toContain('rds-snapshot-vault-sa-vault-copy');
    }
  });

  it('deploys no share function and never modifies snapshot attributes', () => {
    expect([...functionsByName(s.source).keys()].sort()).toEqual(
      ['create-copy', 'cross-account-copy', 'notify', 'plan-run', 'poll-status', 'record-result', 'retention-sweep', 'send-digest'].sort(),
    );
    const all = Object.values(s.source.findResources('AWS::IAM::Policy')).flatMap((p) => asArray(p.Properties.PolicyDocument.Statement as Statement[]));
    expect(all.flatMap(actionsOf).filter((a) => a.startsWith('rds:Modify'))).toEqual([]);
  });

  it('grants no STS permission to any function and sets no vault role variables', () => {
    for (const [name, fn] of functionsByName(s.source)) {
      const actions = roleStatements(s.source, roleIdOfFunction(fn.props)).flatMap(actionsOf);
      expect(actions.filter((a) => a.startsWith('sts:')), name).toEqual([]);
      expect(Object.keys(fn.props.Environment.Variables), name).not.toContain('VAULT_ROLE_ARN');
      expect(Object.keys(fn.props.Environment.Variables), name).not.toContain('VAULT_EXTERNAL_ID');
    }
  });

  it('points cross-account-copy and poll-status at the source account as the vault', () => {
    const env = (name: string) => functionsByName(s.source).get(name)!.props.Environment.Variables;
    expect(env('cross-account-copy')).toMatchObject({
      VAULT_ACCOUNT_ID: '111111111111',
      VAULT_REGION: 'us-west-2',
      VAULT_KMS_KEY_ALIAS: 'alias/rds-snapshot-vault-sa',
    });
    expect(env('poll-status')).toMatchObject({ VAULT_ACCOUNT_ID: '111111111111' });
  });

  it('lets cross-account-copy copy into the vault Region of its own account, and use the vault key only through RDS and by alias', () => {
    const st = own('cross-account-copy');
    const copy = st.find((x) => x.Sid === 'CopyIntoVaultRegions')!;
    expect(actionsOf(copy).sort()).toEqual(['rds:CopyDBClusterSnapshot', 'rds:CopyDBSnapshot']);
    expect(asArray(copy.Resource as string[]).sort()).toEqual(
      [
        'arn:aws:rds:us-west-2:111111111111:snapshot:*',
        'arn:aws:rds:us-west-2:111111111111:cluster-snapshot:*',
        'arn:aws:rds:us-east-1:111111111111:snapshot:*',
        'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:*',
      ].sort(),
    );
    const tag = st.find((x) => x.Sid === 'TagVaultCopiesWithProjectKeys')!;
    expect(asArray(tag.Resource as string[]).every((r) => r.includes(':us-west-2:111111111111:'))).toBe(true);
    expect(tag.Condition).toEqual({ 'ForAllValues:StringEquals': { 'aws:TagKeys': Object.values(TAGS) }, Null: { 'aws:TagKeys': 'false' } });
    const read = st.find((x) => x.Sid === 'DescribeVaultCopies')!;
    expect(asArray(read.Resource as string[]).every((r) => r.includes(':us-west-2:111111111111:'))).toBe(true);
    const keys = st.find((x) => x.Sid === 'EncryptWithVaultKeysThroughRds')!;
    expect(keys.Resource).toBe('arn:aws:kms:us-west-2:111111111111:key/*');
    expect(keys.Condition).toEqual({
      StringEquals: { 'kms:ViaService': ['rds.us-west-2.amazonaws.com'] },
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': ['alias/rds-snapshot-vault-sa'] },
    });
    expect(st.flatMap(actionsOf).filter((a) => /^rds:(Delete|Modify|Restore)/.test(a))).toEqual([]);
  });

  it('lets poll-status describe copies in the source and vault Regions only', () => {
    // Besides the copy slot table of this account (issue 12, tested in source-stack.test.ts).
    const st = own('poll-status').filter((x) => x.Sid !== 'CopySlotTable');
    expect(st.flatMap(actionsOf).sort()).toEqual(['rds:DescribeDBClusterSnapshots', 'rds:DescribeDBSnapshots']);
    expect(asArray(st[0]!.Resource as string[]).sort()).toEqual(
      [
        'arn:aws:rds:us-east-1:111111111111:snapshot:*',
        'arn:aws:rds:us-east-1:111111111111:cluster-snapshot:*',
        'arn:aws:rds:us-west-2:111111111111:snapshot:*',
        'arn:aws:rds:us-west-2:111111111111:cluster-snapshot:*',
      ].sort(),
    );
  });

  it('gives the source key no statement for another account', () => {
    const key = Object.values(s.source.findResources('AWS::KMS::Key')).find((k) => String(k.Properties.Description).includes('shareable'))!;
    for (const st of key.Properties.KeyPolicy.Statement as Statement[]) {
      expect(JSON.stringify(st.Principal)).toContain(':iam::111111111111:root');
    }
  });

  it('deploys the DR vault stacks into the source account too, and copy permissions cover them', () => {
    const sa = synth({ ...s.config, vault: { ...s.config.vault, drRegions: ['eu-west-1'] } });
    expect(sa.drVaultStacks.map((x) => [x.stackName, x.account, x.region])).toEqual([['rds-snapshot-vault-sa-vault-eu-west-1', '111111111111', 'eu-west-1']]);
    expect(sa.drVaultStacks[0]!.vaultCopyRole).toBeUndefined();
    const fn = functionsByName(sa.source).get('cross-account-copy')!;
    const keys = roleStatements(sa.source, roleIdOfFunction(fn.props)).find((x) => x.Sid === 'EncryptWithVaultKeysThroughRds')!;
    expect(asArray(keys.Resource as string[]).sort()).toEqual(['arn:aws:kms:eu-west-1:111111111111:key/*', 'arn:aws:kms:us-west-2:111111111111:key/*']);
  });
});
