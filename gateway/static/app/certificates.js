/* Certificates for staff: search what the caller may list, export it as a spreadsheet or the PDFs as
   one ZIP; one certificate's details, status history, PDF and credential, and revoking, suspending or
   reinstating it with a reason. The API scopes every list: an org_admin, teacher or assessor sees
   what their organisation issued or its people hold. */
import { ApiError, all, download, get, page, pathWithQuery, post } from "./api.js";
import { navItem, refreshView, route } from "./app.js";
import { CERTIFICATE_KINDS, REVOCATION_CATEGORIES, SKILL_LEVELS, STATUSES, formatDate, label, t } from "./labels.js";
import { actionButton, badge, clearErrors, confirmAction, details, el, field, filters, heading, pagedTable, showError, table, toast } from "./ui.js";

const STAFF = ["alliance_admin", "org_admin", "teacher", "assessor"];
// The list's filters (CertificateQuery); anything else in the form is the screen's own.
const FILTERS = ["q", "kind", "status", "year", "level", "occupation", "issuer_id", "holder_organisation_id", "event_id", "holder_id"];
// Those under "more filters", folded away unless the address sets one.
const MORE_FILTERS = FILTERS.slice(4);

/** A select's options: "all", then each code of a label table. */
const options = (labels, anyLabel) => [["", anyLabel], ...Object.entries(labels).map(([code, [zh, en]]) => [code, `${zh} ${en}`])];
const ANY = t("全部", "All");

/** The name of an organisation by id, from a list fetched once per screen. */
function namer(organisations) {
  const names = new Map(organisations.map((o) => [o.id, o.name]));
  return (id) => (id ? names.get(id) || id : null);
}

function certificateLink(number) {
  return el("a", { href: `#/certificates/${encodeURIComponent(number)}`, text: number });
}

function levelText(certificate) {
  return certificate.level_name ? `${certificate.level_name.zh}` : null;
}

/** Resolve a student number to the holder's person id, in the holder's organisation (or the caller's). */
async function holderByStudentNumber(me, values) {
  const organisationId = values.holder_organisation_id || me.orgs("org_admin", "teacher")[0];
  const fail = (zh, en) => {
    throw new ApiError(422, { title: t("找不到持证人", "No such holder"), errors: { student_number: [t(zh, en)] } });
  };
  if (!organisationId) fail("请先选择持证人单位", "Choose the holder's organisation first");
  const answer = await get(`/api/v1/organisations/${encodeURIComponent(organisationId)}/people`, { student_number: values.student_number, limit: 1 });
  if (!answer.items.length) fail("该单位没有这个学号的人员", "No person of that organisation has this student number");
  return answer.items[0].id;
}

route("/certificates", {
  zh: "证书",
  en: "Certificates",
  roles: STAFF,
  render: async ({ me, query }) => {
    const [organisations, events] = await Promise.all([all("/api/v1/organisations"), all("/api/v1/events")]);
    const orgName = namer(organisations);
    const orgOptions = [["", ANY], ...organisations.map((o) => [o.id, o.name])];
    const peopleStaff = me.isAdmin || me.has("org_admin", "teacher");
    const initial = Object.fromEntries(FILTERS.filter((name) => query[name]).map((name) => [name, query[name]]));
    let current = initial;

    const more = el(
      "details",
      { class: "more-filters", open: MORE_FILTERS.some((name) => initial[name]) || null },
      el("summary", {}, t("更多筛选", "More filters")),
      el(
        "div",
        { class: "row" },
        field({ name: "level", zh: "等级", en: "Level", type: "select", value: initial.level, options: options(SKILL_LEVELS, ANY) }),
        field({ name: "occupation", zh: "职业", en: "Occupation", value: initial.occupation, attrs: { placeholder: t("与证书上完全一致", "exactly as issued") } }),
        field({ name: "issuer_id", zh: "发证机构", en: "Issuer", type: "select", value: initial.issuer_id, options: orgOptions }),
        field({ name: "holder_organisation_id", zh: "持证人单位", en: "Holder's organisation", type: "select", value: initial.holder_organisation_id, options: orgOptions }),
        field({ name: "event_id", zh: "活动", en: "Event", type: "select", value: initial.event_id, options: [["", ANY], ...events.map((e) => [e.id, e.title])] }),
        peopleStaff ? field({ name: "student_number", zh: "持证人学号", en: "Holder's student number" }) : null,
        field({ name: "holder_id", zh: "持证人编号", en: "Holder ID", value: initial.holder_id }),
      ),
    );
    const columns = [
      { zh: "证书编号", en: "Number", key: "number", value: (c) => certificateLink(c.number) },
      { zh: "类别", en: "Kind", key: "kind", value: (c) => label(CERTIFICATE_KINDS, c.kind) },
      { zh: "证书名称", en: "Title", value: (c) => c.title },
      // The holder's name comes only to those who may print the certificate; others see the person ID.
      { zh: "持证人", en: "Holder", key: "holder", value: (c) => c.holder_name || el("code", { text: c.holder_id }) },
      { zh: "等级", en: "Level", value: levelText },
      { zh: "发证机构", en: "Issuer", value: (c) => c.issuer_name },
      { zh: "持证人单位", en: "Holder's organisation", value: (c) => orgName(c.holder_organisation_id) },
      { zh: "发证日期", en: "Issued", value: (c) => formatDate(c.issued_at) },
      { zh: "状态", en: "Status", key: "status", value: (c) => badge(c.status) },
    ];
    let form;
    const list = pagedTable("/api/v1/certificates", columns, {
      query: initial,
      empty: t("没有符合条件的证书", "No certificate matches"),
      onError: (error) => showError(form, error),
    });
    form = filters(
      [
        field({ name: "q", zh: "证书编号", en: "Number starts with", value: initial.q }),
        field({ name: "kind", zh: "类别", en: "Kind", type: "select", value: initial.kind, options: options(CERTIFICATE_KINDS, ANY) }),
        field({ name: "status", zh: "状态", en: "Status", type: "select", value: initial.status, options: [["", ANY], ...["active", "suspended", "revoked"].map((s) => [s, label(STATUSES, s)])] }),
        field({ name: "year", zh: "发证年份", en: "Year issued", type: "number", value: initial.year, attrs: { inputmode: "numeric" } }),
        more,
      ],
      async (values) => {
        clearErrors(form);
        try {
          if (values.student_number) values.holder_id = await holderByStudentNumber(me, values);
        } catch (error) {
          showError(form, error);
          return;
        }
        current = Object.fromEntries(FILTERS.filter((name) => values[name] !== undefined).map((name) => [name, values[name]]));
        // The filters in the address: going back from a certificate returns to the same list.
        history.replaceState(null, "", `#${pathWithQuery("/certificates", current)}`);
        list.reload(current);
      },
    );

    const zipStatus = el("span", { class: "note", role: "status" });
    const toolbar = el(
      "div",
      { class: "toolbar" },
      actionButton(t("导出 Excel", "Export XLSX"), async () => {
        const name = await download("/api/v1/certificates.xlsx", current, "certificates.xlsx");
        toast(`${t("已下载", "Downloaded")} ${name}`);
      }),
      me.isAdmin || me.has("org_admin")
        ? actionButton(t("下载 PDF 压缩包", "Download PDFs (ZIP)"), async () => {
            zipStatus.textContent = t("正在生成，最多 500 份，可能需要一分钟…", "Preparing up to 500 PDFs; this may take a minute…");
            try {
              const name = await download("/api/v1/certificates.zip", current, "certificates.zip");
              toast(`${t("已下载", "Downloaded")} ${name}`);
            } finally {
              zipStatus.textContent = "";
            }
          })
        : null,
      zipStatus,
    );
    return el(
      "section",
      { class: "certificates" },
      heading(1, "证书", "Certificates"),
      form,
      toolbar,
      list,
    );
  },
});

/** The certificate as a staff member may see it: in full, or as their list shows it. */
async function staffCertificate(me, number) {
  if (me.isAdmin || me.has("org_admin")) {
    try {
      return { certificate: await get(`/api/v1/certificates/${encodeURIComponent(number)}`), full: true };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 403 || !me.has("teacher", "assessor")) throw error;
    }
  }
  const listed = await page("/api/v1/certificates", { q: number }, null, 1);
  const certificate = listed.items.find((c) => c.number === number);
  if (!certificate) throw new ApiError(404, { title: t("找不到证书", "Certificate not found"), detail: number });
  return { certificate, full: false };
}

async function holderName(me, certificate) {
  const organisationId = certificate.holder_organisation_id;
  if (!(me.may("org_admin", organisationId) || me.may("teacher", organisationId))) return null;
  try {
    return (await get(`/api/v1/people/${encodeURIComponent(certificate.holder_id)}`)).name;
  } catch {
    return null;
  }
}

/** Issued, then each status change: when, from and to, why and who. */
function statusHistory(certificate) {
  const changes = certificate.history
    || (certificate.status_changed_at
      ? [{ at: certificate.status_changed_at, to_status: certificate.status, reason: certificate.status_reason, category: certificate.status_category, by: certificate.status_changed_by }]
      : []);
  const rows = [
    { at: certificate.issued_at, what: t("签发", "Issued"), by: certificate.issued_by },
    ...changes.map((change) => ({
      at: change.at,
      what: el("span", {}, change.from_status ? badge(change.from_status) : null, change.from_status ? " → " : null, badge(change.to_status)),
      reason: change.reason,
      category: change.category ? label(REVOCATION_CATEGORIES, change.category) : null,
      by: change.by,
    })),
  ];
  return table(
    [
      { zh: "时间", en: "When", value: (r) => formatDate(r.at, { time: true }) },
      { zh: "变更", en: "Change", value: (r) => r.what },
      { zh: "原因", en: "Reason", value: (r) => [r.category, r.reason].filter(Boolean).join("：") || null },
      { zh: "操作人", en: "By", value: (r) => r.by },
    ],
    rows,
  );
}

/** The status actions the certificate's state allows, for its issuer's admin (and the alliance admin). */
function statusActions(certificate) {
  const number = encodeURIComponent(certificate.number);
  const act = (action, body) => post(`/api/v1/certificates/${number}/${action}`, body).then(() => {
    toast(t("已更新证书状态", "Certificate status updated"));
    return refreshView();
  });
  const buttons = [];
  if (certificate.status === "suspended") {
    buttons.push(actionButton(t("恢复", "Reinstate"), async () => {
      const answer = await confirmAction({
        zh: `恢复证书 ${certificate.number}？`,
        en: "Reinstate this certificate?",
        extraFields: [field({ name: "reason", zh: "说明", en: "Note", type: "textarea" })],
        confirmLabel: t("恢复", "Reinstate"),
      });
      if (answer) await act("reinstate", answer.reason ? { reason: answer.reason } : {});
    }));
  }
  if (certificate.status === "active") {
    buttons.push(actionButton(t("暂停", "Suspend"), async () => {
      const answer = await confirmAction({ zh: `暂停证书 ${certificate.number}？核验时将显示为已暂停。`, en: "Suspend this certificate? Verification will show it as suspended.", reason: true, confirmLabel: t("暂停", "Suspend") });
      if (answer) await act("suspend", { reason: answer.reason });
    }));
  }
  if (["active", "suspended", "expired"].includes(certificate.status)) {
    buttons.push(actionButton(t("撤销", "Revoke"), async () => {
      const answer = await confirmAction({
        zh: `撤销证书 ${certificate.number}？撤销后不能恢复。`,
        en: "Revoke this certificate? This cannot be undone.",
        reason: true,
        extraFields: [field({ name: "category", zh: "撤销类别（公开）", en: "Category (public)", type: "select", value: "other", options: Object.entries(REVOCATION_CATEGORIES).map(([code, [zh, en]]) => [code, `${zh} ${en}`]), hint: t("核验时只显示类别，原因不公开", "Verification shows the category only, never the reason") })],
        confirmLabel: t("撤销证书", "Revoke certificate"),
      });
      if (answer) await act("revoke", { reason: answer.reason, category: answer.category });
    }, { className: "danger" }));
  }
  return buttons;
}

route("/certificates/:number", {
  zh: "证书详情",
  en: "Certificate",
  roles: STAFF,
  render: async ({ me, params }) => {
    const { certificate, full } = await staffCertificate(me, params.number);
    const number = certificate.number;
    const [holder, holderOrg] = await Promise.all([
      holderName(me, certificate),
      certificate.holder_organisation_id ? get(`/api/v1/organisations/${encodeURIComponent(certificate.holder_organisation_id)}`).then((o) => o.name, () => null) : null,
    ]);
    const verifyUrl = new URL(`/verify?number=${encodeURIComponent(number)}`, location.origin).href;
    const files = full
      ? [
          actionButton(t("下载 PDF", "Download PDF"), () => download(`/api/v1/certificates/${encodeURIComponent(number)}.pdf`, {}, `${number}.pdf`), { secondary: false }),
          actionButton(t("可验证凭证", "Credential (JSON)"), () => download(`/api/v1/certificates/${encodeURIComponent(number)}/credential`, {}, `${number}.json`)),
        ]
      : [];
    const actions = full && me.may("org_admin", certificate.issuer_id) ? statusActions(certificate) : [];
    return el(
      "section",
      { class: "certificate" },
      el("p", {}, el("a", { href: "#/certificates", text: t("← 证书列表", "← Certificates") })),
      heading(1, certificate.title, number),
      el("p", { class: "status-line" }, badge(certificate.status), " ", label(CERTIFICATE_KINDS, certificate.kind)),
      files.length || actions.length ? el("div", { class: "toolbar" }, files, actions) : null,
      el(
        "div",
        { class: "card" },
        details([
          ["证书编号", "Number", number],
          ["持证人", "Holder", holder || certificate.holder_id],
          ["持证人单位", "Holder's organisation", holderOrg],
          ["职业（工种）", "Occupation", [certificate.occupation, certificate.work_type].filter(Boolean).join(" / ") || null],
          ["等级", "Level", certificate.level_name ? `${certificate.level_name.zh} ${certificate.level_name.en}` : null],
          ["发证机构", "Issuer", certificate.issuer_name],
          ["发证日期", "Issued", formatDate(certificate.issued_at)],
          ["有效期至", "Valid until", certificate.valid_until ? formatDate(certificate.valid_until) : t("长期有效", "No expiry")],
          ["状态原因", "Status reason", certificate.status_reason],
          ["更正后证书", "Replaced by", certificate.superseded_by ? certificateLink(certificate.superseded_by) : null],
          ["公开核验", "Verification", el("a", { href: verifyUrl, target: "_blank", rel: "noopener", text: verifyUrl })],
        ]),
      ),
      full ? null : el("p", { class: "note", text: t("证书的 PDF、凭证与状态操作由发证机构或持证人单位的管理员办理。", "The PDF, the credential and status changes are for the issuer's or the holder's organisation admin.") }),
      heading(2, "状态记录", "Status history"),
      statusHistory(certificate),
      (certificate.evidence || []).length
        ? [heading(2, "证明材料", "Evidence"), el("ul", {}, certificate.evidence.map((e) => el("li", {}, e.url ? el("a", { href: e.url, rel: "noopener", text: e.name }) : e.name, e.narrative ? ` — ${e.narrative}` : null)))]
        : null,
    );
  },
});

navItem({ href: "#/certificates", zh: "证书", en: "Certificates", roles: STAFF, order: 60 });
