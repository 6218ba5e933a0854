/** Moved to contracts/polling.ts (issue 11: one home shared by functions/ and statemachines/); re-exported for the functions' imports. */
export * from '../../contracts/polling.js';
