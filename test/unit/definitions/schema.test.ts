// schemas/journey.schema.json is generated from the same key descriptor as the checker: the committed
// file must be what the descriptor generates now, and a JSON Schema validator must agree with the checker
// on valid files and on structural mistakes.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { validatePaths } from '../../../src/definitions';
import { journeySchema, journeySchemaText } from '../../../src/definitions/json-schema';
import { DESTINATIONS, FIXTURES, topology, yaml } from './helpers';

const SCHEMA_FILE = join(__dirname, '..', '..', '..', 'schemas', 'journey.schema.json');

test('the committed schema is the generated one (run npm run gen:schema after changing src/definitions/keys.ts)', () => {
  expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(journeySchemaText());
});

describe('a JSON Schema validator agrees with journeys validate', () => {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addSchema(journeySchema(), 'journey');
  const get = (ref: string): ValidateFunction => {
    const v = ajv.getSchema(ref);
    if (v === undefined) throw new Error(ref);
    return v;
  };
  const journey = get('journey');
  const destinations = get('journey#/definitions/destinationsFile');
  const audiences = get('journey#/definitions/audiencesFile');

  test.each(readdirSync(join(FIXTURES, 'valid')))('valid fixture %s', (name) => {
    const data: unknown = parse(readFileSync(join(FIXTURES, 'valid', name), 'utf8'));
    const v = name === 'destinations.yaml' ? destinations : name === 'audiences.yaml' ? audiences : journey;
    expect(v(data) ? [] : v.errors).toEqual([]);
  });

  // Structural mistakes: rejected by both.
  const mistakes: [string, string][] = [
    ['an unknown key', 'journey: j\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\ntitle: x\n'],
    ['a missing entry', 'journey: j\nsteps: [{ id: a, wait: 1h }]\n'],
    ['no steps', 'journey: j\nentry: { event: A }\nsteps: []\n'],
    ['a journey id that is no slug', 'journey: J_1\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['an unknown status', 'journey: j\nstatus: on\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['version 0', 'journey: j\nversion: 0\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['both event and condition', 'journey: j\nentry: { event: A, condition: { audience: x } }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['historical with an event entry', 'journey: j\nentry: { event: A, historical: true }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['reentry: always with a condition entry', 'journey: j\nentry: { condition: { audience: x }, reentry: always }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['two step types', 'journey: j\nentry: { event: A }\nsteps: [{ id: a, wait: 1h, send: { to: [crm] } }]\n'],
    ['next on a split', 'journey: j\nentry: { event: A }\nsteps: [{ id: a, next: end, split: { branches: [{ when: { audience: x }, next: end }] } }]\n'],
    ['waitFor without timeout', 'journey: j\nentry: { event: A }\nsteps: [{ id: a, waitFor: { events: [{ event: B }] } }]\n'],
    ['onTimeout without timeout', 'journey: j\nentry: { event: A }\nsteps: [{ id: a, waitUntil: { condition: { audience: x }, onTimeout: end } }]\n'],
    ['a duration without unit', 'journey: j\nentry: { event: A }\nsteps: [{ id: a, wait: "90" }]\n'],
    ['within with between', 'journey: j\nentry: { condition: { performed: A, within: 1d, between: [2d, 1d] } }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['exactly with atLeast', 'journey: j\nentry: { condition: { performed: A, exactly: 1, atLeast: 1 } }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['a trait leaf without operator', 'journey: j\nentry: { condition: { trait: a } }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['two condition kinds', 'journey: j\nentry: { condition: { trait: a, exists: true, audience: b } }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['a where list', 'journey: j\nentry: { event: A, where: { a: [1] } }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['gt with a string', 'journey: j\nentry: { event: A, where: { a: { gt: "1" } } }\nsteps: [{ id: a, wait: 1h }]\n'],
    ['percent 100', 'journey: j\nentry: { event: A }\nsteps: [{ id: a, random: { branches: [{ percent: 100, next: end }, { percent: 1, next: end }] } }]\n'],
    [
      '21 waitFor events',
      `journey: j\nentry: { event: A }\nsteps: [{ id: a, waitFor: { timeout: 1h, events: [${Array.from({ length: 21 }, (_, i) => `{ event: E${i} }`).join(', ')}] } }]\n`,
    ],
  ];

  test.each(mistakes)('%s', (_name, text) => {
    expect(journey(parse(text))).toBe(false);
    expect(validatePaths([topology({ 'j.journey.yaml': text, 'destinations.yaml': DESTINATIONS })])).not.toEqual([]);
  });

  test('destinations: per-type keys and required keys', () => {
    expect(destinations(parse(DESTINATIONS))).toBe(true);
    expect(destinations(parse('destinations: [{ id: a, type: webhook, format: transition }]'))).toBe(false);
    expect(destinations(parse('destinations: [{ id: a, type: kafka, format: transition, topic: t, url: "http://x" }]'))).toBe(false);
    expect(destinations(parse('destinations: [{ id: a, type: sqs, format: transition }]'))).toBe(false);
  });

  test('audiences: id and condition', () => {
    expect(audiences(parse(yaml`
      audiences:
        - { id: vip, condition: { trait: vip, equals: true } }`))).toBe(true);
    expect(audiences(parse('audiences: [{ id: vip }]'))).toBe(false);
  });
});
