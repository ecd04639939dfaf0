/* Alliance dashboard: certificates per school per year, attainment rates and events by kind, as charts.
 * The API has no aggregate for certificates or events, so those are counted here from the paginated lists. */
"use strict";

(() => {
  const { el, label, getJson, getAll, ApiError, KINDS } = Alliance;
  const TOKEN_KEY = "alliance.token";
  const SCHOOL_KINDS = new Set(["secondary_vocational_school", "higher_vocational_college"]);
  const YEARS_BACK = 5;
  const PARALLEL = 6;

  const signin = document.getElementById("signin");
  const board = document.getElementById("board");
  const state = document.getElementById("state");
  const signinError = document.getElementById("signin-error");

  function showSignin(message) {
    board.hidden = true;
    signin.hidden = false;
    signinError.hidden = !message;
    signinError.textContent = message || "";
    document.getElementById("token").focus();
  }

  function widthOf(id) {
    return document.getElementById(id).clientWidth;
  }

  function percent(rate) {
    return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
  }

  function table(headers, rows) {
    return el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, ...headers.map(([text, num]) => el("th", { class: num ? "num" : null, text })))),
      el("tbody", {}, ...rows.map((cells) => el("tr", {},
        ...cells.map((cell, i) => el("td", { class: headers[i][1] ? "num" : null, text: cell })))))));
  }

  function figure(chart, caption, legendOf, data) {
    return [
      legendOf ? Charts.legend(legendOf) : null,
      el("figure", { class: "chart" }, chart, el("figcaption", { text: caption })),
      el("details", { class: "data" }, el("summary", { text: "数据表 Data table" }), data),
    ].filter(Boolean);
  }

  /* Run ``work`` over ``inputs`` with at most PARALLEL requests in flight. */
  async function pooled(inputs, work) {
    const results = new Array(inputs.length);
    let next = 0;
    async function lane() {
      while (next < inputs.length) {
        const index = next++;
        results[index] = await work(inputs[index]);
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL, inputs.length) }, lane));
    return results;
  }

  function certificatesChart(certificates, names) {
    const counts = new Map();
    const years = new Set();
    for (const c of certificates) {
      const school = c.holder_organisation_id || c.issuer_id;
      const year = new Date(c.issued_at).getFullYear();
      years.add(year);
      const perYear = counts.get(school) || new Map();
      perYear.set(year, (perYear.get(year) || 0) + 1);
      counts.set(school, perYear);
    }
    const series = [...years].sort();
    const rows = [...counts.entries()]
      .map(([school, perYear]) => ({ label: names.get(school) || school,
                                     values: series.map((y) => perYear.get(y) ?? null),
                                     total: [...perYear.values()].reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.total - a.total);
    const chart = Charts.bars({ id: "chart-certificates", title: "各校历年证书数 Certificates per school per year",
                                rows, series: series.map(String), width: widthOf("certificates-chart") });
    const data = table([["学校 School"], ["年份 Year", true], ["证书 Certificates", true]],
      rows.flatMap((r) => series.map((y, i) => [r.label, String(y), r.values[i]]).filter((c) => c[2] !== null)));
    return figure(chart, "按持证人所在学校与发证年份统计 By the holder's school and year of issue",
                  series.length > 1 ? series.map(String) : null, data);
  }

  function attainmentChart(results, names) {
    const found = results.filter((r) => r.assessed > 0);
    const years = [...new Set(found.map((r) => r.year))].sort();
    const bySchool = new Map();
    for (const r of found) {
      const entry = bySchool.get(r.organisation_id) || new Map();
      entry.set(r.year, r);
      bySchool.set(r.organisation_id, entry);
    }
    const rows = [...bySchool.entries()].map(([school, perYear]) => ({
      label: names.get(school) || school,
      values: years.map((y) => (perYear.has(y) ? perYear.get(y).attainment_rate : null)),
      texts: years.map((y) => {
        const r = perYear.get(y);
        return r ? `${percent(r.attainment_rate)} (${r.certified}/${r.assessed})` : "";
      }),
    }));
    const chart = Charts.bars({ id: "chart-attainment", title: "技能等级认定达标率 Attainment rate", rows,
                                series: years.map(String), max: 1, width: widthOf("attainment-chart") });
    const data = table([["学校 School"], ["年份 Year", true], ["参评 Assessed", true], ["取证 Certified", true],
                        ["达标率 Rate", true]],
      found.map((r) => [names.get(r.organisation_id) || r.organisation_id, String(r.year), r.assessed,
                        r.certified, percent(r.attainment_rate)]));
    return figure(chart, "取证人数 ÷ 参评人数 Certified ÷ assessed, per school and assessment year",
                  years.length > 1 ? years.map(String) : null, data);
  }

  function eventsChart(events) {
    const counts = new Map();
    for (const e of events) counts.set(e.kind, (counts.get(e.kind) || 0) + 1);
    const rows = [...counts.entries()].sort((a, b) => b[1] - a[1])
      .map(([kind, count]) => ({ label: label(KINDS, kind), values: [count] }));
    const chart = Charts.bars({ id: "chart-events", title: "各类活动数量 Events by kind", rows,
                                series: ["活动 Events"], width: widthOf("events-chart") });
    const data = table([["类型 Kind"], ["数量 Events", true]], rows.map((r) => [r.label, r.values[0]]));
    return figure(chart, "所有状态的活动 Events in every status you may see", null, data);
  }

  function tile(value, zh, en) {
    return el("div", { class: "tile" }, el("div", { class: "value", text: value }),
      el("div", { class: "label", text: `${zh} ${en}` }));
  }

  async function load(token) {
    signin.hidden = true;
    board.hidden = false;
    state.textContent = "加载中… Loading…";
    try {
      const organisations = await getAll("/api/v1/organisations", token);
      const names = new Map(organisations.map((o) => [o.id, o.name]));
      const [certificates, events] = await Promise.all([
        getAll("/api/v1/certificates", token), getAll("/api/v1/events", token)]);
      const thisYear = new Date().getFullYear();
      const queries = organisations.filter((o) => SCHOOL_KINDS.has(o.kind)).flatMap((o) =>
        Array.from({ length: YEARS_BACK + 1 }, (_, i) => [o.id, thisYear - YEARS_BACK + i]));
      const attainment = await pooled(queries, ([id, year]) =>
        getJson(`/api/v1/stats/attainment?organisation_id=${encodeURIComponent(id)}&year=${year}`, token));
      const assessed = attainment.reduce((n, r) => n + r.assessed, 0);
      const certified = attainment.reduce((n, r) => n + r.certified, 0);
      document.getElementById("tiles").replaceChildren(
        tile(String(organisations.length), "成员单位", "Organisations"),
        tile(String(certificates.length), "证书", "Certificates"),
        tile(String(events.length), "活动", "Events"),
        tile(assessed ? percent(certified / assessed) : "—", "总达标率", "Attainment"));
      document.getElementById("certificates-chart").replaceChildren(...certificatesChart(certificates, names));
      document.getElementById("attainment-chart").replaceChildren(...attainmentChart(attainment, names));
      document.getElementById("events-chart").replaceChildren(...eventsChart(events));
      state.textContent = `已更新 Updated ${new Date().toLocaleString("zh-CN", { hour12: false })}`;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        sessionStorage.removeItem(TOKEN_KEY);
        showSignin(`令牌无效或权限不足 The token was refused: ${error.message}`);
      } else {
        state.textContent = `加载失败 Could not load: ${error.message}`;
      }
    }
  }

  document.getElementById("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = document.getElementById("token").value.trim().replace(/^Bearer\s+/i, "");
    if (!token) return showSignin("请粘贴令牌 Paste a token.");
    sessionStorage.setItem(TOKEN_KEY, token);
    document.getElementById("token").value = "";
    load(token);
  });

  document.getElementById("signout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignin();
  });

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) load(saved);
  else showSignin();
})();
