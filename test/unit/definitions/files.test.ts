// destinations.yaml (spec §6), audiences.yaml (spec §4), rules across files, which files
// `validatePaths` reads, and `loadDefinitions` refusing anything invalid.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDefinitions, validatePaths, validateTopologies, type Problem } from '../../../src/definitions';
import { ErrorCodes, JourneyError } from '../../../src/errors';
import { DESTINATIONS, FIXTURES, byLine, found, listing, markers, topology, yaml } from './helpers';

const JOURNEY = yaml`
  journey: j
  entry: { event: A }
  steps:
    - { id: a, send: { to: [crm] } }`;

function checkFile(name: string, snippet: string, others: Record<string, string> = { 'j.journey.yaml': JOURNEY }): void {
  const files = { 'destinations.yaml': DESTINATIONS, ...others, [name]: snippet };
  const dir = topology(files);
  expect(found(validatePaths([dir]), name, snippet)).toEqual(markers(snippet).sort(byLine));
}

const destinations: [string, string][] = [
  ['unknown type', yaml`
    destinations:
      - { id: crm, type: sqs, url: https://x.example, format: segment-track }  #<- type must be one of webhook, kafka, got 'sqs'`],
  ['missing type', yaml`
    destinations:
      - id: crm  #<- a destination needs 'type': webhook or kafka
        url: https://x.example
        format: segment-track`],
  ['webhook without url', yaml`
    destinations:
      - id: crm  #<- a webhook destination needs 'url'
        type: webhook
        format: segment-track`],
  ['kafka without topic', yaml`
    destinations:
      - { id: crm, type: kafka, format: transition }  #<- a kafka destination needs 'topic'`],
  ['topic on a webhook', yaml`
    destinations:
      - id: crm
        type: webhook
        url: https://x.example
        topic: t  #<- 'topic' is not allowed in a webhook destination (only in kafka destination)
        format: segment-track`],
  ['webhook options on kafka', yaml`
    destinations:
      - id: crm
        type: kafka
        topic: t
        url: https://x.example  #<- 'url' is not allowed in a kafka destination
        batchSize: 10  #<- 'batchSize' is not allowed in a kafka destination
        format: transition`],
  ['unknown format', yaml`
    destinations:
      - id: crm
        type: webhook
        url: https://x.example
        format: segment-page  #<- format must be one of segment-track, segment-identify, transition`],
  ['missing format', yaml`
    destinations:
      - { id: crm, type: kafka, topic: t }  #<- a kafka destination needs 'format'`],
  ['numeric options', yaml`
    destinations:
      - id: crm
        type: webhook
        url: https://x.example
        format: segment-track
        batchSize: 0  #<- batchSize must be an integer above 0
        lingerMs: -1  #<- lingerMs must be an integer of at least 0
        timeoutMs: "5000"  #<- remove the quotes
        maxAttempts: 2.5  #<- maxAttempts must be an integer above 0
        concurrency: 0  #<- concurrency must be an integer above 0
        ratePerSecond: 0  #<- ratePerSecond must be a number above 0`],
  ['header values are strings', yaml`
    destinations:
      - id: crm
        type: webhook
        url: https://x.example
        format: segment-track
        headers:
          X-Count: 5  #<- X-Count must be a string, got 5 (quote it)`],
  ['secretEnv is an environment variable name', yaml`
    destinations:
      - id: crm
        type: webhook
        url: https://x.example
        format: segment-track
        secretEnv: crm-secret  #<- secretEnv must be an environment variable name`],
  ['url is http(s)', yaml`
    destinations:
      - id: crm
        type: webhook
        url: crm.example.com/hook  #<- url must be an http:// or https:// URL
        format: segment-track`],
  ['duplicate destination ids', yaml`
    destinations:
      - { id: crm, type: kafka, topic: a, format: transition }
      - { id: crm, type: kafka, topic: b, format: transition }  #<- duplicate destination id 'crm' (first at line 2)`],
  ['destination id not a slug', yaml`
    destinations:
      - { id: CRM, type: kafka, topic: a, format: transition }  #<- id must be a lowercase slug`],
  ['unknown key', yaml`
    destinations:
      - { id: crm, type: kafka, topic: a, format: transition, partitions: 3 }  #<- unknown key 'partitions' in a kafka destination`],
  ['unknown top-level key', yaml`
    destination:  #<- unknown key 'destination' in destinations.yaml (did you mean 'destinations'?)
      - { id: crm, type: kafka, topic: a, format: transition }`],
];

const audiences: [string, string][] = [
  ['audience without condition', yaml`
    audiences:
      - id: vip  #<- an audience needs 'condition'`],
  ['audience id not a slug', yaml`
    audiences:
      - { id: VIP, condition: { trait: vip, equals: true } }  #<- id must be a lowercase slug`],
  ['duplicate audience ids', yaml`
    audiences:
      - { id: vip, condition: { trait: vip, equals: true } }
      - { id: vip, condition: { trait: plan, equals: gold } }  #<- duplicate audience id 'vip' (first at line 2)`],
  ['unknown key in an audience', yaml`
    audiences:
      - { id: vip, name: VIP, condition: { trait: vip, equals: true } }  #<- unknown key 'name' in an audience`],
  ['context in an audience', yaml`
    audiences:
      - id: vip
        condition: { context: A.total, gt: 1 }  #<- context conditions are only allowed in split, branch and waitUntil steps, not in audience 'vip'`],
  ['an audience whose id is not a slug, or missing, still has its condition checked', yaml`
    audiences:
      - id: Vip  #<- id must be a lowercase slug
        condition: { context: A.total, gt: 1 }  #<- context conditions are only allowed in split, branch and waitUntil steps, not in the audience at line 2
      - condition:  #<- an audience needs 'id'
          trait: age
          gt: old  #<- gt must be a number`],
  ['an audience cycle', yaml`
    audiences:
      - id: a
        condition: { audience: b }
      - id: b
        condition: { any: [{ trait: x, exists: true }, { audience: a }] }  #<- audience cycle: a → b → a`],
  ['an audience that includes itself', yaml`
    audiences:
      - id: a
        condition: { not: { audience: a } }  #<- audience cycle: a → a`],
  ['invalid condition in an audience', yaml`
    audiences:
      - id: a
        condition: { performed: Order Completed, atLeast: 3, atMost: 1 }  #<- atLeast (3) is above atMost (1)`],
];

describe('destinations.yaml', () => {
  test.each(destinations)('%s', (_name, snippet) => checkFile('destinations.yaml', snippet));

  test('a URL scheme in capitals is a URL (schemes are case-insensitive, RFC 3986)', () => {
    const text = yaml`
      destinations:
        - { id: crm, type: webhook, url: "HTTPS://Crm.Example.COM/hook", format: segment-track }
        - { id: ads, type: webhook, url: "Http://127.0.0.1:9/x", format: transition }`;
    expect(validatePaths([topology({ 'destinations.yaml': text })])).toEqual([]);
  });
});

describe('audiences.yaml', () => {
  test.each(audiences)('%s', (_name, snippet) => checkFile('audiences.yaml', snippet));

  test('audiences may name other audiences and traits without a cycle', () => {
    const text = yaml`
      audiences:
        - { id: a, condition: { all: [{ audience: b }, { audience: c }] } }
        - { id: b, condition: { audience: c } }
        - { id: c, condition: { audience: some-trait } }`;
    expect(validatePaths([topology({ 'audiences.yaml': text })])).toEqual([]);
  });
});

/** `file:line: message`, the file relative to `dir`. */
function relative(dir: string, problems: Problem[]): string[] {
  return problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.message}`);
}

describe('across files', () => {
  test('journey ids are unique across files (both files are reported)', () => {
    const dir = topology({
      'b.journey.yaml': 'journey: same\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n',
      'a.journey.yaml': '# first\njourney: same\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n',
    });
    expect(validatePaths([dir])).toEqual([
      { file: join(dir, 'a.journey.yaml'), line: 2, message: `duplicate journey id 'same': ${join(dir, 'b.journey.yaml')}:1 has it too (journey ids are unique across files)` },
      { file: join(dir, 'b.journey.yaml'), line: 1, message: `duplicate journey id 'same': ${join(dir, 'a.journey.yaml')}:2 has it already (journey ids are unique across files)` },
    ]);
  });

  test('a journey that names an audience on a cycle, or an invalid one, or one that names such an audience, is reported at the reference too', () => {
    const dir = topology({
      'j.journey.yaml': 'journey: j\nentry:\n  event: A\n  when: { any: [{ audience: a }, { audience: ok }, { audience: via }] }\nexit:\n  condition: { audience: ctx }\nsteps: [{ id: a, wait: 1h }]\n',
      'audiences.yaml': 'audiences:\n  - { id: a, condition: { audience: b } }\n  - { id: b, condition: { audience: a } }\n  - { id: ok, condition: { audience: b } }\n  - { id: ctx, condition: { context: A.x, exists: true } }\n  - { id: via, condition: { not: { audience: ctx } } }\n',
    });
    expect(relative(dir, validatePaths([dir]))).toEqual([
      "audiences.yaml:3: audience cycle: a → b → a (an audience cannot include itself, directly or through others)",
      'audiences.yaml:5: context conditions are only allowed in split, branch and waitUntil steps, not in audience \'ctx\'',
      "j.journey.yaml:4: audience 'a' cannot be used: audiences.yaml:3 has a problem with it",
      "j.journey.yaml:4: audience 'ok' cannot be used: audiences.yaml:3 has a problem with it",
      "j.journey.yaml:4: audience 'via' cannot be used: audiences.yaml:5 has a problem with it",
      "j.journey.yaml:6: audience 'ctx' cannot be used: audiences.yaml:5 has a problem with it",
    ]);
  });

  test('a reference to a duplicated destination or audience id is reported at the reference too (which one is meant is unclear)', () => {
    const dir = topology({
      'j.journey.yaml': 'journey: j\nentry:\n  event: A\n  when: { audience: vip }\nsteps:\n  - { id: a, send: { to: [crm] } }\n',
      'destinations.yaml': 'destinations:\n  - { id: crm, type: kafka, topic: a, format: transition }\n  - { id: crm, type: kafka, topic: b, format: transition }\n',
      'audiences.yaml': 'audiences:\n  - { id: vip, condition: { trait: x, exists: true } }\n  - { id: vip, condition: { trait: y, exists: true } }\n',
    });
    expect(relative(dir, validatePaths([dir])).sort()).toEqual([
      "audiences.yaml:3: duplicate audience id 'vip' (first at line 2)",
      "destinations.yaml:3: duplicate destination id 'crm' (first at line 2)",
      "j.journey.yaml:4: audience 'vip' cannot be used: audiences.yaml:3 has a problem with it",
      "j.journey.yaml:6: destination 'crm' in send.to cannot be used: destinations.yaml:3 has a problem with it",
    ]);
  });

  test('a send to a destination whose entry does not parse (wrong type) is reported as unusable, not unknown', () => {
    const dir = topology({ 'j.journey.yaml': JOURNEY, 'destinations.yaml': 'destinations:\n  - { id: crm, type: webhok, url: "https://x.example", format: segment-track }\n' });
    expect(relative(dir, validatePaths([dir]))).toEqual([
      "destinations.yaml:2: type must be one of webhook, kafka, got 'webhok' (did you mean 'webhook'?)",
      "j.journey.yaml:4: destination 'crm' in send.to cannot be used: destinations.yaml:2 has a problem with it",
    ]);
  });

  test('a send to a destination that destinations.yaml gets wrong is reported at the send too', () => {
    const dir = topology({ 'j.journey.yaml': JOURNEY, 'destinations.yaml': 'destinations:\n  - { id: crm, type: kafka, format: transition }\n' });
    expect(relative(dir, validatePaths([dir]))).toEqual([
      "destinations.yaml:2: a kafka destination needs 'topic'",
      "j.journey.yaml:4: destination 'crm' in send.to cannot be used: destinations.yaml:2 has a problem with it",
    ]);
  });

  test('a send needs a destinations.yaml that defines its destination', () => {
    const dir = topology({ 'j.journey.yaml': JOURNEY });
    expect(validatePaths([dir])).toEqual([
      { file: join(dir, 'j.journey.yaml'), line: 4, message: `unknown destination 'crm' in send.to (there is no destinations.yaml in ${dir})` },
    ]);
  });

  test('an unreadable destinations.yaml is reported once, not again at every send', () => {
    const dir = topology({ 'j.journey.yaml': JOURNEY, 'destinations.yaml': 'destinations:\n  - { id: crm\n' });
    const problems = validatePaths([dir]);
    expect(problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}`)).toEqual(['destinations.yaml:2']); // the unclosed `{`'s line, not the empty line after it
    expect(problems[0]?.message).toMatch(/^YAML syntax error/);
  });

  test('an empty destinations.yaml defines no destination', () => {
    const dir = topology({ 'j.journey.yaml': JOURNEY, 'destinations.yaml': '' });
    expect(validatePaths([dir]).map((p) => p.message)).toEqual([expect.stringContaining("unknown destination 'crm' in send.to (destinations.yaml defines none)")]);
  });
});

describe('validatePaths', () => {
  test('the valid fixture folder has no problem', () => {
    expect(listing(validatePaths([join(FIXTURES, 'valid')]))).toBe('');
    expect(validateTopologies([join(FIXTURES, 'valid')])).toMatchObject({ journeys: 3, destinations: 3, audiences: 2 });
  });

  test("a lone journey file is checked against its folder's destinations.yaml and audiences.yaml", () => {
    const dir = topology({
      'j.journey.yaml': JOURNEY.replace('[crm]', '[crm, lake]'),
      'destinations.yaml': DESTINATIONS,
      'audiences.yaml': 'audiences:\n  - { id: a, condition: { audience: a } }\n',
      'other.journey.yaml': 'not: checked\n',
    });
    const problems = validatePaths([join(dir, 'j.journey.yaml')]);
    expect(problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}`)).toEqual(['audiences.yaml:2', 'j.journey.yaml:4']);
    expect(problems[0]?.message).toContain('audience cycle: a → a');
    expect(problems[1]?.message).toContain("unknown destination 'lake' in send.to");
  });

  test('lone journey files of one folder are checked together (duplicate ids)', () => {
    const text = 'journey: same\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n';
    const dir = topology({ 'a.journey.yaml': text, 'b.journey.yaml': text });
    expect(validatePaths([join(dir, 'b.journey.yaml'), join(dir, 'a.journey.yaml')]).map((p) => p.file)).toEqual([join(dir, 'a.journey.yaml'), join(dir, 'b.journey.yaml')]);
  });

  test('a path that does not exist, and a file that is not a definitions file', () => {
    const dir = topology({ 'notes.yaml': 'a: 1\n' });
    expect(validatePaths([join(dir, 'nope'), join(dir, 'notes.yaml')])).toEqual([
      { file: join(dir, 'nope'), line: 1, message: 'no such file or directory' },
      { file: join(dir, 'notes.yaml'), line: 1, message: 'not a definitions file: expected *.journey.yaml, destinations.yaml or audiences.yaml' },
    ]);
  });

  test('a folder and a file in it given together are checked once', () => {
    const dir = topology({ 'j.journey.yaml': 'journey: j\n' });
    expect(validatePaths([dir, join(dir, 'j.journey.yaml'), dir])).toHaveLength(1);
  });

  test('misnamed .yml definition files in a folder are reported; other files are ignored', () => {
    const dir = topology({ 'j.journey.yml': 'journey: j\n', 'README.md': '# hi\n', 'destinations.yml': '' });
    expect(validatePaths([dir])).toEqual([
      { file: join(dir, 'destinations.yml'), line: 1, message: 'not loaded: definition files end in .yaml (rename it to destinations.yaml)' },
      { file: join(dir, 'j.journey.yml'), line: 1, message: 'not loaded: definition files end in .yaml (rename it to j.journey.yaml)' },
    ]);
  });

  test('a journey in a YAML file not named *.journey.yaml is reported; other YAML files are ignored', () => {
    const dir = topology({
      'winback.yaml': '# the win-back flow\njourney: winback\nentry: { event: A }\n',
      'ci.yml': 'jobs:\n  journey: not top-level\n',
      'notes.yaml': 'a: 1\n',
    });
    expect(validatePaths([dir])).toEqual([
      { file: join(dir, 'winback.yaml'), line: 2, message: "not loaded: a journey file's name ends in .journey.yaml (rename it to winback.journey.yaml)" },
    ]);
  });

  test('an empty folder is valid', () => {
    expect(validateTopologies([topology({})])).toEqual({ problems: [], journeys: 0, destinations: 0, audiences: 0 });
  });

  test('problems come sorted by file and line, every problem of every file', () => {
    const dir = topology({
      'b.journey.yaml': 'journey: b\nentry: { event: A }\nsteps:\n  - { id: a, wait: 0s }\n  - { id: b, wait: 1x }\n',
      'a.journey.yaml': 'journey: A\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n',
    });
    expect(validatePaths([dir]).map((p) => `${p.file.slice(dir.length + 1)}:${p.line}`)).toEqual(['a.journey.yaml:1', 'b.journey.yaml:4', 'b.journey.yaml:5']);
  });
});

describe('loadDefinitions', () => {
  test('journeys in file-name byte order, destinations and audiences by id', () => {
    const defs = loadDefinitions(join(FIXTURES, 'valid'));
    expect(defs.journeys.map((j) => j.file.slice(join(FIXTURES, 'valid').length + 1))).toEqual([
      'B-welcome.journey.yaml',
      'cart-abandonment.journey.yaml',
      'repeat-buyer.journey.yaml',
    ]);
    expect([...defs.destinations.keys()]).toEqual(['crm', 'warehouse', 'email']);
    expect([...defs.audiences.keys()]).toEqual(['vip', 'shoppers']);
  });

  test('anything invalid: a JourneyError listing every problem, nothing loaded', () => {
    const dir = topology({
      'good.journey.yaml': 'journey: good\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n',
      'bad.journey.yaml': 'journey: bad\nentry: { event: A }\nsteps: [{ id: a, wait: 1h, next: b }]\n',
    });
    let error: unknown;
    try {
      loadDefinitions(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(JourneyError);
    const e = error as JourneyError;
    expect(e.code).toBe(ErrorCodes.INVALID_DEFINITIONS);
    expect(e.details.problems).toEqual(validatePaths([dir]));
    expect(e.details.problems).toEqual([{ file: join(dir, 'bad.journey.yaml'), line: 3, message: "unknown step 'b' in next" }]);
    expect(e.message).toContain(`${join(dir, 'bad.journey.yaml')}:3: unknown step 'b' in next`);
  });

  test('a folder that cannot be read', () => {
    const dir = topology({});
    expect(() => loadDefinitions(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_DEFINITIONS }) as Error);
  });

  test('only *.journey.yaml files are journeys', () => {
    const dir = topology({ 'a.journey.yaml': 'journey: a\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n', 'a.yaml': 'junk: [' });
    mkdirSync(join(dir, 'sub.journey.yaml'));
    writeFileSync(join(dir, 'sub.journey.yaml', 'x.journey.yaml'), 'junk: [');
    expect(loadDefinitions(dir).journeys.map((j) => j.id)).toEqual(['a']);
  });
});
