import { describe, expect, it } from 'vitest';
import { resolveIntrinsics, TemplateResolutionError } from '../../sandbox/harness/index';

const env = { accountId: '111111111111', region: 'eu-west-1', stackName: 'rsv-source' };
const physical = new Map([
  ['Fn1', { ref: 'fn-one', attributes: { Arn: 'arn:aws:lambda:eu-west-1:111111111111:function:fn-one' } }],
  ['Key', { ref: 'key-id-1', attributes: { Arn: 'arn:aws:kms:eu-west-1:111111111111:key/key-id-1' } }],
]);

describe('resolveIntrinsics', () => {
  it('resolves the Fn::Join of strings, Refs and GetAtts that CDK emits for a state machine definition', () => {
    const def = { 'Fn::Join': ['', ['{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"', { 'Fn::GetAtt': ['Fn1', 'Arn'] }, '","End":true}}}']] };
    const asl = JSON.parse(resolveIntrinsics(def, env, physical) as string);
    expect(asl.States.A.Resource).toBe('arn:aws:lambda:eu-west-1:111111111111:function:fn-one');
  });

  it('resolves pseudo parameters and Fn::Sub with resource attributes', () => {
    const v = resolveIntrinsics(
      { a: { 'Fn::Sub': 'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:snapshot:*' }, b: { 'Fn::Sub': '${Key.Arn}' }, c: [{ Ref: 'Key' }] },
      env,
      physical,
    );
    expect(v).toEqual({ a: 'arn:aws:rds:eu-west-1:111111111111:snapshot:*', b: 'arn:aws:kms:eu-west-1:111111111111:key/key-id-1', c: ['key-id-1'] });
  });

  it('names the unknown reference instead of inventing a value', () => {
    expect(() => resolveIntrinsics({ Ref: 'Missing' }, env, physical)).toThrow(TemplateResolutionError);
    expect(() => resolveIntrinsics({ 'Fn::GetAtt': ['Fn1', 'Nope'] }, env, physical)).toThrow(/Fn1\.Nope/);
  });
});
