/* A student's own certificates: each with its PDF, and share links for employers that the student
   makes, copies and revokes. A link's address is shown by the API only when it is made, so this tab
   remembers the addresses it made (sessionStorage, gone with the tab). */
import { all, del, download, get, post } from "./api.js";
import { navItem, refreshView, route } from "./app.js";
import { CERTIFICATE_KINDS, formatDate, label, t } from "./labels.js";
import { actionButton, badge, confirmAction, details, el, field, form, heading, table, toast } from "./ui.js";

const SHARE_URLS = "alliance.share-urls";

function rememberedUrls() {
  try {
    return JSON.parse(sessionStorage.getItem(SHARE_URLS) || "{}");
  } catch {
    return {};
  }
}

function remember(link) {
  sessionStorage.setItem(SHARE_URLS, JSON.stringify({ ...rememberedUrls(), [link.id]: link.url }));
}

const certificatePath = (number) => `/api/v1/certificates/${encodeURIComponent(number)}`;

function pdfButton(certificate, options) {
  return actionButton(t("下载 PDF", "Download PDF"), () => download(`${certificatePath(certificate.number)}.pdf`, {}, `${certificate.number}.pdf`), options);
}

/** A share link's address, readable and selectable, with a button that copies it. */
function copyableUrl(url, labelText) {
  const input = el("input", { type: "text", readonly: true, value: url, class: "share-url", "aria-label": labelText, on: { focus: (event) => event.target.select() } });
  const copy = el("button", { type: "button", class: "secondary", text: t("复制", "Copy") });
  copy.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(url);
      toast(t("已复制链接", "Link copied"));
    } catch {
      toast(t("请长按或按 Ctrl+C 复制已选中的链接", "The link is selected: copy it with Ctrl+C or a long press"));
    }
  });
  return el("div", { class: "copyable" }, input, copy);
}

function certificateCard(certificate) {
  return el(
    "article",
    { class: "card my-certificate", dataset: { number: certificate.number } },
    el("h2", {}, certificate.title),
    el("p", {}, badge(certificate.status), " ", label(CERTIFICATE_KINDS, certificate.kind)),
    details([
      ["证书编号", "Number", certificate.number],
      ["等级", "Level", certificate.level_name ? `${certificate.level_name.zh} ${certificate.level_name.en}` : null],
      ["发证机构", "Issuer", certificate.issuer_name],
      ["发证日期", "Issued", formatDate(certificate.issued_at)],
      ["有效期至", "Valid until", certificate.valid_until ? formatDate(certificate.valid_until) : t("长期有效", "No expiry")],
    ]),
    el(
      "div",
      { class: "toolbar" },
      pdfButton(certificate, { secondary: false }),
      el("a", { class: "button secondary", href: `#/my-certificates/${encodeURIComponent(certificate.number)}`, text: t("分享链接", "Share links") }),
    ),
  );
}

function noPerson() {
  return el("p", { class: "message", text: t("此账号没有关联的人员，因此没有证书。", "This account has no person behind it, so no certificates.") });
}

route("/my-certificates", {
  zh: "我的证书",
  en: "My certificates",
  roles: ["student"],
  render: async ({ me }) => {
    if (!me.person) return el("section", {}, heading(1, "我的证书", "My certificates"), noPerson());
    const certificates = await all("/api/v1/me/certificates");
    return el(
      "section",
      { class: "my-certificates" },
      heading(1, "我的证书", "My certificates"),
      el("p", { class: "note", text: t("下载证书 PDF，或生成限时分享链接发给用人单位；链接可随时撤销。", "Download a certificate's PDF, or make an expiring link for an employer; you can revoke it at any time.") }),
      certificates.length ? certificates.map(certificateCard) : el("p", { class: "note empty", text: t("还没有证书", "No certificates yet") }),
    );
  },
});

function shareLinks(links, certificate) {
  const urls = rememberedUrls();
  return table(
    [
      { zh: "创建时间", en: "Made", value: (l) => formatDate(l.created_at, { time: true }) },
      { zh: "有效期至", en: "Expires", value: (l) => formatDate(l.expires_at, { time: true }) },
      { zh: "状态", en: "State", key: "state", value: (l) => badge(l.state) },
      {
        zh: "链接",
        en: "Link",
        key: "url",
        value: (l) =>
          l.state !== "active" ? null
          : urls[l.id] ? copyableUrl(urls[l.id], t("分享链接地址", "Share link address"))
          : el("span", { class: "note", text: t("地址仅在生成时显示", "The address is shown only when made") }),
      },
      {
        zh: "操作",
        en: "Action",
        value: (l) =>
          l.state === "active"
            ? actionButton(t("撤销", "Revoke"), async () => {
                const confirmed = await confirmAction({ zh: "撤销这个分享链接？打开它的人将看不到证书。", en: "Revoke this share link? Whoever opens it will no longer see the certificate.", confirmLabel: t("撤销", "Revoke") });
                if (!confirmed) return;
                await del(`${certificatePath(certificate.number)}/share-links/${encodeURIComponent(l.id)}`);
                toast(t("链接已撤销", "Link revoked"));
                await refreshView();
              })
            : null,
      },
    ],
    links,
    { empty: t("还没有分享链接", "No share links yet") },
  );
}

route("/my-certificates/:number", {
  zh: "分享证书",
  en: "Share a certificate",
  roles: ["student"],
  render: async ({ me, params }) => {
    if (!me.person) return el("section", {}, heading(1, "分享证书", "Share a certificate"), noPerson());
    const path = certificatePath(params.number);
    const [certificate, links] = await Promise.all([get(path), get(`${path}/share-links`)]);
    const made = el("div", { class: "made", "aria-live": "polite" });
    const listing = el("div", {}, shareLinks(links.items, certificate));
    const create = form({
      fields: [
        field({
          name: "expires_in_days",
          zh: "有效天数",
          en: "Valid for (days)",
          type: "number",
          value: 30,
          required: true,
          hint: t("1 至 90 天，到期后链接自动失效", "1 to 90 days; the link stops working after that"),
          attrs: { min: 1, max: 90, inputmode: "numeric" },
        }),
      ],
      submitLabel: t("生成分享链接", "Make a share link"),
      submit: (values) => post(`${path}/share-links`, values),
      done: async (link) => {
        remember(link);
        made.replaceChildren(
          el("div", { class: "card share-made" },
            el("p", {}, el("strong", { text: t("新的分享链接", "New share link") }), ` ${t("有效至", "expires")} ${formatDate(link.expires_at, { time: true })}`),
            copyableUrl(link.url, t("新分享链接地址", "New share link address")),
            el("p", { class: "note", text: t("把这个地址发给用人单位；它能看到证书与实时状态。", "Send this address to an employer; it shows the certificate and its current status.") }),
          ),
        );
        listing.replaceChildren(shareLinks((await get(`${path}/share-links`)).items, certificate));
        toast(t("已生成分享链接", "Share link made"));
      },
    });
    return el(
      "section",
      { class: "share" },
      el("p", {}, el("a", { href: "#/my-certificates", text: t("← 我的证书", "← My certificates") })),
      heading(1, "分享证书", "Share a certificate"),
      el(
        "div",
        { class: "card" },
        el("h2", {}, certificate.title),
        el("p", {}, badge(certificate.status), " ", certificate.number),
        el("div", { class: "toolbar" }, pdfButton(certificate)),
      ),
      heading(2, "生成分享链接", "Make a share link"),
      create,
      made,
      heading(2, "分享链接", "Share links"),
      listing,
    );
  },
});

navItem({ href: "#/my-certificates", zh: "我的证书", en: "My certificates", roles: ["student"], order: 60 });
