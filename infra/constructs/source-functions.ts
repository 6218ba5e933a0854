import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { DatabaseRef } from '../../functions/shared/contracts';
import type { BackupFunctions } from '../../statemachines/types';
import {
  grantCreateCopy,
  grantCrossAccountCopy,
  grantNotify,
  grantPollStatus,
  grantRetentionSweep,
  grantShare,
} from './function-permissions';
import { deploymentNames, kmsAliasArn, roleArn } from './names';
import type { NotificationTopic } from './notification-topic';
import { VaultFunction } from './vault-function';

/** The vault side, as the source account sees it (all from configuration; no cross-stack references). */
export interface VaultEndpoint {
  /** Vault account ID (12 digits). */
  readonly accountId: string;
  /** Vault Region, where the vault copies are made. */
  readonly region: string;
  /** `sts:ExternalId` required by the vault role. */
  readonly externalId: string;
}

/** Props of {@link SourceFunctions}. */
export interface SourceFunctionsProps {
  /** Prefix of the deterministic role names (see names.ts). */
  readonly deploymentName: string;
  /** The configured databases (plan-run's `DATABASES`). */
  readonly databases: readonly DatabaseRef[];
  /** The source key the manual copies are encrypted with. */
  readonly sourceKey: kms.IKey;
  /** The topic notify publishes the run summary to. */
  readonly topic: NotificationTopic;
  /** The vault account the copies go to. */
  readonly vault: VaultEndpoint;
}

/**
 * The seven Lambda functions of the source account, each with its environment and its
 * least-privilege permissions (function-permissions.ts):
 *
 * | function | calls |
 * |---|---|
 * | plan-run | nothing (reads `DATABASES`) |
 * | create-copy | RDS describe/copy/tag in the source account; KMS on the source key and, via RDS, the account's keys |
 * | poll-status | RDS describe in the source account; assumes the vault role to describe the vault copy |
 * | share | RDS modify/describe snapshot attributes of managed copies |
 * | cross-account-copy | assumes the vault role (which makes the copy) |
 * | retention-sweep | RDS describe; delete of managed copies only |
 * | notify | SNS publish to the topic |
 *
 * The cross-account-copy and poll-status roles get fixed names
 * (`<deploymentName>-cross-account-copy`, `<deploymentName>-poll-status`) because the vault role
 * trusts them by ARN.
 */
export class SourceFunctions extends Construct {
  /** The functions as the state machines take them. */
  readonly functions: BackupFunctions;
  readonly planRun: VaultFunction<'plan-run'>;
  readonly createCopy: VaultFunction<'create-copy'>;
  readonly pollStatus: VaultFunction<'poll-status'>;
  readonly share: VaultFunction<'share'>;
  readonly crossAccountCopy: VaultFunction<'cross-account-copy'>;
  readonly retentionSweep: VaultFunction<'retention-sweep'>;
  readonly notify: VaultFunction<'notify'>;

  constructor(scope: Construct, id: string, props: SourceFunctionsProps) {
    super(scope, id);
    const names = deploymentNames(props.deploymentName);
    const vaultAt = { accountId: props.vault.accountId, region: props.vault.region };
    const vaultRoleArn = roleArn(vaultAt, names.vaultCopyRole);

    this.planRun = new VaultFunction(this, 'PlanRun', {
      name: 'plan-run',
      environment: {
        DATABASES: JSON.stringify(props.databases.map(({ identifier, kind }) => ({ identifier, kind }))),
      },
    });

    this.createCopy = new VaultFunction(this, 'CreateCopy', {
      name: 'create-copy',
      environment: { SOURCE_KMS_KEY_ARN: props.sourceKey.keyArn },
    });
    grantCreateCopy(this.createCopy, props.sourceKey);

    this.pollStatus = new VaultFunction(this, 'PollStatus', {
      name: 'poll-status',
      roleName: names.pollStatusRole,
      environment: {
        VAULT_ACCOUNT_ID: props.vault.accountId,
        VAULT_ROLE_ARN: vaultRoleArn,
        VAULT_EXTERNAL_ID: props.vault.externalId,
      },
    });
    grantPollStatus(this.pollStatus, vaultRoleArn);

    this.share = new VaultFunction(this, 'Share', {
      name: 'share',
      environment: { VAULT_ACCOUNT_ID: props.vault.accountId },
    });
    grantShare(this.share);

    this.crossAccountCopy = new VaultFunction(this, 'CrossAccountCopy', {
      name: 'cross-account-copy',
      roleName: names.crossAccountCopyRole,
      environment: {
        VAULT_ACCOUNT_ID: props.vault.accountId,
        VAULT_REGION: props.vault.region,
        VAULT_ROLE_ARN: vaultRoleArn,
        VAULT_EXTERNAL_ID: props.vault.externalId,
        VAULT_KMS_KEY_ID: kmsAliasArn(vaultAt, names.vaultKeyAlias),
      },
    });
    grantCrossAccountCopy(this.crossAccountCopy, vaultRoleArn);

    this.retentionSweep = new VaultFunction(this, 'RetentionSweep', { name: 'retention-sweep', environment: {} });
    grantRetentionSweep(this.retentionSweep);

    this.notify = new VaultFunction(this, 'Notify', {
      name: 'notify',
      environment: { TOPIC_ARN: props.topic.topic.topicArn },
    });
    grantNotify(this.notify, props.topic);

    this.functions = {
      planRun: this.planRun.lambdaFunction,
      createCopy: this.createCopy.lambdaFunction,
      pollStatus: this.pollStatus.lambdaFunction,
      share: this.share.lambdaFunction,
      crossAccountCopy: this.crossAccountCopy.lambdaFunction,
      retentionSweep: this.retentionSweep.lambdaFunction,
      notify: this.notify.lambdaFunction,
    };
  }
}
