/* Building blocks of the web app's screens. API data is only ever inserted as text, never as HTML. */
import { ApiError, get, newIdempotencyKey, page } from "./api.js";
import { STATUSES, formatNumber, label, t } from "./labels.js";

let sequence = 0;
/** An id unique in the page, for labels and descriptions. */
export function uid(prefix = "f") {
  sequence += 1;
  return `${prefix}-${sequence}`;
}

/** An element: attributes (``text`` sets its text, ``on`` maps events to handlers) and children. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "on") for (const [type, handler] of Object.entries(value)) node.addEventListener(type, handler);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A heading in two languages. */
export function heading(level, zh, en) {
  return el(`h${level}`, {}, zh, en ? el("span", { class: "en", text: en }) : null);
}

export function badge(status) {
  return el("span", { class: `badge status-${status}`, text: label(STATUSES, status) });
}

/** Tell the user something happened (saved, queued, downloaded); screen readers hear it too. */
export function toast(message) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(box.timer);
  box.timer = setTimeout(() => {
    box.hidden = true;
  }, 5000);
}

/**
 * A labelled form field. ``name`` is the API's field name, so the API's ``errors`` land next to it.
 * ``type``: text (default), number, date, datetime-local, email, password, textarea, select, file, checkbox.
 */
export function field({ name, zh, en, type = "text", value, required, options, hint, attrs = {} }) {
  const id = uid(name.replace(/\W/g, "-"));
  let control;
  if (type === "textarea") control = el("textarea", { id, name, rows: 3, ...attrs }, value ?? "");
  else if (type === "select") {
    control = el(
      "select",
      { id, name, ...attrs },
      (options || []).map(([code, text]) =>
        el("option", { value: code, selected: String(code) === String(value ?? "") }, text),
      ),
    );
  } else {
    control = el("input", { id, name, type, ...attrs });
    if (type === "checkbox") control.checked = Boolean(value);
    else if (value !== undefined && value !== null) control.value = value;
  }
  if (required) control.required = true;
  const error = el("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const hintNode = hint ? el("p", { class: "hint", id: `${id}-hint`, text: hint }) : null;
  control.setAttribute("aria-describedby", [hintNode && hintNode.id, error.id].filter(Boolean).join(" "));
  const wrapper = el(
    "div",
    { class: type === "checkbox" ? "field check" : "field", dataset: { field: name } },
    type === "checkbox" ? control : null,
    el("label", { for: id }, zh, en ? el("span", { class: "en", text: en }) : null, required ? " *" : null),
    type === "checkbox" ? null : control,
    hintNode,
    error,
  );
  return wrapper;
}

/** The messages of one ``errors`` entry, whatever its shape. */
function messages(value) {
  if (Array.isArray(value)) return value.flatMap(messages);
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => messages(v).map((m) => `${k}: ${m}`));
  return [String(value)];
}

/** Where an error key points in a form: "name", "/people/3/name" (a JSON Pointer) or "results.2.person_id". */
function fieldFor(form, key) {
  const candidates = [key, key.replace(/^\//, ""), key.replace(/^\//, "").replace(/\//g, "."), key.split(/[/.]/).pop()];
  for (const name of candidates) {
    const wrapper = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (wrapper) return wrapper;
  }
  return null;
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((node) => {
    node.hidden = true;
    node.textContent = "";
  });
  form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  const alert = form.querySelector(".form-alert");
  if (alert) alert.remove();
}

/** Show an API error on ``form``: each field's messages beside it, the rest (and the detail) at the top. */
export function showError(form, error) {
  clearErrors(form);
  const problem = error instanceof ApiError ? error.problem : {};
  const rest = [];
  for (const [key, value] of Object.entries(error instanceof ApiError ? error.errors : {})) {
    const wrapper = fieldFor(form, key);
    const text = messages(value).join("; ");
    if (wrapper) {
      const node = wrapper.querySelector(".field-error");
      node.textContent = text;
      node.hidden = false;
      const control = wrapper.querySelector("input, select, textarea");
      if (control) control.setAttribute("aria-invalid", "true");
    } else rest.push(`${key}: ${text}`);
  }
  const title = problem.title || (error instanceof ApiError ? `HTTP ${error.status}` : t("出错了", "Something went wrong"));
  const alert = el(
    "div",
    { class: "message form-alert", role: "alert" },
    el("strong", { text: title }),
    problem.detail && problem.detail !== title ? el("p", { text: problem.detail }) : null,
    !(error instanceof ApiError) ? el("p", { text: String(error.message || error) }) : null,
    rest.length ? el("ul", {}, rest.map((line) => el("li", { text: line }))) : null,
  );
  form.prepend(alert);
  const invalid = form.querySelector("[aria-invalid]");
  (invalid || alert).focus?.();
  if (!invalid) alert.setAttribute("tabindex", "-1"), alert.focus();
  return alert;
}

/** The form's values by field name: numbers as numbers, empty text left out, checkboxes as booleans. */
export function values(form) {
  const result = {};
  for (const control of form.querySelectorAll("input[name], select[name], textarea[name]")) {
    if (control.type === "file") continue;
    if (control.type === "checkbox") result[control.name] = control.checked;
    else if (control.value.trim() === "") continue;
    else if (control.type === "number") result[control.name] = Number(control.value);
    else result[control.name] = control.value.trim();
  }
  return result;
}

/**
 * A form that calls the API on submit. ``submit(values, idempotencyKey)`` returns a promise;
 * errors show next to their fields; the button is disabled while it runs; ``done`` gets the answer.
 */
export function form({ fields, submitLabel, submit, done, secondary = [], className = "stack card" }) {
  let key = newIdempotencyKey();
  const button = el("button", { type: "submit", text: submitLabel || t("保存", "Save") });
  const node = el("form", { class: className, novalidate: true }, fields, el("div", { class: "row actions" }, button, secondary));
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(node);
    button.disabled = true;
    node.setAttribute("aria-busy", "true");
    try {
      const answer = await submit(values(node), key, node);
      key = newIdempotencyKey();
      if (done) await done(answer, node);
    } catch (error) {
      showError(node, error);
    } finally {
      button.disabled = false;
      node.removeAttribute("aria-busy");
    }
  });
  return node;
}

/** A table of ``items`` with ``columns``: [{zh, en, value(item) -> text|Node, num}]. */
export function table(columns, items, { caption, empty } = {}) {
  if (!items.length) return el("p", { class: "note empty", text: empty || t("暂无记录", "Nothing yet") });
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      {},
      caption ? el("caption", { text: caption }) : null,
      el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : null }, c.zh, c.en ? el("span", { class: "en", text: c.en }) : null)))),
      el(
        "tbody",
        {},
        items.map((item) => el("tr", {}, columns.map((c) => el("td", { class: c.num ? "num" : null, dataset: c.key ? { key: c.key } : {} }, c.value(item) ?? "—")))),
      ),
    ),
  );
}

/**
 * A cursor-paginated list: the first page now, "more" for the next. ``query`` are the API's filters.
 * Returns the container; ``reload(query)`` on it lists again with other filters.
 */
export function pagedTable(path, columns, { query = {}, limit = 50, empty } = {}) {
  const container = el("div", { class: "paged" });
  let current = query;
  async function load(cursor, items) {
    const status = el("p", { class: "note", role: "status", text: t("加载中…", "Loading…") });
    container.replaceChildren(...(items ? container.childNodes : []), status);
    try {
      const answer = await page(path, current, cursor, limit);
      const all = [...(items || []), ...answer.items];
      const more = answer.next_cursor
        ? el("button", { type: "button", class: "secondary more", text: t("加载更多", "Load more"), on: { click: () => load(answer.next_cursor, all) } })
        : null;
      container.replaceChildren(table(columns, all, { empty }), el("p", { class: "note count", text: `${formatNumber(all.length)} ${answer.next_cursor ? t("条（还有更多）", "shown, more to load") : t("条", "in all")}` }), ...(more ? [more] : []));
    } catch (error) {
      container.replaceChildren(errorMessage(error));
    }
  }
  container.reload = (next) => {
    current = next;
    return load(null, null);
  };
  load(null, null);
  return container;
}

/** An API error as a message block (for screens, not forms). */
export function errorMessage(error) {
  const problem = error instanceof ApiError ? error.problem : {};
  return el(
    "div",
    { class: "message", role: "alert" },
    el("strong", { text: problem.title || t("出错了", "Something went wrong") }),
    el("p", { text: problem.detail || String(error.message || error) }),
  );
}

/**
 * A job's progress until it ends: a progress bar, counts, and per-item errors. ``path`` is the job's
 * URL (``/api/v1/jobs/ID`` or ``/api/v1/people-imports/ID``); ``onDone(job)`` runs once at the end.
 */
export function jobProgress(path, { onDone, render } = {}) {
  const bar = el("progress", { max: 100, value: 0 });
  const text = el("p", { class: "note", role: "status" });
  const box = el("div", { class: "job card", dataset: { job: path } }, el("label", {}, t("进度", "Progress")), bar, text);
  const extra = el("div");
  box.append(extra);
  let delay = 500;
  async function poll() {
    if (!box.isConnected && delay > 500) return;
    let job;
    try {
      job = await get(path);
    } catch (error) {
      extra.replaceChildren(errorMessage(error));
      return;
    }
    const total = job.total ?? 0;
    // Items finished either way: an assessment or batch job counts ``done``, a roster import ``registered``.
    const doneCount = (job.done ?? job.registered ?? 0) + (job.failed ?? 0);
    const percent = total ? Math.round((100 * doneCount) / total) : job.status === "done" ? 100 : 0;
    bar.value = percent;
    bar.setAttribute("aria-valuetext", `${percent} %`);
    text.textContent = `${label(STATUSES, job.status)} · ${formatNumber(doneCount)} / ${formatNumber(total)} (${percent} %)`;
    box.dataset.status = job.status;
    if (render) extra.replaceChildren(render(job));
    if (["done", "failed", "completed"].includes(job.status)) {
      if (onDone) onDone(job);
      return;
    }
    delay = Math.min(delay * 1.5, 3000);
    setTimeout(poll, delay);
  }
  poll();
  return box;
}

/**
 * Ask before a consequential action, with a required reason when ``reason`` is set.
 * Resolves to the reason (or true), or null when cancelled. Uses the native <dialog> (focus kept inside).
 */
export function confirmAction({ zh, en, reason = false, confirmLabel, extraFields = [] }) {
  return new Promise((resolve) => {
    const reasonField = reason ? field({ name: "reason", zh: "原因", en: "Reason", type: "textarea", required: true }) : null;
    const ok = el("button", { type: "submit", text: confirmLabel || t("确定", "Confirm") });
    const cancel = el("button", { type: "button", class: "secondary", text: t("取消", "Cancel") });
    const dialogForm = el("form", { method: "dialog", class: "stack" }, el("p", {}, zh, en ? el("span", { class: "en", text: ` ${en}` }) : null), extraFields, reasonField, el("div", { class: "row actions" }, ok, cancel));
    const dialog = el("dialog", { class: "confirm", "aria-label": zh }, dialogForm);
    document.body.append(dialog);
    const finish = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancel.addEventListener("click", () => finish(null));
    dialog.addEventListener("cancel", () => finish(null));
    dialogForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const answers = values(dialogForm);
      if (reason && !answers.reason) {
        const error = reasonField.querySelector(".field-error");
        error.textContent = t("请填写原因", "A reason is required");
        error.hidden = false;
        reasonField.querySelector("textarea").setAttribute("aria-invalid", "true");
        reasonField.querySelector("textarea").focus();
        return;
      }
      finish(extraFields.length || reason ? answers : true);
    });
    dialog.showModal();
  });
}

/** A row of filter controls that calls ``onChange(values)`` on submit. */
export function filters(fields, onChange) {
  const node = el("form", { class: "filters row", role: "search" }, fields, el("button", { type: "submit", class: "secondary", text: t("筛选", "Filter") }));
  node.addEventListener("submit", (event) => {
    event.preventDefault();
    onChange(values(node));
  });
  return node;
}

/** A definition list of [zh, en, value] rows. */
export function details(rows) {
  return el(
    "dl",
    { class: "details" },
    rows.flatMap(([zh, en, value]) => [el("dt", {}, zh, en ? el("span", { class: "en", text: en }) : null), el("dd", {}, value ?? "—")]),
  );
}

/** A button that runs ``action`` and shows its error next to itself. */
export function actionButton(text, action, { secondary = true, className } = {}) {
  const button = el("button", { type: "button", class: [secondary ? "secondary" : null, className].filter(Boolean).join(" ") || null, text });
  button.addEventListener("click", async () => {
    button.disabled = true;
    const previous = button.nextElementSibling;
    if (previous && previous.classList.contains("inline-error")) previous.remove();
    try {
      await action(button);
    } catch (error) {
      const problem = error instanceof ApiError ? error.problem : {};
      button.after(el("span", { class: "inline-error", role: "alert", text: problem.detail || problem.title || String(error.message || error) }));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
