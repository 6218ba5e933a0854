/**
 * Helpers to acknowledge cdk-nag findings next to the grant that causes them (here, below infra/, so that
 * both the workflows and the stacks reach them: infra/ -> statemachines/, never back).
 *
 * cdk-nag v3 reports one finding per wildcard, with the id `<RuleId>[<FindingId>]`, e.g.
 * `AwsSolutions-IAM5[Resource::arn:aws:rds:us-east-1:111111111111:snapshot:*]` or
 * `AwsSolutions-IAM5[Action::kms:GenerateDataKey*]`, and accepts only exact ids in
 * `Validations.of(scope).acknowledge()` (no prefix matching). An acknowledgement applies to the
 * construct and everything below it. Source: node_modules/cdk-nag/README.md ("Acknowledging a Rule").
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** What to acknowledge: wildcard actions and/or wildcard resources of one grant, with the reason. */
export interface WildcardAcknowledgement {
  /** Actions containing `*` exactly as written in the policy, e.g. `kms:ReEncrypt*`. */
  readonly actions?: readonly string[];
  /** Resources containing `*` as cdk-nag renders them (literal ARNs here; tokens as `<Logical.Arn>`). */
  readonly resources?: readonly string[];
  /** Why the wildcard is needed and why it is safe. */
  readonly reason: string;
}

/** Acknowledges `AwsSolutions-IAM5` for each listed wildcard action and resource on `scope`. */
export function acknowledgeIam5(scope: IConstruct, ack: WildcardAcknowledgement): void {
  const v = Validations.of(scope);
  for (const action of ack.actions ?? []) v.acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: ack.reason });
  for (const resource of ack.resources ?? []) v.acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason: ack.reason });
}
