/* An event's registrations: a school's org_admin or teacher registers its people (a team or one
   person), sees each registration's status and place in the waitlist, withdraws one, and exports
   the list; the organiser sees every school's. */
import { del, download, get, post } from "./api.js";
import { route } from "./app.js";
import { ROLES, STATUSES, formatDate, label, t } from "./labels.js";
import { actionButton, badge, confirmAction, el, field, filters, form, heading, pagedTable, toast, uid } from "./ui.js";
import { eventFrame, eventPath, isOrganiser, loadEvent, organisationNames } from "./events.js";

const LIVE = ["confirmed", "waitlisted"];

/** Whether ``me`` registers for ``organisationId`` (its org_admin or teacher, or the alliance admin). */
const registersFor = (me, organisationId) => me.may("org_admin", organisationId) || me.may("teacher", organisationId);

function who(registration) {
  const names = (registration.people || []).map((p) => p.name || p.id).join("、");
  return registration.team_name ? el("span", {}, el("strong", { text: registration.team_name }), el("br"), names) : names;
}

/** The members picker: search the school's people by name or student number, add, remove. */
function membersPicker(organisationOf) {
  let chosen = [];
  const id = uid("person-search");
  const search = el("input", { id, type: "search", autocomplete: "off", "aria-describedby": `${id}-hint ${id}-error` });
  const found = el("ul", { class: "people found", "aria-label": t("查找结果", "Found") });
  const picked = el("ul", { class: "people chosen", "aria-label": t("已选成员", "Chosen members") });
  const status = el("p", { class: "note", role: "status" });

  function renderChosen() {
    picked.replaceChildren(
      ...(chosen.length
        ? chosen.map((person) =>
            el(
              "li",
              {},
              el("span", { text: person.label }),
              el("button", {
                type: "button",
                class: "secondary small",
                "aria-label": t(`移除 ${person.name}`, `Remove ${person.name}`),
                text: t("移除", "Remove"),
                on: { click: () => ((chosen = chosen.filter((p) => p.id !== person.id)), renderChosen()) },
              }),
            ),
          )
        : [el("li", { class: "note empty", text: t("尚未选择成员", "No members chosen yet") })]),
    );
  }

  async function find() {
    const text = search.value.trim();
    const organisationId = organisationOf();
    if (!text || !organisationId) return;
    status.textContent = t("查找中…", "Searching…");
    const query = /\d/.test(text) ? { student_number: text } : { name: text };
    try {
      const answer = await get(`/api/v1/organisations/${encodeURIComponent(organisationId)}/people`, { ...query, limit: 20 });
      status.textContent = answer.items.length ? "" : t("没有找到", "Nobody found");
      found.replaceChildren(
        ...answer.items.map((person) => {
          const text = `${person.name}（${person.student_number || label(ROLES, person.kind)}）`;
          return el(
            "li",
            {},
            el("span", { text }),
            el("button", {
              type: "button",
              class: "secondary small",
              "aria-label": t(`添加 ${person.name}`, `Add ${person.name}`),
              text: t("添加", "Add"),
              on: {
                click: () => {
                  if (!chosen.some((p) => p.id === person.id)) chosen.push({ id: person.id, name: person.name, label: text });
                  renderChosen();
                },
              },
            }),
          );
        }),
      );
    } catch (error) {
      status.textContent = error.message;
    }
  }

  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault(); // searching, not registering
      find();
    }
  });
  renderChosen();
  const node = el(
    "div",
    { class: "field members", dataset: { field: "person_ids" } },
    el("label", { for: id }, "成员", el("span", { class: "en", text: "Members" }), " *"),
    el("div", { class: "search-row" }, search, el("button", { type: "button", class: "secondary", text: t("查找", "Search"), on: { click: find } })),
    el("p", { class: "hint", id: `${id}-hint`, text: t("输入姓名或学号查找本校人员", "Find your school's people by name or student number") }),
    status,
    found,
    picked,
    el("p", { class: "field-error", id: `${id}-error`, hidden: true }),
  );
  node.ids = () => chosen.map((p) => p.id);
  node.reset = () => {
    chosen = [];
    search.value = "";
    found.replaceChildren();
    status.textContent = "";
    renderChosen();
  };
  return node;
}

function registrationForm(event, schools, names, registered) {
  const organisation = field({ name: "organisation_id", zh: "报名单位", en: "School", type: "select", required: true, options: schools.map((id) => [id, names.get(id) || id]) });
  const select = organisation.querySelector("select");
  const members = membersPicker(() => select.value);
  select.addEventListener("change", () => members.reset());
  const teamName = field({ name: "team_name", zh: "队名", en: "Team name", hint: t("团体报名填写队名；个人报名留空", "For a team; leave empty for one person"), attrs: { maxlength: 100 } });
  const node = form({
    className: "stack card event-form",
    fields: [el("div", { class: "row" }, organisation, teamName), members],
    submitLabel: t("报名", "Register"),
    submit: (v, key) =>
      post(`${eventPath(event.id)}/registrations`, { organisation_id: v.organisation_id, person_ids: members.ids(), team_name: v.team_name || null }, { idempotencyKey: key }),
    done: async (registration) => {
      toast(
        registration.status === "waitlisted"
          ? t(`名额已满，候补第 ${registration.waitlist_position} 位`, `Full: waitlisted, position ${registration.waitlist_position}`)
          : t("报名成功，已确认", "Registered and confirmed"),
      );
      members.reset();
      teamName.querySelector("input").value = "";
      await registered();
    },
  });
  return node;
}

route("/events/:id/registrations", {
  zh: "活动报名",
  en: "Registrations",
  roles: ["org_admin", "teacher"],
  render: async ({ params, me }) => {
    const [event, names] = await Promise.all([loadEvent(params.id), organisationNames()]);
    const path = `${eventPath(event.id)}/registrations`;
    const schools = me.isAdmin ? [...names.keys()] : me.orgs("org_admin", "teacher");
    let query = {};
    const withdraw = (r) =>
      registersFor(me, r.organisation_id) && LIVE.includes(r.status) && ["published", "closed"].includes(event.status)
        ? actionButton(t("撤销", "Withdraw"), async () => {
            const sure = await confirmAction({ zh: "撤销这条报名？名额将让给候补第一位。", en: "Withdraw this registration? Its place goes to the first waiting." });
            if (!sure) return;
            await del(`${path}/${encodeURIComponent(r.id)}`);
            toast(t("已撤销报名", "Registration withdrawn"));
            await list.reload(query);
          })
        : null;
    const list = pagedTable(
      path,
      [
        { zh: "队名 / 成员", en: "Team / people", key: "who", value: who },
        { zh: "单位", en: "School", key: "school", value: (r) => r.organisation_name || names.get(r.organisation_id) || r.organisation_id },
        { zh: "状态", en: "Status", key: "status", value: (r) => badge(r.status) },
        { zh: "候补位次", en: "Waitlist", key: "waitlist", num: true, value: (r) => r.waitlist_position ?? "—" },
        { zh: "报名时间", en: "Registered", key: "created", value: (r) => formatDate(r.created_at, { time: true }) },
        { zh: "操作", en: "Action", key: "action", value: withdraw },
      ],
      { empty: t("还没有报名", "No registrations yet") },
    );
    list.classList.add("registrations");
    const open = event.status === "published";
    const mayRegister = schools.some((id) => registersFor(me, id));
    return eventFrame(
      event,
      "registrations",
      heading(2, "报名", "Register"),
      open && mayRegister
        ? registrationForm(event, schools, names, () => list.reload(query))
        : el("p", { class: "note", text: open ? t("您不能为任何单位报名。", "You register for no school.") : t("报名未开放：活动发布后、截止前可以报名。", "Registration is not open: it is open while the event is published.") }),
      heading(2, isOrganiser(me, event) ? "全部报名" : "本校报名", isOrganiser(me, event) ? "All registrations" : "Our registrations"),
      el(
        "div",
        { class: "toolbar registrations-bar" },
        filters(
          [field({ name: "status", zh: "状态", en: "Status", type: "select", options: [["", t("全部状态", "All statuses")], ...["confirmed", "waitlisted", "cancelled"].map((s) => [s, label(STATUSES, s)])] })],
          (v) => {
            query = v;
            list.reload(query);
          },
        ),
        actionButton(t("导出 Excel", "Export XLSX"), () => download(`${path}.xlsx`, query, "registrations.xlsx")),
      ),
      list,
    );
  },
});
