/* Statistics: attainment (assessed, certified, certified ÷ assessed) by year, organisation,
   occupation and level, as tables with inline SVG bars; the secretary also sees organisations by
   kind and memberships by status; the figures export as a spreadsheet. The API gives attainment
   alliance-wide to the secretary and an organisation's own to its admin. */
import { all, download, get } from "./api.js";
import { navItem, navigate, route } from "./app.js";
import { MEMBERSHIP_STATUSES, ORGANISATION_KINDS, SKILL_LEVELS, formatNumber, formatPercent, label, t } from "./labels.js";
import { actionButton, el, field, filters, heading, table, toast, uid } from "./ui.js";
import { chosenAlliance, organisationsById } from "./alliance.js";

const SVG = "http://www.w3.org/2000/svg";
const YEARS = 6; // this year and the five before it
const ROW = 42;
const BAR = 14;

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Horizontal bars, each under a line naming it and its figure. ``rows``: [{label, share (0..1),
 * text}]. Lengths are percentages of the chart's width, so it fits a phone without a scale of its own.
 */
export function bars(title, rows) {
  const id = uid("chart");
  const chart = svg("svg", { width: "100%", height: Math.max(rows.length * ROW, ROW), role: "img", "aria-labelledby": id });
  chart.append(svg("title", { id }, title));
  rows.forEach((row, i) => {
    const y = i * ROW;
    const share = Math.max(0, Math.min(1, row.share || 0));
    chart.append(svg("text", { x: 0, y: y + 14, class: "bar-label" }, `${row.label} · ${row.text}`));
    chart.append(svg("rect", { x: 0, y: y + 20, width: "100%", height: BAR, rx: 2, class: "bar-track" }));
    chart.append(svg("rect", { x: 0, y: y + 20, width: `${(share * 100).toFixed(2)}%`, height: BAR, rx: 2, class: "bar" }));
  });
  if (!rows.length) chart.append(svg("text", { x: 0, y: 24, class: "bar-label" }, t("暂无数据", "No data")));
  return el("figure", { class: "stats-chart" }, chart, el("figcaption", { text: title }));
}

const FIGURES = [
  { zh: "参评人数", en: "Assessed", num: true, key: "assessed", value: (r) => formatNumber(r.assessed) },
  { zh: "取证人数", en: "Certified", num: true, key: "certified", value: (r) => formatNumber(r.certified) },
  { zh: "取证率", en: "Attainment rate", num: true, key: "rate", value: (r) => formatPercent(r.attainment_rate) },
];

const rateText = (r) => `${formatNumber(r.certified)} / ${formatNumber(r.assessed)} · ${formatPercent(r.attainment_rate)}`;

/** A block of figures: its heading, the table, and bars of the attainment rate of each row with assessments. */
function attainmentBlock(zh, en, rows, firstColumns, name) {
  const charted = rows.filter((r) => r.assessed > 0);
  return el(
    "section",
    { class: "stats-block", dataset: { block: en.toLowerCase().replace(/\W+/g, "-") } },
    heading(2, zh, en),
    table([...firstColumns, ...FIGURES], rows, { empty: t("该年没有认定记录", "No assessments that year") }),
    charted.length ? bars(t(`${zh}：取证率`, `${en}: attainment rate`), charted.map((r) => ({ label: name(r), share: r.attainment_rate, text: rateText(r) }))) : null,
  );
}

/** Counts by a code (kinds, statuses), as a table and bars of each count's share of the largest. */
function countBlock(zh, en, counts, labels) {
  const rows = Object.keys(labels)
    .map((code) => ({ code, count: counts.get(code) || 0 }))
    .filter((r) => r.count);
  const top = Math.max(1, ...rows.map((r) => r.count));
  return el(
    "section",
    { class: "stats-block" },
    heading(3, zh, en),
    table(
      [
        { zh: "类别", en: "Category", value: (r) => label(labels, r.code) },
        { zh: "数量", en: "Count", num: true, key: "count", value: (r) => formatNumber(r.count) },
      ],
      rows,
    ),
    bars(t(zh, en), rows.map((r) => ({ label: label(labels, r.code), share: r.count / top, text: formatNumber(r.count) }))),
  );
}

function tally(items, key) {
  const counts = new Map();
  for (const item of items) counts.set(item[key], (counts.get(item[key]) || 0) + 1);
  return counts;
}

async function membershipCounts(organisations) {
  const alliance = await chosenAlliance();
  if (!alliance) return null;
  const memberships = await all(`/api/v1/alliances/${encodeURIComponent(alliance.id)}/memberships`);
  return el(
    "section",
    { class: "stats-counts" },
    heading(2, "单位与成员资格", "Organisations and memberships"),
    el("div", { class: "stats-pair" }, countBlock("单位（按类型）", "Organisations by kind", tally([...organisations.values()], "kind"), ORGANISATION_KINDS), countBlock("成员资格（按状态）", "Memberships by status", tally(memberships, "status"), MEMBERSHIP_STATUSES)),
  );
}

function tiles(figures) {
  const tile = (zh, en, value, key) => el("div", { class: "tile", dataset: { key } }, el("div", { class: "value", text: value }), el("div", { class: "label" }, zh, el("span", { class: "en", text: ` ${en}` })));
  return el(
    "div",
    { class: "tiles" },
    tile("参评人数", "Assessed", formatNumber(figures.assessed), "assessed"),
    tile("取证人数", "Certified", formatNumber(figures.certified), "certified"),
    tile("取证率", "Attainment rate", formatPercent(figures.attainment_rate), "rate"),
  );
}

route("/stats", {
  zh: "统计",
  en: "Statistics",
  roles: ["alliance_admin", "org_admin", "assessor"],
  render: async ({ query, me }) => {
    if (!me.isAdmin && !me.has("org_admin")) {
      return el(
        "section",
        {},
        heading(1, "统计", "Statistics"),
        el("p", { class: "note", text: t("取证率统计由本校管理员和联盟秘书处查看。", "Attainment figures are open to your school's admin and the alliance secretary.") }),
      );
    }
    const organisations = await organisationsById();
    const own = me.orgs("org_admin");
    const organisationId = me.isAdmin ? query.organisation || "" : own.includes(query.organisation) ? query.organisation : own[0];
    const scope = organisationId ? { organisation_id: organisationId } : {};
    const thisYear = new Date().getFullYear();
    const years = Array.from({ length: YEARS }, (_, i) => thisYear - i);
    const byYear = await Promise.all(years.map((year) => get("/api/v1/stats/attainment", { ...scope, year })));
    const asked = Number(query.year);
    const year = asked || (byYear.find((f) => f.assessed > 0) || byYear[0]).year;
    const figures = byYear.find((f) => f.year === year) || (await get("/api/v1/stats/attainment", { ...scope, year }));
    const nameOf = (id) => (id ? (organisations.get(id) || {}).name || id : t("未知单位", "Unknown"));
    const scopeName = organisationId ? nameOf(organisationId) : t("全联盟", "Alliance-wide");
    const choicesOfScope = me.isAdmin
      ? [["", t("全联盟", "Alliance-wide")], ...[...organisations.values()].sort((a, b) => a.name.localeCompare(b.name, "zh-CN")).map((o) => [o.id, o.name])]
      : own.map((id) => [id, nameOf(id)]);
    const exportButton = actionButton(
      t("导出 Excel", "Export XLSX"),
      async () => {
        const name = await download("/api/v1/stats/attainment.xlsx", { ...scope, year }, `attainment-${year}.xlsx`);
        toast(`${t("已下载", "Downloaded")} ${name}`);
      },
      { secondary: false },
    );
    return el(
      "section",
      { class: "stats" },
      heading(1, "统计", "Statistics"),
      filters(
        [
          field({ name: "year", zh: "年份", en: "Year", type: "number", value: year, required: true, attrs: { min: 2000, max: 2099, step: 1 } }),
          choicesOfScope.length > 1 ? field({ name: "organisation", zh: "范围", en: "Scope", type: "select", value: organisationId, options: choicesOfScope }) : null,
        ],
        (v) => navigate(`/stats?${new URLSearchParams(Object.entries({ year: v.year, organisation: v.organisation }).filter(([, x]) => x))}`),
      ),
      el("h2", { class: "stats-scope", text: `${scopeName} · ${year}` }),
      tiles(figures),
      el("div", { class: "toolbar" }, exportButton),
      organisationId
        ? null
        : attainmentBlock("各单位", "By organisation", [...(figures.by_organisation || [])].sort((a, b) => b.assessed - a.assessed), [{ zh: "单位", en: "Organisation", value: (r) => nameOf(r.organisation_id) }], (r) => nameOf(r.organisation_id)),
      attainmentBlock(
        "按职业与等级",
        "By occupation and level",
        figures.by_occupation_and_level || [],
        [
          { zh: "职业", en: "Occupation", value: (r) => r.occupation },
          { zh: "等级", en: "Level", value: (r) => label(SKILL_LEVELS, r.level) },
        ],
        (r) => `${r.occupation} ${(SKILL_LEVELS[r.level] || [r.level])[0]}`,
      ),
      attainmentBlock("历年", "By year", byYear, [{ zh: "年份", en: "Year", value: (r) => String(r.year) }], (r) => String(r.year)),
      me.isAdmin ? await membershipCounts(organisations) : null,
    );
  },
});

navItem({ href: "#/stats", zh: "统计", en: "Statistics", roles: ["alliance_admin", "org_admin"], order: 60 });
