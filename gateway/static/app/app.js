/* The web app's frame: who is signed in, the menu their roles open, and the screens by address
   (hash routes: /#/people/ID). Screens register themselves with route() and navItem(). */
import { all, currentSession, get, onSessionChange, signOut } from "./api.js";
import { ROLES, label, t } from "./labels.js";
import { el, errorMessage, heading } from "./ui.js";

const routes = [];
const navItems = [];
let me = null;
let alliances = null;

/** Public screens need no sign-in; others name the roles that may open them (alliance admins open all). */
export const PUBLIC = "public";
export const SIGNED_IN = "signed_in";

/**
 * A screen at ``pattern`` ("/events/:id"). ``roles``: PUBLIC, SIGNED_IN or role names.
 * ``render(ctx)`` returns the screen's node (or a promise of it); ctx has params, query and me.
 */
export function route(pattern, { zh, en, roles = SIGNED_IN, render }) {
  const names = [];
  const regex = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, name) => (names.push(name), "([^/]+)"))}$`);
  routes.push({ pattern, regex, names, zh, en, roles, render });
}

/** A menu entry, shown to the roles given (and to alliance admins). */
export function navItem({ href, zh, en, roles, order = 50 }) {
  navItems.push({ href, zh, en, roles, order });
  navItems.sort((a, b) => a.order - b.order);
}

/** The signed-in account as the screens ask about it. */
class Me {
  constructor(answer) {
    this.account = answer.account;
    this.person = answer.person;
    this.roles = answer.roles || [];
  }

  get isAdmin() {
    return this.has("alliance_admin");
  }

  has(...roles) {
    return this.roles.some((grant) => roles.includes(grant.role));
  }

  /** The organisations in which the account holds any of ``roles`` (in the order granted). */
  orgs(...roles) {
    return [...new Set(this.roles.filter((g) => g.organisation_id && (!roles.length || roles.includes(g.role))).map((g) => g.organisation_id))];
  }

  /** Whether the account may act as ``role`` for ``organisationId`` (alliance admins everywhere). */
  may(role, organisationId) {
    return this.isAdmin || this.roles.some((g) => g.role === role && (!organisationId || g.organisation_id === organisationId));
  }

  allows(roles) {
    if (roles === PUBLIC || roles === SIGNED_IN) return true;
    return this.isAdmin || this.has(...roles);
  }

  get displayName() {
    return this.person ? this.person.name : this.account.login;
  }
}

export function currentMe() {
  return me;
}

/** The alliances (usually one), fetched once per sign-in. */
export async function getAlliances() {
  if (!alliances) alliances = await all("/api/v1/alliances");
  return alliances;
}

/** After an alliance is created or corrected: the next getAlliances() asks the API again. */
export function forgetAlliances() {
  alliances = null;
}

async function loadMe() {
  alliances = null;
  me = currentSession() ? new Me(await get("/api/v1/me")) : null;
  return me;
}

function renderChrome() {
  const nav = document.getElementById("nav");
  const account = document.getElementById("account");
  if (!me) {
    nav.replaceChildren();
    account.hidden = true;
    return;
  }
  const here = location.hash || "#/";
  nav.replaceChildren(
    ...navItems
      .filter((item) => me.allows(item.roles))
      .map((item) =>
        el("a", { href: item.href, "aria-current": here === item.href || (item.href !== "#/" && here.startsWith(item.href + "/")) ? "page" : null }, item.zh, el("span", { class: "en", text: item.en })),
      ),
  );
  const roles = [...new Set(me.roles.map((g) => g.role))].map((r) => label(ROLES, r)).join(" · ");
  document.getElementById("account-name").textContent = `${me.displayName}（${roles}）`;
  account.hidden = false;
}

/** Go to a screen: ``navigate("/events/ID")``. */
export function navigate(path) {
  if (location.hash === `#${path}`) render();
  else location.hash = `#${path}`;
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path: path || "/", query: Object.fromEntries(new URLSearchParams(search)) };
}

let rendering = 0;

async function render() {
  const view = document.getElementById("view");
  const ticket = ++rendering;
  const { path, query } = parseHash();
  // The reset link's page has its own path: /reset-password#token=…
  const lookup = location.pathname === "/reset-password" ? "/reset-password" : path;
  const match = routes.map((r) => ({ r, m: r.regex.exec(lookup) })).find(({ m }) => m);
  renderChrome();
  if (!match) {
    view.replaceChildren(heading(1, "找不到这个页面", "Page not found"), el("p", {}, el("a", { href: "#/", text: t("返回首页", "Back to home") })));
    return;
  }
  const { r, m } = match;
  if (r.roles !== PUBLIC && !me) {
    sessionStorage.setItem("alliance.after-sign-in", location.hash);
    const signIn = routes.find((candidate) => candidate.pattern === "/sign-in");
    view.replaceChildren(await signIn.render({ params: {}, query: {}, me }));
    document.title = "登录 Sign in — 职教联盟";
    return;
  }
  if (me && !me.allows(r.roles)) {
    view.replaceChildren(heading(1, "无权访问", "Not allowed"), el("p", { text: t("您的角色不能打开这个页面。", "Your roles do not open this page.") }));
    return;
  }
  const params = Object.fromEntries(r.names.map((name, i) => [name, decodeURIComponent(m[i + 1])]));
  view.setAttribute("aria-busy", "true");
  let node;
  try {
    node = await r.render({ params, query, me });
  } catch (error) {
    node = el("div", {}, heading(1, r.zh, r.en), errorMessage(error));
  }
  if (ticket !== rendering) return; // a later navigation won
  view.replaceChildren(node);
  view.removeAttribute("aria-busy");
  document.title = `${r.zh} ${r.en} — 职教联盟`;
  view.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

/** Re-render the current screen (after a change it shows). */
export function refreshView() {
  return render();
}

/** Start the app: restore the sign-in, then show the screen the address names. */
export async function start() {
  window.addEventListener("hashchange", render);
  document.getElementById("sign-out").addEventListener("click", async () => {
    await signOut();
    navigate("/");
  });
  onSessionChange(async (session) => {
    if (!session) {
      me = null;
      renderChrome();
    }
  });
  try {
    await loadMe();
  } catch {
    await signOut();
  }
  await render();
}

/** After signing in: load the account and go where the user was heading. */
export async function signedIn() {
  await loadMe();
  const next = sessionStorage.getItem("alliance.after-sign-in");
  sessionStorage.removeItem("alliance.after-sign-in");
  if (next && next !== location.hash) location.hash = next;
  else render();
}
