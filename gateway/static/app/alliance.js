/* The alliance itself: creating it, its page, its corrections and their history; and what the
   secretary's other screens ask about it (which alliance, organisation names, who acted). */
import { all, get, patch, post } from "./api.js";
import { forgetAlliances, getAlliances, navItem, navigate, refreshView, route } from "./app.js";
import { ROLES, formatDate, label, t } from "./labels.js";
import { details, el, field, form, heading, table, toast } from "./ui.js";

/** The alliance a screen works in: the one ``?alliance=`` names, else the first (the oldest). */
export async function chosenAlliance(query = {}) {
  const alliances = await getAlliances();
  return alliances.find((a) => a.id === query.alliance) || alliances[0] || null;
}

/** What a screen that needs an alliance shows when there is none yet. */
export function noAlliance(me) {
  return el(
    "p",
    { class: "note" },
    t("还没有联盟。", "There is no alliance yet."),
    " ",
    me.isAdmin ? el("a", { href: "#/alliances/new", text: t("创建联盟", "Create one") }) : null,
  );
}

/** Every organisation by id (an alliance has a few dozen). */
export async function organisationsById() {
  const organisations = await all("/api/v1/organisations");
  return new Map(organisations.map((o) => [o.id, o]));
}

/** A link to an organisation's page, by its name when known. */
export function organisationLink(id, organisations) {
  if (!id) return "—";
  const organisation = organisations.get(id);
  return el("a", { href: `#/organisations/${encodeURIComponent(id)}`, text: organisation ? organisation.name : id });
}

const ACCOUNT = "account:";

/**
 * Who acted, as a history records it ("account:ID", or an operator's token role): the account's login
 * for those who may read accounts (the secretary, or one's own), else the role. A Map subject → text.
 */
export async function whoActed(subjects, me) {
  const names = new Map();
  await Promise.all(
    [...new Set(subjects.filter(Boolean))].map(async (subject) => {
      if (subject.startsWith(ACCOUNT)) {
        const id = subject.slice(ACCOUNT.length);
        if (id === me.account.id) names.set(subject, me.account.login);
        else if (me.isAdmin) names.set(subject, await get(`/api/v1/accounts/${encodeURIComponent(id)}`).then((a) => a.login, () => t("账号", "account")));
        else names.set(subject, t("账号", "account"));
      } else {
        const role = subject.split(":")[0];
        names.set(subject, ROLES[role] ? `${label(ROLES, role)}（${t("令牌", "token")}）` : subject);
      }
    }),
  );
  return names;
}

const ALLIANCE_FIELDS = { name: ["名称", "Name"], region: ["地区", "Region"], description: ["简介", "Description"] };

function allianceFields(alliance = {}) {
  return [
    field({ name: "name", zh: "名称", en: "Name", required: true, value: alliance.name }),
    field({ name: "region", zh: "地区", en: "Region", value: alliance.region }),
    field({ name: "description", zh: "简介", en: "Description", type: "textarea", value: alliance.description }),
  ];
}

route("/alliances/new", {
  zh: "创建联盟",
  en: "Create the alliance",
  roles: ["alliance_admin"],
  render: () =>
    el(
      "section",
      { class: "narrow" },
      heading(1, "创建联盟", "Create the alliance"),
      form({
        fields: allianceFields(),
        submitLabel: t("创建", "Create"),
        submit: (v, idempotencyKey) => post("/api/v1/alliances", v, { idempotencyKey }),
        done: (alliance) => {
          forgetAlliances();
          toast(t("联盟已创建", "Alliance created"));
          navigate(`/alliance?alliance=${encodeURIComponent(alliance.id)}`);
        },
      }),
    ),
});

/** The fields a correction changes: those whose value differs (an emptied one becomes null). */
function changedFields(current, submitted, names) {
  const changes = {};
  for (const name of names) {
    const value = submitted[name] ?? null;
    if (value !== (current[name] ?? null)) changes[name] = value;
  }
  return changes;
}

function historyTable(history, who) {
  return table(
    [
      { zh: "时间", en: "When", value: (h) => formatDate(h.at, { time: true }) },
      { zh: "更正人", en: "By", value: (h) => who.get(h.by) || h.by || "—" },
      {
        zh: "更正内容",
        en: "Changes",
        value: (h) =>
          el(
            "ul",
            { class: "changes" },
            h.changes.map((c) => el("li", {}, `${label(ALLIANCE_FIELDS, c.field)}: ${c.from ?? "—"} → ${c.to ?? "—"}`)),
          ),
      },
      { zh: "原因", en: "Reason", value: (h) => h.reason || "—" },
    ],
    history,
    { caption: t("更正记录（按时间先后）", "Corrections, oldest first"), empty: t("尚无更正", "No corrections yet") },
  );
}

route("/alliance", {
  zh: "联盟",
  en: "Alliance",
  roles: ["alliance_admin", "org_admin", "teacher", "assessor"],
  render: async ({ query, me }) => {
    const alliances = await getAlliances();
    const alliance = await chosenAlliance(query);
    if (!alliance) return el("section", {}, heading(1, "联盟", "Alliance"), noAlliance(me));
    const [lead, who] = await Promise.all([
      alliance.lead_organisation_id ? get(`/api/v1/organisations/${encodeURIComponent(alliance.lead_organisation_id)}`) : null,
      whoActed((alliance.history || []).map((h) => h.by), me),
    ]);
    const others = alliances.filter((a) => a.id !== alliance.id);
    return el(
      "section",
      { class: "alliance" },
      heading(1, alliance.name, "Alliance"),
      details([
        ["地区", "Region", alliance.region],
        ["简介", "Description", alliance.description],
        ["牵头单位", "Lead", lead ? el("a", { href: `#/organisations/${encodeURIComponent(lead.id)}`, text: lead.name }) : null],
        ["创建于", "Created", formatDate(alliance.created_at)],
        ["最近更正", "Last corrected", alliance.updated_at ? formatDate(alliance.updated_at, { time: true }) : null],
      ]),
      el(
        "div",
        { class: "toolbar" },
        el("a", { class: "button secondary", href: "#/organisations", text: t("成员单位", "Organisations") }),
        el("a", { class: "button secondary", href: `#/memberships?alliance=${encodeURIComponent(alliance.id)}`, text: t("成员资格", "Memberships") }),
        el("a", { class: "button secondary", href: "#/stats", text: t("统计", "Statistics") }),
      ),
      others.length
        ? el("p", { class: "note" }, t("其他联盟：", "Other alliances: "), others.map((a, i) => [i ? "、" : "", el("a", { href: `#/alliance?alliance=${encodeURIComponent(a.id)}`, text: a.name })]))
        : null,
      me.isAdmin ? heading(2, "更正联盟信息", "Correct the alliance") : null,
      me.isAdmin
        ? form({
            fields: [
              ...allianceFields(alliance),
              field({ name: "reason", zh: "更正原因", en: "Reason", type: "textarea", hint: t("记入更正记录", "kept in the history") }),
            ],
            submitLabel: t("保存更正", "Save the correction"),
            submit: (v) => patch(`/api/v1/alliances/${encodeURIComponent(alliance.id)}`, { ...changedFields(alliance, v, Object.keys(ALLIANCE_FIELDS)), reason: v.reason ?? null }),
            done: () => {
              forgetAlliances();
              toast(t("已保存更正", "Correction saved"));
              return refreshView();
            },
          })
        : null,
      heading(2, "更正记录", "History"),
      historyTable(alliance.history || [], who),
    );
  },
});

navItem({ href: "#/alliance", zh: "联盟", en: "Alliance", roles: ["alliance_admin"], order: 10 });
