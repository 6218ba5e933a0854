/** Moved to contracts/drill.ts (issue 11: one home shared by functions/ and statemachines/); re-exported for the functions' imports. */
export * from '../../contracts/drill.js';
