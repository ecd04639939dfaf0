/* Accounts: who may sign in, with which roles in which organisations. The alliance admin manages
   every account; an org_admin those whose roles are all in its own organisation (the API decides).
   Create an account (a password, or a one-time reset link to send), change its roles, disable or
   enable it, and issue a reset link with a button that copies it. */
import { ApiError, get, patch, post, put } from "./api.js";
import { navItem, navigate, refreshView, route } from "./app.js";
import { ACCOUNT_CHANGES, ROLES, formatDate, label, t } from "./labels.js";
import { historyNames, organisationsOf } from "./people.js";
import { actionButton, confirmAction, details, el, field, filters, form, heading, pagedTable, table, toast, uid } from "./ui.js";

const MANAGERS = ["org_admin"];
const ALLIANCE_ADMIN = "alliance_admin";
const enc = encodeURIComponent;

// A reset link is shown once: the one just issued on creating an account, for its page to show.
let justIssued = null;

/** The roles the caller may grant: the alliance admin every one, an org_admin those of a school. */
function grantable(me) {
  return Object.keys(ROLES).filter((role) => me.isAdmin || role !== ALLIANCE_ADMIN);
}

function grantText(grant, schoolNames) {
  const where = grant.organisation_id ? schoolNames.get(grant.organisation_id) || grant.organisation_id : null;
  return where ? `${label(ROLES, grant.role)} · ${where}` : label(ROLES, grant.role);
}

/**
 * The roles of an account as rows of role and organisation, with "add" and "remove". Each control is
 * named as the API's errors point at it (roles.0.role, roles.0.organisation_id); ``read()`` gives the grants.
 */
function rolesEditor(grants, { me, schools }) {
  const rows = el("div", { class: "grant-rows" });
  const error = el("p", { class: "field-error", id: uid("roles-error"), hidden: true });
  const schoolOptions = schools.map((school) => [school.id, school.name]);

  function renumber() {
    [...rows.children].forEach((row, index) => {
      for (const part of ["role", "organisation_id"]) {
        const wrapper = row.querySelector(`[data-part="${part}"]`);
        wrapper.dataset.field = `roles.${index}.${part}`;
        wrapper.querySelector("select").name = `roles.${index}.${part}`;
      }
      row.querySelector("button.remove").hidden = rows.children.length === 1;
    });
  }

  function addRow(grant) {
    const options = grantable(me).map((code) => [code, label(ROLES, code)]);
    if (!options.some(([code]) => code === grant.role)) options.push([grant.role, label(ROLES, grant.role)]);
    const orgOptions = [...schoolOptions];
    if (grant.organisation_id && !orgOptions.some(([id]) => id === grant.organisation_id)) orgOptions.push([grant.organisation_id, grant.organisation_id]);
    const role = field({ name: "role", zh: "角色", en: "Role", type: "select", value: grant.role, options });
    const organisation = field({ name: "organisation_id", zh: "单位", en: "Organisation", type: "select", value: grant.organisation_id || "", options: orgOptions });
    role.dataset.part = "role";
    organisation.dataset.part = "organisation_id";
    const roleSelect = role.querySelector("select");
    const orgSelect = organisation.querySelector("select");
    // The alliance admin's role is the whole alliance's, in no organisation.
    const scope = () => {
      orgSelect.disabled = roleSelect.value === ALLIANCE_ADMIN;
    };
    roleSelect.addEventListener("change", scope);
    scope();
    const remove = el("button", { type: "button", class: "secondary remove", text: t("移除", "Remove") });
    const row = el("div", { class: "grant-row row" }, role, organisation, remove);
    remove.addEventListener("click", () => {
      row.remove();
      renumber();
      rows.querySelector("select")?.focus();
    });
    rows.append(row);
    renumber();
    return row;
  }

  (grants.length ? grants : [{ role: "teacher", organisation_id: schools[0]?.id }]).forEach(addRow);
  const add = el("button", { type: "button", class: "secondary", text: t("添加角色", "Add a role") });
  add.addEventListener("click", () => addRow({ role: "teacher", organisation_id: schools[0]?.id }).querySelector("select").focus());
  const box = el(
    "fieldset",
    { class: "field roles-editor", dataset: { field: "roles" }, "aria-describedby": error.id },
    el("legend", {}, "角色", el("span", { class: "en", text: "Roles" })),
    rows,
    el("div", { class: "row" }, add),
    error,
  );
  box.read = () =>
    [...rows.children].map((row) => {
      const role = row.querySelector('[data-part="role"] select').value;
      const organisationId = row.querySelector('[data-part="organisation_id"] select').value;
      return { role, organisation_id: role === ALLIANCE_ADMIN ? null : organisationId || null };
    });
  return box;
}

/** A reset link, shown once: the URL to read or copy, and until when it works. */
function resetLinkBox(link) {
  const id = uid("reset-url");
  const input = el("input", { id, type: "text", readonly: true, value: link.url, class: "reset-url" });
  const copy = el("button", { type: "button", class: "secondary", text: t("复制链接", "Copy link") });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link.url);
      toast(t("链接已复制", "Link copied"));
    } catch {
      input.select();
      toast(document.execCommand("copy") ? t("链接已复制", "Link copied") : t("请手动复制链接", "Copy the link by hand"));
    }
  });
  return el(
    "div",
    { class: "card reset-link" },
    el("label", { for: id }, "重置密码链接", el("span", { class: "en", text: "Password reset link" })),
    el("div", { class: "row" }, input, copy),
    el(
      "p",
      { class: "note" },
      t(`只显示这一次，请发给账号本人；${formatDate(link.expires_at, { time: true })} 前有效，用一次即失效。`, "Shown only now: send it to the account's owner. It works once, until the time given."),
    ),
  );
}

// the list

route("/accounts/new", {
  zh: "创建账号",
  en: "Create an account",
  roles: MANAGERS,
  render: async ({ me, query }) => {
    const schools = await organisationsOf(me, MANAGERS);
    const school = schools.find((s) => s.id === query.org) || schools[0];
    const roles = rolesEditor([{ role: "teacher", organisation_id: school?.id }], { me, schools });
    const password = field({
      name: "password",
      zh: "初始密码",
      en: "Initial password",
      type: "password",
      hint: t("至少 10 个字符", "at least 10 characters"),
      attrs: { autocomplete: "new-password" },
    });
    const choice = (value, zh, en, checked) => {
      const id = uid(`access-${value}`);
      return el("div", { class: "choice" }, el("input", { type: "radio", id, name: "access", value, checked }), el("label", { for: id }, zh, el("span", { class: "en", text: en })));
    };
    const access = el(
      "fieldset",
      { class: "field choices" },
      el("legend", {}, "首次登录", el("span", { class: "en", text: "First sign-in" })),
      choice("reset_link", "创建后生成重置链接，由本人设置密码", "Make a reset link: the owner sets the password", true),
      choice("password", "现在设置初始密码", "Set an initial password now", false),
    );
    const byLink = () => access.querySelector("input[name=access]:checked").value === "reset_link";
    const showPassword = () => {
      password.hidden = byLink();
    };
    access.addEventListener("change", showPassword);
    showPassword();
    return el(
      "section",
      { class: "narrow accounts-new" },
      heading(1, "创建账号", "Create an account"),
      form({
        fields: [
          field({ name: "login", zh: "登录名", en: "Login", required: true, hint: t("登录名或电子邮箱，不含空格", "a sign-in name or e-mail address, no spaces"), attrs: { autocomplete: "off" } }),
          roles,
          field({
            name: "person_id",
            zh: "关联人员编号",
            en: "Linked person ID (optional)",
            value: query.person,
            hint: t("人员记录页上的“人员编号”；学生账号必须关联本人", "the Person ID on the person's record; a student account must name its student"),
            attrs: { autocomplete: "off" },
          }),
          access,
          password,
        ],
        submitLabel: t("创建账号", "Create the account"),
        submit: (entered, key) => {
          const body = { login: entered.login || "", roles: roles.read() };
          if (entered.person_id) body.person_id = entered.person_id;
          if (!byLink()) {
            if (!entered.password) throw new ApiError(400, { title: t("请填写初始密码", "Give an initial password"), errors: { password: [t("或选择生成重置链接", "or choose a reset link")] } });
            body.password = entered.password;
          }
          return post("/api/v1/accounts", body, { idempotencyKey: key });
        },
        done: async (account) => {
          toast(t(`已创建账号 ${account.login}`, `Account ${account.login} created`));
          if (byLink()) {
            try {
              justIssued = { accountId: account.id, link: await post(`/api/v1/accounts/${enc(account.id)}/reset-link`) };
            } catch {
              justIssued = null; // the account's page offers the link again
            }
          }
          navigate(`/accounts/${enc(account.id)}`);
        },
        secondary: [el("a", { class: "button secondary", href: "#/accounts", text: t("取消", "Cancel") })],
      }),
    );
  },
});

route("/accounts", {
  zh: "账号",
  en: "Accounts",
  roles: MANAGERS,
  render: async ({ me, query }) => {
    const schools = await organisationsOf(me, MANAGERS);
    const names = new Map(schools.map((school) => [school.id, school.name]));
    // An org_admin sees the accounts of its school; the alliance admin every account, or one school's.
    const school = schools.find((s) => s.id === query.org) || (me.isAdmin ? null : schools[0]);
    const listQuery = school ? { organisation_id: school.id } : {};
    const list = pagedTable(
      "/api/v1/accounts",
      [
        { zh: "登录名", en: "Login", key: "login", value: (a) => el("a", { href: `#/accounts/${enc(a.id)}`, text: a.login }) },
        { zh: "角色", en: "Roles", key: "roles", value: (a) => a.roles.map((g) => grantText(g, names)).join("；") },
        { zh: "人员", en: "Person", key: "person", value: (a) => (a.person_id ? el("a", { href: `#/people/${enc(a.person_id)}`, text: t("记录", "Record") }) : null) },
        { zh: "状态", en: "Status", key: "status", value: (a) => el("span", { class: `badge status-${a.disabled ? "disabled" : "enabled"}`, text: a.disabled ? t("已停用", "Disabled") : t("正常", "Enabled") }) },
        { zh: "密码", en: "Password", key: "password", value: (a) => (a.has_password ? t("已设置", "Set") : t("未设置", "Not set")) },
      ],
      { query: listQuery, empty: t("还没有账号", "No accounts yet") },
    );
    const schoolOptions = [...(me.isAdmin ? [["", t("全部", "All")]] : []), ...schools.map((s) => [s.id, s.name])];
    const search =
      schoolOptions.length > 1
        ? filters([field({ name: "organisation_id", zh: "单位", en: "Organisation", type: "select", value: school?.id || "", options: schoolOptions })], ({ organisation_id: organisationId }) =>
            list.reload(organisationId ? { organisation_id: organisationId } : {}),
          )
        : null;
    return el(
      "section",
      { class: "accounts" },
      heading(1, "账号", "Accounts"),
      school && !search ? el("p", { class: "note" }, `${t("单位", "Organisation")}: ${school.name}`) : null,
      el("div", { class: "toolbar" }, el("a", { class: "button", href: `#/accounts/new${school ? `?org=${enc(school.id)}` : ""}`, text: t("创建账号", "Create an account") })),
      search,
      list,
    );
  },
});

// one account

function accountHistory(history, who, names) {
  return table(
    [
      { zh: "时间", en: "When", key: "at", value: (h) => formatDate(h.at, { time: true }) },
      { zh: "操作人", en: "By", key: "by", value: (h) => who(h.by) },
      { zh: "变更", en: "Change", key: "change", value: (h) => label(ACCOUNT_CHANGES, h.change) },
      { zh: "角色", en: "Roles", key: "roles", value: (h) => (h.roles ? h.roles.map((g) => grantText(g, names)).join("；") : null) },
    ],
    [...history].reverse(),
  );
}

route("/accounts/:id", {
  zh: "账号",
  en: "Account",
  roles: MANAGERS,
  render: async ({ me, params }) => {
    const path = `/api/v1/accounts/${enc(params.id)}`;
    const account = await get(path);
    const schools = await organisationsOf(me, MANAGERS);
    const names = new Map(schools.map((school) => [school.id, school.name]));
    const home = account.roles.find((g) => g.organisation_id)?.organisation_id;
    const [who, person] = await Promise.all([
      historyNames(me, home),
      account.person_id ? get(`/api/v1/people/${enc(account.person_id)}`).catch(() => null) : null,
    ]);
    const linkBox = el("div", { class: "reset-link-slot" });
    if (justIssued && justIssued.accountId === account.id) {
      linkBox.append(resetLinkBox(justIssued.link));
      justIssued = null;
    }
    const resetButton = actionButton(
      t("生成重置链接", "Make a reset link"),
      async () => {
        const link = await post(`${path}/reset-link`);
        linkBox.replaceChildren(resetLinkBox(link));
        linkBox.querySelector("input").focus();
      },
      { secondary: false },
    );
    const switchButton = actionButton(account.disabled ? t("启用账号", "Enable the account") : t("停用账号", "Disable the account"), async () => {
      if (!account.disabled) {
        const confirmed = await confirmAction({
          zh: `停用 ${account.login}？停用后不能登录，已登录的会话也将结束。`,
          en: "Disable this account? It can no longer sign in, and its sign-ins end.",
          confirmLabel: t("停用", "Disable"),
        });
        if (!confirmed) return;
      }
      await patch(path, { disabled: !account.disabled });
      toast(account.disabled ? t("账号已启用", "Account enabled") : t("账号已停用", "Account disabled"));
      refreshView();
    });
    const editor = rolesEditor(account.roles, { me, schools });
    const rolesForm = form({
      fields: [editor],
      submitLabel: t("保存角色", "Save the roles"),
      submit: () => put(`${path}/roles`, { roles: editor.read() }),
      done: () => {
        toast(t("角色已保存，下次登录或刷新后生效", "Roles saved; they apply from the next sign-in or refresh"));
        refreshView();
      },
    });
    return el(
      "section",
      { class: "account" },
      heading(1, account.login),
      details([
        ["状态", "Status", account.disabled ? t("已停用", "Disabled") : t("正常", "Enabled")],
        ["角色", "Roles", account.roles.map((g) => grantText(g, names)).join("；")],
        ["关联人员", "Person", account.person_id ? el("a", { href: `#/people/${enc(account.person_id)}`, text: person ? person.name : t("人员记录", "Person's record") }) : null],
        ["密码", "Password", account.has_password ? t("已设置", "Set") : t("未设置（用重置链接设置）", "Not set (a reset link sets it)")],
        ["锁定至", "Locked until", account.locked_until ? formatDate(account.locked_until, { time: true }) : null],
        ["创建时间", "Created", formatDate(account.created_at, { time: true })],
      ]),
      el("div", { class: "toolbar" }, resetButton, switchButton, el("a", { class: "button secondary", href: "#/accounts", text: t("返回账号列表", "Back to the accounts") })),
      linkBox,
      el("h2", {}, t("更改角色", "Change the roles")),
      rolesForm,
      el("h2", {}, t("历史", "History")),
      accountHistory(account.history || [], who, names),
    );
  },
});

navItem({ href: "#/accounts", zh: "账号", en: "Accounts", roles: MANAGERS, order: 80 });
