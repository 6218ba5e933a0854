/**
 * poll-restore domain (issue 9): reports where a drill restore stands and which step comes next;
 * the RestoreDrill state machine owns the waiting and the bound (docs/aws-behaviour.md §19: never
 * wait inside a Lambda).
 *
 * DB instance drill: `creating` ... -> `available` (RTO measured here) -> `set-password` ->
 * `resetting-master-credentials` ... -> `available` with MasterUserSecret `active` -> `validate`.
 * Aurora drill: the DB cluster `available` -> `create-instance` -> its DB instance `available` (RTO)
 * -> `set-password` on the cluster -> ... -> `validate`.
 * `timedOut` is true when the next action would be `wait` and `maxWaitSeconds` have passed since the
 * restore started. Waits: 60 s for the first 30 polls, then 300 s.
 * Sources: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusters.html
 */
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, type DBCluster, type DBInstance, type RDSClient } from '@aws-sdk/client-rds';
import type { RestorePoll } from '../../contracts/drill.js';
import { isAwsError } from '../../contracts/errors.js';

import type { PollRestoreInput } from '../../contracts/functions/poll-restore.js';
export type { PollRestoreInput };

async function describeInstance(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    if (isAwsError(err, 'DBInstanceNotFound')) return undefined;
    throw err;
  }
}

async function describeCluster(rds: RDSClient, id: string): Promise<DBCluster | undefined> {
  try {
    return (await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters?.[0];
  } catch (err) {
    if (isAwsError(err, 'DBClusterNotFoundFault')) return undefined;
    throw err;
  }
}

/** See the module comment. */
export async function pollRestore(rds: RDSClient, input: PollRestoreInput, now: Date): Promise<RestorePoll> {
  const { target, previous } = input;
  const attempt = previous.attempt + 1;
  const elapsedSeconds = Math.round((now.getTime() - Date.parse(target.restoreStartedAt)) / 1000);
  const instance = await describeInstance(rds, target.instanceIdentifier);
  const cluster = target.clusterIdentifier ? await describeCluster(rds, target.clusterIdentifier) : undefined;
  let status: string;
  let restored = false;
  let nextAction: RestorePoll['nextAction'] = 'wait';
  let secret: { SecretArn?: string; SecretStatus?: string } | undefined;
  let endpoint: RestorePoll['endpoint'];
  let dbName: string | undefined;
  let settled: boolean;
  if (target.clusterIdentifier) {
    status = `${cluster?.Status ?? 'not-found'}/${instance?.DBInstanceStatus ?? 'none'}`;
    if (cluster?.Status === 'available' && !instance) nextAction = 'create-instance';
    restored = cluster !== undefined && instance?.DBInstanceStatus === 'available' && (cluster.Status === 'available' || previous.availableAt !== undefined);
    settled = cluster?.Status === 'available' && instance?.DBInstanceStatus === 'available';
    secret = cluster?.MasterUserSecret;
    if (cluster?.Endpoint && cluster.Port !== undefined) endpoint = { host: cluster.Endpoint, port: cluster.Port };
    dbName = cluster?.DatabaseName;
  } else {
    status = instance?.DBInstanceStatus ?? 'not-found';
    restored = instance?.DBInstanceStatus === 'available' || (previous.availableAt !== undefined && instance !== undefined);
    settled = instance?.DBInstanceStatus === 'available';
    secret = instance?.MasterUserSecret;
    if (instance?.Endpoint?.Address && instance.Endpoint.Port !== undefined) endpoint = { host: instance.Endpoint.Address, port: instance.Endpoint.Port };
    dbName = instance?.DBName;
  }
  const availableAt = previous.availableAt ?? (restored ? now.toISOString() : undefined);
  if (restored && nextAction === 'wait') {
    if (!secret?.SecretArn && previous.nextAction !== 'set-password') nextAction = 'set-password';
    else if (settled && secret?.SecretStatus === 'active') nextAction = 'validate';
  }
  const timedOut = nextAction === 'wait' && elapsedSeconds >= input.maxWaitSeconds;
  return {
    status,
    nextAction,
    ...(availableAt ? { availableAt, rtoSeconds: Math.round((Date.parse(availableAt) - Date.parse(target.restoreStartedAt)) / 1000) } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(dbName ? { dbName } : {}),
    ...(secret?.SecretArn ? { secretArn: secret.SecretArn } : {}),
    elapsedSeconds,
    timedOut,
    waitSeconds: attempt < 30 ? 60 : 300,
    attempt,
  };
}
