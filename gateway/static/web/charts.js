/* Small inline-SVG bar charts: horizontal bars, label above each group, so they read at phone width. */
"use strict";

const Charts = (() => {
  const SVG = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1a56b0", "#b22222", "#1e7b34", "#9a6700", "#6b3fa0", "#0f7c8c", "#5a6478"];
  const MIN_WIDTH = 280;
  const VALUE_SPACE = 150;
  const BAR = 16;
  const GAP = 4;
  const LABEL = 20;
  const GROUP_GAP = 10;

  function svg(tag, attributes = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /*
   * rows: [{label, values: [number|null per series], texts?: [string per series]}]
   * series: [name]; format(value) → the text printed at the end of a bar; width: the pixels the chart
   * is shown at (drawn one unit per pixel, so its text keeps the page's size on a phone and a desktop).
   */
  function bars({ id, title, rows, series, max, width: shownWidth, format = String }) {
    const chartWidth = Math.max(MIN_WIDTH, Math.round(shownWidth || MIN_WIDTH));
    const top = Math.max(max || 0, ...rows.flatMap((r) => r.values.filter((v) => v !== null)), 1);
    const drawn = rows.map((r) => ({ ...r, shown: series.map((_, i) => i).filter((i) => r.values[i] !== null) }));
    const height = drawn.reduce((h, r) => h + LABEL + r.shown.length * (BAR + GAP) + GROUP_GAP, 0) || 40;
    const chart = svg("svg", { viewBox: `0 0 ${chartWidth} ${height}`, role: "img", "aria-labelledby": `${id}-title`,
                               id, "font-size": "14", "font-family": "inherit" });
    chart.append(svg("title", { id: `${id}-title` }, title));
    const scale = (chartWidth - VALUE_SPACE) / top;
    let y = 0;
    for (const row of drawn) {
      chart.append(svg("text", { x: 0, y: y + 14, fill: "#1f2a44", "font-weight": "600" }, row.label));
      y += LABEL;
      for (const i of row.shown) {
        const value = row.values[i];
        const text = row.texts ? row.texts[i] : format(value);
        const width = Math.max(value * scale, value > 0 ? 2 : 0);
        const bar = svg("rect", { x: 0, y, width, height: BAR, rx: 2, fill: PALETTE[i % PALETTE.length] });
        bar.append(svg("title", {}, `${row.label} · ${series[i]}: ${text}`));
        chart.append(bar);
        const prefix = series.length > 1 ? `${series[i]}: ` : "";
        chart.append(svg("text", { x: width + 6, y: y + BAR - 3, fill: "#1f2a44" }, prefix + text));
        y += BAR + GAP;
      }
      y += GROUP_GAP;
    }
    if (!rows.length) chart.append(svg("text", { x: 0, y: 24, fill: "#5a6478" }, "暂无数据 No data"));
    return chart;
  }

  function legend(series) {
    const list = document.createElement("ul");
    list.className = "legend";
    series.forEach((name, i) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = PALETTE[i % PALETTE.length];
      item.append(swatch, name);
      list.append(item);
    });
    return list;
  }

  return { bars, legend };
})();
