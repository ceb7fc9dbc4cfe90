// Runs the compiled flows (dist/flows.js, from flows.ts) against the API at
// the base URL given as the first argument, e.g. http://127.0.0.1:8080.
// .ci/run starts a dev server on a fresh database for it.
import { runAll } from "./dist/flows.js";

const base = process.argv[2];
if (!base) {
  console.error("usage: node run-flows.mjs http://127.0.0.1:PORT");
  process.exit(2);
}
try {
  await runAll(base, (line) => console.log(line));
  console.log("all flows passed");
} catch (err) {
  console.error(`flow failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
