// Builds the studio's browser side into web/static/vendor/ (committed: installing OrderLoom needs no
// Node). Run after `npm ci`:  node build.mjs
//
//   codemirror/studio-editor.js  src/index.js and the packages it imports: one minified IIFE bundle
//   codemirror/LICENSES.txt      each bundled package with its version, licence and licence text
//   mermaid/mermaid.min.js       copied unchanged from the mermaid package, with its LICENSE
//   */*.js.br, */*.js.gz         each large script precompressed (compress.mjs), for the app to send
//
// Then update the sha256 sums in web/static/vendor/README.md and tests/web/test_static_assets.py.

import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { compress } from "./compress.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = resolve(here, "../static/vendor");
const modules = join(here, "node_modules");

// codemirror-json-schema renders descriptions with markdown-it plus shiki (a WebAssembly highlighter
// that the Content-Security-Policy would refuse): its utils/markdown.js is replaced by ours.
const withoutShiki = {
  name: "without-shiki",
  setup(build) {
    build.onResolve({ filter: /\/utils\/markdown(\.js)?$/ }, (args) =>
      args.importer.includes(`${"node_modules"}/codemirror-json-schema/`)
        ? { path: join(here, "src", "markdown.js") }
        : undefined,
    );
  },
};

const result = await esbuild.build({
  entryPoints: [join(here, "src", "index.js")],
  outfile: join(vendor, "codemirror", "studio-editor.js"),
  bundle: true,
  format: "iife",
  globalName: "OrderLoomStudio",
  minify: true,
  target: ["es2020"],
  legalComments: "none", // the notices are in LICENSES.txt, named by the banner
  banner: { js: "/* OrderLoom studio editor (web/frontend). Bundled packages and their licences: LICENSES.txt */" },
  metafile: true,
  plugins: [withoutShiki],
  logLevel: "warning",
});

await writeFile(join(vendor, "codemirror", "LICENSES.txt"), await licences(result.metafile));

await mkdir(join(vendor, "mermaid"), { recursive: true });
await copyFile(join(modules, "mermaid", "dist", "mermaid.min.js"), join(vendor, "mermaid", "mermaid.min.js"));
await copyFile(join(modules, "mermaid", "LICENSE"), join(vendor, "mermaid", "LICENSE"));

const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].bytes;
console.log(`studio-editor.js: ${bytes} bytes; mermaid.min.js copied`);

// Each large script precompressed beside it (.br, .gz), sent to browsers that accept that encoding.
await compress();

/** LICENSES.txt: every package with a file in the bundle, by name, with its licence text. */
async function licences(metafile) {
  const packages = new Map(); // name -> directory
  for (const input of Object.keys(metafile.inputs)) {
    const found = input.match(/^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//);
    if (found) packages.set(found[2], resolve(here, found[1]));
  }
  const parts = [
    "Packages bundled into studio-editor.js (built by web/frontend/build.mjs from package-lock.json),",
    "each with its version and licence, then each licence text as its package ships it.",
    "",
  ];
  const texts = [];
  for (const name of [...packages.keys()].sort()) {
    const directory = packages.get(name);
    const manifest = JSON.parse(await readFile(join(directory, "package.json"), "utf8"));
    const licence = manifest.license || "(none stated)";
    parts.push(`${manifest.name} ${manifest.version}  ${licence}`);
    const file = (await readdir(directory)).find((entry) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(entry));
    const text = file
      ? (await readFile(join(directory, file), "utf8")).trim()
      : `The package holds no licence file; its package.json says: ${licence}.`;
    texts.push(`${"=".repeat(78)}\n${manifest.name} ${manifest.version} (${licence})\n${"=".repeat(78)}\n\n${text}\n`);
  }
  return `${parts.join("\n")}\n\n${texts.join("\n")}`;
}
