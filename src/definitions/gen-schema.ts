// `npm run gen:schema`: writes schemas/journey.schema.json from the key descriptor.
// `--check` only compares, and exits 1 when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { journeySchemaText } from './json-schema';

export const SCHEMA_PATH = join(__dirname, '..', '..', 'schemas', 'journey.schema.json');

function main(argv: string[]): number {
  const text = journeySchemaText();
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(SCHEMA_PATH, 'utf8');
    } catch {
      // missing: stale
    }
    if (current === text) return 0;
    process.stderr.write(`${SCHEMA_PATH} is stale: run npm run gen:schema\n`);
    return 1;
  }
  writeFileSync(SCHEMA_PATH, text);
  process.stdout.write(`wrote ${SCHEMA_PATH}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
