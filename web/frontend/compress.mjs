// Writes each large vendored file precompressed beside it (file.gz, file.br), which the app sends to a
// browser that accepts that encoding (web/static_files.py) instead of compressing on every request.
// Needs Node alone (node:zlib), no package. Run by build.mjs after it writes the bundles, or alone:
//   node compress.mjs
// Then update the sha256 sums in web/static/vendor/README.md.

import { readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = resolve(here, "../static/vendor");

// The scripts worth it: Mermaid (5.7 MB), the studio's editor, htmx. Small files are sent as they are.
export const COMPRESSED = ["mermaid/mermaid.min.js", "codemirror/studio-editor.js", "htmx/htmx.min.js"];

export async function compress() {
  for (const name of COMPRESSED) {
    const path = join(vendor, name);
    const data = await readFile(path);
    // mtime 0 and no file name in the header: the same input gives the same bytes on every machine
    const gzip = gzipSync(data, { level: 9 });
    const brotli = brotliCompressSync(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    });
    await writeFile(`${path}.gz`, gzip);
    await writeFile(`${path}.br`, brotli);
    console.log(`${name}: ${data.length} bytes; gzip ${gzip.length}; brotli ${brotli.length}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await compress();
}
