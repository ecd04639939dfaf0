/* An event's results: the organiser (or the alliance admin) enters ranks, scores and awards once
   registration has closed, then watches the award certificates being issued; everyone who opens
   the event reads the results and exports them. */
import { all, download, get, post } from "./api.js";
import { refreshView, route } from "./app.js";
import { EVENT_AWARDS, STATUSES, formatDate, formatNumber, label, t } from "./labels.js";
import { actionButton, badge, el, field, form, heading, table, toast } from "./ui.js";
import { eventFrame, eventPath, isOrganiser, loadEvent, organisationNames } from "./events.js";

const RESULT_STATUSES = ["closed", "completed"];
// How long the screen keeps looking for certificates still being issued before it leaves it to "refresh".
const ISSUING_DEADLINE_MS = 120_000;

const teamText = (row, names) => [row.team_name, names.filter(Boolean).join("、")].filter(Boolean).join("：");

function resultsTable(results, schools) {
  return table(
    [
      { zh: "名次", en: "Rank", key: "rank", num: true, value: (r) => r.rank ?? "—" },
      { zh: "队名 / 成员", en: "Team / people", key: "who", value: (r) => teamText(r, r.names || []) },
      { zh: "单位", en: "School", key: "school", value: (r) => r.organisation_name || schools.get(r.organisation_id) || r.organisation_id },
      { zh: "成绩", en: "Score", key: "score", num: true, value: (r) => (r.score === null || r.score === undefined ? "—" : formatNumber(r.score)) },
      { zh: "奖项", en: "Award", key: "award", value: (r) => label(EVENT_AWARDS, r.award) },
    ],
    [...results].sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity)),
    { empty: t("尚未公布成绩", "No results yet") },
  );
}

/** One row of the results form per confirmed registration; names ``results.N.field`` so the API's
    errors (``/results/N/rank``) land next to their field. */
function resultsForm(event, registrations, previous, published) {
  const before = new Map(previous.map((row) => [row.registration_id, row]));
  const awards = Object.keys(EVENT_AWARDS).map((code) => [code, label(EVENT_AWARDS, code)]);
  const rows = registrations.map((registration, index) => {
    const old = before.get(registration.id) || {};
    const names = (registration.people || []).map((p) => p.name || p.id);
    return el(
      "fieldset",
      { class: "result-row" },
      el("legend", { text: teamText(registration, names) }),
      el("p", { class: "note", text: registration.organisation_name || registration.organisation_id }),
      el(
        "div",
        { class: "row" },
        field({ name: `results.${index}.rank`, zh: "名次", en: "Rank", type: "number", value: old.rank, attrs: { min: 1, step: 1 } }),
        field({ name: `results.${index}.score`, zh: "成绩", en: "Score", type: "number", value: old.score, attrs: { step: "any" } }),
        field({ name: `results.${index}.award`, zh: "奖项", en: "Award", type: "select", value: old.award || "none", options: awards }),
      ),
    );
  });
  return form({
    fields: [
      el("p", { class: "note", text: t("再次提交即为更正：奖项有变的证书会被撤销并重新签发。", "Submitting again corrects them: certificates of changed awards are revoked and issued anew.") }),
      ...rows,
    ],
    submitLabel: previous.length ? t("更正成绩", "Correct results") : t("公布成绩", "Publish results"),
    submit: (v, key) =>
      post(
        `${eventPath(event.id)}/results`,
        {
          results: registrations.map((registration, index) => ({
            registration_id: registration.id,
            rank: v[`results.${index}.rank`] ?? null,
            score: v[`results.${index}.score`] ?? null,
            award: v[`results.${index}.award`] || "none",
          })),
        },
        { idempotencyKey: key },
      ),
    done: published,
  });
}

/** The award certificates of the event's results: those still being issued are looked for again
    until all are there or the deadline passes; "refresh" looks again. */
function certificates(event, results) {
  const holders = new Map();
  for (const row of results.filter((r) => r.award && r.award !== "none")) {
    (row.person_ids || []).forEach((id, i) => holders.set(id, (row.names || [])[i] || id));
  }
  if (!holders.size) return null;
  const box = el("div", { class: "certificates", dataset: { state: "loading" } }, el("p", { class: "note", role: "status", text: t("加载中…", "Loading…") }));
  let deadline = Date.now() + ISSUING_DEADLINE_MS;
  let timer = null;
  async function load() {
    clearTimeout(timer);
    let issued;
    try {
      issued = (await all("/api/v1/certificates", { event_id: event.id, status: "active" })).filter((c) => holders.has(c.holder_id));
    } catch (error) {
      box.replaceChildren(el("p", { class: "message", role: "alert", text: error.message }));
      return;
    }
    const issuing = issued.length < holders.size;
    box.dataset.state = issuing ? "issuing" : "issued";
    box.replaceChildren(
      el(
        "div",
        { class: "toolbar" },
        el(
          "p",
          { class: issuing ? "note issuing" : "note", role: "status" },
          issuing
            ? t(`证书签发中…（${issued.length} / ${holders.size}）`, `Being issued (${issued.length} of ${holders.size})`)
            : t(`获奖证书已全部签发（${issued.length} 张）`, `All ${issued.length} award certificates issued`),
        ),
        el("button", {
          type: "button",
          class: "secondary",
          text: t("刷新", "Refresh"),
          on: { click: () => ((deadline = Date.now() + ISSUING_DEADLINE_MS), load()) },
        }),
      ),
      table(
        [
          { zh: "证书编号", en: "Number", key: "number", value: (c) => c.number },
          { zh: "获奖人", en: "Holder", key: "holder", value: (c) => holders.get(c.holder_id) },
          { zh: "证书名称", en: "Title", key: "title", value: (c) => c.title },
          { zh: "状态", en: "Status", key: "status", value: (c) => badge(c.status) },
          { zh: "签发时间", en: "Issued", key: "issued", value: (c) => formatDate(c.issued_at, { time: true }) },
        ],
        issued,
        { empty: t("证书正在签发，请稍候", "The certificates are being issued") },
      ),
    );
    if (issuing && Date.now() < deadline) timer = setTimeout(() => box.isConnected && load(), 2000);
  }
  load();
  return [heading(2, "获奖证书", "Award certificates"), box];
}

route("/events/:id/results", {
  zh: "成绩与证书",
  en: "Results",
  roles: ["org_admin", "teacher"],
  render: async ({ params, me }) => {
    const [event, schools] = await Promise.all([loadEvent(params.id), organisationNames()]);
    const results = await get(`${eventPath(event.id)}/results`);
    const organiser = isOrganiser(me, event);
    const rows = results.results || [];
    let entry = null;
    if (organiser && RESULT_STATUSES.includes(event.status)) {
      const confirmed = await all(`${eventPath(event.id)}/registrations`, { status: "confirmed" });
      entry = confirmed.length
        ? resultsForm(event, confirmed, rows, async () => {
            toast(t("成绩已公布，正在签发获奖证书", "Results published; award certificates are being issued"));
            await refreshView();
          })
        : el("p", { class: "note", text: t("没有已确认的报名，无从录入成绩。", "No confirmed registrations to record results for.") });
    } else if (organiser) {
      entry = el("p", { class: "note", text: t(`活动${label(STATUSES, event.status)}：截止报名后、活动开始后方可录入成绩。`, "Results are entered once registration is closed and the event has started.") });
    }
    return eventFrame(
      event,
      "results",
      heading(2, "成绩", "Results"),
      results.published_at
        ? el("p", { class: "note", text: `${t(`第 ${results.revision} 版`, `revision ${results.revision}`)} · ${t("公布于", "published")} ${formatDate(results.published_at, { time: true })}` })
        : null,
      resultsTable(rows, schools),
      rows.length ? el("div", { class: "toolbar" }, actionButton(t("导出 Excel", "Export XLSX"), () => download(`${eventPath(event.id)}/results.xlsx`, {}, "results.xlsx"))) : null,
      organiser ? certificates(event, rows) : null,
      entry ? [heading(2, rows.length ? "更正成绩" : "录入成绩", rows.length ? "Correct results" : "Enter results"), entry] : null,
    );
  },
});
