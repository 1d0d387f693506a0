/* The end of archviz-graphviz.js (package.mjs puts emscripten's glue and the WebAssembly
   before it): window.archvizGraphviz(fresh) → a promise of an object whose layout(dot) gives
   the SVG dot draws of a DOT text, or throws Graphviz's messages. */
/* global archvizGraphvizModule, wasm */
let compiling = null;
let loading = null;

/* The WebAssembly, compiled once per page whatever the number of instances. */
function compile() {
  if (!compiling) {
    const deflated = Uint8Array.from(atob(wasm), (c) => c.charCodeAt(0));
    const bytes = new Blob([deflated]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    compiling = new Response(bytes).arrayBuffer().then((b) => WebAssembly.compile(b));
  }
  return compiling;
}

/* A new Graphviz, with memory of its own (a few milliseconds once compiled). */
async function instance() {
  const compiled = await compile();
  return archvizGraphvizModule({
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(compiled, imports).then((made) => done(made, compiled));
      return {};
    },
  });
}

function layOut(graphviz, dot) {
  const size = graphviz.lengthBytesUTF8(dot) + 1;
  const text = graphviz._malloc(size);
  graphviz.stringToUTF8(dot, text, size);
  try {
    const svg = graphviz._archviz_layout(text);
    if (!svg) {
      const messages = graphviz.UTF8ToString(graphviz._archviz_errors());
      throw new Error(messages || "Graphviz could not read the DOT text");
    }
    try {
      return graphviz.UTF8ToString(svg);
    } finally {
      graphviz._free(svg);
    }
  } finally {
    graphviz._free(text);
  }
}

/* Each layout runs in a Graphviz that has laid out nothing before: Graphviz 2.42 orders
   clusters by where their names lie in memory, so a second layout of the same text in the same
   memory can differ. The next one is made as soon as one is used (a layout asked for before it
   is ready runs in the last one). */
async function layouts() {
  let spare = await instance();
  let last = spare;
  const prepare = () =>
    instance().then(
      (made) => {
        spare = made;
      },
      () => {},
    );
  return {
    layout(dot, format = "svg", engine = "dot") {
      if (format !== "svg" || engine !== "dot") {
        throw new Error(`only dot's SVG is built in, not ${engine}'s ${format}`);
      }
      if (spare) {
        last = spare;
        spare = null;
        prepare();
      }
      return layOut(last, dot);
    },
  };
}

/* `fresh`: new instances, after a layout failed. */
window.archvizGraphviz = (fresh = false) => {
  if (fresh) loading = null;
  return (loading ??= layouts());
};
