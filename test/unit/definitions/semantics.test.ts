// Rules across keys and steps (spec §4.1-§4.3, §4.7): references, the step graph, waitFor overlaps,
// entry and re-entry, sameKey, context placement, performed counts and windows, random percents,
// destinations. Each snippet marks the offending line with `#<- part of message`.
import { validatePaths } from '../../../src/definitions';
import { DESTINATIONS, byLine, found, markers, topology, yaml } from './helpers';

function check(snippet: string): void {
  const dir = topology({ 'j.journey.yaml': snippet, 'destinations.yaml': DESTINATIONS });
  expect(found(validatePaths([dir]), 'j.journey.yaml', snippet)).toEqual(markers(snippet).sort(byLine));
}

const invalid: [string, string][] = [
  // --- step references
  ['unknown step in a step next', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 1h, next: nudg }  #<- unknown step 'nudg' in next (did you mean 'nudge'?)
      - { id: nudge, send: { to: [crm] } }`],
  ['unknown step in a waitFor onTimeout', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: hold
        waitFor:
          events: [{ event: B, next: end }]
          timeout: 2h
          onTimeout: nudg  #<- unknown step 'nudg' in onTimeout
      - { id: nudge, send: { to: [crm] } }`],
  ['unknown step in a waitFor event next', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: hold
        waitFor:
          events: [{ event: B, next: missing }]  #<- unknown step 'missing' in next
          timeout: 2h`],
  ['unknown step in a waitUntil onTimeout', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitUntil:
          condition: { trait: x, exists: true }
          timeout: 1h
          onTimeout: nowhere  #<- unknown step 'nowhere' in onTimeout
    `],
  ['unknown step in a split else', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        split:
          branches: [{ when: { trait: x, exists: true }, next: end }]
          else: nowhere  #<- unknown step 'nowhere' in else
    `],
  ['unknown step in a split branch', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        split:
          branches:
            - when: { trait: x, exists: true }
              next: nowhere  #<- unknown step 'nowhere' in next
    `],
  ['unknown step in a branch branch', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        branch:
          branches:
            - { when: { trait: x, exists: true }, next: nowhere }  #<- unknown step 'nowhere' in next
    `],
  ['unknown step in a random branch', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches:
            - { percent: 50, next: end }
            - { percent: 50, next: nowhere }  #<- unknown step 'nowhere' in next
    `],
  ['end as a step id', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 1h }
      - { id: end, wait: 1h }  #<- 'end' is reserved`],
  ['duplicate step ids', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 1h }
      - { id: a, wait: 2h }  #<- duplicate step id 'a' (first at line 4)`],
  ['migrate to a step this file lacks', yaml`
    journey: j
    version: 2
    migrate:
      old: gone  #<- migrate maps 'old' to 'gone', which is not a step of this file
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],

  // --- the step graph
  ['a cycle through next', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 1h }
      - { id: b, wait: 1h, next: a }  #<- cycle in the step graph: a → b → a`],
  ['a step that names itself', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 1h, next: a }  #<- cycle in the step graph: a → a`],
  ['a cycle through onTimeout', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor:
          events: [{ event: B, next: end }]
          timeout: 1h
      - id: b
        waitFor:
          events: [{ event: C, next: end }]
          timeout: 1h
          onTimeout: a  #<- cycle in the step graph: a → b → a
    `],
  ['a cycle through a split branch', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, send: { to: [crm] } }
      - id: b
        split:
          branches:
            - when: { trait: x, exists: true }
              next: a  #<- cycle in the step graph: a → b → a
    `],
  ['a step after next: end is unreachable', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 1h, next: end }
      - { id: b, wait: 1h }  #<- step 'b' is unreachable
      - { id: c, wait: 1h }  #<- step 'c' is unreachable`],
  ['a step skipped by a split with the default else is unreachable', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: route
        split:
          branches: [{ when: { trait: vip, equals: true }, next: vip }]
      - id: other  #<- step 'other' is unreachable
        send: { to: [crm] }
      - id: vip
        send: { to: [crm] }`],
  ['a waitUntil without timeout has no timeout successor', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitUntil: { condition: { trait: x, exists: true } }
        next: c
      - { id: b, wait: 1h }  #<- step 'b' is unreachable
      - { id: c, wait: 1h }`],
  ['a restart is not a successor', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor:
          events: [{ event: Tick, restart: true }, { event: Done, next: c }]
          timeout: 1h
          onTimeout: c
      - { id: b, wait: 1h }  #<- step 'b' is unreachable
      - { id: c, wait: 1h }`],

  // --- waitFor
  ['overlapping waitFor events without filters', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: hold
        waitFor:
          events:
            - { event: Clicked, next: a }
            - { event: Clicked, next: b }  #<- waitFor events overlap: 'Clicked' is also at line 7
          timeout: 1h
      - { id: a, send: { to: [crm] }, next: end }
      - { id: b, send: { to: [crm] } }`],
  ['overlapping waitFor events, one filtered', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: hold
        waitFor:
          events:
            - { event: Clicked, where: { button: buy } }
            - { event: Clicked }  #<- waitFor events overlap
          timeout: 1h`],
  ['overlapping waitFor events with the same filter in another order', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: hold
        waitFor:
          events:
            - { event: Clicked, where: { button: buy, page: { equals: home } } }
            - { event: Clicked, where: { page: home, button: { equals: buy } } }  #<- their where filters are the same
          timeout: 1h`],
  ['restart with next', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: hold
        waitFor:
          events:
            - event: Tick
              restart: true
              next: end  #<- a restart: true event cannot have next
          timeout: 1h`],
  ['sameKey on a waitFor event without entry.key', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: hold
        waitFor:
          events: [{ event: B, sameKey: true }]  #<- sameKey needs an instance key: this journey has no entry.key
          timeout: 1h`],
  ['sameKey on an exit rule without entry.key', yaml`
    journey: j
    entry: { event: A }
    exit:
      events:
        - event: B
          sameKey: false  #<- sameKey needs an instance key
    steps: [{ id: a, wait: 1h }]`],
  ['sameKey in a condition-entry journey', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
    exit:
      events:
        - { event: B, sameKey: true }  #<- sameKey needs an instance key
    steps: [{ id: a, wait: 1h }]`],

  // --- entry and re-entry
  ['reentryAfter without reentry', yaml`
    journey: j
    entry:
      event: A
      reentryAfter: 1d  #<- reentryAfter needs reentry: after-exit
    steps: [{ id: a, wait: 1h }]`],
  ['reentryAfter with reentry: once', yaml`
    journey: j
    entry:
      event: A
      reentry: once
      reentryAfter: 1d  #<- reentryAfter needs reentry: after-exit
    steps: [{ id: a, wait: 1h }]`],
  ['reentryAfter on a condition entry without after-exit', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
      reentryAfter: 1d  #<- reentryAfter needs reentry: after-exit
    exit: { after: 1d }
    steps: [{ id: a, wait: 1h }]`],
  ['after-exit on a condition entry without exit.after', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
      reentry: after-exit  #<- reentry: after-exit on a condition entry needs both exit.after and reentryAfter (missing exit.after)
      reentryAfter: 1d
    steps: [{ id: a, wait: 1h }]`],
  ['after-exit on a condition entry without reentryAfter', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
      reentry: after-exit  #<- (missing reentryAfter)
    exit: { after: 7d }
    steps: [{ id: a, wait: 1h }]`],
  ['after-exit on a condition entry with reentryAfter out of range (present, so not also reported missing)', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
      reentry: after-exit
      reentryAfter: 0s  #<- reentryAfter '0s' is out of range: use from 1s to 365d
    exit: { after: 7d }
    steps: [{ id: a, wait: 1h }]`],
  ['after-exit on a condition entry without either', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
      reentry: after-exit  #<- (missing exit.after and reentryAfter)
    steps: [{ id: a, wait: 1h }]`],

  // --- context leaves
  ['context in entry.when', yaml`
    journey: j
    entry:
      event: A
      when: { context: A.total, gt: 1 }  #<- context conditions are only allowed in split, branch and waitUntil steps, not in entry.when
    steps: [{ id: a, wait: 1h }]`],
  ['context deep inside entry.when', yaml`
    journey: j
    entry:
      event: A
      when:
        all:
          - { trait: x, exists: true }
          - not:
              context: A.total  #<- not in entry.when
              gt: 1
    steps: [{ id: a, wait: 1h }]`],
  ['context in entry.condition', yaml`
    journey: j
    entry:
      condition: { context: A.total, gt: 1 }  #<- not in entry.condition
    steps: [{ id: a, wait: 1h }]`],
  ['context in exit.condition', yaml`
    journey: j
    entry: { event: A }
    exit:
      condition: { any: [{ context: A.total, gt: 1 }] }  #<- not in exit.condition
    steps: [{ id: a, wait: 1h }]`],

  // --- performed leaves
  ['atLeast above atMost', yaml`
    journey: j
    entry:
      event: A
      when: { performed: B, atLeast: 5, atMost: 2 }  #<- atLeast (5) is above atMost (2)
    steps: [{ id: a, wait: 1h }]`],
  ['a count in a window above 50,000', yaml`
    journey: j
    entry:
      event: A
      when: { all: [{ performed: B, atLeast: 50001, within: 1d }, { performed: B, atLeast: 50001 }] }  #<- atLeast (50001) is above 50000, the largest count in a window
    steps: [{ id: a, wait: 1h }]`],
  ['between with D1 below D2', yaml`
    journey: j
    entry:
      event: A
      when: { performed: B, between: [7d, 14d] }  #<- between: [7d, 14d] needs D1 above D2
    steps: [{ id: a, wait: 1h }]`],
  ['between with D1 equal to D2', yaml`
    journey: j
    entry:
      event: A
      when: { performed: B, between: [24h, 1d] }  #<- needs D1 above D2
    steps: [{ id: a, wait: 1h }]`],

  // --- random
  ['random percents summing below 100', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches:  #<- random percents sum to 90: they must sum to 100
            - { percent: 40, next: end }
            - { percent: 50, next: end }
    `],
  ['random percents summing above 100', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches: [{ percent: 60, next: end }, { percent: 60, next: end }]  #<- random percents sum to 120
    `],

  // --- destinations
  ['unknown destination in a send step', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        send: { to: [crm, crn] }  #<- unknown destination 'crn' in send.to (did you mean 'crm'?) (destinations.yaml defines crm, warehouse)
    `],
  ['unknown destination in the exit send', yaml`
    journey: j
    entry: { event: A }
    exit:
      send:
        to:
          - warehouse
          - lake  #<- unknown destination 'lake' in send.to
    steps: [{ id: a, wait: 1h }]`],
  ['a destination named twice in one send (duplicate ids)', yaml`
    journey: j
    entry: { event: A }
    exit: { send: { to: [warehouse, warehouse] } }  #<- destination 'warehouse' is named twice in send.to
    steps:
      - id: a
        send: { to: [crm, warehouse] }
      - id: b
        send:
          to:
            - crm
            - crm  #<- destination 'crm' is named twice in send.to
    `],
];

const valid: [string, string][] = [
  // Spec §4.2: `end` is valid wherever a step id is expected, so a migrated step may end its path.
  ['migrate to end', yaml`
    journey: j
    version: 2
    migrate: { old: end, older: a }
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['a next may name an earlier step when no cycle forms', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        split:
          branches: [{ when: { trait: x, exists: true }, next: c }]
          else: b
      - { id: b, wait: 1h, next: d }
      - { id: c, wait: 1h, next: b }
      - { id: d, send: { to: [crm] } }`],
  ['the same event twice with different filters', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: hold
        waitFor:
          events:
            - { event: Clicked, where: { button: buy } }
            - { event: Clicked, where: { button: { equals: later } } }
          timeout: 1h`],
  ['restart: false with next', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: hold
        waitFor:
          events: [{ event: Tick, restart: false, next: end }]
          timeout: 1h`],
  ['sameKey with entry.key', yaml`
    journey: j
    entry: { event: A, key: cart_id }
    exit: { events: [{ event: B, sameKey: false }] }
    steps:
      - id: hold
        waitFor: { events: [{ event: C, sameKey: true }], timeout: 1h }`],
  ['an unknown audience is a boolean trait', yaml`
    journey: j
    entry: { event: A, when: { audience: not-defined-anywhere } }
    steps: [{ id: a, wait: 1h }]`],
  ['after-exit on an event entry, with or without reentryAfter', yaml`
    journey: j
    entry: { event: A, reentry: after-exit, reentryAfter: 1d }
    steps: [{ id: a, wait: 1h }]`],
  ['context in split, branch and waitUntil', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: s
        split: { branches: [{ when: { context: A.total, gt: 1 }, next: b }] , else: b }
      - id: b
        branch: { branches: [{ when: { not: { context: A.x, exists: true } }, next: u }] }
      - id: u
        waitUntil: { condition: { all: [{ context: A.y, equals: 1 }] } }`],
];

describe('semantic rules', () => {
  test.each(invalid)('%s', (_name, snippet) => check(snippet));
  test.each(valid)('valid: %s', (_name, snippet) => check(snippet));
});
