/** Public API of the rds-snapshot-vault CDK app: reuse the constructs in your own app. */
export * from './app';
export * from './config/schema';
export * from './constructs/backup-schedule';
export * from './constructs/export-storage';
export * from './constructs/function-permissions';
export * from './constructs/keys';
export * from './constructs/nag';
export * from './constructs/names';
export * from './constructs/notification-topic';
export * from './constructs/snapshot-event-trigger';
export * from './constructs/source-functions';
export * from './constructs/vault-copy-role';
export * from './constructs/vault-function';
export * from './constructs/workflow-alarms';
export * from './stacks/source-stack';
export * from './stacks/vault-stack';
