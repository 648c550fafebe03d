// The JSON Schema (draft-07, the draft editors support best) of journey files, generated from the same
// key descriptor that the checker runs (`keys.ts`), so the two never disagree. The schemas of
// destinations.yaml and audiences.yaml ride along under `definitions` (`#/definitions/destinationsFile`,
// `#/definitions/audiencesFile`). Rules across keys or files (references, the step graph, duration
// ranges) are checked by `journeys validate` only.
import { SchemaBuilder, type JsonSchema } from './descriptor';
import { audiencesFile, destinationsFile, journeyFile } from './keys';

export function journeySchema(): JsonSchema {
  const sb = new SchemaBuilder();
  const root = journeyFile.schema(sb);
  const destinations = destinationsFile.schema(sb);
  const audiences = audiencesFile.schema(sb);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'kafka-journeys journey file',
    ...root,
    definitions: { ...sb.definitions, destinationsFile: destinations, audiencesFile: audiences },
  };
}

/** The committed text of `schemas/journey.schema.json`. */
export function journeySchemaText(): string {
  return JSON.stringify(journeySchema(), null, 2) + '\n';
}
