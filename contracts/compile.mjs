// Compile Solidity through the solcjs JS API (no native solc is available here).
// stdin: a solc standard-JSON input; stdout: the compiler's standard-JSON output.
// Imports resolve against node_modules/ (OpenZeppelin) and the project root.
import { createRequire } from "node:module";
import { readFileSync, existsSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(resolve(root, "package.json"));
const solc = require("solc");

if (process.argv[2] === "--version") {
  process.stdout.write(solc.version() + "\n");
  process.exit(0);
}

function findImports(path) {
  for (const base of [resolve(root, "node_modules"), root]) {
    const full = resolve(base, path);
    if (full.startsWith(base) && existsSync(full)) {
      return { contents: readFileSync(full, "utf8") };
    }
  }
  return { error: `import not found: ${path} (looked in node_modules/ and the project root)` };
}

const input = readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
