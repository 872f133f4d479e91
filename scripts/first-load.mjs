// Prints what a first visit downloads from a release build: the hashed JS,
// WASM and CSS named in hash.txt, raw and as served (brotli, else gzip), and
// checks the total against the budget. The browser test
// end2end/tests/first-load.spec.ts measures the same on the wire, HTML included.
//   node scripts/first-load.mjs [site-dir] [hash.txt]
import { readFileSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";

const BUDGET = 400 * 1024;
const target = process.env.CARGO_TARGET_DIR ?? "target";
const site = process.argv[2] ?? "target/site";
const hashFile = process.argv[3] ?? join(target, "release", "hash.txt");
const hashes = Object.fromEntries(
  readFileSync(hashFile, "utf8")
    .split("\n")
    .map((l) => l.split(":").map((s) => s.trim()))
    .filter((p) => p.length === 2 && p[1]),
);
const size = (f) => {
  try {
    return statSync(f).size;
  } catch {
    return null;
  }
};
const kb = (n) => (n === null ? "-" : `${(n / 1024).toFixed(1)} KB`);
const rows = [];
for (const [kind, ext] of [["js", "js"], ["wasm", "wasm"], ["css", "css"]]) {
  const name = `opsdeck.${hashes[kind]}.${ext}`;
  const file = join(site, "pkg", name);
  const raw = size(file);
  if (raw === null) throw new Error(`missing ${file}: build with cargo leptos build --release`);
  rows.push({ name, raw, br: size(file + ".br"), gz: size(file + ".gz") });
}
// Lazy route chunks (cargo leptos --split), if any: loaded on the pages that need them.
const chunks = readdirSync(join(site, "pkg")).filter((n) => /^__wasm_split|\.wasm$/.test(n) && !rows.some((r) => r.name === n));
let total = 0;
console.log("file".padEnd(36), "raw".padStart(10), "brotli".padStart(10), "gzip".padStart(10));
for (const r of rows) {
  const served = r.br ?? r.gz ?? r.raw;
  total += served;
  console.log(r.name.padEnd(36), kb(r.raw).padStart(10), kb(r.br).padStart(10), kb(r.gz).padStart(10));
}
for (const c of chunks) console.log(`chunk ${c}: ${kb(size(join(site, "pkg", c)))} raw (loaded on demand)`);
console.log(`first load (assets, as served): ${kb(total)} of ${kb(BUDGET)} budget (${((100 * total) / BUDGET).toFixed(0)}%)`);
if (total > BUDGET) {
  console.error("over the first-load budget");
  process.exit(1);
}
