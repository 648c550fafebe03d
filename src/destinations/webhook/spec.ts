// The webhook destination type: its keys in destinations.yaml (checked by the definitions loader, with
// file:line) and the checks that need the runtime environment.
import { WEBHOOK_DEFAULTS } from '../../definitions/destinations';
import type { ConfigProblem, ConnectorSpec } from '../types';
import { RESERVED_HEADERS, WebhookConnector } from './connector';

/** RFC 9110 field-name (token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const webhookSpec: ConnectorSpec<'webhook'> = {
  type: 'webhook',
  summary: 'HTTP POST of JSON (one message, or `{"batch": [...]}`), signed, retried, rate-limited',
  config: [
    { key: 'url', type: 'http(s) URL', required: true, default: null, doc: 'where to POST' },
    { key: 'format', type: 'segment-track | segment-identify | transition', required: true, default: null, doc: 'the payload (spec §6)' },
    { key: 'secretEnv', type: 'env variable name', required: false, default: null, doc: 'environment variable holding the HMAC-SHA256 secret; it must be set when the sink starts; requests then carry `X-Journeys-Signature: sha256=<hex>` over `<X-Journeys-Timestamp>.<body>` and `X-Signature: <hex>` over the body' },
    { key: 'batchSize', type: 'integer >= 1', required: false, default: String(WEBHOOK_DEFAULTS.batchSize), doc: 'messages per request; above 1 the body is `{"batch": [...]}`' },
    { key: 'lingerMs', type: 'integer >= 0', required: false, default: String(WEBHOOK_DEFAULTS.lingerMs), doc: 'how long a batch may wait to fill up' },
    { key: 'timeoutMs', type: 'integer >= 1', required: false, default: String(WEBHOOK_DEFAULTS.timeoutMs), doc: 'per attempt, until the whole response is read' },
    { key: 'maxAttempts', type: 'integer >= 1', required: false, default: String(WEBHOOK_DEFAULTS.maxAttempts), doc: 'attempts in all before the dead-letter topic (5xx, 429, timeouts and network errors are retried; other 4xx are not)' },
    { key: 'concurrency', type: 'integer >= 1', required: false, default: String(WEBHOOK_DEFAULTS.concurrency), doc: 'requests in flight at most' },
    { key: 'ratePerSecond', type: 'number > 0', required: false, default: 'unlimited', doc: 'requests started per second at most (attempts, not messages), evenly spaced' },
    { key: 'headers', type: 'map of strings', required: false, default: null, doc: 'extra request headers (not the ones the sink sets)' },
  ],
  check(destination, env) {
    const problems: ConfigProblem[] = [];
    if (destination.secretEnv !== null && (env[destination.secretEnv] ?? '') === '') {
      problems.push({ key: 'secretEnv', message: `environment variable ${destination.secretEnv} is not set (or empty): requests to '${destination.id}' would go unsigned` });
    }
    const reserved = new Set(RESERVED_HEADERS.map((h) => h.toLowerCase()));
    for (const name of Object.keys(destination.headers)) {
      if (!HEADER_NAME.test(name)) problems.push({ key: 'headers', message: `'${name}' is not a valid HTTP header name` });
      else if (reserved.has(name.toLowerCase())) problems.push({ key: 'headers', message: `header '${name}' is set by the sink and cannot be overridden` });
    }
    for (const [name, value] of Object.entries(destination.headers)) {
      if (/[\r\n\0]/.test(value)) problems.push({ key: 'headers', message: `header '${name}' has a line break or NUL in its value` });
    }
    return problems;
  },
  create: (destination, deps) => new WebhookConnector(destination, deps),
};
