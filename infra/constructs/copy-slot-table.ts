import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { VaultFunction } from './vault-function';

/** Slots per destination (functions/shared/copy-slots.ts `SlotLimits`). */
export interface CopySlotLimits {
  /** DB snapshot copies in progress per destination account and Region (AWS: at most 20). */
  readonly instance: number;
  /** DB cluster snapshot copies in progress per destination account and Region (AWS: at most 5). */
  readonly cluster: number;
  /** Export tasks in progress per account (AWS: at most 5). */
  readonly export: number;
}

/** Props of {@link CopySlotTable}. */
export interface CopySlotTableProps {
  /** Physical table name (`<deploymentName>-copy-slots`, names.ts). */
  readonly tableName: string;
  readonly limits: CopySlotLimits;
  /**
   * Lease of a slot holder, seconds: above the longest copy the workflow waits for
   * (`polling.maxWaitHours` + a poll + step allowances), so the slot of a crashed execution frees itself.
   */
  readonly leaseSeconds: number;
}

/** The environment variables of a function that acquires slots (functions/shared/copy-slots.ts `slotEnvShape`). */
export interface CopySlotEnvironment {
  readonly COPY_SLOT_TABLE: string;
  /** JSON `{ "instance": n, "cluster": n, "export": n }`. */
  readonly COPY_SLOT_LIMITS: string;
  /** Whole seconds. */
  readonly COPY_SLOT_LEASE_SECONDS: string;
}

/**
 * The copy slot table (issue 12, functions/shared/copy-slots.ts): the one concurrency authority for
 * snapshot copies and export tasks across every execution. On-demand capacity (a few small requests
 * per copy), point-in-time recovery, Time to Live on `expiresAt` (expired items are removed late:
 * the functions judge every lease themselves, docs/aws-behaviour.md §23), AWS owned encryption (the
 * items hold copy identifiers and times, nothing secret). Its content is transient (leases of copies
 * in progress), so it is destroyed with the stack.
 *
 * Least privilege: {@link CopySlotTable.grantSlots} gives `dynamodb:GetItem` and `dynamodb:UpdateItem`
 * on this table only (no Scan, Query, Delete, no other table).
 * Source: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 */
export class CopySlotTable extends Construct {
  readonly table: dynamodb.Table;
  /** The physical table name (a plain string, not a token: it goes into the functions' environment). */
  readonly tableName: string;
  readonly limits: CopySlotLimits;
  readonly leaseSeconds: number;

  constructor(scope: Construct, id: string, props: CopySlotTableProps) {
    super(scope, id);
    this.tableName = props.tableName;
    this.limits = props.limits;
    this.leaseSeconds = props.leaseSeconds;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'slot', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /** The variables of a function that acquires slots (create-copy, cross-account-copy, export-to-s3). */
  environment(): CopySlotEnvironment {
    return {
      COPY_SLOT_TABLE: this.tableName,
      COPY_SLOT_LIMITS: JSON.stringify(this.limits),
      COPY_SLOT_LEASE_SECONDS: String(this.leaseSeconds),
    };
  }

  /** `dynamodb:GetItem` and `dynamodb:UpdateItem` on this table only, for the function's role. */
  grantSlots(fn: VaultFunction): void {
    fn.role.addToPolicy(new iam.PolicyStatement({ sid: 'CopySlotTable', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [this.table.tableArn] }));
  }
}
