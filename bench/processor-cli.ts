// `journeys` (src/cli/main.ts) compiled with the bench into dist/bench/, so that `npm run bench:processor`
// measures this checkout's source as it is, and leaves the shared dist/ (which test runs spawn) alone.
// `journeys process` is loaded on demand by main; importing it here puts it in the bench's build.
// (src/codecs/avro-schemas.ts finds schemas/ two levels above dist/bench/src/codecs: bench/processor.ts
// links dist/bench/schemas to it.)
import '../src/cli/process';
import '../src/cli/main';
