// Where Kafka and the schema registry are, for every command that talks to them: `--bootstrap` and
// `--registry` flags, else the state file of `npm run infra:up`, else KAFKA_BOOTSTRAP / SCHEMA_REGISTRY_URL.
import { ErrorCodes, JourneyError } from '../errors';
import { brokerList, findInfraState } from '../kafka/infra-state';

export const CONNECTION_FLAGS = {
  bootstrap: { type: 'string' },
  registry: { type: 'string' },
} as const;

export interface Connection {
  brokers: string[];
  /** null: no registry (Avro unavailable). */
  registryUrl: string | null;
}

export function resolveConnection(values: { bootstrap?: string | undefined; registry?: string | undefined }, needRegistry: boolean): Connection {
  const found = values.bootstrap === undefined || values.registry === undefined ? findInfraState() : undefined;
  const bootstrap = values.bootstrap ?? found?.bootstrap ?? (process.env.KAFKA_BOOTSTRAP?.trim() || undefined);
  if (bootstrap === undefined) {
    throw new JourneyError(ErrorCodes.INVALID_CONFIG, 'no Kafka to talk to: pass --bootstrap host:port, set KAFKA_BOOTSTRAP, or start the local one with `npm run infra:up`');
  }
  const registryUrl = values.registry ?? found?.registryUrl ?? (process.env.SCHEMA_REGISTRY_URL?.trim() || null);
  if (needRegistry && registryUrl === null) {
    throw new JourneyError(ErrorCodes.INVALID_CONFIG, 'no schema registry: pass --registry <url>, set SCHEMA_REGISTRY_URL, or start the local one with `npm run infra:up`');
  }
  return { brokers: brokerList({ bootstrap }), registryUrl };
}
