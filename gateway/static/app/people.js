/* A school's people: search and export its list, add a person, correct or archive one (with the
   history of corrections), and import a class roster from a spreadsheet, previewed before anything
   is written. For org_admins and teachers of the school; alliance admins pick any school. */
import { ApiError, all, del, download, get, patch, post, upload } from "./api.js";
import { navItem, navigate, refreshView, route } from "./app.js";
import {
  CERTIFICATE_KINDS,
  PERSON_FIELDS,
  PERSON_KINDS,
  RESEARCHER_POSITIONS,
  formatDate,
  formatNumber,
  label,
  t,
} from "./labels.js";
import {
  actionButton,
  badge,
  confirmAction,
  details,
  el,
  field,
  filters,
  form,
  heading,
  jobProgress,
  pagedTable,
  table,
  toast,
  uid,
} from "./ui.js";

const STAFF = ["org_admin", "teacher"];
const SPREADSHEET_TYPES = ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv";

const enc = encodeURIComponent;

/** The organisations the caller holds ``roles`` in, as {id, name}; every organisation for an alliance admin. */
export async function organisationsOf(me, roles) {
  if (me.isAdmin) return (await all("/api/v1/organisations")).map((o) => ({ id: o.id, name: o.name }));
  return Promise.all(me.orgs(...roles).map((id) => get(`/api/v1/organisations/${enc(id)}`).then((o) => ({ id, name: o.name }))));
}

/** The school a screen works on: the one the address names (?org=), else the caller's first. */
function chosen(schools, query) {
  return schools.find((school) => school.id === query.org) || schools[0];
}

/** A select of the schools (part of a form, so nothing moves until the form is sent). */
function schoolField(schools, current) {
  return field({
    name: "organisation_id",
    zh: "学校",
    en: "School",
    type: "select",
    value: current.id,
    options: schools.map((school) => [school.id, school.name]),
  });
}

function noSchool(zh, en) {
  return el("section", {}, heading(1, zh, en), el("p", { class: "note", text: t("您的账号没有可管理人员的学校。", "Your account manages no school's people.") }));
}

/**
 * Who a history line names: "you", an account's login when the caller may list the school's
 * accounts, else the subject as recorded (an operator's token, an account id).
 */
export async function historyNames(me, organisationId) {
  const names = new Map([[`account:${me.account.id}`, `${me.account.login}（${t("您", "you")}）`]]);
  if (me.may("org_admin", organisationId)) {
    const accounts = await all("/api/v1/accounts", { organisation_id: organisationId }).catch(() => []);
    for (const account of accounts) if (!names.has(`account:${account.id}`)) names.set(`account:${account.id}`, account.login);
  }
  return (by) => (by ? names.get(by) || by : "—");
}

/** The fields a person is registered and corrected with (``person``: the current values). */
function personFields(person = {}, { correcting = false } = {}) {
  return [
    field({ name: "name", zh: "姓名", en: "Name", value: person.name, required: true, attrs: { autocomplete: "off", maxlength: 100 } }),
    field({
      name: "kind",
      zh: "类别",
      en: "Kind",
      type: "select",
      value: person.kind || "student",
      required: true,
      options: Object.keys(PERSON_KINDS).map((code) => [code, label(PERSON_KINDS, code)]),
    }),
    field({
      name: "student_number",
      zh: "学号 / 工号",
      en: "Student or staff number",
      value: person.student_number,
      hint: t("学校自编的号码，不能填身份证号", "the school's own number, never an ID number"),
      attrs: { autocomplete: "off", maxlength: 40 },
    }),
    field({ name: "major", zh: "专业", en: "Major", value: person.major, attrs: { autocomplete: "off", maxlength: 60 } }),
    field({
      name: "class_name",
      zh: "班级",
      en: "Class",
      value: person.class_name,
      hint: t("如 2025级数控1班", "e.g. 2025级数控1班"),
      attrs: { autocomplete: "off", maxlength: 60 },
    }),
    field({
      name: "national_id",
      zh: "身份证号",
      en: "National ID",
      hint: correcting
        ? t(`现为 ${person.national_id_masked || "未登记"}；留空则不变`, "leave empty to keep it")
        : t("18 位；只保存不可还原的摘要和部分隐藏的号码", "18 characters; kept only as a keyed hash and a masked form"),
      attrs: { autocomplete: "off", spellcheck: "false", maxlength: 18 },
    }),
    field({
      name: "position",
      zh: "岗位",
      en: "Position",
      type: "select",
      value: person.position || "",
      hint: t("仅研究人员填写", "researchers only"),
      options: [["", t("无", "None")], ...Object.keys(RESEARCHER_POSITIONS).map((code) => [code, label(RESEARCHER_POSITIONS, code)])],
    }),
  ];
}

// the list

route("/people", {
  zh: "人员",
  en: "People",
  roles: STAFF,
  render: async ({ me, query }) => {
    const schools = await organisationsOf(me, STAFF);
    if (!schools.length) return noSchool("人员", "People");
    const school = chosen(schools, query);
    const listPath = `/api/v1/organisations/${enc(school.id)}/people`;
    let current = {};
    const list = pagedTable(
      listPath,
      [
        { zh: "姓名", en: "Name", key: "name", value: (p) => el("a", { href: `#/people/${enc(p.id)}`, text: p.name }) },
        { zh: "类别", en: "Kind", key: "kind", value: (p) => label(PERSON_KINDS, p.kind) },
        { zh: "学号", en: "Number", key: "student_number", value: (p) => p.student_number },
        { zh: "班级", en: "Class", key: "class_name", value: (p) => p.class_name },
        { zh: "岗位", en: "Position", key: "position", value: (p) => (p.position ? label(RESEARCHER_POSITIONS, p.position) : null) },
        { zh: "身份证号", en: "National ID", key: "national_id", value: (p) => p.national_id_masked },
      ],
      { empty: t("没有符合条件的人员", "No one matches") },
    );
    const search = filters(
      [
        schools.length > 1 ? schoolField(schools, school) : null,
        field({ name: "name", zh: "姓名", en: "Name", attrs: { type: "search", autocomplete: "off" } }),
        field({ name: "student_number", zh: "学号", en: "Student number", attrs: { type: "search", autocomplete: "off" } }),
        field({ name: "class_name", zh: "班级", en: "Class", hint: t("完整班级名", "the whole class name"), attrs: { type: "search", autocomplete: "off" } }),
        field({ name: "kind", zh: "类别", en: "Kind", type: "select", options: [["", t("全部", "All")], ...Object.keys(PERSON_KINDS).map((code) => [code, label(PERSON_KINDS, code)])] }),
        field({ name: "status", zh: "状态", en: "Status", type: "select", options: [["active", t("在册", "Active")], ["archived", t("已归档", "Archived")]] }),
      ],
      ({ organisation_id: organisationId, ...rest }) => {
        if (organisationId && organisationId !== school.id) return navigate(`/people?org=${enc(organisationId)}`);
        current = rest;
        list.reload(current);
      },
    );
    const exportButton = (format) =>
      actionButton(t(`导出 ${format.toUpperCase()}`, `Export ${format.toUpperCase()}`), async () => {
        const name = await download(`${listPath}.${format}`, current, `people.${format}`);
        toast(t(`已下载 ${name}`, `Downloaded ${name}`));
      });
    return el(
      "section",
      { class: "people" },
      heading(1, "人员", "People"),
      el("p", { class: "note school-name" }, `${t("学校", "School")}: ${school.name}`),
      el(
        "div",
        { class: "toolbar" },
        el("a", { class: "button", href: `#/people/new?org=${enc(school.id)}`, text: t("添加人员", "Add a person") }),
        el("a", { class: "button secondary", href: `#/people/import?org=${enc(school.id)}`, text: t("导入名册", "Import a roster") }),
        exportButton("xlsx"),
        exportButton("csv"),
      ),
      search,
      list,
    );
  },
});

// adding one person

route("/people/new", {
  zh: "添加人员",
  en: "Add a person",
  roles: STAFF,
  render: async ({ me, query }) => {
    const schools = await organisationsOf(me, STAFF);
    if (!schools.length) return noSchool("添加人员", "Add a person");
    const school = chosen(schools, query);
    return el(
      "section",
      { class: "narrow" },
      heading(1, "添加人员", "Add a person"),
      form({
        fields: [schoolField(schools, school), ...personFields()],
        submitLabel: t("添加", "Add"),
        submit: ({ organisation_id: organisationId, ...person }, key) =>
          post(`/api/v1/organisations/${enc(organisationId || school.id)}/people`, person, { idempotencyKey: key }),
        done: (person) => {
          toast(t(`已添加 ${person.name}`, `${person.name} added`));
          navigate(`/people/${enc(person.id)}`);
        },
        secondary: [el("a", { class: "button secondary", href: `#/people?org=${enc(school.id)}`, text: t("取消", "Cancel") })],
      }),
    );
  },
});

// importing a roster

/** The rows a spreadsheet import refused or would refuse: row, column, messages. */
function rowErrors(errors, caption) {
  return table(
    [
      { zh: "行", en: "Row", num: true, key: "row", value: (e) => (e.row === null || e.row === undefined ? t("全部", "All") : String(e.row)) },
      { zh: "列", en: "Column", key: "column", value: (e) => e.column || (e.field ? label(PERSON_FIELDS, e.field) : t("整行", "Whole row")) },
      { zh: "问题", en: "Problem", key: "messages", value: (e) => (e.messages || []).join("; ") },
    ],
    errors,
    { caption, empty: t("没有错误", "No errors") },
  );
}

function rowsWithErrors(errors) {
  return new Set(errors.map((e) => e.row)).size;
}

/** How the confirmed import treats rows with errors: a radio group named ``mode``. */
function modeChoice(hasErrors) {
  const options = [
    ["row_level", "只导入无误的行，跳过有错误的行", "Import the rows without errors; skip the others"],
    ["all_or_nothing", "全部导入，任何一行有错则一行也不导入", "All rows or none: any error and nothing is written"],
  ];
  const preferred = hasErrors ? "row_level" : "all_or_nothing";
  const error = el("p", { class: "field-error", id: uid("mode-error"), hidden: true });
  return el(
    "fieldset",
    { class: "field choices", dataset: { field: "mode" }, "aria-describedby": error.id },
    el("legend", {}, "导入方式", el("span", { class: "en", text: "How to import" })),
    options.map(([code, zh, en]) => {
      const id = uid(`mode-${code}`);
      return el(
        "div",
        { class: "choice" },
        el("input", { type: "radio", id, name: "mode", value: code, checked: code === preferred }),
        el("label", { for: id }, zh, el("span", { class: "en", text: en })),
      );
    }),
    error,
  );
}

function importDone(job, report, school) {
  const refusedBefore = report.mode === "row_level" ? report.errors : [];
  const refused = [...refusedBefore, ...(job.errors || [])];
  return el(
    "div",
    { class: "import-done" },
    el("h2", {}, t("导入完成", "Import finished")),
    el(
      "p",
      { class: "summary", role: "status" },
      t(`已登记 ${formatNumber(job.registered ?? 0)} 人；被拒 ${formatNumber(rowsWithErrors(refused))} 行。`, `${formatNumber(job.registered ?? 0)} registered; ${formatNumber(rowsWithErrors(refused))} rows refused.`),
    ),
    refused.length ? rowErrors(refused, t("被拒的行", "Rows refused")) : null,
    el("p", {}, el("a", { href: `#/people?org=${enc(school.id)}`, text: t("查看人员名单", "See the people") })),
  );
}

/** The preview's report, and the form that confirms the import of the same file. */
function preview(report, file, school) {
  const bad = rowsWithErrors(report.errors);
  const outcome = el("div", { class: "import-progress" });
  const confirm =
    report.valid > 0
      ? form({
          fields: [modeChoice(bad > 0)],
          submitLabel: t("确认导入", "Import"),
          submit: (_, key, node) => {
            const mode = node.querySelector("input[name=mode]:checked").value;
            return upload(`/api/v1/organisations/${enc(school.id)}/people/import`, file, { mode }, { idempotencyKey: key });
          },
          done: (queued, node) => {
            node.remove();
            outcome.replaceChildren(
              el("h2", {}, t("导入中", "Importing")),
              el("p", { class: "note", text: t(`已提交 ${formatNumber(queued.written)} 行，正在登记…`, `${formatNumber(queued.written)} rows queued for registration…`) }),
              jobProgress(`/api/v1/people-imports/${enc(queued.job.id)}`, {
                render: (job) => (["done", "failed"].includes(job.status) ? importDone(job, queued, school) : null),
                onDone: (job) => toast(t(`已登记 ${formatNumber(job.registered ?? 0)} 人`, `${formatNumber(job.registered ?? 0)} registered`)),
              }),
            );
          },
        })
      : el("p", { class: "message", role: "alert", text: t("没有可导入的行：请修改文件后重新预览。", "No row can be imported: correct the file and preview it again.") });
  return el(
    "div",
    { class: "import-preview" },
    el("h2", {}, t("预览", "Preview"), el("span", { class: "en", text: ` ${file.name}` })),
    el(
      "p",
      { class: "summary", role: "status" },
      t(
        `共 ${formatNumber(report.rows)} 行：${formatNumber(report.valid)} 行无误，${formatNumber(bad)} 行有错误。尚未写入任何数据。`,
        `${formatNumber(report.rows)} rows: ${formatNumber(report.valid)} without errors, ${formatNumber(bad)} with errors. Nothing written yet.`,
      ),
    ),
    report.errors.length ? rowErrors(report.errors, t("有错误的行（行号同表格）", "Rows with errors (numbered as in the spreadsheet)")) : null,
    confirm,
    outcome,
  );
}

route("/people/import", {
  zh: "导入名册",
  en: "Import a roster",
  roles: STAFF,
  render: async ({ me, query }) => {
    const schools = await organisationsOf(me, STAFF);
    if (!schools.length) return noSchool("导入名册", "Import a roster");
    const school = chosen(schools, query);
    const result = el("div", { class: "import-result" });
    const fileField = field({
      name: "file",
      zh: "名册文件",
      en: "Roster file (.xlsx or .csv)",
      type: "file",
      required: true,
      hint: t("第一行为表头：姓名、类别、学号、身份证号、岗位", "header row: name, kind, student number, national ID, position"),
      attrs: { accept: SPREADSHEET_TYPES },
    });
    const input = fileField.querySelector("input");
    // Another file, another preview: nothing is confirmed that was not previewed.
    input.addEventListener("change", () => result.replaceChildren());
    const previewForm = form({
      fields: [schoolField(schools, school), fileField],
      submitLabel: t("预览（不写入）", "Preview (writes nothing)"),
      submit: async ({ organisation_id: organisationId }) => {
        const file = input.files[0];
        if (!file) throw new ApiError(400, { title: t("请选择文件", "Choose a file"), errors: { file: [t("请选择 .xlsx 或 .csv 文件", "choose an .xlsx or .csv file")] } });
        const target = schools.find((s) => s.id === organisationId) || school;
        const report = await upload(`/api/v1/organisations/${enc(target.id)}/people/import`, file, { mode: "preview" });
        return { report, file, target };
      },
      done: ({ report, file, target }) => {
        result.replaceChildren(preview(report, file, target));
        result.querySelector("h2").scrollIntoView?.({ block: "start" });
      },
    });
    return el(
      "section",
      { class: "roster-import" },
      heading(1, "导入名册", "Import a roster"),
      el(
        "p",
        {},
        t("先下载模板填写，再选择文件预览；预览列出每行的错误，确认后才写入。", "Fill in the template, then preview the file: the preview lists each row's errors and writes nothing until you confirm."),
      ),
      el("p", {}, el("a", { href: "/api/v1/templates/roster.xlsx", download: "roster.xlsx", text: t("下载名册模板 (.xlsx)", "Download the roster template (.xlsx)") })),
      previewForm,
      result,
    );
  },
});

// one person

/** What a correction changed: the fields that differ from ``person``, and the ID number if re-entered. */
function correction(person, entered) {
  const changes = {};
  for (const name of ["name", "kind", "student_number", "major", "class_name", "position"]) {
    const next = entered[name] ?? null;
    if (next !== (person[name] ?? null)) changes[name] = next;
  }
  if (entered.national_id) changes.national_id = entered.national_id;
  return changes;
}

function historyTable(history, who) {
  return table(
    [
      { zh: "时间", en: "When", key: "at", value: (h) => formatDate(h.at, { time: true }) },
      { zh: "操作人", en: "By", key: "by", value: (h) => who(h.by) },
      { zh: "修改内容", en: "What changed", key: "changed", value: (h) => (h.changed_fields || []).map((name) => label(PERSON_FIELDS, name)).join("、") },
      { zh: "原因", en: "Why", key: "reason", value: (h) => h.reason },
    ],
    [...history].reverse(),
    { empty: t("没有更正记录", "No corrections yet") },
  );
}

function portfolio(certificates) {
  return table(
    [
      { zh: "证书编号", en: "Number", key: "number", value: (c) => c.number },
      { zh: "名称", en: "Title", key: "title", value: (c) => c.title },
      { zh: "类别", en: "Kind", key: "kind", value: (c) => label(CERTIFICATE_KINDS, c.kind) },
      { zh: "颁发日期", en: "Issued", key: "issued_at", value: (c) => formatDate(c.issued_at) },
      { zh: "状态", en: "Status", key: "status", value: (c) => badge(c.status) },
    ],
    certificates,
    { empty: t("暂无证书", "No certificates yet") },
  );
}

route("/people/:id", {
  zh: "人员记录",
  en: "Person",
  roles: STAFF,
  render: async ({ me, params }) => {
    const path = `/api/v1/people/${enc(params.id)}`;
    const person = await get(path);
    const [school, who] = await Promise.all([
      get(`/api/v1/organisations/${enc(person.organisation_id)}`).catch(() => ({ id: person.organisation_id, name: person.organisation_id })),
      historyNames(me, person.organisation_id),
    ]);
    const archive = person.archived
      ? null
      : actionButton(t("归档", "Archive"), async () => {
          const confirmed = await confirmAction({
            zh: `归档 ${person.name}？归档后不在名单中显示，记录、历史和证书都保留。`,
            en: "Archive this person? They leave the lists; their record, history and certificates are kept.",
            confirmLabel: t("归档", "Archive"),
          });
          if (!confirmed) return;
          await del(path);
          toast(t(`已归档 ${person.name}`, `${person.name} archived`));
          refreshView();
        });
    const correctionForm = form({
      fields: [
        ...personFields(person, { correcting: true }),
        field({ name: "reason", zh: "更正原因", en: "Reason for the correction", type: "textarea", required: true, hint: t("记入更正历史", "kept in the history") }),
      ],
      submitLabel: t("保存更正", "Save the correction"),
      submit: (entered) => {
        const changes = correction(person, entered);
        if (!Object.keys(changes).length) throw new ApiError(400, { title: t("没有修改", "Nothing changed"), detail: t("请先修改某个字段。", "Change a field first.") });
        if (!entered.reason) throw new ApiError(400, { title: t("请填写原因", "Give a reason"), errors: { reason: [t("更正须写明原因，记入历史", "a correction needs a reason, for the history")] } });
        return patch(path, { ...changes, reason: entered.reason });
      },
      done: () => {
        toast(t("已保存更正", "Correction saved"));
        refreshView();
      },
    });
    return el(
      "section",
      { class: "person" },
      heading(1, person.name),
      person.archived ? el("p", {}, el("span", { class: "badge status-archived", text: t("已归档", "Archived") })) : null,
      details([
        ["学校", "School", school.name],
        ["类别", "Kind", label(PERSON_KINDS, person.kind)],
        ["学号", "Student number", person.student_number],
        ["专业", "Major", person.major],
        ["班级", "Class", person.class_name],
        ["岗位", "Position", person.position ? label(RESEARCHER_POSITIONS, person.position) : null],
        ["身份证号", "National ID (masked)", person.national_id_masked],
        ["登记时间", "Registered", formatDate(person.created_at, { time: true })],
        ["更新时间", "Updated", person.updated_at ? formatDate(person.updated_at, { time: true }) : null],
        ["人员编号", "Person ID", el("code", { text: person.id })],
      ]),
      el(
        "div",
        { class: "toolbar" },
        el("a", { class: "button secondary", href: `#/people?org=${enc(person.organisation_id)}`, text: t("返回名单", "Back to the list") }),
        me.may("org_admin", person.organisation_id)
          ? el("a", { class: "button secondary", href: `#/accounts/new?org=${enc(person.organisation_id)}&person=${enc(person.id)}`, text: t("为此人创建账号", "Create an account") })
          : null,
        archive,
      ),
      el("h2", {}, t("证书", "Certificates")),
      portfolio(person.certificates || []),
      el("h2", {}, t("更正记录", "History of corrections")),
      historyTable(person.history || [], who),
      person.archived ? null : el("h2", {}, t("更正信息", "Correct the record")),
      person.archived ? null : correctionForm,
    );
  },
});

navItem({ href: "#/people", zh: "人员", en: "People", roles: STAFF, order: 30 });
