// Lints the browser script in sphinx_archviz/static/ (run by `nox -s lint`).
import js from "@eslint/js";
import globals from "globals";

export default [
  // Built by js/graphviz-wasm/build.sh (emscripten's output with js/graphviz-wasm/wrapper.js).
  { ignores: ["sphinx_archviz/static/archviz-graphviz.js"] },
  js.configs.recommended,
  {
    files: ["sphinx_archviz/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: globals.browser,
    },
  },
  {
    files: ["js/graphviz-wasm/wrapper.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: globals.browser,
    },
  },
  {
    files: ["js/**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.node, ...globals.browser },
    },
  },
];
