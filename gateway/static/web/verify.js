/* Public certificate verification: number + holder name → status and details. */
"use strict";

(() => {
  const { el, label, formatDate, getJson, ApiError, CERTIFICATE_KINDS, STATUSES } = Alliance;
  const form = document.getElementById("verify-form");
  const numberInput = document.getElementById("number");
  const nameInput = document.getElementById("name");
  const result = document.getElementById("result");

  const params = new URLSearchParams(location.search);
  if (params.get("number")) {
    numberInput.value = params.get("number");
    nameInput.focus();
  }

  function show(...nodes) {
    result.replaceChildren(...nodes);
    result.focus();
  }

  function row(zh, en, value) {
    if (value === null || value === undefined || value === "") return [];
    return [el("dt", {}, zh, el("span", { class: "en", text: en })), el("dd", {}, value)];
  }

  function render(answer, name) {
    const number = encodeURIComponent(answer.number);
    const level = answer.level ? `${answer.level_name || ""}（${answer.level} 级）` : null;
    const details = el("dl", { class: "details" },
      ...row("证书编号", "Number", answer.number),
      ...row("持证人", "Holder", answer.holder),
      ...row("证书类型", "Kind", label(CERTIFICATE_KINDS, answer.kind)),
      ...row("证书名称", "Title", answer.title),
      ...row("职业", "Occupation", answer.occupation),
      ...row("工种", "Work type", answer.work_type),
      ...row("等级", "Level", level),
      ...row("发证机构", "Issuer", answer.issuer && answer.issuer.name),
      ...row("发证日期", "Issued", formatDate(answer.issued_at)),
      ...row("有效期至", "Valid until", answer.valid_until ? formatDate(answer.valid_until) : "长期有效 No expiry"),
    );
    const verdict = answer.valid ? "证书有效 This certificate is valid" : "证书当前无效 This certificate is not valid";
    show(el("div", { class: "card", "data-status": answer.status },
      el("p", {}, el("span", { class: `badge status-${answer.status}`, id: "status", text: label(STATUSES, answer.status) }),
        " ", el("strong", { text: verdict })),
      details,
      el("p", {},
        el("a", { href: `/api/v1/certificates/${number}.pdf?name=${encodeURIComponent(name)}`,
                  text: "打印证书 (PDF) Printable certificate" })),
    ));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = numberInput.value.trim();
    const name = nameInput.value.trim();
    if (!number || !name) {
      show(el("p", { class: "message", role: "alert", text: "请填写证书编号和姓名。 Enter the number and the name." }));
      return;
    }
    history.replaceState(null, "", `/verify?number=${encodeURIComponent(number)}`);
    try {
      render(await getJson(`/api/v1/verify/${encodeURIComponent(number)}?name=${encodeURIComponent(name)}`), name);
    } catch (error) {
      const notFound = error instanceof ApiError && error.status === 404;
      const text = notFound
        ? "未查到该证书：编号或姓名不符。 No certificate matches this number and name."
        : `查询失败 Verification failed: ${error.message}`;
      show(el("div", { class: "card", "data-status": "not_found" },
        el("p", {}, el("span", { class: "badge status-not_found", id: "status", text: "未通过 Not verified" })),
        el("p", { class: "message", role: "alert", text })));
    }
  });
})();
