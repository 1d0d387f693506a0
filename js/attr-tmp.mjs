import { Graphviz } from "@hpcc-js/wasm-graphviz";
import { readFileSync } from "fs";
const gv = await Graphviz.load();
const files = process.argv.slice(2);
const variants = { default: "", "nslimit=2 nslimit1=2": "nslimit=2 nslimit1=2", "mclimit=0.3": "mclimit=0.3", "searchsize=5": "searchsize=5", "newrank": "newrank=true", "remincross=false": "remincross=false" };
for (const f of files) {
  const dot = readFileSync(f, "utf8").replaceAll('label="\n', 'label="\u00a0\n');
  for (let i = 0; i < 6; i++) gv.layout(dot, "svg", "dot"); // warm
  for (const [name, attrs] of Object.entries(variants)) {
    const d = dot.replace("digraph {", `digraph {\n\tgraph [${attrs}]`);
    const t = [];
    let svg;
    for (let i = 0; i < 7; i++) { const s = performance.now(); svg = gv.layout(d, "svg", "dot"); t.push(performance.now() - s); }
    t.sort((a, b) => a - b);
    const size = /width="([\d.]+)pt" height="([\d.]+)pt"/.exec(svg);
    const order = [...svg.matchAll(/<g id="(n\d+|g\d+)" class="node"[^]*?<text[^>]*x="([-\d.]+)" y="([-\d.]+)"/g)].map((m) => [m[1], +m[2], +m[3]]);
    console.log(f.split("/").pop(), name.padEnd(22), t[3].toFixed(1), "ms", size[1], "x", size[2]);
  }
}
