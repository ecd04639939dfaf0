/* The front door: signing in, a reset link's new password, changing one's password, and a home
   screen that fits the roles of whoever signed in. */
import { get, post, signIn } from "./api.js";
import { PUBLIC, SIGNED_IN, getAlliances, navItem, navigate, route, signedIn } from "./app.js";
import { ROLES, formatNumber, label, t } from "./labels.js";
import { el, field, form, heading, toast } from "./ui.js";
import { singleSignOn } from "./sso.js";

route("/sign-in", {
  zh: "登录",
  en: "Sign in",
  roles: PUBLIC,
  render: async ({ query }) =>
    el(
      "section",
      { class: "narrow" },
      heading(1, "登录", "Sign in"),
      await singleSignOn(query),
      form({
        fields: [
          field({ name: "login", zh: "账号", en: "Login", required: true, attrs: { autocomplete: "username", autofocus: true } }),
          field({ name: "password", zh: "密码", en: "Password", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
        ],
        submitLabel: t("登录", "Sign in"),
        submit: (v) => signIn(v.login || "", v.password || ""),
        done: () => {
          if (location.hash.startsWith("#/sign-in")) history.replaceState(null, "", "/#/"); // past a failed sign-on
          return signedIn();
        },
      }),
      el("p", { class: "note" }, t("忘记密码请联系本校管理员，由其发送重置链接。", "Forgot your password? Your school's admin can send you a reset link.")),
      el("p", { class: "note" }, el("a", { href: "/verify", text: t("核验证书（无需登录）", "Verify a certificate (no sign-in needed)") })),
    ),
});

route("/reset-password", {
  zh: "设置新密码",
  en: "Set a new password",
  roles: PUBLIC,
  render: () => {
    const token = new URLSearchParams(location.hash.replace(/^#/, "")).get("token") || "";
    return el(
      "section",
      { class: "narrow" },
      heading(1, "设置新密码", "Set a new password"),
      token
        ? form({
            fields: [
              field({ name: "new_password", zh: "新密码", en: "New password", type: "password", required: true, attrs: { autocomplete: "new-password", autofocus: true } }),
            ],
            submitLabel: t("设置密码", "Set password"),
            submit: (v) => post("/api/v1/auth/reset", { token, new_password: v.new_password || "" }),
            done: () => {
              toast(t("密码已设置，请登录。", "Password set; please sign in."));
              history.replaceState(null, "", "/#/");
              navigate("/");
            },
          })
        : el("p", { class: "message", role: "alert", text: t("链接不完整，请向管理员索取新链接。", "This link is incomplete; ask your admin for a new one.") }),
    );
  },
});

route("/password", {
  zh: "修改密码",
  en: "Change password",
  roles: SIGNED_IN,
  render: () =>
    el(
      "section",
      { class: "narrow" },
      heading(1, "修改密码", "Change password"),
      form({
        fields: [
          field({ name: "current_password", zh: "当前密码", en: "Current password", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
          field({ name: "new_password", zh: "新密码", en: "New password", type: "password", required: true, attrs: { autocomplete: "new-password" } }),
        ],
        submitLabel: t("修改密码", "Change password"),
        submit: (v) => post("/api/v1/auth/password", v),
        done: () => {
          toast(t("密码已修改，请重新登录。", "Password changed; please sign in again."));
          navigate("/sign-in");
        },
      }),
    ),
});

/** One tile of the home screen: a task the role does, with where to do it. */
function task(href, zh, en, note) {
  return el("a", { class: "task", href }, el("strong", {}, zh), el("span", { class: "en", text: en }), note ? el("span", { class: "note", text: note }) : null);
}

const TASKS = [
  { roles: ["alliance_admin"], href: "#/organisations", zh: "成员单位", en: "Organisations", note: t("登记、申请与审批", "register, apply, approve") },
  { roles: ["alliance_admin"], href: "#/memberships", zh: "成员资格", en: "Memberships", note: t("审批、暂停、恢复、退出", "approve, suspend, reinstate") },
  { roles: ["alliance_admin", "org_admin"], href: "#/accounts", zh: "账号", en: "Accounts", note: t("创建账号、分配角色", "create, roles, reset links") },
  { roles: ["org_admin", "teacher"], href: "#/people", zh: "人员", en: "People", note: t("查找、添加、导入名册", "search, add, import a roster") },
  { roles: ["org_admin", "teacher"], href: "#/events", zh: "活动与报名", en: "Events", note: t("报名个人与团队", "register people and teams") },
  { roles: ["assessor", "org_admin"], href: "#/assessments", zh: "技能等级认定", en: "Assessments", note: t("上传成绩表", "upload a results sheet") },
  { roles: ["alliance_admin", "org_admin", "teacher", "assessor"], href: "#/certificates", zh: "证书", en: "Certificates", note: t("查询、撤销、导出", "search, revoke, export") },
  { roles: ["alliance_admin", "org_admin", "assessor"], href: "#/stats", zh: "统计", en: "Statistics", note: t("达标率与证书数", "attainment and counts") },
  { roles: ["student"], href: "#/my-certificates", zh: "我的证书", en: "My certificates", note: t("下载与分享", "download and share") },
];

route("/", {
  zh: "首页",
  en: "Home",
  roles: SIGNED_IN,
  render: async ({ me }) => {
    const orgIds = me.orgs();
    const names = await Promise.all(orgIds.map((id) => get(`/api/v1/organisations/${encodeURIComponent(id)}`).then((o) => o.name, () => id)));
    const alliances = await getAlliances().catch(() => []);
    const grants = me.roles.map((g) => {
      const org = g.organisation_id ? names[orgIds.indexOf(g.organisation_id)] : alliances.map((a) => a.name).join("、");
      return el("li", {}, label(ROLES, g.role), org ? ` — ${org}` : null);
    });
    const tasks = TASKS.filter((task) => me.isAdmin ? task.roles.includes("alliance_admin") || task.roles.includes("org_admin") : me.has(...task.roles));
    return el(
      "section",
      {},
      heading(1, `您好，${me.displayName}`, "Welcome"),
      el("ul", { class: "grants" }, grants),
      el("div", { class: "tasks" }, tasks.map((x) => task(x.href, x.zh, x.en, x.note))),
      alliances.length
        ? el("p", { class: "note" }, `${t("联盟", "Alliance")}: ${alliances.map((a) => a.name).join("、")} · ${formatNumber(alliances.length)}`)
        : me.isAdmin
          ? el("p", { class: "note" }, el("a", { href: "#/alliances/new", text: t("还没有联盟：创建联盟", "No alliance yet: create one") }))
          : null,
    );
  },
});

navItem({ href: "#/", zh: "首页", en: "Home", roles: SIGNED_IN, order: 0 });
