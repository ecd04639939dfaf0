/* Memberships of the alliance: the secretary's list with each membership's actions, applying on an
   organisation's behalf, a membership's page with its role and its history, period by period (an
   organisation that left or was rejected applies again as a new membership: a new period). */
import { all, get, newIdempotencyKey, patch, post } from "./api.js";
import { navItem, navigate, refreshView, route } from "./app.js";
import { MEMBERSHIP_ACTIONS, MEMBERSHIP_ROLES, MEMBERSHIP_STATUSES, formatDate, label, t } from "./labels.js";
import { actionButton, confirmAction, details, el, errorMessage, field, filters, form, heading, table, toast, uid } from "./ui.js";
import { chosenAlliance, noAlliance, organisationLink, organisationsById, whoActed } from "./alliance.js";

const ENDED = new Set(["rejected", "left"]);
const STATUS_ORDER = ["applied", "active", "suspended", "left", "rejected"];

/** [code, "中文 English"] pairs of a label table, for a select. */
export function choices(labels) {
  return Object.entries(labels).map(([code, [zh, en]]) => [code, t(zh, en)]);
}

export function membershipBadge(status) {
  return el("span", { class: `badge status-${status}`, text: label(MEMBERSHIP_STATUSES, status) });
}

/** Give each cell its column's name, so a narrow screen can show rows as cards (see app.css). */
export function stackOnPhone(node) {
  for (const tableNode of node.querySelectorAll("table")) {
    tableNode.classList.add("stacked");
    const names = [...tableNode.querySelectorAll("thead th")].map((th) => [...th.childNodes].map((n) => n.textContent.trim()).join(" "));
    for (const row of tableNode.querySelectorAll("tbody tr")) [...row.cells].forEach((cell, i) => cell.setAttribute("data-label", names[i] || ""));
  }
  return node;
}

function roleField(value) {
  return field({ name: "role", zh: "角色", en: "Role", type: "select", required: true, value, options: choices(MEMBERSHIP_ROLES) });
}

const membershipsPath = (allianceId) => `/api/v1/alliances/${encodeURIComponent(allianceId)}/memberships`;

// How each action asks before it runs: a reason it needs, one it may take, or a plain confirmation.
const ASKS = {
  approve: { zh: "批准这个入盟申请？", en: "Approve this application?" },
  reject: { zh: "拒绝这个入盟申请？", en: "Reject this application?", reason: true },
  suspend: { zh: "暂停这个成员资格？暂停期间该单位不能报名新活动。", en: "Suspend this membership? Meanwhile it cannot register for events.", reason: true },
  reinstate: { zh: "恢复这个成员资格？", en: "Reinstate this membership?", optionalReason: true },
  leave: { zh: "退出联盟？成员资格的记录会保留。", en: "Leave the alliance? The membership's history is kept.", reason: true },
};

/** Ask, then run ``action``; the membership as it is afterwards, or null when cancelled. */
async function runAction(membership, action) {
  const ask = ASKS[action] || { zh: `${label(MEMBERSHIP_ACTIONS, action)}？` };
  const answer = await confirmAction({
    zh: ask.zh,
    en: ask.en,
    reason: Boolean(ask.reason),
    confirmLabel: label(MEMBERSHIP_ACTIONS, action),
    extraFields: ask.optionalReason ? [field({ name: "reason", zh: "原因（可不填）", en: "Reason (optional)", type: "textarea" })] : [],
  });
  if (answer === null) return null;
  const reason = typeof answer === "object" ? answer.reason ?? null : null;
  return post(`/api/v1/memberships/${encodeURIComponent(membership.id)}/${action}`, { reason });
}

/** Apply again after leaving or being rejected: a new membership, the old one kept as an earlier period. */
async function rejoin(membership) {
  const answer = await confirmAction({
    zh: "重新申请加入联盟？这将开始新的一期成员资格，以前的记录保留。",
    en: "Apply to join again? This starts a new membership period; the earlier one is kept.",
    confirmLabel: label(MEMBERSHIP_ACTIONS, "rejoin"),
    extraFields: [roleField(membership.role)],
  });
  if (answer === null) return null;
  const body = { organisation_id: membership.organisation_id, role: answer.role };
  return post(membershipsPath(membership.alliance_id), body, { idempotencyKey: newIdempotencyKey() });
}

/**
 * The buttons of what the caller may do with ``membership`` now: its ``allowed_actions`` (an
 * organisation's own admin: leave only) and, once it ended, rejoining unless ``hasOpen``.
 */
function actionButtons(membership, me, { hasOpen, name, onChange }) {
  const mine = me.isAdmin || me.may("org_admin", membership.organisation_id);
  const actions = (membership.allowed_actions || []).filter((action) => me.isAdmin || (action === "leave" && mine));
  const buttons = actions.map((action) =>
    actionButton(
      label(MEMBERSHIP_ACTIONS, action),
      async () => {
        const after = await runAction(membership, action);
        if (!after) return;
        toast(`${label(MEMBERSHIP_ACTIONS, action)}：${label(MEMBERSHIP_STATUSES, after.status)}`);
        await onChange(after);
      },
      { secondary: action !== "approve" },
    ),
  );
  if (ENDED.has(membership.status) && !hasOpen && mine) {
    buttons.push(
      actionButton(label(MEMBERSHIP_ACTIONS, "rejoin"), async () => {
        const created = await rejoin(membership);
        if (!created) return;
        toast(t("已重新申请", "Applied again"));
        await onChange(created);
      }),
    );
  }
  // The same words in every row: the organisation's name tells a screen reader which row a button acts on.
  if (name) buttons.forEach((button) => button.setAttribute("aria-label", `${button.textContent} — ${name}`));
  return el("div", { class: "row-actions" }, buttons);
}

function byStatusThenName(organisations) {
  const name = (m) => (organisations.get(m.organisation_id) || {}).name || m.organisation_id;
  return (a, b) => STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || name(a).localeCompare(name(b), "zh-CN");
}

/** The application form: an organisation (those without an open membership) and its role. */
function applyForm(alliance, candidates, onApplied) {
  if (!candidates.length) return el("p", { class: "note", text: t("所有单位都已是成员或在申请中。", "Every organisation is a member or has applied.") });
  return form({
    fields: el(
      "div",
      { class: "row" },
      field({ name: "organisation_id", zh: "单位", en: "Organisation", type: "select", required: true, options: candidates.map((o) => [o.id, o.name]) }),
      roleField("member"),
    ),
    submitLabel: t("提交申请", "Apply"),
    submit: (v, idempotencyKey) => post(membershipsPath(alliance.id), v, { idempotencyKey }),
    done: async (membership) => {
      toast(t("已提交入盟申请", "Application submitted"));
      await onApplied(membership);
    },
  });
}

function membershipQuery(query, changes) {
  const next = new URLSearchParams(Object.entries({ ...query, ...changes }).filter(([, v]) => v));
  return next.toString() ? `?${next}` : "";
}

route("/memberships", {
  zh: "成员资格",
  en: "Memberships",
  roles: ["alliance_admin", "org_admin"],
  render: async ({ query, me }) => {
    const alliance = await chosenAlliance(query);
    if (!alliance) return el("section", {}, heading(1, "成员资格", "Memberships"), noAlliance(me));
    const organisations = await organisationsById();
    const shown = { status: query.status || "", role: query.role || "" };
    const list = el("div", { class: "membership-list", "aria-live": "polite" });
    const applying = el("div");
    async function load() {
      list.setAttribute("aria-busy", "true");
      try {
        const filtered = shown.status || shown.role;
        const [items, everything] = await Promise.all([all(membershipsPath(alliance.id), shown), filtered ? all(membershipsPath(alliance.id)) : null]);
        const open = new Set((everything || items).filter((m) => !ENDED.has(m.status)).map((m) => m.organisation_id));
        const name = (m) => (organisations.get(m.organisation_id) || {}).name || m.organisation_id;
        list.replaceChildren(
          stackOnPhone(
            table(
              [
                { zh: "单位", en: "Organisation", value: (m) => organisationLink(m.organisation_id, organisations) },
                { zh: "角色", en: "Role", value: (m) => label(MEMBERSHIP_ROLES, m.role) },
                { zh: "状态", en: "Status", value: (m) => membershipBadge(m.status) },
                { zh: "最近变化", en: "Changed", value: (m) => formatDate(m.updated_at) },
                { zh: "操作", en: "Actions", value: (m) => actionButtons(m, me, { hasOpen: open.has(m.organisation_id), name: name(m), onChange: load }) },
                { zh: "记录", en: "History", value: (m) => el("a", { class: "history-link", href: `#/memberships/${encodeURIComponent(m.id)}`, "aria-label": `${t("记录", "History")} — ${name(m)}`, text: t("记录", "History") }) },
              ],
              items.sort(byStatusThenName(organisations)),
              { caption: `${alliance.name} · ${items.length} ${t("条", "memberships")}`, empty: t("没有符合条件的成员资格", "No memberships match") },
            ),
          ),
        );
        if (me.isAdmin) {
          const candidates = [...organisations.values()].filter((o) => !open.has(o.id)).sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
          applying.replaceChildren(applyForm(alliance, candidates, load));
        }
      } catch (error) {
        list.replaceChildren(errorMessage(error));
      } finally {
        list.removeAttribute("aria-busy");
      }
    }
    await load();
    return el(
      "section",
      { class: "memberships" },
      heading(1, "成员资格", "Memberships"),
      el("p", { class: "note" }, el("a", { href: `#/alliance?alliance=${encodeURIComponent(alliance.id)}`, text: alliance.name })),
      filters(
        [
          field({ name: "status", zh: "状态", en: "Status", type: "select", value: shown.status, options: [["", t("全部", "All")], ...choices(MEMBERSHIP_STATUSES)] }),
          field({ name: "role", zh: "角色", en: "Role", type: "select", value: shown.role, options: [["", t("全部", "All")], ...choices(MEMBERSHIP_ROLES)] }),
        ],
        (v) => navigate(`/memberships${membershipQuery(query, { status: v.status || "", role: v.role || "" })}`),
      ),
      list,
      me.isAdmin ? heading(2, "代为申请入盟", "Apply on an organisation's behalf") : null,
      applying,
    );
  },
});

function change(entry) {
  if (entry.from_role || entry.to_role) return `${t("角色", "Role")}: ${label(MEMBERSHIP_ROLES, entry.from_role)} → ${label(MEMBERSHIP_ROLES, entry.to_role)}`;
  if (!entry.from_status) return t("提交申请", "Application");
  return `${label(MEMBERSHIP_STATUSES, entry.from_status)} → ${label(MEMBERSHIP_STATUSES, entry.to_status)}`;
}

function historyTable(history, who) {
  return stackOnPhone(
    table(
      [
        { zh: "时间", en: "When", value: (h) => formatDate(h.at, { time: true }) },
        { zh: "变化", en: "Change", value: change },
        { zh: "操作人", en: "By", value: (h) => who.get(h.by) || h.by || "—" },
        { zh: "原因", en: "Reason", value: (h) => h.reason || "—" },
      ],
      history,
    ),
  );
}

/** One membership period: when it ran, how it stands, and every change in it. */
function period(membership, index, current, who) {
  const id = uid("period");
  const last = membership.history[membership.history.length - 1];
  return el(
    "section",
    { class: "period card", "aria-labelledby": id, dataset: { membership: membership.id } },
    el("h3", { id }, `第 ${index + 1} 期`, el("span", { class: "en", text: `Period ${index + 1}` }), " ", membershipBadge(membership.status)),
    el(
      "p",
      { class: "note" },
      `${formatDate(membership.created_at)} – ${ENDED.has(membership.status) ? formatDate(last.at) : t("至今", "now")} · ${label(MEMBERSHIP_ROLES, membership.role)}`,
      " · ",
      current ? t("即本页", "this page") : el("a", { href: `#/memberships/${encodeURIComponent(membership.id)}`, text: t("打开", "Open") }),
    ),
    historyTable(membership.history, who),
  );
}

/** An organisation's memberships of an alliance, oldest first: its periods. */
export async function periodsOf(allianceId, organisationId) {
  const periods = await all(membershipsPath(allianceId), { organisation_id: organisationId });
  return periods.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) || a.id.localeCompare(b.id));
}

route("/memberships/:id", {
  zh: "成员资格记录",
  en: "Membership history",
  roles: ["alliance_admin", "org_admin"],
  render: async ({ params, me }) => {
    const membership = await get(`/api/v1/memberships/${encodeURIComponent(params.id)}`);
    const [alliance, organisation, periods] = await Promise.all([
      get(`/api/v1/alliances/${encodeURIComponent(membership.alliance_id)}`),
      get(`/api/v1/organisations/${encodeURIComponent(membership.organisation_id)}`),
      periodsOf(membership.alliance_id, membership.organisation_id),
    ]);
    const who = await whoActed(periods.flatMap((p) => p.history.map((h) => h.by)), me);
    const hasOpen = periods.some((p) => !ENDED.has(p.status));
    const onChange = (after) => (after.id === membership.id ? refreshView() : navigate(`/memberships/${encodeURIComponent(after.id)}`));
    return el(
      "section",
      { class: "membership" },
      heading(1, organisation.name, "Membership"),
      details([
        ["单位", "Organisation", el("a", { href: `#/organisations/${encodeURIComponent(organisation.id)}`, text: organisation.name })],
        ["联盟", "Alliance", el("a", { href: `#/alliance?alliance=${encodeURIComponent(alliance.id)}`, text: alliance.name })],
        ["角色", "Role", label(MEMBERSHIP_ROLES, membership.role)],
        ["状态", "Status", membershipBadge(membership.status)],
        ["申请于", "Applied", formatDate(membership.created_at, { time: true })],
        ["最近变化", "Changed", formatDate(membership.updated_at, { time: true })],
      ]),
      el("div", { class: "toolbar" }, actionButtons(membership, me, { hasOpen, onChange })),
      me.isAdmin && !ENDED.has(membership.status) ? heading(2, "变更角色", "Change the role") : null,
      me.isAdmin && !ENDED.has(membership.status)
        ? form({
            fields: el("div", { class: "row" }, roleField(membership.role), field({ name: "reason", zh: "原因", en: "Reason", hint: t("记入历史", "kept in the history") })),
            submitLabel: t("变更角色", "Change role"),
            submit: (v) => patch(`/api/v1/memberships/${encodeURIComponent(membership.id)}`, { role: v.role, reason: v.reason ?? null }),
            done: () => {
              toast(t("角色已变更", "Role changed"));
              return refreshView();
            },
          })
        : null,
      heading(2, "历史", "History"),
      el(
        "p",
        { class: "note" },
        t("每次状态变化：谁、何时、为何。退出或被拒后重新申请即开始新的一期，以前各期保留。", "Every change: who, when and why. Applying again after leaving or a rejection starts a new period; earlier periods are kept."),
      ),
      periods.map((p, i) => period(p, i, p.id === membership.id, who)),
    );
  },
});

/** An organisation's memberships of the alliance, for its page: each period, and applying when none is open. */
export async function organisationMemberships(organisation, me) {
  const alliance = await chosenAlliance();
  const box = el("section", { class: "organisation-memberships", "aria-labelledby": "memberships-heading" });
  const title = el("h2", { id: "memberships-heading" }, "成员资格", el("span", { class: "en", text: "Memberships" }));
  if (!alliance) return el("div", {}, title, noAlliance(me));
  const periods = await periodsOf(alliance.id, organisation.id);
  const open = periods.find((p) => !ENDED.has(p.status));
  const mayApply = me.isAdmin || me.may("org_admin", organisation.id);
  const rows = stackOnPhone(
    table(
      [
        { zh: "期", en: "Period", value: (m) => String(periods.indexOf(m) + 1) },
        { zh: "角色", en: "Role", value: (m) => label(MEMBERSHIP_ROLES, m.role) },
        { zh: "状态", en: "Status", value: (m) => membershipBadge(m.status) },
        { zh: "申请于", en: "Applied", value: (m) => formatDate(m.created_at) },
        { zh: "最近变化", en: "Changed", value: (m) => formatDate(m.updated_at) },
        { zh: "记录", en: "History", value: (m) => el("a", { href: `#/memberships/${encodeURIComponent(m.id)}`, text: t("记录与操作", "History and actions") }) },
      ],
      periods,
      { caption: alliance.name, empty: t("尚未申请加入联盟", "Has not applied to the alliance") },
    ),
  );
  box.append(title, rows);
  if (!open && mayApply) {
    box.append(
      heading(3, periods.length ? "重新申请加入联盟" : "申请加入联盟", periods.length ? "Apply again" : "Apply for membership"),
      form({
        fields: roleField(periods.length ? periods[periods.length - 1].role : "member"),
        submitLabel: t("提交申请", "Apply"),
        submit: (v, idempotencyKey) => post(membershipsPath(alliance.id), { organisation_id: organisation.id, role: v.role }, { idempotencyKey }),
        done: (membership) => {
          toast(t("已提交入盟申请", "Application submitted"));
          navigate(`/memberships/${encodeURIComponent(membership.id)}`);
        },
      }),
    );
  }
  return box;
}

navItem({ href: "#/memberships", zh: "成员资格", en: "Memberships", roles: ["alliance_admin"], order: 12 });
