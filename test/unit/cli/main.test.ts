// The `journeys` command line (the built CLI: bin/journeys.js → dist/, built by `npm test` first): help for
// every command, argument errors without a stack trace, and `simulate --until` with or without a zone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const BIN = join(__dirname, '..', '..', '..', 'bin', 'journeys.js');

function journeys(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('journeys <command> --help', () => {
  test.each(['validate', 'simulate', 'topics', 'process', 'replay', 'sink', 'dlq', 'dev'])('%s --help prints its usage, exit 0', (name) => {
    for (const flag of ['--help', '-h']) {
      const r = journeys(name, flag);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^usage: journeys ${name}\\b`));
    }
  });

  test.each(['topics', 'dlq'])('%s: no subcommand prints the usage, exit 2; an unknown one is named, exit 2; help, exit 0', (name) => {
    const bare = journeys(name);
    expect({ status: bare.status, stderr: bare.stderr }).toEqual({ status: 2, stderr: '' });
    expect(bare.stdout).toMatch(new RegExp(`^usage: journeys ${name}\\b`));
    const unknown = journeys(name, 'frob');
    expect({ status: unknown.status, stdout: unknown.stdout }).toEqual({ status: 2, stdout: '' });
    expect(unknown.stderr).toMatch(new RegExp(`^journeys ${name}: unknown subcommand 'frob'\nusage: journeys ${name}\\b`));
    expect(journeys(name, 'help')).toMatchObject({ status: 0, stderr: '' });
  });

  test('an unknown option is named, with the usage, exit 2, no stack trace', () => {
    const r = journeys('simulate', '--events', '-', '--bogus');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^journeys simulate: Unknown option '--bogus'/);
    expect(r.stderr).toContain('usage: journeys simulate');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('invalid journey files: every command that loads them prints exactly validate\'s file:line: reason lines and exits 2 before any connection', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journeys-invalid-'));
    try {
      writeFileSync(join(dir, 'x.journey.yaml'), 'journey: x\nentry: { event: Go }\nsteps:\n  - { id: a, wait: 1d }\n  - { id: b, wait: 0s }\n  - { id: c, wait: 0s }\n');
      const validate = journeys('validate', dir);
      const file = join(dir, 'x.journey.yaml');
      expect(validate.stderr).toMatch(new RegExp(`^${file}:5: [^\n]+\n${file}:6: [^\n]+\n$`));
      // Nothing listens on port 1: a command that tried to connect first would fail otherwise.
      const unreachable = ['--bootstrap', '127.0.0.1:1', '--registry', 'http://127.0.0.1:1'];
      for (const command of [['process'], ['topics', 'create', '--partitions', '1'], ['replay', '--from', 'earliest'], ['sink'], ['dlq', 'replay'], ['simulate', '--events', '/dev/null']]) {
        const r = journeys(...command, '--topologies', dir, ...(command[0] === 'simulate' ? [] : unreachable));
        expect({ command, status: r.status, stderr: r.stderr }).toEqual({ command, status: 2, stderr: validate.stderr });
      }
      // A missing folder, too.
      const missing = join(dir, 'none');
      expect(journeys('simulate', '--topologies', missing, '--events', '/dev/null')).toEqual({ status: 2, stdout: '', stderr: journeys('validate', missing).stderr });
      expect(journeys('validate', missing).stderr).toBe(`${missing}:1: no such file or directory\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sink and dlq replay: a secret not set is reported (exit 2) before Kafka is looked for, also where none is configured', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journeys-secret-'));
    try {
      writeFileSync(join(dir, 'destinations.yaml'), 'destinations:\n  - id: crm\n    type: webhook\n    url: http://127.0.0.1:1/\n    format: transition\n    secretEnv: MAIN_TEST_UNSET_SECRET\n');
      // No state file (JOURNEYS_INFRA_STATE names one that is not there), no KAFKA_BOOTSTRAP: no Kafka to talk to.
      const env = {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !['KAFKA_BOOTSTRAP', 'SCHEMA_REGISTRY_URL', 'MAIN_TEST_UNSET_SECRET'].includes(k))),
        JOURNEYS_INFRA_STATE: join(dir, 'none.json'),
      };
      for (const command of [['sink'], ['dlq', 'replay']]) {
        const r = spawnSync(process.execPath, [BIN, ...command, '--topologies', dir], { encoding: 'utf8', timeout: 30_000, cwd: dir, env });
        expect({ command, status: r.status }).toEqual({ command, status: 2 });
        expect(r.stderr).toContain(`${join(dir, 'destinations.yaml')}:6: destination 'crm': environment variable MAIN_TEST_UNSET_SECRET is not set`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('after --, --help is an argument (here a path), not a request for help', () => {
    const r = journeys('validate', '--', '--help');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--help:1: no such file or directory');
  });
});

describe('journeys simulate --until', () => {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-until-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'w.journey.yaml'), 'journey: w\nentry: { event: Go }\nsteps:\n  - { id: pause, wait: 1d }\n');
  const events = join(dir, 'events.jsonl');
  writeFileSync(events, `${JSON.stringify({ type: 'track', userId: 'u1', event: 'Go', messageId: 'm1', timestamp: '2026-01-01T10:00:00Z' })}\n`);
  const steps = (until: string): string[] => {
    const r = journeys('simulate', '--topologies', dir, '--events', events, '--until', until);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    return r.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { to: string }).to);
  };

  test('a time without a zone is UTC, as one with Z', () => {
    expect(steps('2026-01-02T10:00:00')).toEqual(['pause', '$complete']);
    expect(steps('2026-01-02T09:59:59.999')).toEqual(['pause']);
    expect(steps('2026-01-02T10:00:00Z')).toEqual(['pause', '$complete']);
    expect(steps('2026-01-02T11:00:00+01:00')).toEqual(['pause', '$complete']);
  });

  test('a plain date is its midnight, UTC', () => {
    expect(steps('2026-01-02')).toEqual(['pause']);
    expect(steps('2026-01-03')).toEqual(['pause', '$complete']);
  });

  test('anything else is refused, exit 1', () => {
    const r = journeys('simulate', '--topologies', dir, '--events', events, '--until', 'tomorrow');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--until tomorrow is not an ISO-8601 date or time');
  });

  test('an events file that does not exist, or a directory, is a usage error, exit 1', () => {
    const missing = journeys('simulate', '--topologies', dir, '--events', `${events}.nope`);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`--events ${events}.nope does not exist`);
    const folder = journeys('simulate', '--topologies', dir, '--events', dir);
    expect(folder.status).toBe(1);
    expect(folder.stderr).toContain(`--events ${dir} is not a file`);
  });
});

describe('journeys simulate --max-instances', () => {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-limit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'k.journey.yaml'), 'journey: k\nentry: { event: Go, key: n }\nsteps:\n  - { id: pause, wait: 1d }\n');
  const events = join(dir, 'events.jsonl');
  writeFileSync(events, [1, 2, 3].map((n) => JSON.stringify({ type: 'track', userId: 'u1', event: 'Go', messageId: `m${n}`, timestamp: `2026-01-01T10:0${n}:00Z`, properties: { n } })).join('\n'));

  test('an entry over the limit is refused and logged on stderr (spec §4.1), exit 0', () => {
    const r = journeys('simulate', '--topologies', dir, '--events', events, '--max-instances', '2');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { instance: string }).instance)).toEqual(['u1/k/1', 'u1/k/2']);
    expect(r.stderr).toBe('1 entry refused over the per-user instance limit (--max-instances 2)\n');
    const all = journeys('simulate', '--topologies', dir, '--events', events);
    expect({ lines: all.stdout.trim().split('\n').length, stderr: all.stderr }).toEqual({ lines: 3, stderr: '' });
  });
});

describe('journeys simulate: input lines it skips', () => {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-skip-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'k.journey.yaml'), 'journey: k\nentry: { event: Go, key: n }\nsteps:\n  - { id: pause, wait: 1d }\n');
  const go = (n: number, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ type: 'track', userId: 'u1', event: 'Go', messageId: `m${n}`, timestamp: `2026-01-01T10:0${n}:00Z`, properties: { n, ...extra } });
  // 262,144 bytes is the processor's limit (a larger record goes to the dead-letter topic).
  const pad = (line: string, bytes: number): string => go(2, { pad: 'x'.repeat(bytes - line.length) });
  const atLimit = pad(go(2, { pad: '' }), 256 * 1024);
  const events = join(dir, 'events.jsonl');
  writeFileSync(events, [go(1), 'not json', atLimit, atLimit.replace('"m2"', '"m3"').replace('"n":2', '"n":3').replace('x"', 'xx"')].join('\n'));

  test('not JSON and over 256 KiB: each skipped with its line and reason on stderr, the rest processed, exit 0', () => {
    expect(Buffer.byteLength(atLimit)).toBe(256 * 1024);
    const r = journeys('simulate', '--topologies', dir, '--events', events);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { instance: string }).instance)).toEqual(['u1/k/1', 'u1/k/2']);
    expect(r.stderr).toBe('line 2: not valid JSON, skipped\nline 4: message of 262145 bytes is over the 262144-byte limit, skipped\n');
  });
});

describe('journeys simulate: how it reads its input and writes its output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-io-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'k.journey.yaml'), 'journey: k\nentry: { event: Go, key: n }\nsteps:\n  - { id: pause, wait: 1d }\n');
  const go = (n: number, note = ''): string =>
    JSON.stringify({ type: 'track', userId: 'u1', event: 'Go', messageId: `m${n}`, timestamp: `2026-01-01T10:0${n}:00Z`, properties: { n, note } });
  const instances = (stdout: string): string[] => stdout.trim().split('\n').map((line) => (JSON.parse(line) as { instance: string }).instance);

  test('lines end at LF only: a bare CR inside a message (JSON whitespace) keeps it whole and the line numbers right; a BOM is not part of line 1', () => {
    const events = join(dir, 'cr.jsonl');
    writeFileSync(events, `\uFEFF${go(1).replace(',', ',\r')}\r\n${go(2)}\nBAD\n`);
    const r = journeys('simulate', '--topologies', dir, '--events', events);
    expect(r.stderr).toBe('line 3: not valid JSON, skipped\n');
    expect(instances(r.stdout)).toEqual(['u1/k/1', 'u1/k/2']);
  });

  test('a line that is not UTF-8 is skipped with its number; multi-byte characters across read chunks stay whole', () => {
    const events = join(dir, 'utf8.jsonl');
    const latin1 = Buffer.concat([Buffer.from(go(5, 'caf').slice(0, -2)), Buffer.from([0xe9]), Buffer.from('"}}')]);
    // Eight lines of 20 KB span three 64 KiB chunks of the file stream, so some characters straddle two chunks.
    const note = 'é日本'.repeat(2_500);
    const others = [1, 2, 3, 4, 6, 7, 8, 9].map((n) => Buffer.from(`${go(n, note)}\n`));
    writeFileSync(events, Buffer.concat([...others.slice(0, 4), latin1, Buffer.from('\n'), ...others.slice(4)]));
    const r = journeys('simulate', '--topologies', dir, '--events', events);
    expect(r.stderr).toBe('line 5: not valid UTF-8, skipped\n');
    expect(instances(r.stdout)).toEqual(['u1/k/1', 'u1/k/2', 'u1/k/3', 'u1/k/4', 'u1/k/5', 'u1/k/6', 'u1/k/7', 'u1/k/8']);
    const notes = r.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { context: { Go: { note: string } } }).context.Go.note);
    expect(notes.every((n) => n === note)).toBe(true);
  });

  test('U+2028, U+2029 and U+0085 in a record are written escaped: one record, one line, for any line reader', () => {
    const events = join(dir, 'ls.jsonl');
    writeFileSync(events, `${go(1, 'a\u2028b\u2029c\u0085d')}\n`);
    const r = journeys('simulate', '--topologies', dir, '--events', events);
    expect(r.stdout).not.toMatch(/[\u2028\u2029\u0085]/);
    expect(r.stdout.split(/\r?\n|\r|\u2028|\u2029|\u0085/).filter((l) => l !== '')).toHaveLength(1);
    expect((JSON.parse(r.stdout) as { context: { Go: { note: string } } }).context.Go.note).toBe('a\u2028b\u2029c\u0085d');
  });

  test('--events may be a pipe (a process substitution here); a reader closing the output early ends it quietly, exit 0', () => {
    const many = join(dir, 'many.jsonl');
    writeFileSync(many, Array.from({ length: 9 }, (_, i) => go(i + 1)).join('\n'));
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" simulate --topologies "${dir}" --events <(cat "${many}")`], { encoding: 'utf8', timeout: 30_000 });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(instances(r.stdout)).toHaveLength(9);
    const piped = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" simulate --topologies "${dir}" --events "${many}" --until 2026-03-01T00:00:00Z | head -c 10 > /dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8', timeout: 30_000 });
    expect([piped.stdout.trim(), piped.stderr]).toEqual(['0', '']);
  });
});

describe('journeys validate: a file and its folder given together', () => {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-dup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.journey.yaml'), 'journey: same\nentry: { event: Go }\nsteps:\n  - { id: pause, wait: 1d }\n');
  writeFileSync(join(dir, 'b.journey.yaml'), 'journey: same\nentry: { event: Go }\nsteps:\n  - { id: pause, wait: 1d }\n');
  writeFileSync(join(dir, 'destinations.yaml'), 'destinations:\n  - { id: crm, type: webhook, url: "https://x", format: segment-track, bogus: 1 }\n');

  test('are one set: the duplicate journey id is found, the destinations problem said once, whatever the order', () => {
    for (const args of [[join(dir, 'a.journey.yaml'), dir], [dir, join(dir, 'a.journey.yaml')]]) {
      const r = journeys('validate', ...args);
      expect(r.status).toBe(2);
      const duplicates = r.stderr.split('\n').filter((l) => l.includes("duplicate journey id 'same'"));
      expect(duplicates.map((l) => basename(l.slice(0, l.indexOf(':'))))).toEqual(['a.journey.yaml', 'b.journey.yaml']);
      expect(r.stderr.split('\n').filter((l) => l.includes("unknown key 'bogus'"))).toHaveLength(1);
    }
  });
});
