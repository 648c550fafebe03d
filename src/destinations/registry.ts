// Every destination type, by `type` in destinations.yaml. A new connector adds its spec here.
import type { Destination } from '../definitions/model';
import { ErrorCodes, JourneyError } from '../errors';
import { kafkaSpec } from './kafka/spec';
import type { ConfigProblem, Connector, ConnectorDeps, ConnectorSpec } from './types';
import { webhookSpec } from './webhook/spec';

export const connectorSpecs = { webhook: webhookSpec, kafka: kafkaSpec } as const satisfies { [T in Destination['type']]: ConnectorSpec<T> };

export function checkDestination(destination: Destination, env: NodeJS.ProcessEnv): ConfigProblem[] {
  switch (destination.type) {
    case 'webhook':
      return connectorSpecs.webhook.check(destination, env);
    case 'kafka':
      return connectorSpecs.kafka.check(destination, env);
  }
}

export function createConnector(destination: Destination, deps: ConnectorDeps): Connector {
  switch (destination.type) {
    case 'webhook':
      return connectorSpecs.webhook.create(destination, deps);
    case 'kafka':
      return connectorSpecs.kafka.create(destination, deps);
  }
}

export function unknownDestination(id: string, known: Iterable<string>): JourneyError {
  const list = [...known];
  return new JourneyError(ErrorCodes.INVALID_CONFIG, `unknown destination '${id}' (destinations.yaml has: ${list.length === 0 ? 'none' : list.join(', ')})`);
}
