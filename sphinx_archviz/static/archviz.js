/* sphinx-archviz: explore a diagram in the page. Zoom (wheel or pinch while the diagram is
   active, buttons, + and -), pan (drag, arrow keys), fit (0), full screen (F), node search, and a
   tooltip with each node's details. Without this script the diagram is a plain image. */
"use strict";

(() => {
  const MIN_SCALE = 0.02;
  const MAX_SCALE = 8;
  const STEP = 1.25;
  const PAN_STEP = 60;
  const PT_TO_PX = 96 / 72;
  /* Pictures of states a diagram keeps, to show again without laying them out. */
  const KEPT_LAYOUTS = 24;
  /* States with more edges than this take WebAssembly Graphviz a second or more. */
  const BIG_LAYOUT_EDGES = 400;

  /* The script's own folder: the Graphviz bundle lies beside it. */
  const SCRIPT_BASE = document.currentScript
    ? document.currentScript.src.replace(/[^/]*$/, "")
    : "";
  let graphvizLoading = null;

  /* Graphviz compiled to WebAssembly (archviz-graphviz.js, built by js/graphviz-wasm/build.sh),
     loaded on the first change of a diagram's state. */
  function graphviz() {
    if (!graphvizLoading) {
      graphvizLoading = (
        window.archvizGraphviz
          ? Promise.resolve()
          : new Promise((resolve, reject) => {
              const script = document.createElement("script");
              script.src = `${SCRIPT_BASE}archviz-graphviz.js`;
              script.onload = resolve;
              script.onerror = reject;
              document.head.appendChild(script);
            })
      ).then(() => window.archvizGraphviz());
    }
    return graphvizLoading;
  }

  /* The SVG of a DOT text (Graphviz measures its text in the browser's own fonts); a layout
     that fails is tried once more in a new Graphviz. */
  async function layOut(dot) {
    try {
      return (await graphviz()).layout(dot, "svg", "dot");
    } catch {
      graphvizLoading = window.archvizGraphviz(true);
      return (await graphvizLoading).layout(dot, "svg", "dot");
    }
  }

  let graphvizWarming = false;

  /* Load Graphviz and lay out ``dot`` when the page is idle, once per page whatever the
     diagram: a first big layout in a fresh Graphviz runs WebAssembly the browser has not
     optimized yet, and takes two to three times as long as later ones. The SVG, or null. */
  function warmGraphviz(dot) {
    if (graphvizWarming) return Promise.resolve(null);
    graphvizWarming = true;
    const idle = window.requestIdleCallback || ((callback) => setTimeout(callback, 50));
    return graphviz()
      .then(() => new Promise((done) => idle(done, { timeout: 1000 })))
      .then(() => layOut(dot))
      .catch(() => null);
  }

  /* The diagram's hierarchy (sphinx_archviz/capture/hierarchy.py): groups over leaves, and
     the DOT of any set of open groups, written as hierarchy.py's state_dot writes it. */
  class Hierarchy {
    constructor(data) {
      this.defaults = data.defaults;
      this.groups = data.groups.map(([name, parent, node, cluster, text, repeats], index) => ({
        name,
        parent,
        node,
        cluster,
        text,
        repeats,
        children: data.children[index],
      }));
      this.leaves = data.leaves.map(([parent, attributes, text]) => ({ parent, attributes, text }));
      this.edges = data.edges;
      this.top = data.top;
      this.initial = data.open;
      this.revealsInsides = data.revealsInsides;
      [this.denseInputs, this.denseNote] = data.dense;
      [this.sharedOutputs, this.sharedNote] = data.shared;
      this.levels = this.groups.map((group) => {
        let level = 1;
        for (let parent = group.parent; parent >= 0; parent = this.groups[parent].parent) level++;
        return level;
      });
    }

    /* The groups around an item (leaf i ≥ 0, group -1 - g), outermost first. */
    ancestors(item) {
      const chain = [];
      let parent = item >= 0 ? this.leaves[item].parent : this.groups[-1 - item].parent;
      for (; parent >= 0; parent = this.groups[parent].parent) chain.unshift(parent);
      return chain;
    }

    shownAs(leaf, open) {
      for (const group of this.ancestors(leaf)) if (!open.has(group)) return -1 - group;
      return leaf;
    }

    stateDot(open) {
      const lines = ["digraph {", this.defaults];
      this.itemLines(this.top, open, "\t", lines);
      for (const [from, to, attributes] of this.drawnEdges(this.stateEdges(open))) {
        const extra = attributes ? ` [${attributes}]` : "";
        lines.push(`\t${itemName(from)} -> ${itemName(to)}${extra}`);
      }
      lines.push("}");
      return `${lines.join("\n")}\n`;
    }

    /* ``edges`` less their dense connections and then their shared outputs, noted on the
       first edge drawn into or out of the node concerned (reduction.py's drawn_edges). */
    drawnEdges(edges) {
      const hidden = denseInputs(edges, this.denseInputs);
      const fewer = edges.filter(([from, to]) => !hidden.get(to)?.has(from));
      const shared = sharedOutputs(fewer, this.sharedOutputs);
      const into = new Set();
      const outOf = new Set();
      const drawn = [];
      for (const [from, to, attributes] of fewer) {
        if (shared.get(from)?.has(to)) continue;
        let all = attributes;
        if (hidden.has(to) && !into.has(to)) {
          into.add(to);
          all = withNote(all, this.denseNote, hidden.get(to).size);
        }
        if (shared.has(from) && !outOf.has(from)) {
          outOf.add(from);
          all = withNote(all, this.sharedNote, shared.get(from).size);
        }
        drawn.push([from, to, all]);
      }
      return drawn;
    }

    /* The edges between what is drawn, each once, in the order of their first edge. */
    stateEdges(open) {
      const edges = [];
      const seen = new Set();
      for (const [start, end, attributes] of this.edges) {
        const from = this.shownAs(start, open);
        const to = this.shownAs(end, open);
        const pair = `${from} ${to}`;
        if (from === to || seen.has(pair)) continue;
        seen.add(pair);
        edges.push([from, to, attributes]);
      }
      return edges;
    }

    itemLines(items, open, indent, lines) {
      for (const item of items) {
        if (item >= 0) {
          lines.push(`${indent}n${item} [id="n${item}" ${this.leaves[item].attributes}]`);
          continue;
        }
        const group = -1 - item;
        if (!open.has(group)) {
          lines.push(`${indent}g${group} [id="g${group}" ${this.groups[group].node}]`);
          continue;
        }
        lines.push(`${indent}subgraph cluster_g${group} {`);
        lines.push(`${indent}\tgraph [id="g${group}" ${this.groups[group].cluster}]`);
        this.itemLines(this.groups[group].children, open, `${indent}\t`, lines);
        lines.push(`${indent}}`);
      }
    }

    /* A folded repeat's members: its children cut into ``repeats`` equal runs, or null. */
    members(fold) {
      const { repeats, children } = this.groups[fold];
      if (!(repeats > 1) || children.length % repeats) return null;
      const size = children.length / repeats;
      return Array.from({ length: repeats }, (_, k) => children.slice(k * size, (k + 1) * size));
    }

    /* The folded repeat an item is in (the innermost), or null. */
    foldAround(item) {
      const chain = this.ancestors(item);
      for (let index = chain.length - 1; index >= 0; index--) {
        if (this.members(chain[index])) return chain[index];
      }
      return null;
    }

    /* The groups open in ``from``, read as the same places in ``to``: structurally identical
       runs of items, whose groups hold the same items in the same order. */
    *correspondingOpen(from, to, open) {
      for (let index = 0; index < Math.min(from.length, to.length); index++) {
        const [a, b] = [from[index], to[index]];
        if (a >= 0 || b >= 0 || !open.has(-1 - a)) continue;
        yield [-1 - a, -1 - b];
        yield* this.correspondingOpen(
          this.groups[-1 - a].children,
          this.groups[-1 - b].children,
          open,
        );
      }
    }

    /* Leaves and groups whose name or details contain the words. */
    search(words) {
      const found = [];
      this.groups.forEach((group, index) => {
        if (group.text.toLowerCase().includes(words)) found.push(-1 - index);
      });
      this.leaves.forEach((leaf, index) => {
        if (leaf.text.toLowerCase().includes(words)) found.push(index);
      });
      return found;
    }
  }

  /* Per node, its inputs that also reach it through another of its inputs, if some node has
     ``dense`` of them or more (a dense block); for nodes with two or more (reduction.py's
     dense_inputs). */
  function denseInputs(edges, dense) {
    const inputs = linked(edges, true);
    const found = new Map();
    for (const [node, sources] of inputs) {
      if (sources.length <= 2) continue;
      const earlier = reaching(inputs, sources, node);
      const dropped = new Set(sources.filter((source) => earlier.has(source)));
      if (dropped.size >= 2) found.set(node, dropped);
    }
    return [...found.values()].some((dropped) => dropped.size >= dense) ? found : new Map();
  }

  /* Per node, the closed groups (items below 0) taking its output that another item taking
     it reaches, for nodes with ``shared`` of them or more (reduction.py's shared_outputs). */
  function sharedOutputs(edges, shared) {
    const outputs = linked(edges, false);
    const found = new Map();
    for (const [node, targets] of outputs) {
      if (targets.length <= shared) continue;
      const later = reaching(outputs, targets, node);
      const dropped = new Set(targets.filter((target) => target < 0 && later.has(target)));
      if (dropped.size >= shared) found.set(node, dropped);
    }
    return found;
  }

  /* Per node, the nodes its ``edges`` come from (``backwards``) or go to. */
  function linked(edges, backwards) {
    const links = new Map();
    for (const [from, to] of edges) {
      const [first, second] = backwards ? [to, from] : [from, to];
      if (!links.has(first)) links.set(first, []);
      links.get(first).push(second);
    }
    return links;
  }

  /* What one of ``items`` leads to through at least one of ``links``, not through ``node``
     (links: each node's inputs, or its outputs). */
  function reaching(links, items, node) {
    const found = new Set();
    const stack = items.flatMap((item) => links.get(item) || []);
    while (stack.length) {
      const item = stack.pop();
      if (item === node || found.has(item)) continue;
      found.add(item);
      stack.push(...(links.get(item) || []));
    }
    return found;
  }

  /* An edge's ``attributes`` with ``note`` saying that ``hidden`` edges are not drawn. */
  function withNote(attributes, note, hidden) {
    const text = note.replaceAll("{hidden}", hidden);
    return attributes ? `${attributes}, ${text}` : text;
  }

  /* The top left corner of what Graphviz drew for a node or cluster (its first shape), read
     from the SVG's coordinates rather than measured. */
  function topLeft(element) {
    const shape = element.querySelector("polygon, path, ellipse");
    if (!shape) return { x: 0, y: 0 };
    if (shape.tagName === "ellipse") {
      const number = (name) => Number(shape.getAttribute(name));
      return { x: number("cx") - number("rx"), y: number("cy") - number("ry") };
    }
    const numbers = (shape.getAttribute("points") || shape.getAttribute("d") || "")
      .match(/-?\d+(?:\.\d+)?/g)
      .map(Number);
    const xs = numbers.filter((_, index) => index % 2 === 0);
    const ys = numbers.filter((_, index) => index % 2 === 1);
    return { x: Math.min(...xs), y: Math.min(...ys) };
  }

  function itemName(item) {
    return item >= 0 ? `n${item}` : `g${-1 - item}`;
  }

  class Diagram {
    constructor(root) {
      this.root = root;
      this.viewport = root.querySelector(".archviz-viewport");
      this.picture = this.viewport.querySelector("svg.archviz-graph, img");
      this.toolbar = root.querySelector(".archviz-toolbar");
      this.search = root.querySelector(".archviz-search");
      this.matchCount = root.querySelector(".archviz-matches");
      this.scale = 1;
      this.x = 0;
      this.y = 0;
      this.pointers = new Map();
      this.matches = [];
      this.current = -1;
    }

    start() {
      const size = this.naturalSize();
      if (!size) return false;
      this.width = size.width;
      this.height = size.height;
      this.root.classList.add("archviz-js");
      this.toolbar.hidden = false;
      this.picture.style.width = `${this.width}px`;
      this.picture.style.height = `${this.height}px`;
      this.tooltip = document.createElement("div");
      this.tooltip.className = "archviz-tooltip";
      this.tooltip.hidden = true;
      this.root.appendChild(this.tooltip);
      this.listen();
      this.fit();
      this.startExploring();
      return true;
    }

    naturalSize() {
      if (this.picture.tagName.toLowerCase() === "img") {
        const { naturalWidth: width, naturalHeight: height } = this.picture;
        return width && height ? { width, height } : null;
      }
      const { width, height } = svgSize(this.picture);
      return width && height ? { width, height } : null;
    }

    get expanded() {
      return (
        document.fullscreenElement === this.root ||
        this.root.classList.contains("archviz-maximized")
      );
    }

    /* Small diagrams at natural size, large ones fitted to the column (or to the screen when
       full screen). A tall diagram is fitted whole when that keeps it at least 60 % of the
       column-wide size; otherwise it stays column-wide in a viewport of most of the window. */
    fit() {
      this.viewport.style.height = "";
      const available = this.viewport.clientWidth || this.root.clientWidth;
      const fitWidth = Math.min(1, available / this.width);
      if (this.expanded) {
        this.scale = Math.min(fitWidth, this.viewport.clientHeight / this.height);
      } else {
        const tallest = Math.max(240, window.innerHeight * 0.85);
        const fitWhole = Math.min(fitWidth, tallest / this.height);
        this.scale = fitWhole >= 0.6 * fitWidth ? fitWhole : fitWidth;
        const shownHeight = Math.ceil(Math.min(this.height * this.scale, tallest));
        this.viewport.style.height = `${shownHeight + 2}px`;
      }
      const shownWidth = this.width * this.scale;
      const align = this.root.classList.contains("align-left")
        ? 0
        : this.root.classList.contains("align-right")
          ? 1
          : 0.5;
      this.x = Math.max(0, (available - shownWidth) * align);
      this.y = this.expanded
        ? Math.max(0, (this.viewport.clientHeight - this.height * this.scale) / 2)
        : 0;
      this.apply();
    }

    apply() {
      this.picture.style.transform = `translate(${this.x}px, ${this.y}px) scale(${this.scale})`;
      this.root.dataset.archvizScale = this.scale.toFixed(4);
      // A shadow on the edges where part of the diagram is out of view.
      const right = this.x + this.width * this.scale;
      const bottom = this.y + this.height * this.scale;
      const edges = {
        top: this.y < -1,
        left: this.x < -1,
        right: right > this.viewport.clientWidth + 1,
        bottom: bottom > this.viewport.clientHeight + 1,
      };
      for (const [edge, hidden] of Object.entries(edges))
        this.viewport.classList.toggle(`archviz-more-${edge}`, hidden);
    }

    zoom(factor, clientX, clientY) {
      const rect = this.viewport.getBoundingClientRect();
      const px = clientX === undefined ? rect.width / 2 : clientX - rect.left;
      const py = clientY === undefined ? rect.height / 2 : clientY - rect.top;
      const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
      this.x = px - ((px - this.x) * scale) / this.scale;
      this.y = py - ((py - this.y) * scale) / this.scale;
      this.scale = scale;
      this.apply();
    }

    pan(dx, dy) {
      this.x += dx;
      this.y += dy;
      this.apply();
    }

    toggleFullscreen() {
      if (document.fullscreenElement === this.root) {
        document.exitFullscreen();
      } else if (this.root.classList.contains("archviz-maximized")) {
        this.setMaximized(false);
      } else if (this.root.requestFullscreen) {
        this.root.requestFullscreen().catch(() => this.setMaximized(true));
      } else {
        this.setMaximized(true);
      }
    }

    setMaximized(on) {
      this.root.classList.toggle("archviz-maximized", on);
      this.fit();
    }

    listen() {
      this.toolbar.addEventListener("click", (event) => {
        const button = event.target.closest("button[data-archviz-action]");
        if (button) this.act(button.dataset.archvizAction);
      });
      document.addEventListener("fullscreenchange", () => requestAnimationFrame(() => this.fit()));
      this.viewport.addEventListener("wheel", (event) => this.onWheel(event), { passive: false });
      this.viewport.addEventListener("pointerdown", (event) => this.onPointerDown(event));
      this.viewport.addEventListener("pointermove", (event) => this.onPointerMove(event));
      this.viewport.addEventListener("pointerup", (event) => this.onPointerUp(event));
      this.viewport.addEventListener("pointercancel", (event) => this.onPointerUp(event));
      this.viewport.addEventListener(
        "click",
        (event) => {
          if (this.dragged) {
            event.preventDefault();
            event.stopPropagation();
          }
        },
        true,
      );
      this.viewport.addEventListener("keydown", (event) => this.onKey(event));
      this.root.addEventListener("focusin", () => this.root.classList.add("archviz-active"));
      this.root.addEventListener("focusout", (event) => {
        if (!this.root.contains(event.relatedTarget)) this.root.classList.remove("archviz-active");
      });
      this.viewport.addEventListener("pointerover", (event) => this.showTooltip(event));
      this.viewport.addEventListener("pointerleave", () => this.hideTooltipSoon());
      // The tooltip holds the link to the node's source: it stays while the pointer is on it.
      this.tooltip.addEventListener("pointerenter", () => clearTimeout(this.hiding));
      this.tooltip.addEventListener("pointerleave", () => this.hideTooltipSoon());
      if (this.search) {
        this.search.addEventListener("input", () => this.find(this.search.value));
        this.search.addEventListener("keydown", (event) => {
          if (event.key === "Enter") {
            event.preventDefault();
            this.showMatch(this.current + (event.shiftKey ? -1 : 1));
          }
        });
      }
      let width = this.viewport.clientWidth;
      new ResizeObserver(() => {
        if (this.viewport.clientWidth !== width) {
          width = this.viewport.clientWidth;
          this.fit();
        }
      }).observe(this.root);
    }

    act(action) {
      if (action === "zoom-in") this.zoom(STEP);
      else if (action === "zoom-out") this.zoom(1 / STEP);
      else if (action === "reset") this.fit();
      else if (action === "fullscreen") this.toggleFullscreen();
      else if (action === "open-level") this.openToLevel(this.currentLevel() + 1);
      else if (action === "close-level") this.openToLevel(this.currentLevel() - 1);
      else if (action === "previous-repeat") this.step(-1);
      else if (action === "next-repeat") this.step(1);
    }

    /* The wheel zooms only while the diagram is active (focused or full screen) or with Ctrl,
       which is also how trackpads report a pinch; otherwise it scrolls the page. */
    onWheel(event) {
      if (!(
        event.ctrlKey ||
        event.metaKey ||
        this.expanded ||
        this.root.classList.contains("archviz-active")
      ))
        return;
      event.preventDefault();
      this.zoom(Math.exp(-event.deltaY * 0.002), event.clientX, event.clientY);
    }

    onPointerDown(event) {
      if (event.button !== 0) return;
      this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      this.dragged = false;
      this.pinch = this.pointers.size === 2 ? this.pointerDistance() : null;
    }

    onPointerMove(event) {
      const last = this.pointers.get(event.pointerId);
      if (!last) return;
      const dx = event.clientX - last.x;
      const dy = event.clientY - last.y;
      this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (this.pointers.size === 2 && this.pinch) {
        const distance = this.pointerDistance();
        const [a, b] = [...this.pointers.values()];
        this.zoom(distance / this.pinch, (a.x + b.x) / 2, (a.y + b.y) / 2);
        this.pinch = distance;
        this.dragged = true;
        return;
      }
      if (!this.dragged && Math.hypot(dx, dy) < 3) {
        this.pointers.set(event.pointerId, last);
        return;
      }
      if (!this.dragged) this.viewport.setPointerCapture(event.pointerId);
      this.dragged = true;
      this.viewport.classList.add("archviz-dragging");
      this.pan(dx, dy);
    }

    onPointerUp(event) {
      this.pointers.delete(event.pointerId);
      this.viewport.classList.remove("archviz-dragging");
      if (this.pointers.size < 2) this.pinch = null;
    }

    pointerDistance() {
      const [a, b] = [...this.pointers.values()];
      return Math.hypot(a.x - b.x, a.y - b.y) || 1;
    }

    onKey(event) {
      if (event.target !== this.viewport || event.altKey || event.ctrlKey || event.metaKey) return;
      const moves = {
        ArrowLeft: [PAN_STEP, 0],
        ArrowRight: [-PAN_STEP, 0],
        ArrowUp: [0, PAN_STEP],
        ArrowDown: [0, -PAN_STEP],
      };
      if (event.key in moves) this.pan(...moves[event.key]);
      else if (event.key === "+" || event.key === "=") this.zoom(STEP);
      else if (event.key === "-" || event.key === "_") this.zoom(1 / STEP);
      else if (event.key === "0") this.fit();
      else if (this.hierarchy && (event.key === "[" || event.key === "]"))
        this.step(event.key === "]" ? 1 : -1);
      else if (event.key === "f" || event.key === "F") this.toggleFullscreen();
      else if (event.key === "Escape" && this.root.classList.contains("archviz-maximized"))
        this.setMaximized(false);
      else return;
      event.preventDefault();
    }

    /* A node's details: the tooltip the capture wrote (name, type, shapes, parameters), or
       else the lines of its label. */
    nodeDetails(node) {
      const link = node.querySelector("a");
      const title = link && (link.getAttribute("xlink:title") || link.getAttribute("title"));
      if (title) return title;
      return [...node.querySelectorAll("text")]
        .map((text) => text.textContent.trim())
        .filter(Boolean)
        .join("\n");
    }

    showTooltip(event) {
      const node = event.target.closest && event.target.closest("g.node");
      if (!node || (this.dragged && this.pointers.size)) {
        this.hideTooltipSoon();
        return;
      }
      clearTimeout(this.hiding);
      this.tooltip.textContent = this.nodeDetails(node);
      const anchor = node.querySelector("a[href]");
      if (anchor && node.classList.contains("archviz-group")) {
        // A click on a group opens it, so its class's page is offered here.
        this.offerLink("archviz-class", anchor.getAttribute("href"), "Class");
      }
      const source = node.querySelector("a[data-archviz-source]");
      if (source) {
        this.offerLink("archviz-source", source.getAttribute("data-archviz-source"), "Source");
      }
      this.tooltip.hidden = !this.tooltip.textContent;
      const box = node.getBoundingClientRect();
      const root = this.root.getBoundingClientRect();
      this.tooltip.style.left = `${Math.max(0, box.left - root.left)}px`;
      this.tooltip.style.top = `${box.bottom - root.top + 4}px`;
    }

    /* A link at the end of the tooltip; its text is the page's word for ``fallback``. */
    offerLink(className, href, fallback) {
      const link = document.createElement("a");
      link.className = className;
      link.href = href;
      link.textContent = this.root.dataset[`archviz${fallback}Label`] || fallback;
      this.tooltip.append("\n", link);
    }

    /* Hide the tooltip unless the pointer reaches it (or another node) first. */
    hideTooltipSoon() {
      clearTimeout(this.hiding);
      this.hiding = setTimeout(() => (this.tooltip.hidden = true), 400);
    }

    find(query) {
      const words = query.trim().toLowerCase();
      this.root.classList.toggle("archviz-searching", words !== "");
      this.current = -1;
      if (this.hierarchy) {
        this.findInHierarchy(words);
      } else {
        this.matches = [];
        for (const node of this.picture.querySelectorAll("g.node")) {
          const hit = words !== "" && this.nodeDetails(node).toLowerCase().includes(words);
          node.classList.toggle("archviz-match", hit);
          if (hit) this.matches.push(node);
        }
      }
      this.matchCount.textContent = words === "" ? "" : `${this.matches.length}`;
      if (this.matches.length) this.showMatch(0, false);
    }

    /* Pan to match ``index``; with ``reveal`` (Enter in the search box), a match inside a
       closed group is opened up to. */
    showMatch(index, reveal = true) {
      if (!this.matches.length) return;
      this.current = (index + this.matches.length) % this.matches.length;
      this.matchCount.textContent = `${this.current + 1} / ${this.matches.length}`;
      if (this.hierarchy) {
        this.showMatchInHierarchy(this.current, reveal);
        return;
      }
      this.centre(this.matches[this.current]);
    }

    /* Diagrams with a hierarchy: groups open and close in place (click, Enter or Space), one
       level more or less for the whole diagram, search reaches into closed groups, and the
       address's hash keeps the open groups and the selected node. */
    startExploring() {
      const data = this.root.querySelector("script.archviz-hierarchy");
      if (!data || this.picture.tagName.toLowerCase() !== "svg") return;
      this.hierarchy = new Hierarchy(JSON.parse(data.textContent));
      this.key = this.root.dataset.archviz;
      this.open = new Set(this.hierarchy.initial);
      this.selected = null;
      this.stepping = null;
      this.memberOn = new Map();
      this.stepper = this.toolbar && this.toolbar.querySelector(".archviz-stepper");
      this.stepperPosition = this.stepper && this.stepper.querySelector(".archviz-step-position");
      this.drawing = 0;
      this.layouts = new Map([[this.hierarchy.stateDot(this.open), this.picture]]);
      this.putInReadingOrder(this.picture);
      this.decorate();
      this.showStepper();
      this.viewport.addEventListener("click", (event) => this.onGroupClick(event));
      this.viewport.addEventListener("keydown", (event) => this.onGroupKey(event));
      window.addEventListener("hashchange", () => this.restore());
      // Pointing at the diagram or focusing it is when a reader may open a group next.
      for (const intent of ["pointerenter", "focusin"]) {
        this.root.addEventListener(intent, () => this.warm(), { once: true });
      }
      this.root.addEventListener("archviz:reveal", (event) => {
        event.preventDefault();
        this.reveal(event.detail.path);
      });
      for (const link of this.root.querySelectorAll("a.archviz-download")) {
        if (link.getAttribute("download").endsWith(".svg")) {
          link.addEventListener("click", (event) => {
            event.preventDefault();
            downloadSvg(this.root, link);
          });
        }
      }
      this.restore();
    }

    /* Lay out, before the reader clicks, the picture with one more level open (what "open one
       more level" shows), unless it is big; and keep it. */
    async warm() {
      const dot = this.hierarchy.stateDot(this.levelOpen(this.currentLevel() + 1));
      const small = dot.split("->").length <= BIG_LAYOUT_EDGES;
      const text = await warmGraphviz(small ? dot : this.hierarchy.stateDot(this.open));
      if (small && text && !this.layouts.has(dot)) {
        const svg = this.svgElement(text);
        this.putInReadingOrder(svg);
        this.layouts.set(dot, svg);
      }
      this.root.dataset.archvizWarm = "";
    }

    /* The group an element of the picture draws, or null. */
    groupOf(element) {
      const match = /^g(\d+)$/.exec(element.id.slice(this.key.length + 1));
      return match ? Number(match[1]) : null;
    }

    elementOf(item) {
      return this.picture.querySelector(`[id="${this.key}-${itemName(item)}"]`);
    }

    decorate() {
      // Its groups are buttons: a picture with controls in it, not an image.
      this.picture.setAttribute("role", "group");
      for (const element of this.picture.querySelectorAll("g.node, g.cluster")) {
        const group = this.groupOf(element);
        if (group === null) continue;
        const open = this.open.has(group);
        element.classList.add("archviz-group");
        element.setAttribute("tabindex", "0");
        element.setAttribute("role", "button");
        element.setAttribute("aria-expanded", String(open));
        element.setAttribute("aria-label", this.hierarchy.groups[group].name);
      }
      if (this.selected !== null) {
        const element = this.elementOf(this.visibleItem(this.selected));
        if (element) element.classList.add("archviz-selected");
      }
    }

    /* Tab and screen readers follow the document's order, and Graphviz writes every cluster
       before every node: put the groups and nodes of a picture in reading order instead (top to
       bottom, then left to right; an open group before what is in it, which it is drawn under)
       and the edges after them. Done before the picture is shown: no layout is needed. */
    putInReadingOrder(picture) {
      const graph = picture.querySelector("g.graph");
      if (!graph) return;
      const inside = new Map();
      for (const element of graph.querySelectorAll(":scope > :is(g.node, g.cluster)")) {
        const match = /^([ng])(\d+)$/.exec(element.id.slice(this.key.length + 1));
        if (!match) continue;
        const index = Number(match[2]);
        const { parent } =
          match[1] === "n" ? this.hierarchy.leaves[index] : this.hierarchy.groups[index];
        if (!inside.has(parent)) inside.set(parent, []);
        inside
          .get(parent)
          .push({ element, group: match[1] === "g" ? index : null, ...topLeft(element) });
      }
      const place = (parent) => {
        const items = inside.get(parent) || [];
        items.sort((a, b) => a.y - b.y || a.x - b.x);
        for (const { element, group } of items) {
          graph.appendChild(element);
          if (group !== null && element.classList.contains("cluster")) place(group);
        }
      };
      place(-1);
      for (const edge of graph.querySelectorAll(":scope > g.edge")) graph.appendChild(edge);
    }

    onGroupClick(event) {
      const element = event.target.closest && event.target.closest("g.archviz-group");
      if (element) {
        event.preventDefault();
        this.toggle(this.groupOf(element), false);
        return;
      }
      const node = event.target.closest && event.target.closest("g.node");
      if (node && !event.target.closest("a[href]")) {
        const match = /^n(\d+)$/.exec(node.id.slice(this.key.length + 1));
        if (match) this.select(Number(match[1]));
      }
    }

    onGroupKey(event) {
      const element = event.target.closest && event.target.closest("g.archviz-group");
      if (!element) return;
      const steps = { "[": -1, "]": 1 };
      if (event.key in steps) {
        const fold = this.hierarchy.foldAround(-1 - this.groupOf(element));
        if (fold === null) return;
        event.preventDefault();
        event.stopPropagation();
        this.step(steps[event.key], fold, true);
        return;
      }
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      event.stopPropagation();
      this.toggle(this.groupOf(element), true);
    }

    /* Open a closed group (and the groups around it), or close an open one. The groups open
       inside a closed group stay so: opened again, it shows what it showed before (a picture
       laid out already). */
    toggle(group, keyboard) {
      if (this.open.has(group)) {
        this.open.delete(group);
      } else {
        this.open.add(group);
        for (const outer of this.hierarchy.ancestors(-1 - group)) this.open.add(outer);
        const members = this.hierarchy.members(group);
        if (members && !members.some((items) => this.anyOpen(items))) this.openAll(members[0]);
      }
      this.noteMember(group);
      return this.redraw(-1 - group, keyboard);
    }

    /* The folded repeat the stepper works on: the one last opened or stepped through while it
       is open, else the last open one. */
    steppedFold() {
      if (this.isShownOpen(this.stepping)) return this.stepping;
      const open = [...this.open].filter(
        (group) => this.hierarchy.members(group) && this.isShownOpen(group),
      );
      return open.length ? Math.max(...open) : null;
    }

    /* Remember which folded repeat, and which of its members, the reader last opened or closed
       something in. */
    noteMember(group) {
      const fold = this.hierarchy.members(group) ? group : this.hierarchy.foldAround(-1 - group);
      if (fold === null) return;
      this.stepping = fold;
      const chain = [...this.hierarchy.ancestors(-1 - group), group];
      const member = chain[chain.indexOf(fold) + 1];
      if (member === undefined) return;
      const index = this.hierarchy.members(fold).findIndex((items) => items.includes(-1 - member));
      if (index >= 0) this.memberOn.set(fold, index);
    }

    /* Whether one of ``items`` is an open group. */
    anyOpen(items) {
      return items.some((item) => item < 0 && this.open.has(-1 - item));
    }

    /* Open the groups among ``items`` (a member of a folded repeat). */
    openAll(items) {
      for (const item of items) if (item < 0) this.open.add(-1 - item);
    }

    /* Which member of a folded repeat the reader is on: the one last opened, while something
       in it is open; else the first with an open group. */
    memberShown(fold) {
      const members = this.hierarchy.members(fold);
      const last = this.memberOn.get(fold);
      if (last !== undefined && this.anyOpen(members[last])) return last;
      return Math.max(
        members.findIndex((items) => this.anyOpen(items)),
        0,
      );
    }

    /* Show the next (``by`` 1) or previous (-1) member of a folded repeat instead of the one
       shown, opened the same way. */
    step(by, fold = this.steppedFold(), keyboard = false) {
      if (fold === null) return null;
      const members = this.hierarchy.members(fold);
      const from = this.memberShown(fold);
      const to = Math.min(Math.max(from + by, 0), members.length - 1);
      this.stepping = fold;
      this.memberOn.set(fold, to);
      if (to === from) return null;
      const moves = [...this.hierarchy.correspondingOpen(members[from], members[to], this.open)];
      for (const [closed] of moves) this.open.delete(closed);
      for (const [, opened] of moves) this.open.add(opened);
      if (!moves.length) this.openAll(members[to]);
      return this.redraw(members[to][0], keyboard);
    }

    /* The stepper's buttons and position ("6 / 32"), shown while a folded repeat is open. */
    showStepper() {
      if (!this.stepper) return;
      const fold = this.steppedFold();
      this.stepper.hidden = fold === null;
      if (fold === null) return;
      const count = this.hierarchy.members(fold).length;
      const shown = this.memberShown(fold);
      this.stepperPosition.textContent = `${shown + 1} / ${count}`;
      this.stepperPosition.title = this.hierarchy.groups[fold].name;
      this.stepper.querySelector('[data-archviz-action="previous-repeat"]').disabled = shown === 0;
      this.stepper.querySelector('[data-archviz-action="next-repeat"]').disabled =
        shown === count - 1;
    }

    /* What shows an item now: itself, or its outermost closed group. */
    visibleItem(item) {
      for (const group of this.hierarchy.ancestors(item)) {
        if (!this.open.has(group)) return -1 - group;
      }
      return item;
    }

    /* Whether a group is drawn open: it and every group around it are open. */
    isShownOpen(group) {
      return (
        this.open.has(group) &&
        this.hierarchy.ancestors(-1 - group).every((outer) => this.open.has(outer))
      );
    }

    currentLevel() {
      let level = 0;
      for (const group of this.open) {
        if (this.isShownOpen(group)) level = Math.max(level, this.hierarchy.levels[group]);
      }
      return level;
    }

    /* Every group above ``level`` open, the others closed. */
    openToLevel(level) {
      this.open = this.levelOpen(level);
      return this.redraw(null, false);
    }

    levelOpen(level) {
      const open = new Set();
      this.hierarchy.levels.forEach((groupLevel, group) => {
        if (groupLevel <= level) open.add(group);
      });
      return open;
    }

    /* Lay out the current state and put it where the old picture was, keeping the item that
       changed (``anchor``) where the reader's eyes are, and the keyboard focus on it. */
    async redraw(anchor, keyboard) {
      const drawing = ++this.drawing;
      const before = anchor !== null && this.elementOf(anchor);
      const from = before && before.getBoundingClientRect();
      const focused = keyboard || this.picture.contains(document.activeElement);
      const dot = this.hierarchy.stateDot(this.open);
      if (!this.layouts.has(dot)) await this.showBusy(dot);
      const svg = await this.stateSvg(dot).finally(() => {
        if (drawing === this.drawing) this.showBusy(null);
      });
      if (drawing !== this.drawing) return;
      this.picture.replaceWith(svg);
      this.picture = svg;
      this.tooltip.hidden = true; // its node was in the old picture
      const { width, height } = svgSize(svg);
      this.width = width;
      this.height = height;
      svg.style.width = `${width}px`;
      svg.style.height = `${height}px`;
      this.decorate();
      this.showStepper();
      this.apply();
      const after = anchor !== null && this.elementOf(anchor);
      if (from && after) {
        const to = after.getBoundingClientRect();
        this.pan(from.left - to.left, from.top - to.top);
        this.bringIntoView(after);
      }
      if (focused) (after || this.viewport).focus({ preventScroll: true });
      if (this.search && this.search.value.trim()) this.highlight();
      this.writeHash();
      this.root.dataset.archvizDrawn = String(drawing);
    }

    /* The picture of the open groups: laid out once per state (Graphviz lays out the same DOT
       the same way), so that closing a group shows the picture from before it was opened. */
    async stateSvg(dot) {
      let svg = this.layouts.get(dot);
      if (svg) {
        for (const marked of svg.querySelectorAll(
          ".archviz-selected, .archviz-match, .archviz-target",
        )) {
          marked.classList.remove("archviz-selected", "archviz-match", "archviz-target");
        }
      } else {
        svg = this.svgElement(await layOut(dot));
        this.putInReadingOrder(svg);
      }
      this.layouts.delete(dot); // the most recent last; the oldest is forgotten first
      this.layouts.set(dot, svg);
      if (this.layouts.size > KEPT_LAYOUTS) this.layouts.delete(this.layouts.keys().next().value);
      return svg;
    }

    /* Say that a state is being laid out (``dot``), or no longer (null). The layout holds the
       page: before a big one (seconds), the message is painted first. */
    async showBusy(dot) {
      if (dot === null) {
        delete this.viewport.dataset.archvizBusy;
        this.root.removeAttribute("aria-busy");
        return;
      }
      this.viewport.dataset.archvizBusy = this.root.dataset.archvizBusyLabel || "…";
      this.root.setAttribute("aria-busy", "true");
      if (dot.split("->").length > BIG_LAYOUT_EDGES) {
        await new Promise((painted) => requestAnimationFrame(() => setTimeout(painted)));
      }
    }

    svgElement(text) {
      // Titles and comments, a tenth of Graphviz's SVG, are dropped before parsing.
      const parsed = new DOMParser().parseFromString(
        text.replace(/<title>[^<]*<\/title>\n?|<!--[^]*?-->\n?/g, ""),
        "image/svg+xml",
      ).documentElement;
      for (const element of parsed.querySelectorAll("[id]")) {
        element.id = `${this.key}-${element.id}`;
      }
      parsed.setAttribute("class", "archviz-graph");
      parsed.setAttribute("aria-label", this.picture.getAttribute("aria-label") || "");
      return document.adoptNode(parsed);
    }

    select(item) {
      for (const element of this.picture.querySelectorAll(".archviz-selected")) {
        element.classList.remove("archviz-selected");
      }
      this.selected = item;
      const element = this.elementOf(this.visibleItem(item));
      if (element) element.classList.add("archviz-selected");
      this.writeHash();
    }

    /* The address keeps this diagram's state: #<key>:open=1,4;node=n7. */
    writeHash() {
      const open = [...this.open].sort((a, b) => a - b).join(",");
      const node = this.selected === null ? "" : `;node=${itemName(this.selected)}`;
      const hash = `#${this.key}:open=${open}${node}`;
      this.written = hash;
      if (location.hash !== hash) history.replaceState(null, "", hash);
    }

    /* Show the state the address names, unless it is the one this diagram wrote (a node link's
       hashchange can reach here after the link was followed and the address rewritten). */
    restore() {
      const prefix = `#${this.key}:`;
      if (!location.hash.startsWith(prefix) || location.hash === this.written) return;
      const state = Object.fromEntries(
        location.hash
          .slice(prefix.length)
          .split(";")
          .map((part) => part.split("=")),
      );
      const groups = this.hierarchy.groups.length;
      this.open = new Set(
        (state.open || "")
          .split(",")
          .filter(Boolean)
          .map(Number)
          .filter((group) => group >= 0 && group < groups),
      );
      const node = /^([ng])(\d+)$/.exec(state.node || "");
      this.selected = node ? (node[1] === "n" ? Number(node[2]) : -1 - Number(node[2])) : null;
      this.redraw(null, false).then(() => {
        this.root.scrollIntoView({ block: "start" });
        if (this.selected !== null) this.centre(this.elementOf(this.visibleItem(this.selected)));
      });
    }

    /* Pan so that an element of the picture is in the middle of the viewport. */
    /* A node link (:archviz-node:) to a module: open its group and the groups around it, then
       mark and centre its parameters (the nodes named after it), or else the group. */
    async reveal(path) {
      if (!this.hierarchy.revealsInsides) {
        await this.revealItem(path);
        return;
      }
      const names = this.hierarchy.groups.map((group) => group.name);
      let group = names.indexOf(path);
      if (group < 0) {
        const around = names.filter((name) => path.startsWith(`${name}.`));
        group = around.length ? names.indexOf(around.sort((a, b) => b.length - a.length)[0]) : -1;
      }
      if (group < 0) return;
      this.open.add(group);
      for (const outer of this.hierarchy.ancestors(-1 - group)) this.open.add(outer);
      await this.redraw(null, false);
      const own = this.hierarchy.leaves
        .map((leaf, index) => (leaf.text.startsWith(`${path}.`) ? this.elementOf(index) : null))
        .filter(Boolean);
      const targets = own.length ? own : [this.elementOf(-1 - group)].filter(Boolean);
      for (const element of targets) element.classList.add("archviz-target");
      if (targets.length) this.centre(targets[0]);
    }

    /* Show the node or group drawing the module ``path`` (else the deepest group holding it),
       with the groups around it open and it closed, as the modules view draws a module. */
    async revealItem(path) {
      const { groups, leaves } = this.hierarchy;
      let item = leaves.findIndex((leaf) => leaf.text.split(" ")[0] === path);
      if (item < 0) {
        const around = groups
          .map((group, index) => ({ name: group.name, item: -1 - index }))
          .filter(({ name }) => name === path || path.startsWith(`${name}.`))
          .sort((a, b) => b.name.length - a.name.length);
        if (!around.length) return;
        item = around[0].item;
        this.open.delete(-1 - item);
      }
      for (const outer of this.hierarchy.ancestors(item)) this.open.add(outer);
      await this.redraw(null, false);
      const target = this.elementOf(item);
      if (!target) return;
      target.classList.add("archviz-target");
      this.centre(target);
    }

    /* Pan the least that shows all of an element, or its top left part if it is bigger than
       the viewport. */
    bringIntoView(element) {
      const box = element.getBoundingClientRect();
      const view = this.viewport.getBoundingClientRect();
      const shift = (low, high, min, max) =>
        high - low > max - min ? min - low : Math.max(min - low, Math.min(0, max - high));
      this.pan(
        shift(box.left, box.right, view.left, view.right),
        shift(box.top, box.bottom, view.top, view.bottom),
      );
    }

    centre(element) {
      if (!element) return;
      const box = element.getBoundingClientRect();
      const view = this.viewport.getBoundingClientRect();
      this.pan(
        view.left + view.width / 2 - (box.left + box.width / 2),
        view.top + view.height / 2 - (box.top + box.height / 2),
      );
    }

    /* Mark what shows each match: the node itself, or the closed group it is in. */
    highlight() {
      for (const element of this.picture.querySelectorAll(".archviz-match")) {
        element.classList.remove("archviz-match");
      }
      for (const item of this.matches) {
        const element = this.elementOf(this.visibleItem(item));
        if (element) element.classList.add("archviz-match");
      }
    }

    findInHierarchy(words) {
      this.matches = words === "" ? [] : this.hierarchy.search(words);
      this.highlight();
    }

    /* Show a match; with ``reveal``, open the groups around it first. */
    async showMatchInHierarchy(index, reveal) {
      const item = this.matches[index];
      if (reveal && this.visibleItem(item) !== item) {
        for (const group of this.hierarchy.ancestors(item)) this.open.add(group);
        await this.redraw(null, false);
      }
      if (reveal) this.select(item);
      this.centre(this.elementOf(this.visibleItem(item)));
    }
  }

  /* Node links (the :archviz-node: role). A page address ending in #<figure-id>/node=<path>
     (path: a module's attribute path, such as layer3.1.conv2) shows that node: the figure is
     scrolled into view; "archviz:reveal" (detail: { path }) is dispatched on its div.archviz, so
     that an explorer with collapsible groups can open the groups on the path first; then the
     node is highlighted (class archviz-target) and centred. Where the diagram draws the module
     inside a bigger node, that node is shown; in the autograd view, the module's parameters. */
  function revealFromAddress() {
    const match = /^#(.+)\/node=(.+)$/.exec(decodeURIComponent(window.location.hash));
    const target = match && document.getElementById(match[1]);
    if (!target) return;
    const root = target.matches("div.archviz[data-archviz]")
      ? target
      : target.querySelector("div.archviz[data-archviz]");
    if (!root) return;
    const path = match[2];
    for (const old of document.querySelectorAll(".archviz-target")) {
      old.classList.remove("archviz-target");
    }
    const reveal = new CustomEvent("archviz:reveal", { detail: { path }, cancelable: true });
    if (!root.dispatchEvent(reveal)) {
      target.scrollIntoView({ block: "center" }); // the explorer shows the node itself
      return;
    }
    const found = nodesOnPath(root, path);
    for (const node of found) node.classList.add("archviz-target");
    target.scrollIntoView({ block: "center" });
    if (found.length && root.archvizDiagram) root.archvizDiagram.centre(found[0]);
  }

  /* The drawn nodes (and groups) that stand for a module path: the module itself; else what
     is inside it (its parameters, its submodules); else the deepest node that contains it. */
  function nodesOnPath(root, path) {
    const named = [...root.querySelectorAll("svg.archviz-graph :is(g.node, g.cluster)")].map(
      (element) => ({ element, names: moduleNames(element) }),
    );
    const exact = named.filter(({ names }) => names.includes(path));
    if (exact.length) return exact.map(({ element }) => element);
    const inside = named.filter(({ names }) => names.some((name) => name.startsWith(`${path}.`)));
    if (inside.length) return inside.map(({ element }) => element);
    const around = named
      .map(({ element, names }) => ({
        element,
        depth: Math.max(
          -1,
          ...names.filter((name) => path.startsWith(`${name}.`)).map((name) => name.length),
        ),
      }))
      .filter(({ depth }) => depth >= 0)
      .sort((a, b) => b.depth - a.depth);
    return around.length ? [around[0].element] : [];
  }

  /* The module paths a node or group is named by: the first line of its tooltip or label, a
     folded run "layers.0–3" standing for layers.0 … layers.3. */
  function moduleNames(element) {
    const link = element.querySelector("a");
    const title = link && (link.getAttribute("xlink:title") || link.getAttribute("title"));
    const text = element.querySelector("text");
    const first = ((title || (text && text.textContent) || "").split("\n")[0] || "").trim();
    const fold = /^(.+)\.(\d+)–(\d+)$/.exec(first);
    if (!fold) return [first];
    const names = [];
    for (let number = Number(fold[2]); number <= Number(fold[3]); number += 1) {
      names.push(`${fold[1]}.${number}`);
    }
    return names;
  }

  /* The biggest canvas every browser draws: Safari's limit (16,777,216 pixels) is the
     smallest; beyond it the PNG comes out empty or not at all. */
  const PNG_MAX_PIXELS = 4096 * 4096;
  const PNG_MAX_SIDE = 16384;

  /* The PNG download of an SVG page: the diagram drawn into a canvas at up to twice its size,
     scaled down to fit the canvas limits, in its own (light) colours, on the card PNG
     diagrams sit on (white). */
  async function downloadPng(root, link) {
    const svg = root.querySelector("svg.archviz-graph");
    const { width, height } = svgSize(svg);
    const scale = Math.min(
      2,
      PNG_MAX_SIDE / Math.max(width, height),
      Math.sqrt(PNG_MAX_PIXELS / (width * height)),
    );
    const copy = svg.cloneNode(true);
    copy.removeAttribute("style");
    copy.setAttribute("width", `${width * scale}`);
    copy.setAttribute("height", `${height * scale}`);
    const image = new Image();
    const markup = new XMLSerializer().serializeToString(copy);
    image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.floor(width * scale); // rounding up could pass the limits
    canvas.height = Math.floor(height * scale);
    const context = canvas.getContext("2d");
    context.fillStyle = getComputedStyle(root).getPropertyValue("--archviz-png-card");
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    save(blob, link.getAttribute("download"));
  }

  function save(blob, name) {
    const address = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = address;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(address), 10000);
  }

  /* The SVG download of an explored diagram: the picture as it is shown now. */
  function downloadSvg(root, link) {
    const copy = root.querySelector("svg.archviz-graph").cloneNode(true);
    copy.removeAttribute("style");
    copy.setAttribute("xmlns", "http://www.w3.org/2000/svg");
    const markup = `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}`;
    save(new Blob([markup], { type: "image/svg+xml" }), link.getAttribute("download"));
  }

  function offerPngDownloads(root) {
    for (const link of root.querySelectorAll("a[data-archviz-png]")) {
      link.parentElement.hidden = false;
      link.addEventListener("click", (event) => {
        event.preventDefault();
        downloadPng(root, link);
      });
    }
  }

  /* An SVG's natural size in CSS pixels: Graphviz writes it in points. */
  function svgSize(svg) {
    const box = svg.viewBox.baseVal;
    return {
      width: lengthInPixels(svg.getAttribute("width")) || (box && box.width),
      height: lengthInPixels(svg.getAttribute("height")) || (box && box.height),
    };
  }

  function lengthInPixels(value) {
    if (!value) return 0;
    const number = parseFloat(value);
    return value.trim().endsWith("pt") ? number * PT_TO_PX : number;
  }

  function startAll() {
    for (const root of document.querySelectorAll("div.archviz[data-archviz]")) {
      if (root.archvizStarted) continue;
      root.archvizStarted = true;
      offerPngDownloads(root);
      if (!root.querySelector(".archviz-toolbar")) continue;
      const diagram = new Diagram(root);
      root.archvizDiagram = diagram;
      const picture = diagram.picture;
      if (picture && picture.tagName.toLowerCase() === "img" && !picture.complete) {
        picture.addEventListener("load", () => diagram.start(), { once: true });
      } else {
        diagram.start();
      }
    }
  }

  function start() {
    startAll();
    revealFromAddress();
  }

  window.addEventListener("hashchange", revealFromAddress);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
