// Placeholder until the simulate command lands (issue 3).
export const command = {
  summary: 'simulate (not built yet)',
  run: (): Promise<number> => Promise.reject(new Error('simulate: not built yet')),
};
