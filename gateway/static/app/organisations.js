/* The alliance's organisations: the list with the API's filters, registering one (school,
   enterprise, research base…), and an organisation's page with its corrections and memberships. */
import { get, patch, post } from "./api.js";
import { navItem, navigate, refreshView, route } from "./app.js";
import { ORGANISATION_KINDS, formatDate, label, t } from "./labels.js";
import { details, el, field, filters, form, heading, pagedTable, toast } from "./ui.js";
import { choices, organisationMemberships } from "./memberships.js";

const EVALUATOR = "evaluator.";

/** How an accredited evaluator numbers its skill-level certificates (fields named "evaluator.code"…, so
    the API's errors at /evaluator/code land beside them). */
function evaluatorFields(evaluator) {
  const profile = evaluator || {};
  const box = el(
    "fieldset",
    { class: "evaluator" },
    el("legend", {}, "证书编号规则", el("span", { class: "en", text: "Certificate numbering" })),
    el(
      "div",
      { class: "row" },
      field({ name: `${EVALUATOR}type`, zh: "编号类型", en: "Numbering type", type: "select", value: profile.type || "S", options: [["S", t("S 社会评价组织", "S social evaluation organisation")], ["Y", t("Y 用人单位", "Y employer")]] }),
      field({ name: `${EVALUATOR}code`, zh: "机构代码", en: "Code", value: profile.code, hint: t("4 位数字", "4 digits"), attrs: { inputmode: "numeric" } }),
      field({ name: `${EVALUATOR}province`, zh: "省份代码", en: "Province", value: profile.province, hint: t("2 位数字", "2 digits"), attrs: { inputmode: "numeric" } }),
      field({ name: `${EVALUATOR}site`, zh: "考点序号", en: "Site", value: profile.site, hint: t("6 位数字", "6 digits"), attrs: { inputmode: "numeric" } }),
    ),
  );
  return box;
}

/** The accredited-evaluator box and its numbering fields, shown only while it is ticked. */
function accreditation(organisation = {}) {
  const check = field({ name: "accredited_evaluator", zh: "技能等级认定机构", en: "Accredited evaluator", type: "checkbox", value: organisation.accredited_evaluator, hint: t("可颁发职业技能等级证书", "may issue skill-level certificates") });
  const numbering = evaluatorFields(organisation.evaluator);
  const box = check.querySelector("input");
  const sync = () => {
    numbering.hidden = !box.checked;
  };
  box.addEventListener("change", sync);
  sync();
  return [check, numbering];
}

/** The form's values as the API takes them: the numbering fields as one ``evaluator`` (when accredited). */
function organisationBody(v) {
  const body = {};
  const evaluator = {};
  for (const [name, value] of Object.entries(v)) {
    if (name.startsWith(EVALUATOR)) evaluator[name.slice(EVALUATOR.length)] = value;
    else body[name] = value;
  }
  if (body.accredited_evaluator) body.evaluator = evaluator;
  return body;
}

function kindField(value, withAll = false) {
  return field({ name: "kind", zh: "类型", en: "Kind", type: "select", required: !withAll, value, options: [...(withAll ? [["", t("全部", "All")]] : []), ...choices(ORGANISATION_KINDS)] });
}

function placeFields(organisation = {}) {
  return [
    field({ name: "region", zh: "地区", en: "Region", value: organisation.region, hint: t("如：重庆、四川", "e.g. 重庆, 四川") }),
    field({ name: "district", zh: "区县", en: "District", value: organisation.district }),
  ];
}

function registerForm() {
  return form({
    fields: [
      field({ name: "name", zh: "名称", en: "Name", required: true, attrs: { autocomplete: "organization" } }),
      kindField("secondary_vocational_school"),
      el("div", { class: "row" }, placeFields()),
      field({ name: "code", zh: "代码", en: "Code", hint: t("统一社会信用代码或学校代码（大写字母与数字）", "unified social credit or school code (capitals and digits)") }),
      ...accreditation(),
    ],
    submitLabel: t("登记", "Register"),
    submit: (v, idempotencyKey) => post("/api/v1/organisations", organisationBody(v), { idempotencyKey }),
    done: (organisation) => {
      toast(t("单位已登记", "Organisation registered"));
      navigate(`/organisations/${encodeURIComponent(organisation.id)}`);
    },
  });
}

const where = (o) => [o.region, o.district].filter(Boolean).join(" · ") || "—";

route("/organisations", {
  zh: "成员单位",
  en: "Organisations",
  roles: ["alliance_admin"],
  render: ({ query }) => {
    const list = pagedTable(
      "/api/v1/organisations",
      [
        { zh: "名称", en: "Name", value: (o) => el("a", { href: `#/organisations/${encodeURIComponent(o.id)}`, text: o.name }) },
        { zh: "类型", en: "Kind", value: (o) => label(ORGANISATION_KINDS, o.kind) },
        { zh: "地区", en: "Region", value: where },
        { zh: "认定机构", en: "Evaluator", value: (o) => (o.accredited_evaluator ? t("是", "Yes") : "—") },
      ],
      { query: { name: query.name, kind: query.kind, region: query.region }, empty: t("没有符合条件的单位", "No organisations match") },
    );
    return el(
      "section",
      { class: "organisations" },
      heading(1, "成员单位", "Organisations"),
      el("details", { class: "card register", open: query.register === "1" }, el("summary", {}, "登记新单位", el("span", { class: "en", text: " Register an organisation" })), registerForm()),
      filters(
        [
          field({ name: "name", zh: "名称包含", en: "Name contains", value: query.name }),
          kindField(query.kind || "", true),
          field({ name: "region", zh: "地区", en: "Region", value: query.region }),
        ],
        (v) => list.reload({ name: v.name, kind: v.kind, region: v.region }),
      ),
      list,
    );
  },
});

/** The fields a change sends: those whose value differs (an emptied one becomes null). */
function changes(current, body, names) {
  const changed = {};
  for (const name of names) {
    const value = body[name] ?? (name === "accredited_evaluator" ? false : null);
    const before = current[name] ?? (name === "accredited_evaluator" ? false : null);
    if (JSON.stringify(value) !== JSON.stringify(before)) changed[name] = value;
  }
  return changed;
}

function editForm(organisation, me) {
  const byAdmin = me.isAdmin;
  const names = byAdmin ? ["name", "region", "district", "code", "accredited_evaluator", "evaluator"] : ["region", "district"];
  return form({
    fields: byAdmin
      ? [field({ name: "name", zh: "名称", en: "Name", required: true, value: organisation.name }), el("div", { class: "row" }, placeFields(organisation)), field({ name: "code", zh: "代码", en: "Code", value: organisation.code }), ...accreditation(organisation)]
      : [el("div", { class: "row" }, placeFields(organisation)), el("p", { class: "hint", text: t("名称与代码由联盟秘书处更正。", "The secretary corrects the name and code.") })],
    submitLabel: t("保存", "Save"),
    submit: (v) => {
      const body = organisationBody(v);
      const changed = changes(organisation, body, names);
      if (changed.evaluator === null && !body.accredited_evaluator) delete changed.evaluator;
      return Object.keys(changed).length ? patch(`/api/v1/organisations/${encodeURIComponent(organisation.id)}`, changed) : organisation;
    },
    done: () => {
      toast(t("已保存", "Saved"));
      return refreshView();
    },
  });
}

route("/organisations/:id", {
  zh: "单位",
  en: "Organisation",
  roles: ["alliance_admin", "org_admin"],
  render: async ({ params, me }) => {
    const organisation = await get(`/api/v1/organisations/${encodeURIComponent(params.id)}`);
    const mayEdit = me.isAdmin || me.may("org_admin", organisation.id);
    const evaluator = organisation.evaluator;
    return el(
      "section",
      { class: "organisation" },
      heading(1, organisation.name, (ORGANISATION_KINDS[organisation.kind] || [])[1]),
      details([
        ["类型", "Kind", label(ORGANISATION_KINDS, organisation.kind)],
        ["地区", "Region", where(organisation)],
        ["代码", "Code", organisation.code],
        ["技能等级认定机构", "Accredited evaluator", organisation.accredited_evaluator ? t("是", "Yes") : t("否", "No")],
        evaluator ? ["证书编号规则", "Numbering", `${evaluator.type} · ${evaluator.code} · ${evaluator.province} · ${evaluator.site}`] : null,
        ["登记于", "Registered", formatDate(organisation.created_at)],
      ].filter(Boolean)),
      mayEdit ? await organisationMemberships(organisation, me) : null,
      mayEdit ? el("details", { class: "card edit" }, el("summary", {}, "更正单位信息", el("span", { class: "en", text: " Correct the organisation" })), editForm(organisation, me)) : null,
      me.isAdmin ? el("p", {}, el("a", { href: "#/organisations", text: t("← 全部单位", "← All organisations") })) : null,
    );
  },
});

navItem({ href: "#/organisations", zh: "成员单位", en: "Organisations", roles: ["alliance_admin"], order: 11 });
