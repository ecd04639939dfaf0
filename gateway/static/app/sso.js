/* Single sign-on: the sign-in screen's button for each provider this deployment offers, why a
   sign-on failed, and the address the gateway sends the browser back to with the tokens. */
import { adoptTokens, request } from "./api.js";
import { PUBLIC, route, signedIn } from "./app.js";
import { t } from "./labels.js";
import { el } from "./ui.js";

/** Where a provider's sign-in returns to the web app rather than answering JSON. */
const RETURN_TO_APP = "return_to=app";

/** The sign-in screen's part for single sign-on: a failed sign-on's reason, then a button per provider. */
export async function singleSignOn(query = {}) {
  const box = el("div", { class: "sso" });
  if (query.sso_error) {
    box.append(
      el(
        "div",
        { class: "message", role: "alert" },
        el("strong", { text: `${t("统一身份认证登录失败", "Single sign-on failed")}: ${query.sso_error}` }),
        query.sso_detail ? el("p", { text: query.sso_detail }) : null,
      ),
    );
  }
  let methods;
  try {
    methods = await request("GET", "/api/v1/auth/methods", { auth: false });
  } catch {
    return box; // the password form still works
  }
  const providers = methods.oidc || [];
  for (const provider of providers) {
    const url = `${provider.login_url}${provider.login_url.includes("?") ? "&" : "?"}${RETURN_TO_APP}`;
    box.append(
      el(
        "a",
        { class: "button sso-button", href: url },
        "使用统一身份认证登录",
        el("span", { class: "en", text: "Sign in with single sign-on" }),
        providers.length > 1 ? el("span", { class: "provider", text: provider.name }) : null,
      ),
    );
  }
  if (providers.length) box.append(el("p", { class: "note or", text: t("或使用账号和密码登录", "or sign in with your login and password") }));
  return box;
}

route("/signed-in", {
  zh: "登录",
  en: "Signed in",
  roles: PUBLIC,
  render: async ({ query }) => {
    // The tokens leave the address bar and the tab's history at once.
    history.replaceState(null, "", "/#/");
    if (!query.access_token || !query.refresh_token) {
      return el("p", { class: "message", role: "alert", text: t("登录信息不完整，请重新登录。", "The sign-in came back incomplete; please sign in again.") });
    }
    adoptTokens({ access_token: query.access_token, refresh_token: query.refresh_token, expires_in: query.expires_in });
    await signedIn();
    return el("p", { class: "note", text: t("已登录", "Signed in") });
  },
});
