/** cdk-nag helpers: {@link acknowledgeIam5} lives in statemachines/nag.ts (the workflows use it too; infra/ -> statemachines/, never back). */
export { acknowledgeIam5, type WildcardAcknowledgement } from '../../statemachines/nag';

/** The wildcard KMS actions RDS needs to copy an encrypted snapshot (one IAM5 finding each). */
export const KMS_WILDCARD_ACTIONS = ['kms:GenerateDataKey*', 'kms:ReEncrypt*'] as const;
