export * from './types';
export * from './database-backup';
export * from './backup-run';
export * from './vault-retention';
export * from './timeouts';
export * from './restore-drill';
export * from './daily-digest';
