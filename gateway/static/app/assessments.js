/* Skill-level assessments for assessors: the results sheet's template, uploading a filled-in sheet
   (its errors by row, the job that issues the certificates, the assessment's figures), and the jobs
   of the caller's organisation with their progress. */
import { all, get, request } from "./api.js";
import { navItem, route } from "./app.js";
import { IMPORT_MODES, JOB_KINDS, SKILL_LEVELS, STATUSES, formatDate, formatNumber, formatPercent, label, t } from "./labels.js";
import { badge, details, el, errorMessage, field, filters, form, heading, jobProgress, pagedTable, table } from "./ui.js";

const ROLES = ["assessor", "org_admin"];
const TEMPLATE = "/api/v1/templates/assessment-results.xlsx";

/** The organisations' names by id (a short list: the alliance's members). */
async function organisationNames() {
  const organisations = await all("/api/v1/organisations");
  return new Map(organisations.map((o) => [o.id, o]));
}

/** Where the caller may record assessments: its own evaluators, or any accredited one for the alliance admin. */
function evaluators(me, organisations) {
  if (me.isAdmin) return [...organisations.values()].filter((o) => o.accredited_evaluator);
  return me.orgs(...ROLES).map((id) => organisations.get(id) || { id, name: id });
}

function today() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

function levelText(level) {
  return label(SKILL_LEVELS, level);
}

/** The sheet's rows the import refused: row, column and what is wrong. */
function rowErrors(errors) {
  return table(
    [
      { zh: "行", en: "Row", num: true, key: "row", value: (e) => formatNumber(e.row) },
      { zh: "列", en: "Column", key: "column", value: (e) => e.column || e.field || t("整行", "Whole row") },
      { zh: "问题", en: "Problem", key: "messages", value: (e) => e.messages.join("; ") },
    ],
    errors,
    { caption: t("有误的行（按表格中的行号）", "Rows with errors (numbered as in the sheet)"), empty: t("所有行都无误", "Every row is valid") },
  );
}

/** The job's items that could not be finished. */
function itemErrors(job) {
  if (!job.errors || !job.errors.length) return null;
  return table(
    [
      { zh: "项", en: "Item", num: true, value: (e) => formatNumber(e.index + 1) },
      { zh: "人员编号", en: "Person", value: (e) => e.holder_id },
      { zh: "问题", en: "Problem", value: (e) => e.error },
    ],
    job.errors,
    { caption: t("未能处理的考生", "Candidates that could not be processed") },
  );
}

/** Figures as tiles: [key, zh, en, value] each, under a caption. */
function figureTiles(caption, figures) {
  return el(
    "div",
    { class: "figure-group", role: "group", "aria-label": caption },
    el("p", { class: "caption", text: caption }),
    el(
      "div",
      { class: "tiles" },
      figures.map(([key, zh, en, value]) =>
        el("div", { class: "tile" }, el("div", { class: "value", dataset: { key } }, value), el("div", { class: "label" }, zh, " ", el("span", { class: "en", text: en }))),
      ),
    ),
  );
}

/**
 * The figures of a finished assessment: its own (from the job) and the year's for its occupation and
 * level in the candidates' organisation (from the attainment statistics).
 */
function assessmentFigures(job, organisationId) {
  const certified = (job.issued ?? 0) + (job.already_issued ?? 0);
  const passRate = job.total && job.passed !== null && job.passed !== undefined ? job.passed / job.total : null;
  const box = el(
    "section",
    { class: "assessment-figures", "aria-label": t("认定结果", "Assessment figures") },
    heading(2, "认定结果", "Figures"),
    figureTiles(t("本次认定", "This assessment"), [
      ["candidates", "参评人数", "Candidates", formatNumber(job.total)],
      ["passed", "通过", "Passed", formatNumber(job.passed)],
      ["certified", "取证", "Certified", formatNumber(certified)],
      ["pass-rate", "通过率", "Pass rate", formatPercent(passRate)],
    ]),
  );
  const assessment = job.assessment;
  if (!assessment || !organisationId) return box;
  const year = Number(assessment.assessed_on.slice(0, 4));
  const yearly = el("div", { class: "yearly" }, el("p", { class: "note", role: "status", text: t("加载中…", "Loading…") }));
  box.append(yearly);
  get("/api/v1/stats/attainment", { organisation_id: organisationId, year }).then(
    (figures) => {
      const group = figures.by_occupation_and_level.find((g) => g.occupation === assessment.occupation && g.level === assessment.level) || {};
      yearly.replaceChildren(
        figureTiles(`${t(`${year} 年本单位全部认定`, `All of the organisation's assessments in ${year}`)}: ${assessment.occupation} · ${levelText(assessment.level)}`, [
          ["assessed", "参评人数", "Assessed", formatNumber(group.assessed ?? 0)],
          ["year-certified", "取证人数", "Certified", formatNumber(group.certified ?? 0)],
          ["attainment-rate", "取证率", "Attainment rate", formatPercent(group.attainment_rate)],
        ]),
        el("p", { class: "note" }, el("a", { href: "#/stats", text: t("查看全部统计", "All statistics") })),
      );
    },
    (error) => yearly.replaceChildren(errorMessage(error)),
  );
  return box;
}

/** A job's progress until it ends, then what it did: per-item errors and the assessment's figures. */
function jobView(job, organisationId) {
  const figures = el("div");
  const progress = jobProgress(`/api/v1/jobs/${encodeURIComponent(job.id)}`, {
    render: (current) => itemErrors(current) || el("span"),
    onDone: (finished) => {
      if (finished.kind === "assessment") figures.replaceChildren(assessmentFigures(finished, organisationId || finished.issuer_id));
    },
  });
  return el("div", { class: "job-view" }, progress, figures);
}

/** What an upload answered: counts, the rows refused, and the job it queued (watched to its end). */
function importReport(report, organisationId) {
  const counts = details([
    ["读取行数", "Rows read", formatNumber(report.rows)],
    ["无误行数", "Valid rows", formatNumber(report.valid)],
    ["已提交", "Queued", formatNumber(report.written)],
  ]);
  return el(
    "section",
    { class: "import-report", "aria-label": t("上传结果", "Upload result") },
    heading(2, "上传结果", "Upload result"),
    report.mode === "preview" ? el("p", { class: "note", text: t("仅检查，未写入任何数据。", "Checked only; nothing was written.") }) : null,
    counts,
    rowErrors(report.errors),
    report.job ? el("p", {}, el("a", { href: `#/jobs/${encodeURIComponent(report.job.id)}`, text: t("任务详情", "Job details") })) : null,
    report.job ? jobView(report.job, organisationId) : null,
  );
}

route("/assessments", {
  zh: "技能等级认定",
  en: "Assessments",
  roles: ROLES,
  render: async ({ me }) => {
    const organisations = await organisationNames();
    const issuers = evaluators(me, organisations);
    const result = el("div", { class: "import-result" });
    const fields = [
      field({
        name: "issuer_id",
        zh: "认定机构",
        en: "Evaluating organisation",
        type: "select",
        required: true,
        options: issuers.map((o) => [o.id, o.name]),
      }),
      field({ name: "occupation", zh: "职业", en: "Occupation", required: true, attrs: { maxlength: 100 } }),
      field({ name: "work_type", zh: "工种", en: "Work type", attrs: { maxlength: 100 } }),
      field({
        name: "level",
        zh: "等级",
        en: "Level",
        type: "select",
        required: true,
        options: [["", t("请选择", "Choose")], ...[5, 4, 3, 2, 1].map((level) => [level, levelText(level)])],
      }),
      field({ name: "assessed_on", zh: "认定日期", en: "Assessed on", type: "date", required: true, value: today() }),
      me.isAdmin
        ? field({
            name: "organisation_id",
            zh: "考生所在单位",
            en: "Candidates' organisation",
            type: "select",
            options: [["", t("同认定机构", "The evaluator's own")], ...[...organisations.values()].map((o) => [o.id, o.name])],
          })
        : null,
      field({
        name: "external_ref",
        zh: "认定批次号",
        en: "Reference",
        hint: t("同一批次号再次上传不会重复发证", "Uploading with the same reference again issues nothing twice"),
        attrs: { maxlength: 200 },
      }),
      field({
        name: "mode",
        zh: "导入方式",
        en: "Import mode",
        type: "select",
        value: "row_level",
        options: Object.keys(IMPORT_MODES).map((mode) => [mode, label(IMPORT_MODES, mode)]),
      }),
      field({
        name: "file",
        zh: "成绩表",
        en: "Results sheet",
        type: "file",
        required: true,
        hint: t("按模板填写的 .xlsx 或 .csv 文件", "An .xlsx or .csv file laid out as the template"),
        attrs: { accept: ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv" },
      }),
    ];
    const upload = form({
      fields,
      className: "stack card assessment-form",
      submitLabel: t("上传成绩表", "Upload the sheet"),
      submit: (values, idempotencyKey, node) => {
        const body = new FormData();
        const file = node.querySelector('input[name="file"]').files[0];
        if (file) body.append("file", file, file.name);
        result.replaceChildren();
        return request("POST", "/api/v1/assessments/import", { query: values, form: body, idempotencyKey });
      },
      done: (report, node) => {
        const values = Object.fromEntries(new FormData(node));
        result.replaceChildren(importReport(report, values.organisation_id || values.issuer_id));
        result.querySelector("h2").scrollIntoView({ block: "start" });
      },
    });
    return el(
      "section",
      {},
      heading(1, "技能等级认定", "Assessments"),
      el(
        "div",
        { class: "toolbar" },
        el("a", { class: "button secondary", href: TEMPLATE, download: "assessment-results.xlsx" }, t("下载成绩表模板", "Download the results template")),
        el("a", { href: "#/jobs", text: t("我的任务", "Jobs") }),
      ),
      el(
        "p",
        { class: "note" },
        t(
          "每行一名考生：学号或人员编号、姓名、是否通过（是/否）、成绩。通过者获发职业技能等级证书。",
          "One candidate a row: student number or person ID, name, passed (yes/no), score. Those who passed get a skill level certificate.",
        ),
      ),
      issuers.length
        ? upload
        : el("p", { class: "message", role: "alert", text: t("您所在单位不是认定机构。", "Your organisation is not an accredited evaluator.") }),
      result,
    );
  },
});

function submitter(job, me) {
  if (!job.submitted_by) return "—";
  return job.submitted_by === `account:${me.account.id}` ? t("我", "Me") : job.submitted_by;
}

function progressCell(job) {
  const finished = (job.done ?? 0) + (job.failed ?? 0);
  return el(
    "span",
    { class: "job-progress" },
    el("progress", { max: job.total || 1, value: job.total ? finished : job.status === "done" ? 1 : 0, "aria-label": t("进度", "Progress") }),
    ` ${formatNumber(finished)} / ${formatNumber(job.total)}`,
  );
}

route("/jobs", {
  zh: "任务",
  en: "Jobs",
  roles: ROLES,
  render: async ({ me }) => {
    const organisations = await organisationNames();
    const columns = [
      { zh: "提交时间", en: "Submitted", key: "created", value: (j) => el("a", { href: `#/jobs/${encodeURIComponent(j.id)}` }, formatDate(j.created_at, { time: true })) },
      { zh: "类型", en: "Kind", key: "kind", value: (j) => label(JOB_KINDS, j.kind) },
      { zh: "内容", en: "What", key: "what", value: (j) => (j.assessment ? `${j.assessment.occupation} · ${levelText(j.assessment.level)}` : "—") },
      me.isAdmin ? { zh: "机构", en: "Issuer", key: "issuer", value: (j) => (organisations.get(j.issuer_id) || {}).name || j.issuer_id } : null,
      { zh: "状态", en: "Status", key: "status", value: (j) => badge(j.status) },
      { zh: "进度", en: "Progress", key: "progress", value: progressCell },
      { zh: "提交人", en: "Submitted by", key: "by", value: (j) => submitter(j, me) },
    ].filter(Boolean);
    const list = pagedTable("/api/v1/jobs", columns, { empty: t("还没有任务", "No jobs yet") });
    const statusOptions = [["", t("全部", "All")], ...["queued", "running", "done", "failed"].map((s) => [s, label(STATUSES, s)])];
    const kindOptions = [["", t("全部", "All")], ...Object.keys(JOB_KINDS).map((k) => [k, label(JOB_KINDS, k)])];
    return el(
      "section",
      {},
      heading(1, "任务", "Jobs"),
      el("p", { class: "note", text: t("本单位的认定与批量发证任务，按提交先后排列。", "Your organisation's assessments and batches, oldest first.") }),
      filters(
        [
          field({ name: "kind", zh: "类型", en: "Kind", type: "select", options: kindOptions }),
          field({ name: "status", zh: "状态", en: "Status", type: "select", options: statusOptions }),
        ],
        (values) => list.reload(values),
      ),
      list,
      el("p", {}, el("a", { href: "#/assessments", text: t("上传成绩表", "Upload a results sheet") })),
    );
  },
});

route("/jobs/:id", {
  zh: "任务详情",
  en: "Job",
  roles: ROLES,
  render: async ({ params, me }) => {
    const [job, organisations] = await Promise.all([get(`/api/v1/jobs/${encodeURIComponent(params.id)}`), organisationNames()]);
    const assessment = job.assessment;
    return el(
      "section",
      {},
      heading(1, "任务详情", "Job"),
      details([
        ["类型", "Kind", label(JOB_KINDS, job.kind)],
        ["机构", "Issuer", (organisations.get(job.issuer_id) || {}).name || job.issuer_id],
        assessment ? ["职业", "Occupation", assessment.work_type ? `${assessment.occupation}（${assessment.work_type}）` : assessment.occupation] : null,
        assessment ? ["等级", "Level", levelText(assessment.level)] : null,
        assessment ? ["认定日期", "Assessed on", assessment.assessed_on] : null,
        ["提交时间", "Submitted", formatDate(job.created_at, { time: true })],
        ["提交人", "Submitted by", submitter(job, me)],
      ].filter(Boolean)),
      jobView(job, null),
      el("p", {}, el("a", { href: "#/jobs", text: t("返回任务列表", "Back to the jobs") })),
    );
  },
});

navItem({ href: "#/assessments", zh: "认定", en: "Assessments", roles: ROLES, order: 60 });
navItem({ href: "#/jobs", zh: "任务", en: "Jobs", roles: ROLES, order: 61 });
