/** Moved to contracts/shapes.ts (issue 11: one home shared by functions/ and statemachines/); re-exported for the functions' imports. */
export * from '../../contracts/shapes.js';
