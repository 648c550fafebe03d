// Journey definitions: the model (`model.ts`), loading and checking a topologies folder (`loader.ts`),
// and the JSON Schema of the files (`json-schema.ts`).
export * from './model';
export { invalidDefinitionLines, loadDefinitions, validatePaths, validateTopologies, DEFAULT_TOPOLOGIES, type ValidationResult } from './loader';
export { formatProblem, type Problem } from './problems';
