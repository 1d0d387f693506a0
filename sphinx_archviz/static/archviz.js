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
      const source = node.querySelector("a[data-archviz-source]");
      if (source) {
        const link = document.createElement("a");
        link.className = "archviz-source";
        link.href = source.getAttribute("data-archviz-source");
        link.textContent = this.root.dataset.archvizSourceLabel || "Source";
        this.tooltip.append("\n", link);
      }
      this.tooltip.hidden = !this.tooltip.textContent;
      const box = node.getBoundingClientRect();
      const root = this.root.getBoundingClientRect();
      this.tooltip.style.left = `${Math.max(0, box.left - root.left)}px`;
      this.tooltip.style.top = `${box.bottom - root.top + 4}px`;
    }

    /* Hide the tooltip unless the pointer reaches it (or another node) first. */
    hideTooltipSoon() {
      clearTimeout(this.hiding);
      this.hiding = setTimeout(() => (this.tooltip.hidden = true), 400);
    }

    find(query) {
      const words = query.trim().toLowerCase();
      this.matches = [];
      for (const node of this.picture.querySelectorAll("g.node")) {
        const hit = words !== "" && this.nodeDetails(node).toLowerCase().includes(words);
        node.classList.toggle("archviz-match", hit);
        if (hit) this.matches.push(node);
      }
      this.root.classList.toggle("archviz-searching", words !== "");
      this.current = -1;
      this.matchCount.textContent = words === "" ? "" : `${this.matches.length}`;
      if (this.matches.length) this.showMatch(0);
    }

    showMatch(index) {
      if (!this.matches.length) return;
      this.current = (index + this.matches.length) % this.matches.length;
      this.centre(this.matches[this.current]);
      this.matchCount.textContent = `${this.current + 1} / ${this.matches.length}`;
    }

    /* Pan so that an element of the picture is in the middle of the viewport. */
    centre(element) {
      const box = element.getBoundingClientRect();
      const view = this.viewport.getBoundingClientRect();
      this.pan(
        view.left + view.width / 2 - (box.left + box.width / 2),
        view.top + view.height / 2 - (box.top + box.height / 2),
      );
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
    root.dispatchEvent(new CustomEvent("archviz:reveal", { detail: { path } }));
    for (const old of document.querySelectorAll(".archviz-target")) {
      old.classList.remove("archviz-target");
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
    const address = URL.createObjectURL(blob);
    const save = document.createElement("a");
    save.href = address;
    save.download = link.getAttribute("download");
    document.body.appendChild(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(address), 10000);
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
