/* The end of archviz-graphviz.js (package.mjs puts emscripten's glue and the WebAssembly
   before it): window.archvizGraphviz(fresh) → a promise of an object whose layout(dot) gives
   the SVG dot draws of a DOT text, or throws Graphviz's messages. */
/* global archvizGraphvizModule, wasm */
let compiling = null;
let loading = null;

/* The WebAssembly, compiled once per page whatever the number of instances. */
function compile() {
  const deflated = Uint8Array.from(atob(wasm), (c) => c.charCodeAt(0));
  const bytes = new Blob([deflated]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
  return (compiling ??= new Response(bytes).arrayBuffer().then((b) => WebAssembly.compile(b)));
}

async function instance() {
  const compiled = await compile();
  const graphviz = await archvizGraphvizModule({
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(compiled, imports).then((made) => done(made, compiled));
      return {};
    },
  });
  return {
    layout(dot, format = "svg", engine = "dot") {
      if (format !== "svg" || engine !== "dot") {
        throw new Error(`only dot's SVG is built in, not ${engine}'s ${format}`);
      }
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
    },
  };
}

/* `fresh`: a new instance, after a layout failed (a failed layout may leave Graphviz's memory
   in a state later layouts trip over). */
window.archvizGraphviz = (fresh = false) => {
  if (fresh) loading = null;
  return (loading ??= instance());
};
