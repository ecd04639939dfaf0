/* Public certificate verification: number + holder name → status and details. */
"use strict";

(() => {
  const { el, label, formatDate, getJson, ApiError, CERTIFICATE_KINDS, STATUSES } = Alliance;
  const form = document.getElementById("verify-form");
  const numberInput = document.getElementById("number");
  const nameInput = document.getElementById("name");
  const result = document.getElementById("result");
  // Verification answers beyond the shared status table: a corrected certificate replaced this one.
  const VERIFY_STATUSES = { ...STATUSES, superseded: ["已被更正证书取代", "Superseded"] };
  const REVOCATION_CATEGORIES = {
    issued_in_error: ["误发", "Issued in error"],
    results_corrected: ["成绩更正", "Results corrected"],
    misconduct: ["违规", "Misconduct"],
    withdrawn: ["发证机构撤回", "Withdrawn by the issuer"],
    other: ["其他", "Other"],
  };

  /** A number as typed (full-width, spaced, lower case) in its stored form. */
  function normaliseNumber(typed) {
    return typed.normalize("NFKC").replace(/\s+/g, "").toUpperCase();
  }

  const params = new URLSearchParams(location.search);
  if (params.get("number")) {
    numberInput.value = normaliseNumber(params.get("number"));
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
      ...row("状态变更日期", "Status changed", answer.status_changed_at ? formatDate(answer.status_changed_at) : null),
      ...row("撤销类别", "Revocation category",
        answer.reason_category ? label(REVOCATION_CATEGORIES, answer.reason_category) : null),
      ...row("原因", "Reason", answer.public_reason),
      ...row("更正后的证书", "Replaced by", answer.replaced_by
        ? el("a", { id: "replaced-by", href: `/verify?number=${encodeURIComponent(answer.replaced_by)}`,
                    text: answer.replaced_by })
        : null),
    );
    const superseded = answer.status === "superseded";
    const verdict = superseded
      ? `证书已被更正后的证书 ${answer.replaced_by} 取代 Replaced by the corrected certificate ${answer.replaced_by}`
      : answer.valid ? "证书有效 This certificate is valid" : "证书当前无效 This certificate is not valid";
    show(el("div", { class: "card", "data-status": answer.status },
      el("p", {}, el("span", { class: `badge status-${answer.status}${superseded ? " status-revoked" : ""}`, id: "status",
                         text: label(VERIFY_STATUSES, answer.status) }),
        " ", el("strong", { text: verdict })),
      details,
      el("p", {},
        el("a", { href: `/api/v1/certificates/${number}.pdf?name=${encodeURIComponent(name)}`,
                  text: "打印证书 (PDF) Printable certificate" })),
    ));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = normaliseNumber(numberInput.value);
    numberInput.value = number;
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
