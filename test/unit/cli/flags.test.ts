import { engineOptionsFromFlags, intFlag } from '../../../src/cli/flags';

describe('engine flags (simulate, process and replay alike)', () => {
  test('read as engine options; absent flags give nothing', () => {
    expect(engineOptionsFromFlags({}, 'u')).toEqual({});
    expect(engineOptionsFromFlags({ 'max-instances': '2', 'max-lifetime': '3h' }, 'u')).toEqual({ maxInstances: 2, maxLifetime: 3 * 3_600_000 });
  });

  test.each([
    [{ 'max-instances': '0' }, '--max-instances must be an integer >= 1'],
    [{ 'max-instances': '1.5' }, '--max-instances must be an integer >= 1'],
    [{ 'max-lifetime': '1x' }, '--max-lifetime must be a duration like 365d (1s to 3650d)'],
    [{ 'max-lifetime': '3651d' }, '--max-lifetime must be a duration like 365d (1s to 3650d)'],
  ])('%j is refused', (values, message) => {
    expect(() => engineOptionsFromFlags(values, 'usage: x')).toThrow(`${message}\nusage: x`);
  });

  test('intFlag: undefined when not given, else an integer of at least min', () => {
    expect(intFlag('n', undefined, 0, 'u')).toBeUndefined();
    expect(intFlag('n', '0', 0, 'u')).toBe(0);
    expect(() => intFlag('n', '-1', 0, 'u')).toThrow('--n must be an integer >= 0');
  });
});
