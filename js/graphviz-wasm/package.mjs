// The last step of build.sh: emscripten's glue and its WebAssembly become one script,
// archviz-graphviz.js, that defines window.archvizGraphviz for archviz.js. The WebAssembly is
// kept deflated and in base64 inside the script, so that pages opened from file:// (where
// browsers fetch no file) can load it, and a server's gzip still finds little to add.
//   node package.mjs GLUE.js GLUE.wasm OUT.js
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateRawSync } from "node:zlib";

const [glue, wasm, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));

/* What the script is built from: every file of this folder, by name (`nox -s lint` checks). */
const digest = createHash("sha256");
for (const name of readdirSync(here).sort()) digest.update(readFileSync(join(here, name)));

const wasmBase64 = deflateRawSync(readFileSync(wasm), { level: 9 }).toString("base64");
const script = `/*! archviz-graphviz.js, built by js/graphviz-wasm/build.sh (inputs sha256 ${digest.digest("hex")}).
Graphviz 2.42.2 (Eclipse Public License 1.0) and expat 2.5.0 (MIT), from Debian's source
packages graphviz 2.42.2-7+deb12u1 and expat 2.5.0-1+deb12u2, with the runtime of Emscripten
3.1.6 (MIT), compiled to WebAssembly: the dot layout and SVG output only. */
(() => {
${readFileSync(glue, "utf8").trim()}
const wasm = "${wasmBase64}";
${readFileSync(join(here, "wrapper.js"), "utf8").trim()}
})();
`;
writeFileSync(out, script);
