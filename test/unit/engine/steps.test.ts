// Step types (spec §4.2), forks and joins, and the random bucket rule (§4.5).
import { createHash } from 'node:crypto';
import { TestDriver } from '../../helpers/test-driver';

const T = (hhmm: string, day = '01'): string => `2026-03-${day}T${hhmm}:00.000Z`;

describe('waitFor', () => {
  const hold = (branches: string, extra = '') => `journey: j
entry:
  event: Start
${extra}
steps:
  - id: hold
    waitFor:
      events:
${branches}
      timeout: 2h
      onTimeout: late
  - id: next-one
    send: { to: [email] }
    next: end
  - id: late
    send: { to: [sms] }
`;

  test('the first matching event takes its branch at once (reason event); else the timeout (reason timeout)', () => {
    const d = TestDriver.fromYaml(hold('        - { event: Go, where: { n: { gt: 1 } } }'));
    d.track('u1', 'Start', T('10:00')).track('u2', 'Start', T('10:00'));
    d.track('u1', 'Go', T('10:10'), { n: 1 }).track('u1', 'Go', T('10:20'), { n: 2 }).advanceTo(T('13:00'));
    expect(d.lines((t) => t.userId === 'u1')).toEqual([
      `u1/j/1 null→hold entry ${T('10:00')}`,
      `u1/j/1 hold→next-one event ${T('10:20')}`,
      `u1/j/1 next-one→$complete end ${T('10:20')}`,
    ]);
    expect(d.transitions().find((t) => t.to === 'next-one')!.context).toEqual({ Start: {}, Go: { n: 2 } });
    expect(d.lines((t) => t.userId === 'u2')).toEqual([
      `u2/j/1 null→hold entry ${T('10:00')}`,
      `u2/j/1 hold→late timeout ${T('12:00')}`,
      `u2/j/1 late→$complete end ${T('12:00')}`,
    ]);
    expect(d.transitions().find((t) => t.to === 'late')!.cause).toBeNull();
  });

  test('a message at the very instant of the timeout comes after it', () => {
    const d = TestDriver.fromYaml(hold('        - { event: Go }'));
    d.track('u1', 'Start', T('10:00')).track('u1', 'Go', T('12:00'));
    expect(d.lines()).toEqual([
      `u1/j/1 null→hold entry ${T('10:00')}`,
      `u1/j/1 hold→late timeout ${T('12:00')}`,
      `u1/j/1 late→$complete end ${T('12:00')}`,
    ]);
  });

  test('restart loops back: one record per restart, the timer restarts, the context is replaced (alias)', () => {
    const d = TestDriver.fromYaml(hold('        - { event: Cart Modified, restart: true, alias: latest }\n        - { event: Buy }'));
    d.track('u1', 'Start', T('10:00'), { v: 0 })
      .track('u1', 'Cart Modified', T('11:00'), { v: 1 })
      .track('u1', 'Cart Modified', T('12:30'), { v: 2 })
      .advanceTo(T('16:00'));
    expect(d.lines()).toEqual([
      `u1/j/1 null→hold entry ${T('10:00')}`,
      `u1/j/1 hold→hold restart ${T('11:00')}`,
      `u1/j/1 hold→hold restart ${T('12:30')}`,
      `u1/j/1 hold→late timeout ${T('14:30')}`,
      `u1/j/1 late→$complete end ${T('14:30')}`,
    ]);
    expect(d.transitions()[2]!.context).toEqual({ Start: { v: 0 }, latest: { v: 2 } });
  });

  test('at most 100 restarts per visit; later restart matches are dropped, not offered to other branches', () => {
    const d = TestDriver.fromYaml(hold('        - { event: Tick, where: { n: { exists: true } }, restart: true }\n        - { event: Tick, where: { last: true } }'));
    d.track('u1', 'Start', '2026-03-01T00:00:00Z');
    for (let i = 1; i <= 101; i++) d.track('u1', 'Tick', new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(), { n: i, last: i === 101 });
    const restarts = d.transitions().filter((t) => t.reason === 'restart');
    expect(restarts).toHaveLength(100);
    expect(d.transitions().filter((t) => t.reason === 'event')).toHaveLength(0);
    // The 101st Tick was dropped, so the context still holds the 100th.
    expect(restarts.at(-1)!.context.Tick).toEqual({ n: 100, last: false });
  });

  test('sameKey (default with a key): only the instance whose key matches', () => {
    const d = TestDriver.fromYaml(hold('        - { event: Go }', '  key: app'));
    d.track('u1', 'Start', T('10:00'), { app: 1 }).track('u1', 'Start', T('10:01'), { app: 2 }).track('u1', 'Go', T('10:30'), { app: 2 });
    expect(d.lines((t) => t.reason === 'event')).toEqual([`u1/j/2 hold→next-one event ${T('10:30')}`]);
  });

  test('a waitFor branch to end closes the instance with $complete (reason end)', () => {
    const d = TestDriver.fromYaml(hold('        - { event: Go, next: end }\n        - { event: Other }'));
    d.track('u1', 'Start', T('10:00')).track('u1', 'Go', T('10:30'));
    expect(d.lines()).toEqual([`u1/j/1 null→hold entry ${T('10:00')}`, `u1/j/1 hold→$complete end ${T('10:30')}`]);
  });

  test('a path the message moves on is not offered it again', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Start
steps:
  - id: one
    waitFor: { events: [{ event: Go }], timeout: 1h }
  - id: two
    waitFor: { events: [{ event: Go }], timeout: 1h }
`);
    d.track('u1', 'Start', T('10:00')).track('u1', 'Go', T('10:10'));
    expect(d.lines()).toEqual([`u1/j/1 null→one entry ${T('10:00')}`, `u1/j/1 one→two event ${T('10:10')}`]);
  });

  test('the trigger message is not offered to the new instance', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Go
steps:
  - id: one
    waitFor: { events: [{ event: Go }], timeout: 1h }
`);
    d.track('u1', 'Go', T('10:00'));
    expect(d.lines()).toEqual([`u1/j/1 null→one entry ${T('10:00')}`]);
  });
});

describe('wait, waitUntil, split, send', () => {
  test('wait continues after the duration with reason wait; send carries the named traits the user has', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Start
steps:
  - id: pause
    wait: 30m
  - id: hello
    send: { to: [email, sms], traits: [name, age] }
`);
    d.identify('u1', T('09:00'), { name: 'Ann', nested: { a: 1 } }).track('u1', 'Start', T('10:00')).advanceTo(T('11:00'));
    expect(d.lines()).toEqual([
      `u1/j/1 null→pause entry ${T('10:00')}`,
      `u1/j/1 pause→hello wait ${T('10:30')}`,
      `u1/j/1 hello→$complete end ${T('10:30')}`,
    ]);
    expect(d.transitions()[1]!.send).toEqual({ to: ['email', 'sms'], event: 'hello', traits: { name: 'Ann' } });
  });

  test('waitUntil: passes at once when true; else continues when a message makes it true; else times out', () => {
    const y = `journey: j
entry:
  event: Start
steps:
  - id: until-paid
    waitUntil: { condition: { trait: plan, equals: paid }, timeout: 1d, onTimeout: end }
  - id: done
    send: { to: [email] }
`;
    const d = TestDriver.fromYaml(y);
    d.identify('a', T('09:00'), { plan: 'paid' }).track('a', 'Start', T('10:00'));
    d.track('b', 'Start', T('10:00')).track('c', 'Start', T('10:00'));
    d.identify('b', T('11:00'), { plan: 'paid' }).advanceTo('2026-03-03T00:00:00Z');
    expect(d.lines((t) => t.userId === 'a').map((l) => l.split(' ')[1] + ' ' + l.split(' ')[2])).toEqual([
      'null→until-paid entry', 'until-paid→done condition', 'done→$complete end',
    ]);
    expect(d.lines((t) => t.userId === 'b')[1]).toBe(`b/j/1 until-paid→done condition ${T('11:00')}`);
    expect(d.lines((t) => t.userId === 'c')[1]).toBe('c/j/1 until-paid→$complete end 2026-03-02T10:00:00.000Z');
  });

  test('waitUntil: a condition made true by time at the instant of the timeout wins', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Start
steps:
  - id: quiet
    waitUntil: { condition: { performed: Ping, exactly: 0, within: 1h }, timeout: 1h, onTimeout: loud }
  - id: calm
    send: { to: [email] }
    next: end
  - id: loud
    send: { to: [sms] }
`);
    d.track('u1', 'Ping', T('10:00')).track('u1', 'Start', T('10:00')).advanceTo(T('12:00'));
    expect(d.lines()).toEqual([
      `u1/j/1 null→quiet entry ${T('10:00')}`,
      `u1/j/1 quiet→calm condition ${T('11:00')}`,
      `u1/j/1 calm→$complete end ${T('11:00')}`,
    ]);
  });

  test('waitUntil: that condition goes on where time-made conditions are re-evaluated, after the timers of the instant (§3)', () => {
    // Two forked paths, both due at 11:00: the waitUntil's timeout (scheduled first) and a wait. The wait fires
    // as a timer; the waitUntil, whose condition time made true, goes on in the re-evaluation after it.
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Start
steps:
  - id: fork
    branch:
      branches:
        - { when: { trait: a, equals: 1 }, next: quiet }
        - { when: { trait: a, equals: 1 }, next: pause }
  - id: quiet
    waitUntil: { condition: { performed: Start, exactly: 0, within: 1h }, timeout: 1h, onTimeout: end }
  - id: calm
    send: { to: [email] }
    next: end
  - id: pause
    wait: 1h
  - id: later
    send: { to: [sms] }
`);
    d.identify('u1', T('10:00'), { a: 1 }).track('u1', 'Start', T('10:00')).advanceTo(T('12:00'));
    expect(d.lines()).toEqual([
      `u1/j/1 null→fork entry ${T('10:00')}`,
      `u1/j/1 fork→quiet branch ${T('10:00')}`,
      `u1/j/1 fork→pause branch ${T('10:00')}`,
      `u1/j/1 pause→later wait ${T('11:00')}`,
      `u1/j/1 later→$end end ${T('11:00')}`,
      `u1/j/1 quiet→calm condition ${T('11:00')}`,
      `u1/j/1 calm→$complete end ${T('11:00')}`,
    ]);
  });

  test('waitUntil: at that tie an exit.condition made true by time exits first, as it would without the timeout (§4.2)', () => {
    const y = (timeout: string) => `journey: j
entry:
  event: Start
exit:
  condition: { performed: Ping, exactly: 0, within: 1h }
steps:
  - id: quiet
    waitUntil: { condition: { performed: Ping, exactly: 0, within: 1h }${timeout} }
  - id: calm
    send: { to: [email] }
`;
    for (const timeout of ['', ', timeout: 1h']) {
      const d = TestDriver.fromYaml(y(timeout));
      d.track('u1', 'Ping', T('10:00')).track('u1', 'Start', T('10:00')).advanceTo(T('12:00'));
      expect(d.lines()).toEqual([`u1/j/1 null→quiet entry ${T('10:00')}`, `u1/j/1 quiet→$exit exit-condition ${T('11:00')}`]);
    }
  });

  test('split: first matching branch in order, else the else step (default end)', () => {
    const y = (elseLine: string, other = '  - id: other\n    send: { to: [email] }\n') => `journey: j
entry:
  event: Start
steps:
  - id: route
    split:
      branches:
        - { when: { context: Start.total, gt: 100 }, next: big }
        - { when: { trait: vip, equals: true }, next: vip }
${elseLine}
  - id: big
    send: { to: [email] }
    next: end
  - id: vip
    send: { to: [email] }
    next: end
${other}`;
    const d = TestDriver.fromYaml(y('      else: other'));
    d.identify('v', T('09:00'), { vip: true });
    d.track('v', 'Start', T('10:00'), { total: 500 }).track('w', 'Start', T('10:00'), { total: 5 });
    d.identify('x', T('09:00'), { vip: true }).track('x', 'Start', T('10:00'), { total: 5 });
    expect(d.transitions().filter((t) => t.reason === 'split').map((t) => `${t.userId}:${t.to}`)).toEqual(['v:big', 'w:other', 'x:vip']);
    const e = TestDriver.fromYaml(y('', ''));
    e.track('w', 'Start', T('10:00'), { total: 5 });
    expect(e.lines()).toEqual([`w/j/1 null→route entry ${T('10:00')}`, `w/j/1 route→$complete end ${T('10:00')}`]);
  });
  test('waitUntil: a condition made true at its timeout by another path\'s context change, not by time, times out', () => {
    // The forked path at `hold` takes X (context `got`) at 10:10; the path at `quiet` sees that context from the
    // next message or flip on (§3). None comes before its timeout at 11:00: time made nothing true there, so the
    // timeout wins, and `still` (no timeout) keeps waiting until the message at 11:30.
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Start
steps:
  - id: fork
    branch:
      branches:
        - { when: { performed: Start }, next: quiet }
        - { when: { performed: Start }, next: still }
        - { when: { performed: Start }, next: hold }
  - id: quiet
    waitUntil: { condition: { context: got.v, equals: 1 }, timeout: 1h, onTimeout: loud }
    next: end
  - id: still
    waitUntil: { condition: { context: got.v, equals: 1 } }
    next: end
  - id: hold
    waitFor: { events: [{ event: X, alias: got, next: end }], timeout: 1d }
  - id: loud
    send: { to: [sms] }
`);
    d.track('u1', 'Start', T('10:00')).track('u1', 'X', T('10:10'), { v: 1 }).advanceTo(T('11:15'));
    d.track('u1', 'Other', T('11:30'));
    expect(d.lines()).toEqual([
      `u1/j/1 null→fork entry ${T('10:00')}`,
      `u1/j/1 fork→quiet branch ${T('10:00')}`,
      `u1/j/1 fork→still branch ${T('10:00')}`,
      `u1/j/1 fork→hold branch ${T('10:00')}`,
      `u1/j/1 hold→$end end ${T('10:10')}`,
      `u1/j/1 quiet→loud timeout ${T('11:00')}`,
      `u1/j/1 loud→$end end ${T('11:00')}`,
      `u1/j/1 still→$complete end ${T('11:30')}`,
    ]);
  });
});

describe('branch: forks and joins', () => {
  const multi = `journey: multi
entry:
  event: Start
steps:
  - id: fork
    branch:
      branches:
        - { when: { trait: email_opt_in, equals: true }, next: email }
        - { when: { trait: sms_opt_in, equals: true }, next: sms }
  - id: email
    send: { to: [email] }
    next: follow-up
  - id: sms
    send: { to: [sms] }
    next: follow-up
  - id: follow-up
    wait: 1d
`;

  test('both branches true: each forked path is followed depth first; the waiting path takes the last; a join ends the later arrival', () => {
    const d = TestDriver.fromYaml(multi);
    d.identify('u1', T('09:00'), { email_opt_in: true, sms_opt_in: true }).track('u1', 'Start', T('10:00')).advanceTo(T('12:00', '03'));
    expect(d.lines()).toEqual([
      `u1/multi/1 null→fork entry ${T('10:00')}`,
      `u1/multi/1 fork→email branch ${T('10:00')}`,
      `u1/multi/1 email→follow-up next ${T('10:00')}`,
      `u1/multi/1 fork→sms branch ${T('10:00')}`,
      `u1/multi/1 sms→$end end ${T('10:00')}`,
      `u1/multi/1 follow-up→$complete end ${T('10:00', '02')}`,
    ]);
  });

  test('a branch that becomes true later is taken then; while a branch is untaken the path waits (live)', () => {
    const d = TestDriver.fromYaml(multi);
    d.identify('u1', T('09:00'), { email_opt_in: true }).track('u1', 'Start', T('10:00'));
    d.advanceTo(T('12:00', '02')); // the forked path reached follow-up and ended after 1d: $end, since the waiting path lives
    d.identify('u1', T('13:00', '02'), { sms_opt_in: true });
    expect(d.lines()).toEqual([
      `u1/multi/1 null→fork entry ${T('10:00')}`,
      `u1/multi/1 fork→email branch ${T('10:00')}`,
      `u1/multi/1 email→follow-up next ${T('10:00')}`,
      `u1/multi/1 follow-up→$end end ${T('10:00', '02')}`,
      `u1/multi/1 fork→sms branch ${T('13:00', '02')}`,
      `u1/multi/1 sms→$complete end ${T('13:00', '02')}`,
    ]);
  });

  test("a path waiting at a branch sees another path's context change from the next flip on, another journey's too", () => {
    // The waiting path's branch reads Visit, which the forked path's waitFor adds: not seen at that message (§3),
    // then seen at 10:30, when the other journey's window (watched: it may yet hold) loses that Visit. Without that flip, the path waits on.
    const journeys = {
      'a.journey.yaml': `journey: a
entry: { event: Cart Modified }
steps:
  - id: fork
    branch:
      branches:
        - { when: { not: { trait: plan, equals: paid } }, next: wait-visit }
        - { when: { context: Visit.total, gt: 50 }, next: wait-visit }
  - id: wait-visit
    waitFor: { events: [{ event: Visit, next: end }], timeout: 30m, onTimeout: end }
`,
      'b.journey.yaml': 'journey: b\nentry: { condition: { performed: Visit, within: 30m, atLeast: 2 } }\nsteps:\n  - { id: hello, wait: 1h }\n',
    };
    const run = (files: Record<string, string>): string[] => {
      const d = TestDriver.fromYaml(files);
      d.track('u1', 'Cart Modified', T('10:00'), { total: 0 }).track('u1', 'Visit', T('10:00'), { total: 51 }).advanceTo(T('12:00'));
      return d.lines().filter((l) => l.startsWith('u1/a/'));
    };
    const first = [`u1/a/1 null→fork entry ${T('10:00')}`, `u1/a/1 fork→wait-visit branch ${T('10:00')}`, `u1/a/1 wait-visit→$end end ${T('10:00')}`];
    expect(run(journeys)).toEqual([...first, `u1/a/1 fork→$complete end ${T('10:30')}`]);
    expect(run({ 'a.journey.yaml': journeys['a.journey.yaml'] })).toEqual(first);
  });

  test('no branch true: the path waits at the step, giving no record', () => {
    const d = TestDriver.fromYaml(multi);
    d.track('u1', 'Start', T('10:00')).advanceTo(T('10:00', '09'));
    expect(d.lines()).toEqual([`u1/multi/1 null→fork entry ${T('10:00')}`]);
    expect(d.state('u1')!.journeys.multi!.instances).toHaveLength(1);
  });
});

describe('random', () => {
  const bucket = (s: string) => createHash('sha256').update(s).digest().readUInt32BE(0) % 100;
  const y = (sticky: boolean) => `journey: ab
entry:
  event: Start
steps:
  - id: pick
    random:
      sticky: ${sticky}
      branches:
        - { percent: 40, next: a }
        - { percent: 40, next: b }
        - { percent: 20, next: control }
  - id: a
    send: { to: [email] }
    next: end
  - id: b
    send: { to: [sms] }
    next: end
  - id: control
    wait: 1s
`;
  const expected = (n: number) => (n < 40 ? 'a' : n < 80 ? 'b' : 'control');

  test('the bucket rule picks the branch: SHA-256 of "<journey>:<step>:<userId>", consecutive ranges', () => {
    const d = TestDriver.fromYaml(y(true));
    const users = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    for (const u of users) d.track(u, 'Start', T('10:00'));
    const chosen = new Map(d.transitions().filter((t) => t.reason === 'random').map((t) => [t.userId, t.to]));
    for (const u of users) expect(chosen.get(u)).toBe(expected(bucket(`ab:pick:${u}`)));
    expect(new Set(chosen.values()).size).toBe(3);
  });

  test('sticky: false adds the entrySeq', () => {
    const d = TestDriver.fromYaml(y(false));
    d.track('u7', 'Start', T('10:00')).track('u7', 'Start', T('11:00'));
    const picks = d.transitions().filter((t) => t.reason === 'random').map((t) => t.to);
    expect(picks).toEqual([expected(bucket('ab:pick:u7:1')), expected(bucket('ab:pick:u7:2'))]);
  });
});
