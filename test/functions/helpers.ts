/**
 * Test helpers for the Lambda handlers: a fake Lambda context, a silent base environment, and a
 * ClientFactory whose RDS clients are separate mocked instances for the source account and for
 * the vault account (recognised by the access key the mocked STS AssumeRole hands out), so a test
 * can assert *which account* received a command.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  type DBClusterSnapshot,
  type DBSnapshot,
} from '@aws-sdk/client-rds';
import { SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { ClientFactory, ClientOptions } from '../../functions/shared/clients.js';
import { TAGS, type SnapshotRef } from '../../contracts/shapes.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const SOURCE_ACCOUNT = '111111111111';
export const VAULT_ACCOUNT = '222222222222';
export const REGION = 'eu-west-1';
export const VAULT_REGION = 'eu-central-1';
export const NOW = new Date('2026-11-21T05:00:00.000Z');
export const VAULT_ACCESS_KEY = 'ASIAVAULTTESTKEY';
export const SOURCE_KMS_KEY_ARN = `arn:aws:kms:${REGION}:${SOURCE_ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
export const VAULT_KMS_KEY_ARN = `arn:aws:kms:${VAULT_REGION}:${VAULT_ACCOUNT}:key/99999999-8888-7777-6666-555555555555`;
export const VAULT_ROLE_ARN = `arn:aws:iam::${VAULT_ACCOUNT}:role/rds-snapshot-vault-copier`;

/** Environment every test handler gets: Region, account, and Powertools silenced. */
export const BASE_ENV = {
  AWS_REGION: REGION,
  ACCOUNT_ID: SOURCE_ACCOUNT,
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
} as const;

/** A Lambda context as the runtime passes it. */
export function fakeContext(functionName = 'test-fn'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${SOURCE_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Mocked clients plus the factory that hands them out. */
export interface TestClients {
  factory: ClientFactory;
  /** RDS with the Lambda's own credentials (any Region). */
  sourceRds: AwsClientStub<RDSClient>;
  /** RDS with the vault role's credentials. */
  vaultRds: AwsClientStub<RDSClient>;
  sts: AwsClientStub<STSClient>;
  sns: AwsClientStub<SNSClient>;
  /** Options of every `rds()` call, in order. */
  rdsOptions: ClientOptions[];
  snsOptions: ClientOptions[];
}

/** Fresh mocked clients; STS AssumeRole answers with {@link VAULT_ACCESS_KEY}. */
export function testClients(): TestClients {
  const source = new RDSClient({ region: REGION });
  const vault = new RDSClient({ region: VAULT_REGION });
  const stsClient = new STSClient({ region: REGION });
  const snsClient = new SNSClient({ region: REGION });
  const rdsOptions: ClientOptions[] = [];
  const snsOptions: ClientOptions[] = [];
  const sts = mockClient(stsClient);
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: VAULT_ACCESS_KEY,
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(NOW.getTime() + 900_000),
    },
  });
  const factory: ClientFactory = {
    rds: (o) => {
      rdsOptions.push(o ?? {});
      const creds = o?.credentials;
      return creds && typeof creds !== 'function' && creds.accessKeyId === VAULT_ACCESS_KEY ? vault : source;
    },
    sts: () => stsClient,
    secretsManager: () => new SecretsManagerClient({ region: REGION }),
    s3: () => new S3Client({ region: REGION }),
    sns: (o) => {
      snsOptions.push(o ?? {});
      return snsClient;
    },
    dynamodb: () => new DynamoDBClient({ region: REGION }),
  };
  return { factory, sourceRds: mockClient(source), vaultRds: mockClient(vault), sts, sns: mockClient(snsClient), rdsOptions, snsOptions };
}

/** Tags of a managed copy. */
export function managedTagList(database: string, sourceArn: string, runId = 'run-1') {
  return [
    { Key: TAGS.MANAGED, Value: 'true' },
    { Key: TAGS.DATABASE, Value: database },
    { Key: TAGS.SOURCE_SNAPSHOT, Value: sourceArn },
    { Key: TAGS.RUN, Value: runId },
  ];
}

/** What a test says about a snapshot (DB or DB cluster); every other field defaults. */
export interface SnapshotSpec {
  id: string;
  db?: string;
  account?: string;
  region?: string;
  created?: string;
  status?: string;
  type?: string;
  kmsKeyId?: string;
  encrypted?: boolean;
  tags?: Array<{ Key: string; Value: string }>;
  percent?: number;
}

/** The fields DB and DB cluster snapshots share, and the ARN's Region and account. */
function describedSnapshot(p: SnapshotSpec) {
  const encrypted = p.encrypted ?? p.kmsKeyId !== undefined;
  return {
    region: p.region ?? REGION,
    account: p.account ?? SOURCE_ACCOUNT,
    encrypted,
    common: {
      SnapshotCreateTime: new Date(p.created ?? '2026-11-20T04:00:00.000Z'),
      Status: p.status ?? 'available',
      SnapshotType: p.type ?? 'automated',
      ...(encrypted && p.kmsKeyId !== undefined && { KmsKeyId: p.kmsKeyId }),
      AllocatedStorage: 20,
      PercentProgress: p.percent ?? 100,
      TagList: p.tags ?? [],
    },
  };
}

/** A DBSnapshot as RDS describes it. */
export function dbSnapshot(p: SnapshotSpec): DBSnapshot {
  const { region, account, encrypted, common } = describedSnapshot(p);
  return {
    DBSnapshotIdentifier: p.id,
    DBSnapshotArn: `arn:aws:rds:${region}:${account}:snapshot:${p.id}`,
    DBInstanceIdentifier: p.db ?? 'orders-db',
    Encrypted: encrypted,
    ...common,
  };
}

/** A DBClusterSnapshot as RDS describes it. */
export function dbClusterSnapshot(p: SnapshotSpec): DBClusterSnapshot {
  const { region, account, encrypted, common } = describedSnapshot(p);
  return {
    DBClusterSnapshotIdentifier: p.id,
    DBClusterSnapshotArn: `arn:aws:rds:${region}:${account}:cluster-snapshot:${p.id}`,
    DBClusterIdentifier: p.db ?? 'users-cluster',
    StorageEncrypted: encrypted,
    ...common,
  };
}

/** An AWS SDK-style service error with the given name (what the SDK throws for an AWS error code). */
export function awsError(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  Object.assign(e, { $fault: 'client', $metadata: { httpStatusCode: 400 } });
  return e;
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

/**
 * Routes DescribeDBSnapshots / DescribeDBClusterSnapshots on a mocked RDS client:
 * listing calls (by DB identifier) return `pages` in order, following `Marker`; lookups by
 * snapshot identifier return the matching entry of `byId` or throw the NotFound fault.
 */
export function routeDescribes(
  rds: AwsClientStub<RDSClient>,
  p: {
    instancePages?: DBSnapshot[][];
    clusterPages?: DBClusterSnapshot[][];
    byId?: Record<string, DBSnapshot | DBClusterSnapshot | undefined>;
  },
): void {
  const byId = p.byId ?? {};
  const page = <T>(pages: T[][], marker: string | undefined) => {
    const i = marker === undefined ? 0 : Number(marker);
    return { items: pages[i] ?? [], next: i + 1 < pages.length ? String(i + 1) : undefined };
  };
  rds.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string; Marker?: string }) => {
    if (input.DBSnapshotIdentifier !== undefined) {
      const s = byId[input.DBSnapshotIdentifier] as DBSnapshot | undefined;
      if (!s) throw awsError('DBSnapshotNotFoundFault', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`);
      return { DBSnapshots: [s] };
    }
    const { items, next } = page(p.instancePages ?? [], input.Marker);
    return { DBSnapshots: items, ...(next !== undefined && { Marker: next }) };
  });
  rds.on(DescribeDBClusterSnapshotsCommand).callsFake((input: { DBClusterSnapshotIdentifier?: string; Marker?: string }) => {
    if (input.DBClusterSnapshotIdentifier !== undefined) {
      const s = byId[input.DBClusterSnapshotIdentifier] as DBClusterSnapshot | undefined;
      if (!s) throw awsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${input.DBClusterSnapshotIdentifier} not found.`);
      return { DBClusterSnapshots: [s] };
    }
    const { items, next } = page(p.clusterPages ?? [], input.Marker);
    return { DBClusterSnapshots: items, ...(next !== undefined && { Marker: next }) };
  });
}

/** Identifier of the run's manual copy of orders-db in the fixtures of create-copy's successors. */
export const COPY_ID = 'rsv-orders-db-202611200400';

/** That manual copy as a step passes it on: an available DB snapshot in SOURCE_ACCOUNT and REGION, created at `createTime`; `extra` adds fields. */
export function sourceCopyRef(createTime: string, extra: Partial<SnapshotRef> = {}): SnapshotRef {
  return {
    kind: 'instance',
    identifier: COPY_ID,
    arn: `arn:aws:rds:${REGION}:${SOURCE_ACCOUNT}:snapshot:${COPY_ID}`,
    accountId: SOURCE_ACCOUNT,
    region: REGION,
    status: 'available',
    ...extra,
    createTime,
  };
}
