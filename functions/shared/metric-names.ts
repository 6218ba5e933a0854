/** Moved to contracts/names.ts (issue 11: infra/ reads the metric names without importing functions/); re-exported for the functions' imports. */
export * from '../../contracts/names.js';
