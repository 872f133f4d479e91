// Writes <file>.br (brotli, quality 11) and <file>.gz (gzip -9) beside every
// JS, WASM and CSS file of a built site's pkg/ directory, so the server hands
// browsers the smallest form without compressing on each request
// (tower-http's ServeDir serves them by Accept-Encoding).
//   node scripts/precompress.mjs target/site/pkg
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const dir = process.argv[2] ?? "target/site/pkg";
const worth = /\.(js|wasm|css|json|svg|html)$/;
let count = 0;
for (const name of readdirSync(dir)) {
  if (!worth.test(name)) continue;
  const file = join(dir, name);
  const source = statSync(file);
  const fresh = (ext) => {
    try {
      return statSync(file + ext).mtimeMs >= source.mtimeMs;
    } catch {
      return false;
    }
  };
  if (fresh(".br") && fresh(".gz")) continue;
  const bytes = readFileSync(file);
  writeFileSync(
    file + ".br",
    brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
  );
  writeFileSync(file + ".gz", gzipSync(bytes, { level: 9 }));
  count += 1;
}
console.log(`precompressed ${count} file(s) in ${dir}`);
