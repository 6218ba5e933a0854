/**
 * Shared set-up for the sandbox rule tests: two accounts (production source, vault), two Regions,
 * real SDK clients built with sandbox-issued credentials.
 */
import { ModifyDBSnapshotAttributeCommand, RDSClient } from '@aws-sdk/client-rds';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { expect } from 'vitest';
import { createSandbox, type AwsSandbox, type PolicyDocument, type VirtualClock } from '../../sandbox/simulator/index';

export const SOURCE = '111111111111';
export const VAULT = '222222222222';
export const OTHER = '333333333333';
export const R1 = 'eu-west-1';
export const R2 = 'eu-central-1';
export const root = (acct: string) => `arn:aws:iam::${acct}:root`;

export interface World {
  readonly clock: VirtualClock;
  readonly sandbox: AwsSandbox;
  rds(principalArn: string, region?: string): RDSClient;
  kms(principalArn: string, region?: string): KMSClient;
  sns(principalArn: string, region?: string): SNSClient;
  sts(principalArn: string, region?: string): STSClient;
  s3(principalArn: string, region?: string): S3Client;
}

/** A fresh, installed sandbox (call `world.sandbox.uninstall()` in afterEach). */
export function newWorld(start = new Date('2026-11-20T05:00:00.000Z')): World {
  const { clock, sandbox } = createSandbox({ start });
  return {
    clock,
    sandbox,
    rds: (p, region = R1) => new RDSClient({ region, credentials: sandbox.credentialsFor(p) }),
    kms: (p, region = R1) => new KMSClient({ region, credentials: sandbox.credentialsFor(p) }),
    sns: (p, region = R1) => new SNSClient({ region, credentials: sandbox.credentialsFor(p) }),
    sts: (p, region = R1) => new STSClient({ region, credentials: sandbox.credentialsFor(p) }),
    s3: (p, region = R1) => new S3Client({ region, credentials: sandbox.credentialsFor(p) }),
  };
}

/** A key policy letting the owner account administer the key and `users` (account ids / ARNs) use it for snapshot copies. */
export function sharedKeyPolicy(owner: string, users: string[], actions: string[] = ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Owner', Effect: 'Allow', Principal: { AWS: root(owner) }, Action: 'kms:*', Resource: '*' },
      { Sid: 'Vault', Effect: 'Allow', Principal: { AWS: users }, Action: actions, Resource: '*' },
    ],
  };
}

/**
 * Source account with a DB instance encrypted by a customer key shared with the vault account,
 * one automated snapshot, and a manual copy `share-me` that is available and shared with the vault.
 */
export async function sharedEncryptedSnapshot(w: World, opts: { sizeGiB?: number; region?: string; keyPolicy?: PolicyDocument } = {}) {
  const region = opts.region ?? R1;
  const key = w.sandbox.kms.createKey({ accountId: SOURCE, region, alias: 'alias/app', policy: opts.keyPolicy ?? sharedKeyPolicy(SOURCE, [VAULT]) });
  w.sandbox.rds.createDbInstance({ accountId: SOURCE, region, identifier: 'orders-db', engine: 'postgres', allocatedStorageGiB: opts.sizeGiB ?? 20, storageEncrypted: true, kmsKeyId: key.arn });
  const snap = w.sandbox.rds.createManualSnapshot({ accountId: SOURCE, region, dbIdentifier: 'orders-db', kind: 'instance', identifier: 'share-me' });
  await w.rds(root(SOURCE), region).send(new ModifyDBSnapshotAttributeCommand({ DBSnapshotIdentifier: 'share-me', AttributeName: 'restore', ValuesToAdd: [VAULT] }));
  return { key, snap };
}

/** Asserts that `p` rejects with an error of exactly this `name` (and returns the error for more checks). */
export async function expectAwsError(p: Promise<unknown>, name: string): Promise<Error & { $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean }; $fault?: string }> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${name} to be thrown`).toBeInstanceOf(Error);
  expect((caught as Error).name).toBe(name);
  return caught as Error & { $metadata?: { httpStatusCode?: number } };
}

/** An identity policy document allowing `actions` on `resource`. */
export const allow = (actions: string[], resource: string | string[] = '*'): PolicyDocument => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resource }] });

/** Registers a role of `accountId` with the given identity policies (trusting the account root). @returns role ARN */
export function role(w: World, accountId: string, roleName: string, policies: PolicyDocument[], trustPolicy?: PolicyDocument): string {
  return w.sandbox.iam.putRole({
    accountId,
    roleName,
    trustPolicy: trustPolicy ?? { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: root(accountId) }, Action: 'sts:AssumeRole' }] },
    policies,
  });
}
