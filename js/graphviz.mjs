// The entry of sphinx_archviz/static/archviz-graphviz.js (built by js/build.mjs): Graphviz
// compiled to WebAssembly, for archviz.js, which loads it when a diagram first changes state.
import { Graphviz } from "@hpcc-js/wasm-graphviz";

let loading = null;
// `fresh`: a new instance, after a layout failed (some layouts fail in an instance that has
// laid out another graph before, and succeed in a new one).
window.archvizGraphviz = (fresh = false) => {
  if (fresh && loading) {
    Graphviz.unload();
    loading = null;
  }
  return (loading ??= Graphviz.load());
};
