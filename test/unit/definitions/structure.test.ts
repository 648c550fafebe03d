// Structural rules of spec §4.7: unknown keys, key types, required keys, exactly-one type keys, operators,
// durations, ids, list sizes, YAML itself. Each snippet marks the offending line with `#<- part of message`
// and must produce exactly those problems.
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadDefinitions, validatePaths } from '../../../src/definitions';
import { DESTINATIONS, byLine, found, markers, topology, yaml } from './helpers';

function check(snippet: string): void {
  const dir = topology({ 'j.journey.yaml': snippet, 'destinations.yaml': DESTINATIONS });
  expect(found(validatePaths([dir]), 'j.journey.yaml', snippet)).toEqual(markers(snippet).sort(byLine));
}

const steps = (n: number): string => Array.from({ length: n }, (_, i) => `  - { id: s${i}, wait: 1h }`).join('\n');
const events = (n: number): string => Array.from({ length: n }, (_, i) => `        - { event: E${i} }`).join('\n');
const whenBranches = (n: number): string => Array.from({ length: n }, (_, i) => `        - { when: { trait: t${i}, exists: true }, next: end }`).join('\n');

const cases: [string, string][] = [
  // --- journey keys
  ['unknown top-level key', yaml`
    journey: j
    titel: x  #<- unknown key 'titel' in a journey file (allowed: journey, name,
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['missing journey, entry and steps', yaml`
    name: Nameless  #<- a journey file needs 'journey' and 'entry' and 'steps'`],
  ['missing entry', yaml`
    journey: j  #<- needs 'entry'
    steps: [{ id: a, wait: 1h }]`],
  ['no steps', yaml`
    journey: j
    entry: { event: A }
    steps: []  #<- a journey needs at least one step`],
  ['steps not a list', yaml`
    journey: j
    entry: { event: A }
    steps: { id: a, wait: 1h }  #<- steps must be a list`],
  ['more than 200 steps', `journey: j\nentry: { event: A }\nsteps:  #<- more than 200 steps (201)\n${steps(201)}\n`],
  ['journey id not a slug', yaml`
    journey: Cart_Abandonment  #<- journey must be a lowercase slug
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['journey id with a doubled hyphen', yaml`
    journey: cart--abandonment  #<- lowercase slug
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['journey id with a trailing hyphen', yaml`
    journey: cart-  #<- lowercase slug
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['version zero', yaml`
    journey: j
    version: 0  #<- version must be an integer above 0
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['version not an integer', yaml`
    journey: j
    version: 1.5  #<- version must be an integer above 0
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['version quoted', yaml`
    journey: j
    version: "2"  #<- remove the quotes
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['keys named like members of every JavaScript object are unknown keys, not a crash', yaml`
    journey: j
    constructor: 1  #<- unknown key 'constructor' in a journey file
    entry:
      event: A
      toString: x  #<- unknown key 'toString' in an event entry
      where: { a: { valueOf: 1 } }  #<- unknown operator 'valueOf' in where value 'a'
    steps:
      - { id: a, wait: 1h, hasOwnProperty: 2 }  #<- unknown key 'hasOwnProperty'
      - id: b
        split: { branches: [{ when: { trait: t, __proto__: 1 }, next: end }] }  #<- unknown key '__proto__'`],
  ['unknown status', yaml`
    journey: j
    status: active  #<- status must be one of draft, live, paused, archived
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['name not a string', yaml`
    journey: j
    name: 42  #<- name must be a string, got 42 (quote it)
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['migrate key not a slug', yaml`
    journey: j
    version: 2
    migrate:
      Old_Step: a  #<- lowercase slug
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],

  // --- entry
  ['entry with both event and condition', yaml`
    journey: j
    entry:
      event: A
      condition: { trait: x, exists: true }  #<- entry needs exactly one of event or condition (found event and condition
    steps: [{ id: a, wait: 1h }]`],
  ['entry with neither event nor condition', yaml`
    journey: j
    entry:  #<- entry needs exactly one of event or condition
      reentry: once
    steps: [{ id: a, wait: 1h }]`],
  ['unknown key in entry', yaml`
    journey: j
    entry:
      event: A
      wher: { x: 1 }  #<- unknown key 'wher' in an event entry (did you mean 'where'?)
    steps: [{ id: a, wait: 1h }]`],
  ['where on a condition entry', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
      where: { x: 1 }  #<- 'where' is not allowed in a condition entry (only in event entry)
    steps: [{ id: a, wait: 1h }]`],
  ['when on a condition entry', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
      when: { trait: y, exists: true }  #<- 'when' is not allowed in a condition entry
    steps: [{ id: a, wait: 1h }]`],
  ['key on a condition entry', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
      key: cart_id  #<- 'key' is not allowed in a condition entry
    steps: [{ id: a, wait: 1h }]`],
  ['historical on an event entry', yaml`
    journey: j
    entry:
      event: A
      historical: true  #<- 'historical' is not allowed in an event entry (only in condition entry)
    steps: [{ id: a, wait: 1h }]`],
  ['reentry: always on a condition entry', yaml`
    journey: j
    entry:
      condition: { trait: x, exists: true }
      reentry: always  #<- use once or after-exit
    steps: [{ id: a, wait: 1h }]`],
  ['unknown reentry', yaml`
    journey: j
    entry:
      event: A
      reentry: never  #<- reentry must be one of always, once, after-exit
    steps: [{ id: a, wait: 1h }]`],
  ['entry key not a property path', yaml`
    journey: j
    entry:
      event: A
      key: cart..id  #<- key must be a property path
    steps: [{ id: a, wait: 1h }]`],
  ['entry event not a string', yaml`
    journey: j
    entry:
      event: [A, B]  #<- event must be a non-empty string, got a list
    steps: [{ id: a, wait: 1h }]`],

  // --- exit
  ['unknown key in exit', yaml`
    journey: j
    entry: { event: A }
    exit:
      afterr: 1d  #<- unknown key 'afterr' in exit (did you mean 'after'?)
    steps: [{ id: a, wait: 1h }]`],
  ['exit event without event', yaml`
    journey: j
    entry: { event: A }
    exit:
      events:
        - where: { x: 1 }  #<- an exit event needs 'event'
    steps: [{ id: a, wait: 1h }]`],
  ['unknown key in exit send', yaml`
    journey: j
    entry: { event: A }
    exit:
      send: { to: [crm], channel: email }  #<- unknown key 'channel' in send
    steps: [{ id: a, wait: 1h }]`],

  // --- steps
  ['step with two type keys', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        wait: 1h
        send: { to: [crm] }  #<- step 'a' needs exactly one of wait, waitFor, waitUntil, split, branch, random or send (found wait and send
    `],
  ['step with no type key', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a  #<- step 'a' needs exactly one of wait, waitFor
        next: end`],
  ['step with a misspelt type key', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a  #<- did you mean 'waitFor'?
        waitfor: { events: [{ event: B }], timeout: 1h }`],
  ['step with two letters of its type key swapped', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a  #<- (found 'wiat': did you mean 'wait'?)
        wiat: 1h`],
  ['step with an unknown key where its type key should be', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a  #<- step 'a' needs exactly one of wait, waitFor, waitUntil, split, branch, random or send (found none; unknown key 'delay')
        delay: 1d`],
  ['entry of both kinds: one problem, not also one for each sameKey', yaml`
    journey: j
    entry:
      event: A
      condition: { trait: x, exists: true }  #<- entry needs exactly one of event or condition (found event and condition: keep one)
      key: cart_id
    exit:
      events: [{ event: B, sameKey: true }]
    steps: [{ id: a, wait: 1h }]`],
  ['step without id', yaml`
    journey: j
    entry: { event: A }
    steps:
      - wait: 1h  #<- a wait step needs 'id'`],
  ['step id not a slug', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: Send Email  #<- id must be a lowercase slug (letters a-z, digits and single inner hyphens), got 'Send Email' (e.g. 'send-email')
        send: { to: [crm] }`],
  ['step-level next on split', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        split: { branches: [{ when: { trait: x, exists: true }, next: end }] }
        next: end  #<- 'next' is not allowed in a split step (only in wait step, waitUntil step, send step)
    `],
  ['step-level next on waitFor', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor: { events: [{ event: B }], timeout: 1h }
        next: end  #<- 'next' is not allowed in a waitFor step`],
  ['step-level next on random', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random: { branches: [{ percent: 50, next: end }, { percent: 50, next: end }] }
        next: end  #<- 'next' is not allowed in a random step`],
  ['step-level next on branch', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        branch: { branches: [{ when: { trait: x, exists: true }, next: end }] }
        next: end  #<- 'next' is not allowed in a branch step`],
  ['waitFor without timeout', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor:  #<- waitFor needs 'timeout'
          events: [{ event: B }]`],
  ['waitFor without events', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor:  #<- waitFor needs 'events'
          timeout: 1h`],
  ['waitFor event without event', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor:
          events:
            - { next: end }  #<- a waitFor event needs 'event'
          timeout: 1h`],
  ['unknown key in a waitFor event', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor:
          events:
            - { event: B, onTimeout: end }  #<- unknown key 'onTimeout' in a waitFor event
          timeout: 1h`],
  ['restart not a boolean (YAML 1.2; spec: only true and false are booleans, not True or FALSE)', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor:
          events:
            - { event: B, restart: yes }  #<- restart must be true or false, got 'yes' (YAML 1.2: only true and false are booleans)
            - { event: C, restart: True }  #<- restart must be true or false, got 'True' (YAML 1.2: only true and false are booleans)
            - { event: D, restart: FALSE }  #<- restart must be true or false, got 'FALSE' (YAML 1.2: only true and false are booleans)
          timeout: 1h`],
  ['alias not a string', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor:
          events:
            - { event: B, alias: 5 }  #<- alias must be a non-empty string
          timeout: 1h`],
  ['more than 20 waitFor events', `journey: j\nentry: { event: A }\nsteps:\n  - id: a\n    waitFor:\n      events:  #<- more than 20 waitFor events in one step (21)\n${events(21)}\n      timeout: 1h\n`],
  ['more than 20 split branches', `journey: j\nentry: { event: A }\nsteps:\n  - id: a\n    split:\n      branches:  #<- more than 20 branches in one step (21)\n${whenBranches(21)}\n`],
  ['more than 20 branch branches', `journey: j\nentry: { event: A }\nsteps:\n  - id: a\n    branch:\n      branches:  #<- more than 20 branches in one step (21)\n${whenBranches(21)}\n`],
  ['more than 20 random branches', `journey: j\nentry: { event: A }\nsteps:\n  - id: a\n    random:\n      branches:  #<- more than 20 branches in one step (21)\n${Array.from({ length: 21 }, (_, i) => `        - { percent: ${i < 20 ? 4 : 20}, next: end }`).join('\n')}\n`],
  ['waitUntil onTimeout without timeout', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitUntil:
          condition: { trait: x, exists: true }
          onTimeout: end  #<- 'onTimeout' needs 'timeout'
    `],
  ['waitUntil without condition', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitUntil:  #<- waitUntil needs 'condition'
          timeout: 1h`],
  ['split branch without next', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        split:
          branches:
            - when: { trait: x, exists: true }  #<- a branch needs 'next'
    `],
  ['branch branch without when', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        branch:
          branches:
            - next: end  #<- a branch needs 'when'
    `],
  ['else on a branch step', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        branch:
          branches: [{ when: { trait: x, exists: true }, next: end }]
          else: end  #<- unknown key 'else' in branch
    `],
  ['random percent zero', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches:
            - { percent: 0, next: end }  #<- percent must be an integer from 1 to 99
            - { percent: 100, next: end }  #<- percent must be an integer from 1 to 99
    `],
  ['random percent not an integer', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches:
            - { percent: 50.5, next: end }  #<- percent must be an integer from 1 to 99
            - { percent: 49.5, next: end }  #<- percent must be an integer from 1 to 99
    `],
  ['random percents written as floats (YAML 1.2 core: 50.0 and 5e1 are !!float, not integers)', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches:
            - { percent: 50.0, next: end }  #<- percent must be an integer from 1 to 99, got 50.0 (a float)
            - { percent: 5e1, next: end }  #<- percent must be an integer from 1 to 99, got 50.0 (a float)
    `],
  ['random percents in the other integer forms of the core schema (0x32, 0o62) are integers', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches:
            - { percent: 0x32, next: end }
            - { percent: 0o62, next: end }
    `],
  ['random with one branch', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches: [{ percent: 99, next: end }]  #<- random needs at least 2 branches
    `],
  ['random branch without percent', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches:
            - { next: end }  #<- a random branch needs 'percent'
            - { percent: 50, next: end }
    `],
  ['sticky not a boolean', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        random:
          branches: [{ percent: 50, next: end }, { percent: 50, next: end }]
          sticky: "true"  #<- sticky must be true or false
    `],
  ['send.to not a list', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        send: { to: crm }  #<- to must be a list (write [crm])
    `],
  ['send.to empty', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        send: { to: [] }  #<- send.to needs at least one destination id
    `],
  ['send without to', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        send: { event: Hello }  #<- send needs 'to'
    `],
  ['send traits not a list', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        send: { to: [crm], traits: plan }  #<- traits must be a list
    `],

  // --- durations
  ['duration with a fraction', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 2.5h }  #<- wait must be a duration like 30s, 15m, 2h, 7d or 2w (an integer and one unit), got '2.5h'
    `],
  ['duration without a unit', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 90 }  #<- got 90 (add a unit, e.g. 90s)
    `],
  ['duration with an unknown unit', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 1y }  #<- wait must be a duration
    `],
  ['duration with a space', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 1 h }  #<- wait must be a duration
    `],
  ['wait below 1s', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 0s }  #<- wait '0s' is out of range: use from 1s to 365d
    `],
  ['wait above 365d', yaml`
    journey: j
    entry: { event: A }
    steps:
      - { id: a, wait: 366d }  #<- out of range: use from 1s to 365d
    `],
  ['waitFor timeout above 365d', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitFor:
          events: [{ event: B }]
          timeout: 53w  #<- timeout '53w' is out of range: use from 1s to 365d
    `],
  ['waitUntil timeout below 1s', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitUntil:
          condition: { trait: x, exists: true }
          timeout: 0m  #<- out of range: use from 1s to 365d
    `],
  ['exit.after above 365d', yaml`
    journey: j
    entry: { event: A }
    exit:
      after: 8761h  #<- after '8761h' is out of range: use from 1s to 365d
    steps: [{ id: a, wait: 1h }]`],
  ['reentryAfter above 365d', yaml`
    journey: j
    entry:
      event: A
      reentry: after-exit
      reentryAfter: 400d  #<- out of range: use from 1s to 365d
    steps: [{ id: a, wait: 1h }]`],
  ['within above 1095d', yaml`
    journey: j
    entry:
      event: A
      when: { performed: B, within: 1096d }  #<- within '1096d' is out of range: use from 1s to 1095d
    steps: [{ id: a, wait: 1h }]`],
  ['between bound above 1095d', yaml`
    journey: j
    entry:
      event: A
      when: { performed: B, between: [157w, 1d] }  #<- out of range: use from 1s to 1095d
    steps: [{ id: a, wait: 1h }]`],
  ['withinLast above 1095d', yaml`
    journey: j
    entry:
      event: A
      when: { trait: signup, withinLast: 1096d }  #<- withinLast '1096d' is out of range: use from 1s to 1095d
    steps: [{ id: a, wait: 1h }]`],
  ['withinNext below 1s', yaml`
    journey: j
    entry:
      event: A
      where: { due: { withinNext: 0s } }  #<- withinNext '0s' is out of range
    steps: [{ id: a, wait: 1h }]`],

  // --- conditions
  ['condition with two kinds', yaml`
    journey: j
    entry:
      event: A
      when: { trait: plan, equals: pro, audience: vip }  #<- a condition needs exactly one of all, any, not, performed, trait, audience or context (found trait and audience
    steps: [{ id: a, wait: 1h }]`],
  ['condition with no kind', yaml`
    journey: j
    entry:
      event: A
      when: { performd: Order Completed }  #<- did you mean 'performed'?
    steps: [{ id: a, wait: 1h }]`],
  ['condition not a mapping', yaml`
    journey: j
    entry:
      event: A
      when: vip  #<- when must be a mapping (a condition) with one of all, any
    steps: [{ id: a, wait: 1h }]`],
  ['all with an empty list', yaml`
    journey: j
    entry:
      event: A
      when: { all: [] }  #<- all needs at least 1 item
    steps: [{ id: a, wait: 1h }]`],
  ['not with a list', yaml`
    journey: j
    entry:
      event: A
      when: { not: [{ audience: vip }] }  #<- not must be a mapping (a condition)
    steps: [{ id: a, wait: 1h }]`],
  ['trait leaf without an operator', yaml`
    journey: j
    entry:
      event: A
      when: { trait: plan }  #<- a trait condition needs at least one operator
    steps: [{ id: a, wait: 1h }]`],
  ['context leaf without an operator', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        waitUntil:
          condition: { context: A.total }  #<- a context condition needs at least one operator
    `],
  ['unknown operator in a trait leaf', yaml`
    journey: j
    entry:
      event: A
      when: { trait: age, greaterThan: 18 }  #<- unknown key 'greaterThan' in a trait condition
    steps: [{ id: a, wait: 1h }]`],
  ['audience leaf with an operator', yaml`
    journey: j
    entry:
      event: A
      when: { audience: vip, equals: true }  #<- 'equals' is not allowed in an audience condition
    steps: [{ id: a, wait: 1h }]`],
  ['within with between', yaml`
    journey: j
    entry:
      event: A
      when:
        performed: B
        within: 7d
        between: [14d, 7d]  #<- 'within' and 'between' cannot be used together
    steps: [{ id: a, wait: 1h }]`],
  ['exactly with atLeast', yaml`
    journey: j
    entry:
      event: A
      when:
        performed: B
        atLeast: 1
        exactly: 2  #<- 'exactly' and 'atLeast' cannot be used together
    steps: [{ id: a, wait: 1h }]`],
  ['exactly with atMost', yaml`
    journey: j
    entry:
      event: A
      when:
        performed: B
        exactly: 2
        atMost: 3  #<- 'exactly' and 'atMost' cannot be used together
    steps: [{ id: a, wait: 1h }]`],
  ['negative count', yaml`
    journey: j
    entry:
      event: A
      when: { performed: B, atLeast: -1 }  #<- atLeast must be an integer of at least 0
    steps: [{ id: a, wait: 1h }]`],
  ['between with one duration', yaml`
    journey: j
    entry:
      event: A
      when: { performed: B, between: [7d] }  #<- between needs two durations [D1, D2]
    steps: [{ id: a, wait: 1h }]`],
  ['performed leaf with a trait key', yaml`
    journey: j
    entry:
      event: A
      when: { performed: B, trait: plan }  #<- found performed and trait
    steps: [{ id: a, wait: 1h }]`],

  // --- where values and operator arguments
  ['where value with no operator', yaml`
    journey: j
    entry:
      event: A
      where: { total: {} }  #<- a where value needs at least one operator
    steps: [{ id: a, wait: 1h }]`],
  ['where value null', yaml`
    journey: j
    entry:
      event: A
      where: { total: null }  #<- where value 'total' is empty
    steps: [{ id: a, wait: 1h }]`],
  ['where value a bare list', yaml`
    journey: j
    entry:
      event: A
      where: { plan: [a, b] }  #<- to match one of several values write { in: [...] }
    steps: [{ id: a, wait: 1h }]`],
  ['unknown operator in a where value', yaml`
    journey: j
    entry:
      event: A
      where: { product: { sku: A1 } }  #<- unknown operator 'sku' in where value 'product' (operators: equals
    steps: [{ id: a, wait: 1h }]`],
  ['gt with a string', yaml`
    journey: j
    entry:
      event: A
      where: { total: { gt: "10" } }  #<- gt must be a number, got '10' (remove the quotes)
    steps: [{ id: a, wait: 1h }]`],
  ['lte with a list', yaml`
    journey: j
    entry:
      event: A
      when: { trait: age, lte: [1] }  #<- lte must be a number
    steps: [{ id: a, wait: 1h }]`],
  ['in with a scalar', yaml`
    journey: j
    entry:
      event: A
      where: { plan: { in: pro } }  #<- in must be a list (write [pro])
    steps: [{ id: a, wait: 1h }]`],
  ['between with one duration, not a list: no suggestion of [7d], which is too short too', yaml`
    journey: j
    entry:
      condition: { performed: A, between: 7d }  #<- between must be a list, got
    steps: [{ id: a, wait: 1h }]`],
  ['notIn with a mapping', yaml`
    journey: j
    entry:
      event: A
      where: { plan: { notIn: { a: 1 } } }  #<- notIn must be a list
    steps: [{ id: a, wait: 1h }]`],
  ['startsWith with a number', yaml`
    journey: j
    entry:
      event: A
      where: { sku: { startsWith: 5 } }  #<- startsWith must be a string
    steps: [{ id: a, wait: 1h }]`],
  ['endsWith with a boolean', yaml`
    journey: j
    entry:
      event: A
      where: { sku: { endsWith: true } }  #<- endsWith must be a string
    steps: [{ id: a, wait: 1h }]`],
  ['exists with a string', yaml`
    journey: j
    entry:
      event: A
      where: { cart_id: { exists: "yes" } }  #<- exists must be true or false
    steps: [{ id: a, wait: 1h }]`],
  ['before with a non-date', yaml`
    journey: j
    entry:
      event: A
      when: { trait: renewal, before: tomorrow }  #<- before must be an ISO date like 2026-01-31
    steps: [{ id: a, wait: 1h }]`],
  ['after with an impossible date', yaml`
    journey: j
    entry:
      event: A
      when: { trait: renewal, after: 2026-02-30 }  #<- after must be an ISO date
    steps: [{ id: a, wait: 1h }]`],
  ['withinLast with a number', yaml`
    journey: j
    entry:
      event: A
      when: { trait: signup, withinLast: 7 }  #<- withinLast must be a duration
    steps: [{ id: a, wait: 1h }]`],
  ['equals null', yaml`
    journey: j
    entry:
      event: A
      when: { trait: plan, equals: null }  #<- equals needs a value
    steps: [{ id: a, wait: 1h }]`],
  ['where property path with an empty segment', yaml`
    journey: j
    entry:
      event: A
      where: { product..sku: A1 }  #<- must be a property path
    steps: [{ id: a, wait: 1h }]`],

  // --- YAML itself
  ['duplicate key', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        wait: 1h
        wait: 2h  #<- duplicate key 'wait' (first at line 5)
    `],
  ['a duplicate key does not hide the file\'s other problems', yaml`
    journey: j
    name: A
    name: B  #<- duplicate key 'name' (first at line 2)
    entry: { event: A }
    steps:
      - id: a
        wait: 400d  #<- wait '400d' is out of range`],
  ['a duplicate key leaves the step graph unchecked (what the second one said is not known)', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        split:
          branches: [{ when: { trait: x, exists: true }, next: b }]
          branches: [{ when: { trait: x, exists: true }, next: c }]  #<- duplicate key 'branches' (first at line 6)
          else: end
      - { id: b, wait: 1h, next: end }
      - { id: c, wait: 1h }`],
  ['an unresolved tag is reported, and the rest is checked', yaml`
    journey: j
    name: !foo x  #<- YAML: Unresolved tag: !foo
    entry: { event: A }
    steps: [{ id: a, wait: 400d }]  #<- wait '400d' is out of range`],
  ['an unclosed quote is reported where it opens, not past the end', yaml`
    journey: j
    name: 'Cart  #<- YAML syntax error: Missing closing
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]
    `],
  ['an alias inside its own anchor is reported once', yaml`
    journey: j
    entry: { event: A }
    description: &d [*d, *d]  #<- YAML nested too deeply
    steps: [{ id: a, wait: 1h }]`],
  ['every unsupported value is reported', yaml`
    journey: j
    name: !!timestamp 2026-01-01  #<- unsupported value (tag tag:yaml.org,2002:timestamp)
    description: !!binary aGVsbG8=  #<- unsupported value (tag tag:yaml.org,2002:binary)
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]`],
  ['a merge key is named, not silently left out', yaml`
    journey: j
    entry: { event: A }
    exit:
      <<: { after: 1d }  #<- merge keys (<<) are not part of YAML 1.2
    steps: [{ id: a, wait: 1h }]`],
  ['YAML syntax error', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
       wait: 1h  #<- YAML syntax error
    `],
  ['an unclosed flow sequence at the end of the file is reported on its last written line', yaml`
    journey: j
    entry: { event: A }
    steps:
      - id: a
        wait: [1h  #<- YAML syntax error
    `],
  ['two YAML documents', yaml`
    journey: j
    entry: { event: A }
    steps: [{ id: a, wait: 1h }]
    ---  #<- only one YAML document per file
    journey: k`],
  ['a list at the top', yaml`
    - journey: j  #<- the file must be a mapping (a journey file)
    `],
  ['a tag that is not JSON', yaml`
    journey: j
    entry:
      event: A
      when: { trait: signup, after: !!timestamp 2026-01-01 }  #<- unsupported value (tag tag:yaml.org,2002:timestamp)
    steps: [{ id: a, wait: 1h }]`],
  ['an unknown alias', yaml`
    journey: j
    entry: { event: *evt }  #<- unknown alias *evt
    steps: [{ id: a, wait: 1h }]`],
];

describe('structural rules', () => {
  test.each(cases)('%s', (_name, snippet) => check(snippet));

  test('an empty journey file is reported at line 1', () => {
    const dir = topology({ 'j.journey.yaml': '# nothing here\n', 'destinations.yaml': DESTINATIONS });
    expect(validatePaths([dir])).toEqual([{ file: expect.stringMatching(/j\.journey\.yaml$/) as unknown, line: 1, message: 'the file is empty: a journey needs journey, entry and steps' }]);
  });

  test('boundary values are valid: 1s and 365d waits, 1095d windows, 200 steps, 20 branches', () => {
    const text = yaml`
      journey: j
      entry:
        event: A
        when: { all: [{ performed: B, within: 1095d }, { performed: C, between: [1095d, 1s] }, { trait: d, withinLast: 1095d, withinNext: 1s }] }
        reentry: after-exit
        reentryAfter: 365d
      exit: { after: 1s }
      steps:
        - { id: w1, wait: 1s }
        - { id: w2, wait: 365d }
        - id: hold
          waitFor:
            timeout: 52w
            events:
    ` + events(20).replace(/^ {2}/gm, '') + '\n' + steps(197) + '\n';
    const dir = topology({ 'j.journey.yaml': text });
    expect(validatePaths([dir])).toEqual([]);
  });

  test('files are read as YAML 1.2 says: UTF-8 or UTF-16 with a BOM, CR, LF or CRLF line breaks', () => {
    const text = 'journey: j\nentry: { event: Café Visited }\nsteps: [{ id: a, wait: 1h }]\n';
    const dir = topology({ 'le.journey.yaml': '', 'be.journey.yaml': '', 'cr.journey.yaml': '', 'crlf.journey.yaml': '' });
    writeFileSync(join(dir, 'le.journey.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace('j\n', 'le\n'), 'utf16le')]));
    writeFileSync(join(dir, 'be.journey.yaml'), Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text.replace('j\n', 'be\n'), 'utf16le').swap16()]));
    writeFileSync(join(dir, 'cr.journey.yaml'), text.replace('j\n', 'cr\n').replace(/\n/g, '\r'));
    writeFileSync(join(dir, 'crlf.journey.yaml'), text.replace('j\n', 'crlf\n').replace(/\n/g, '\r\n'));
    expect(validatePaths([dir])).toEqual([]);
    const loaded = loadDefinitions(dir);
    expect(loaded.journeys.map((j) => [j.id, j.entry.kind === 'event' ? j.entry.event : null])).toEqual([
      ['be', 'Café Visited'], ['cr', 'Café Visited'], ['crlf', 'Café Visited'], ['le', 'Café Visited'],
    ]);
  });

  test('bytes that are not UTF-8 and control characters are refused with their line', () => {
    const dir = topology({ 'a.journey.yaml': '', 'b.journey.yaml': '' });
    writeFileSync(join(dir, 'a.journey.yaml'), Buffer.concat([Buffer.from('journey: a\nentry:\n  event: Caf'), Buffer.from([0xe9]), Buffer.from(' Visited\nsteps: [{ id: a, wait: 1h }]\n')]));
    writeFileSync(join(dir, 'b.journey.yaml'), 'journey: b\nentry: { event: A }\nname: x\u0001y\nsteps: [{ id: a, wait: 1h }]\n');
    expect(validatePaths([dir]).map((p) => `${basename(p.file)}:${p.line}: ${p.message}`)).toEqual([
      'a.journey.yaml:3: the file is not UTF-8 text (save it as UTF-8)',
      'b.journey.yaml:3: YAML: the character U+0001 is not allowed in a YAML file (write it as an escape, \\u0001, in a double-quoted string)',
    ]);
  });

  test('an alias stands for the last node before it with its anchor (an anchor may be defined again)', () => {
    const dir = topology({
      'j.journey.yaml': yaml`
        journey: j
        name: &n First
        description: *n
        entry: { event: &n Second }
        exit: { events: [{ event: *n }] }
        steps: [{ id: a, wait: 1h }]`,
    });
    const [journey] = loadDefinitions(dir).journeys;
    expect([journey?.description, journey?.exit.events[0]?.event]).toEqual(['First', 'Second']);
  });

  test('C1 controls and DEL may stand in quoted scalars (YAML 1.2 is a superset of JSON); C0 controls may not', () => {
    const dir = topology({ 'j.journey.yaml': 'journey: j\nname: "x\u0080\u007fy"\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n' });
    expect(validatePaths([dir])).toEqual([]);
    expect(loadDefinitions(dir).journeys[0]?.name).toBe('x\u0080\u007fy');
  });

  test('aliases of aliases are expanded up to a bound, not into billions of values', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const dir = topology({ 'j.journey.yaml': `journey: j\ndescription: x\nx:\n${levels.map((l) => `  ${l}`).join('\n')}\nentry: { event: A }\nsteps: [{ id: a, wait: 1h }]\n` });
    const problems = validatePaths([dir]);
    expect(problems.map((p) => p.message)).toEqual(['more than 100,000 values once aliases are expanded: use fewer aliases']);
  });

  test('aliases and anchors are followed', () => {
    const dir = topology({
      'j.journey.yaml': yaml`
        journey: j
        entry: { event: &evt Order Completed }
        exit: { events: [{ event: *evt }] }
        steps: [{ id: a, wait: 1h }]`,
    });
    expect(validatePaths([dir])).toEqual([]);
  });
});
