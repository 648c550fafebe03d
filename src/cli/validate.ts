// Placeholder until the validate command lands (issue 3).
export const command = {
  summary: 'validate (not built yet)',
  run: (): Promise<number> => Promise.reject(new Error('validate: not built yet')),
};
