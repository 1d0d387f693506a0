// Builds sphinx_archviz/static/archviz-graphviz.js from npm's @hpcc-js/wasm-graphviz (pinned by
// package-lock.json): `npm ci && npm run bundle`. The result is committed, so that installs
// from git need no npm; `nox -s lint` checks that it equals a fresh build.
import { build } from "esbuild";

await build({
  entryPoints: ["js/graphviz.mjs"],
  outfile: process.argv[2] || "sphinx_archviz/static/archviz-graphviz.js",
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "inline",
  logLevel: "warning",
});
