/* A certificate shared through a share link: holder, certificate, current status, PDF and credential. */
"use strict";

(() => {
  const { el, label, formatDate, getJson, ApiError, CERTIFICATE_KINDS, STATUSES } = Alliance;
  const result = document.getElementById("result");
  const token = decodeURIComponent(location.pathname.split("/").pop() || "");

  function show(...nodes) {
    result.replaceChildren(...nodes);
  }

  function row(zh, en, value) {
    if (value === null || value === undefined || value === "") return [];
    return [el("dt", {}, zh, el("span", { class: "en", text: en })), el("dd", {}, value)];
  }

  function render(shared) {
    const certificate = shared.certificate;
    const status = shared.verification.status;
    const level = certificate.level_name ? `${certificate.level_name.zh} ${certificate.level_name.en}` : null;
    const verdict = shared.verification.valid
      ? "证书有效 This certificate is valid"
      : "证书当前无效 This certificate is not valid";
    const credential = new Blob([JSON.stringify(shared.credential, null, 2)], { type: "application/vc+ld+json" });
    const path = `/api/v1/shared/${encodeURIComponent(token)}`;
    show(el("div", { class: "card", "data-status": status },
      el("p", {}, el("span", { class: `badge status-${status}`, id: "status", text: label(STATUSES, status) }),
        " ", el("strong", { text: verdict })),
      el("dl", { class: "details" },
        ...row("持证人", "Holder", shared.holder_name),
        ...row("证书编号", "Number", certificate.number),
        ...row("证书类型", "Kind", label(CERTIFICATE_KINDS, certificate.kind)),
        ...row("证书名称", "Title", certificate.title),
        ...row("职业", "Occupation", certificate.occupation),
        ...row("工种", "Work type", certificate.work_type),
        ...row("等级", "Level", level),
        ...row("发证机构", "Issuer", certificate.issuer_name),
        ...row("发证日期", "Issued", formatDate(certificate.issued_at)),
        ...row("有效期至", "Valid until",
          certificate.valid_until ? formatDate(certificate.valid_until) : "长期有效 No expiry"),
        ...row("核验时间", "Checked", formatDate(shared.verification.checked_at, true)),
        ...row("链接有效至", "Link expires", formatDate(shared.expires_at, true)),
      ),
      el("p", {},
        el("a", { href: `${path}.pdf`, text: "打印证书 (PDF) Printable certificate" }), " · ",
        el("a", { href: URL.createObjectURL(credential), download: `${certificate.number}.json`,
                  text: "可验证凭证 Verifiable credential" })),
    ));
  }

  getJson(`/api/v1/shared/${encodeURIComponent(token)}`)
    .then(render)
    .catch((error) => {
      const gone = error instanceof ApiError && error.status === 404;
      const text = gone
        ? "该分享链接无效、已过期或已撤销。 This share link is unknown, expired or revoked."
        : `加载失败 Could not load: ${error.message}`;
      show(el("div", { class: "card", "data-status": "not_found" },
        el("p", {}, el("span", { class: "badge status-not_found", id: "status", text: "未通过 Not verified" })),
        el("p", { class: "message", role: "alert", text })));
    });
})();
