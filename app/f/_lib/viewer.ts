/**
 * The finding page's behaviour on top of its server-rendered HTML (which works without it):
 * hover linking and tooltips in the Select view (nearest line at the pointer's step, as in the
 * app, linked with the cell list) and the Match view (a row/column highlighted across heatmaps
 * and tokens), copy buttons, and zoom without losing the scroll position.
 *
 * Served as /f/assets/viewer.js from `findingViewer.toString()`: it must stay self-contained
 * (no imports, nothing from the module scope). Geometry comes from the figure's data attributes.
 */
export function findingViewer(): void {
  const tip = document.createElement("div");
  tip.className = "tip";
  tip.setAttribute("role", "status");
  tip.hidden = true;
  tip.dataset.testid = "finding-tooltip";
  document.body.appendChild(tip);
  const show = (text: string, e: PointerEvent) => {
    tip.textContent = text;
    tip.hidden = false;
    const x = Math.min(e.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = `${x}px`;
    tip.style.top = `${e.clientY + 16}px`;
  };
  const hide = () => {
    tip.hidden = true;
  };
  const SVG = "http://www.w3.org/2000/svg";

  /** Cell → y per shown step (NaN where the line has a gap), parsed once from the paths. */
  const parsed = new WeakMap<Element, Map<number, Float32Array>>();
  function linesOf(plot: Element, view: Element): Map<number, Float32Array> {
    const hit = parsed.get(plot);
    if (hit) return hit;
    const zoom = Number(view.getAttribute("data-zoom"));
    const n = Number(view.getAttribute("data-n"));
    const x0 = Number(view.getAttribute("data-gutter"));
    const out = new Map<number, Float32Array>();
    plot.querySelectorAll("g.faint path[data-c]").forEach((p) => {
      const ys = new Float32Array(n).fill(NaN);
      const re = /([Mml])(-?[\d.]+) (-?[\d.]+)/g;
      let x = 0;
      let y = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(p.getAttribute("d") ?? ""))) {
        if (m[1] === "M") {
          x = Number(m[2]);
          y = Number(m[3]);
        } else {
          x += Number(m[2]);
          y += Number(m[3]);
        }
        const t = Math.round((x - x0) / zoom - 0.5);
        if (t >= 0 && t < n) ys[t] = y;
      }
      out.set(Number(p.getAttribute("data-c")), ys);
    });
    parsed.set(plot, out);
    return out;
  }

  function local(g: SVGGraphicsElement, e: PointerEvent): { x: number; y: number } | null {
    const m = g.getScreenCTM();
    if (!m) return null;
    const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }

  function highlight(plot: Element | null, cell: number | null) {
    document.querySelectorAll(".select-view path.hl").forEach((p) => p.remove());
    document.querySelectorAll(".chip.hover").forEach((c) => c.classList.remove("hover"));
    if (!plot || cell === null) return;
    const src = plot.querySelector(`g.faint path[data-c="${cell}"]`);
    if (src) {
      const hl = document.createElementNS(SVG, "path");
      hl.setAttribute("d", src.getAttribute("d") ?? "");
      hl.setAttribute("class", "hl");
      plot.appendChild(hl);
    }
    document.querySelectorAll(`.chip[data-layer="${plot.getAttribute("data-layer")}"][data-c="${cell}"]`).forEach((c) => c.classList.add("hover"));
  }

  document.addEventListener("pointermove", (e) => {
    const target = e.target as Element | null;
    const plot = target?.closest?.(".select-view .plot") as SVGGElement | null;
    const view = plot?.closest(".select-view");
    if (plot && view) {
      const p = local(plot, e);
      if (!p) return;
      const zoom = Number(view.getAttribute("data-zoom"));
      const s0 = Number(view.getAttribute("data-s0"));
      const t = Math.floor((p.x - Number(view.getAttribute("data-gutter"))) / zoom);
      const lines = linesOf(plot, view);
      let best = -1;
      let bestD = 7;
      for (const [c, ys] of lines) {
        const d = Math.abs((ys[t] ?? NaN) - p.y);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      highlight(plot, best < 0 ? null : best);
      if (best < 0) return hide();
      const [lo, hi] = (plot.getAttribute("data-domain") ?? "0 1").split(" ").map(Number) as [number, number];
      const h = Number(view.getAttribute("data-plot-h"));
      const y = lines.get(best)![t]!;
      const v = hi - ((y - 8) / (h - 16)) * (hi - lo);
      const tok = document.querySelector(`.select-view g.tok[data-t="${s0 + t}"] title`)?.textContent ?? `step ${s0 + t}`;
      return show(`cell ${best} · ${tok} · value ${v.toFixed(3)}${plot.getAttribute("data-transform") === "tanh" ? " (tanh)" : ""}`, e);
    }
    const cellEl = target?.closest?.(".match-view [data-r][data-k]");
    const match = cellEl?.closest(".match-view");
    if (cellEl && match) {
      const r = cellEl.getAttribute("data-r");
      const k = cellEl.getAttribute("data-k");
      const rowH = Number(match.getAttribute("data-row-h"));
      const titleH = Number(match.getAttribute("data-title-h"));
      match.querySelectorAll("rect.hl").forEach((x) => x.remove());
      const tips: string[] = [];
      match.querySelectorAll(".heatmap, .results").forEach((g) => {
        const w = Number(match.getAttribute(g.classList.contains("results") ? "data-tok-w" : "data-hm-w"));
        const hl = document.createElementNS(SVG, "rect");
        hl.setAttribute("class", "hl");
        hl.setAttribute("x", String(Number(k) * w - 0.5));
        hl.setAttribute("y", String(titleH + Number(r) * rowH + 1));
        hl.setAttribute("width", String(w + 0.5));
        hl.setAttribute("height", String(rowH - 2));
        g.appendChild(hl);
        const c = g.querySelector(`[data-r="${r}"][data-k="${k}"]`);
        const text = c?.getAttribute("data-tip") ?? c?.querySelector("title")?.textContent;
        // the result text's tip already says how many cells are on: the count heatmap's would repeat it
        if (text && g.getAttribute("data-name") !== "count") tips.push(text);
      });
      // the result (rank, step, token, cells on) first, then the tracks
      return show(tips.join(" · "), e);
    }
    if (!target?.closest?.(".chip")) {
      highlight(null, null);
      document.querySelectorAll(".match-view rect.hl").forEach((x) => x.remove());
      hide();
    }
  });

  document.addEventListener("pointerover", (e) => {
    const chip = (e.target as Element | null)?.closest?.(".chip[data-c]");
    if (!chip) return;
    const plot = document.querySelector(`.select-view .plot[data-layer="${chip.getAttribute("data-layer")}"]`);
    highlight(plot, Number(chip.getAttribute("data-c")));
  });

  document.addEventListener("click", (e) => {
    const btn = (e.target as Element | null)?.closest?.("button[data-copy]");
    if (btn) {
      const src = document.getElementById(btn.getAttribute("data-copy") ?? "");
      const text = src instanceof HTMLTextAreaElement || src instanceof HTMLInputElement ? src.value : (src?.textContent ?? "");
      const done = () => {
        const was = btn.textContent;
        btn.textContent = "Copied";
        setTimeout(() => (btn.textContent = was), 1500);
      };
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, () => undefined);
      return;
    }
    const zoom = (e.target as Element | null)?.closest?.("a[data-zoom]") as HTMLAnchorElement | null;
    const box = document.getElementById("select-scroll");
    if (!zoom || !box) return;
    e.preventDefault();
    const center = (box.scrollLeft + box.clientWidth / 2) / Math.max(1, box.scrollWidth);
    fetch(zoom.href, { headers: { accept: "text/html" } })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(String(r.status)))))
      .then((body) => {
        const next = new DOMParser().parseFromString(body, "text/html");
        for (const id of ["select-scroll", "zoom-controls"]) {
          const a = document.getElementById(id);
          const b = next.getElementById(id);
          if (a && b) a.innerHTML = b.innerHTML;
        }
        box.scrollLeft = center * box.scrollWidth - box.clientWidth / 2;
        history.replaceState(null, "", zoom.href);
      })
      .catch(() => {
        location.href = zoom.href;
      });
  });
}
