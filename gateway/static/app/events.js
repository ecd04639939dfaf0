/* Events: the list, creating and correcting an event (times entered in the event's own time zone),
   and its lifecycle (publish, close, complete, cancel). Registrations and results are their own
   screens (events-registrations.js, events-results.js) under the same sub-navigation. */
import { ApiError, all, get, patch, post } from "./api.js";
import { getAlliances, navItem, navigate, refreshView, route } from "./app.js";
import { EVENT_KINDS, STATUSES, formatDate, formatNumber, label, t } from "./labels.js";
import { actionButton, badge, confirmAction, details, el, field, filters, form, heading, pagedTable, toast } from "./ui.js";

export const DEFAULT_ZONE = "Asia/Shanghai";
const ZONES = ["Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Tokyo", "Europe/Berlin", "UTC"];
const TIMES = ["starts_at", "ends_at", "registration_closes_at"];
// The lifecycle as events_svc has it: action -> the statuses it starts from.
const ACTIONS = {
  publish: { from: ["draft"], zh: "发布", en: "Publish" },
  close: { from: ["published"], zh: "截止报名", en: "Close registration" },
  complete: { from: ["closed"], zh: "结束活动", en: "Complete" },
  cancel: { from: ["draft", "published", "closed"], zh: "取消活动", en: "Cancel event" },
};
const CORRECTABLE_STATUSES = ["draft", "published", "closed"];
const FIELD_NAMES = {
  title: ["名称", "Title"],
  description: ["说明", "Description"],
  starts_at: ["开始时间", "Starts"],
  ends_at: ["结束时间", "Ends"],
  location: ["地点", "Location"],
  capacity: ["名额", "Capacity"],
  registration_closes_at: ["报名截止", "Registration closes"],
  team_size_min: ["每队最少人数", "Team size from"],
  team_size_max: ["每队最多人数", "Team size up to"],
  skill: ["赛项 / 技能", "Competition item / skill"],
  time_zone: ["时区", "Time zone"],
  status: ["状态", "Status"],
};

/* ---- times in the event's zone ---- */

/** Minutes the zone's wall clock is ahead of UTC at ``epochMs`` (RangeError for an unknown zone). */
function zoneOffset(epochMs, zone) {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const part = Object.fromEntries(format.formatToParts(new Date(epochMs)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(part.year), Number(part.month) - 1, Number(part.day), Number(part.hour), Number(part.minute), Number(part.second));
  return Math.round((wall - epochMs) / 60000);
}

const pad = (n) => String(n).padStart(2, "0");

/** A wall-clock time "2026-05-12T09:00" of ``zone`` as RFC 3339 with that zone's offset then. */
export function zonedIso(local, zone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local || "");
  if (!m) return local;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  const offset = zoneOffset(wall - zoneOffset(wall, zone) * 60000, zone);
  const sign = offset < 0 ? "-" : "+";
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
}

/** The API's local time ("2026-05-12T09:00:00+08:00") as a datetime-local input's value. */
const inputValue = (local) => (local ? local.slice(0, 16) : "");
/** The API's local time as people read it: "2026-05-12 09:00". */
export const localText = (local) => (local ? local.slice(0, 16).replace("T", " ") : "—");

function checkZone(zone) {
  try {
    zoneOffset(Date.now(), zone);
  } catch {
    throw new ApiError(400, {
      title: t("时区无效", "Unknown time zone"),
      errors: { time_zone: [t("须为 IANA 时区，例如 Asia/Shanghai", "must be an IANA time zone, e.g. Asia/Shanghai")] },
    });
  }
}

/* ---- shared by the event screens ---- */

let organisations = null;

/** Every organisation's name by id (fetched once). */
export async function organisationNames() {
  if (!organisations) organisations = all("/api/v1/organisations").then((items) => new Map(items.map((o) => [o.id, o.name])));
  try {
    return await organisations;
  } catch (error) {
    organisations = null;
    throw error;
  }
}

/** Whether ``me`` acts for the event's organiser (its org_admin, or the alliance admin). */
export const isOrganiser = (me, event) => me.may("org_admin", event.organiser_id);

export const eventPath = (id) => `/api/v1/events/${encodeURIComponent(id)}`;

export function loadEvent(id) {
  return get(eventPath(id));
}

/** An event's screen: its title and status, the sub-navigation, then ``content``. */
export function eventFrame(event, current, ...content) {
  const base = `#/events/${encodeURIComponent(event.id)}`;
  const tab = (href, key, zh, en) => el("a", { href, "aria-current": current === key ? "page" : null }, zh, el("span", { class: "en", text: en }));
  return el(
    "section",
    { class: "event-screen", dataset: { eventId: event.id } },
    el("p", { class: "back" }, el("a", { href: "#/events", text: t("← 全部活动", "All events") })),
    el("h1", { class: "event-title" }, event.title, " ", badge(event.status)),
    el(
      "nav",
      { class: "subnav", "aria-label": t("活动", "Event") },
      tab(base, "overview", "概况", "Overview"),
      tab(`${base}/registrations`, "registrations", "报名", "Registrations"),
      tab(`${base}/results`, "results", "成绩与证书", "Results"),
    ),
    content.flat(Infinity), // screens hand in sections as nested lists
  );
}

const kindOptions = (blank) => [...(blank ? [["", blank]] : []), ...Object.entries(EVENT_KINDS).map(([code, [zh, en]]) => [code, t(zh, en)])];

/* ---- the list ---- */

function listQuery(v) {
  const query = { kind: v.kind, status: v.status, organiser_id: v.organiser_id };
  if (v.from) query.from = zonedIso(`${v.from}T00:00`, DEFAULT_ZONE);
  if (v.to) {
    const [y, m, d] = v.to.split("-").map(Number);
    query.to = zonedIso(`${new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10)}T00:00`, DEFAULT_ZONE); // the whole last day
  }
  return query;
}

route("/events", {
  zh: "活动",
  en: "Events",
  roles: ["org_admin", "teacher"],
  render: async ({ me }) => {
    const names = await organisationNames();
    const mine = me.orgs("org_admin", "teacher");
    const organisers = [
      ["", t("全部主办单位", "All organisers")],
      ...mine.map((id) => [id, `${names.get(id) || id}（${t("本单位", "ours")}）`]),
      ...[...names].filter(([id]) => !mine.includes(id)).map(([id, name]) => [id, name]),
    ];
    const statuses = ["", "draft", "published", "closed", "completed", "cancelled"].map((s) => [s, s ? label(STATUSES, s) : t("全部状态", "All statuses")]);
    const columns = [
      {
        zh: "活动",
        en: "Event",
        key: "title",
        value: (e) =>
          el("span", { class: "event-cell" }, el("a", { href: `#/events/${encodeURIComponent(e.id)}`, text: e.title }), el("span", { class: "note", text: `${label(EVENT_KINDS, e.kind)} · ${names.get(e.organiser_id) || e.organiser_id}` })),
      },
      { zh: "开始", en: "Starts", key: "starts", value: (e) => localText(e.starts_at_local) },
      { zh: "状态", en: "Status", key: "status", value: (e) => badge(e.status) },
      { zh: "已确认", en: "Confirmed", key: "confirmed", num: true, value: (e) => formatNumber(e.confirmed_count) },
      { zh: "剩余名额", en: "Places left", key: "places-left", num: true, value: (e) => (e.places_left === null || e.places_left === undefined ? t("不限", "No limit") : formatNumber(e.places_left)) },
    ];
    // The coming and running events first: the list starts today (in the alliance's time zone) until the filter is cleared.
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: DEFAULT_ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
    const list = pagedTable("/api/v1/events", columns, { query: listQuery({ from: today }), empty: t("没有符合条件的活动", "No events match") });
    list.classList.add("events-list");
    const bar = filters(
      [
        field({ name: "kind", zh: "类型", en: "Kind", type: "select", options: kindOptions(t("全部类型", "All kinds")) }),
        field({ name: "status", zh: "状态", en: "Status", type: "select", options: statuses }),
        field({ name: "organiser_id", zh: "主办单位", en: "Organiser", type: "select", options: organisers }),
        field({ name: "from", zh: "从", en: "From", type: "date", value: today, hint: t("清空可查看往期活动", "clear it for past events") }),
        field({ name: "to", zh: "至", en: "To", type: "date" }),
      ],
      (v) => list.reload(listQuery(v)),
    );
    return el(
      "section",
      {},
      heading(1, "活动", "Events"),
      me.has("org_admin") || me.isAdmin ? el("div", { class: "toolbar" }, el("a", { class: "button", href: "#/events/new", text: t("新建活动", "New event") })) : null,
      bar,
      list,
    );
  },
});

/* ---- creating and correcting ---- */

function timeFields(event) {
  const hint = t("按活动所在时区填写", "In the event's time zone");
  return [
    field({ name: "starts_at", zh: "开始时间", en: "Starts", type: "datetime-local", required: true, value: inputValue(event?.starts_at_local), hint }),
    field({ name: "ends_at", zh: "结束时间", en: "Ends", type: "datetime-local", required: true, value: inputValue(event?.ends_at_local), hint }),
    field({
      name: "registration_closes_at",
      zh: "报名截止",
      en: "Registration closes",
      type: "datetime-local",
      value: inputValue(event?.registration_closes_at_local),
      hint: t("留空则在活动开始时截止", "Empty: when the event starts"),
    }),
  ];
}

/** The fields of an event form; ``event`` given: a correction (what says what the event is stays). */
function eventFields(event) {
  const zones = el("datalist", { id: "event-time-zones" }, ZONES.map((zone) => el("option", { value: zone })));
  return [
    field({ name: "title", zh: "名称", en: "Title", required: true, value: event?.title, attrs: { maxlength: 200 } }),
    el(
      "div",
      { class: "row" },
      field({ name: "time_zone", zh: "时区", en: "Time zone", value: event?.time_zone || DEFAULT_ZONE, hint: t("IANA 时区名", "IANA name"), attrs: { list: "event-time-zones", autocomplete: "off" } }),
      zones,
    ),
    el("div", { class: "row" }, timeFields(event)),
    field({ name: "location", zh: "地点", en: "Location", value: event?.location }),
    el(
      "div",
      { class: "row" },
      field({ name: "capacity", zh: "名额", en: "Capacity", type: "number", value: event?.capacity, hint: t("一个团队占一个名额；留空不限", "A team takes one place; empty: no limit"), attrs: { min: 1, step: 1 } }),
      field({ name: "team_size_min", zh: "每队最少人数", en: "Team size from", type: "number", value: event?.team_size_min ?? 1, attrs: { min: 1, step: 1 } }),
      field({ name: "team_size_max", zh: "每队最多人数", en: "Team size up to", type: "number", value: event?.team_size_max, hint: t("个人项目填 1；留空不限", "1 for individuals; empty: no limit"), attrs: { min: 1, step: 1 } }),
    ),
    field({ name: "skill", zh: "赛项 / 技能", en: "Competition item / skill", value: event?.skill, hint: t("如：网络搭建与应用", "e.g. 网络搭建与应用 (network build)") }),
    field({ name: "description", zh: "说明", en: "Description", type: "textarea", value: event?.description }),
  ];
}

/** The form's times as RFC 3339 in the event's zone. */
function withZonedTimes(v) {
  const zone = v.time_zone || DEFAULT_ZONE;
  checkZone(zone);
  const body = { ...v, time_zone: zone };
  for (const name of TIMES) if (v[name]) body[name] = zonedIso(v[name], zone);
  return body;
}

route("/events/new", {
  zh: "新建活动",
  en: "New event",
  roles: ["org_admin"],
  render: async ({ me }) => {
    const [names, alliances] = await Promise.all([organisationNames(), getAlliances()]);
    const organisers = me.isAdmin ? [...names.keys()] : me.orgs("org_admin");
    return el(
      "section",
      {},
      el("p", { class: "back" }, el("a", { href: "#/events", text: t("← 全部活动", "All events") })),
      heading(1, "新建活动", "New event"),
      el("p", { class: "note", text: t("新活动为草稿，发布后各校方可报名。", "A new event is a draft; schools register once it is published.") }),
      form({
        fields: [
          el(
            "div",
            { class: "row" },
            field({ name: "alliance_id", zh: "联盟", en: "Alliance", type: "select", required: true, options: alliances.map((a) => [a.id, a.name]) }),
            field({ name: "organiser_id", zh: "主办单位", en: "Organiser", type: "select", required: true, options: organisers.map((id) => [id, names.get(id) || id]) }),
            field({ name: "kind", zh: "类型", en: "Kind", type: "select", required: true, options: kindOptions(), value: "skills_competition" }),
          ),
          ...eventFields(null),
        ],
        className: "stack card event-form",
        submitLabel: t("创建草稿", "Create draft"),
        submit: (v, key) => post("/api/v1/events", withZonedTimes(v), { idempotencyKey: key }),
        done: (event) => {
          toast(t("活动已创建（草稿）", "Event created (draft)"));
          navigate(`/events/${encodeURIComponent(event.id)}`);
        },
      }),
    );
  },
});

const same = (name, before, after) =>
  TIMES.includes(name) && before && after ? Date.parse(before) === Date.parse(after) : (before ?? null) === (after ?? null);

/** The correction of ``event`` the form asks for: only the fields that changed, and the reason. */
function correction(event, v) {
  const wanted = withZonedTimes(v);
  const body = {};
  for (const name of Object.keys(FIELD_NAMES)) {
    if (name === "status") continue;
    let value = wanted[name] ?? null;
    if (name === "title" && value === null) value = "";
    if (name === "team_size_min" && value === null) continue; // not optional: left as it is
    if (!same(name, event[name], value)) body[name] = value;
  }
  if (v.reason) body.reason = v.reason;
  return body;
}

function correctionForm(event) {
  const reasonNeeded = event.was_published;
  return el(
    "details",
    { class: "card correct" },
    el("summary", {}, "更正活动信息", el("span", { class: "en", text: "Correct the event" })),
    el("p", { class: "note", text: t("类型与主办单位不能更改；每次更正都记入变更记录。", "Kind and organiser stay; every correction goes into the history.") }),
    form({
      className: "stack event-form",
      fields: [
        ...eventFields(event),
        field({
          name: "reason",
          zh: "更正原因",
          en: "Reason",
          type: "textarea",
          required: reasonNeeded,
          hint: reasonNeeded ? t("已发布的活动须说明原因，报名单位会收到通知", "Required once published: registrants are told why") : null,
        }),
      ],
      submitLabel: t("保存更正", "Save correction"),
      submit: async (v) => {
        const body = correction(event, v);
        if (!Object.keys(body).some((name) => name !== "reason")) return null;
        return patch(eventPath(event.id), body);
      },
      done: async (answer) => {
        toast(answer ? t("已更正", "Corrected") : t("没有改动", "Nothing changed"));
        if (answer) await refreshView();
      },
    }),
  );
}

/* ---- one event ---- */

function historyValue(event, name, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (name === "status") return label(STATUSES, value);
  if (TIMES.includes(name)) return formatDate(value, { time: true, timeZone: event.time_zone || DEFAULT_ZONE });
  return String(value);
}

/** Who made a change: "you" for the signed-in account, else the account or token as recorded. */
const author = (me, by) => (by === `account:${me.account?.id}` ? t("您", "you") : by);

function history(event, me, mayKnowWho) {
  const lines = [...(event.history || [])].reverse();
  if (!lines.length) return null;
  return [
    heading(2, "变更记录", "History"),
    el(
      "ol",
      { class: "history" },
      lines.map((line) =>
        el(
          "li",
          {},
          el("span", { class: "note" }, formatDate(line.at, { time: true }), mayKnowWho && line.by ? ` · ${author(me, line.by)}` : null),
          el("ul", {}, line.changes.map((c) => el("li", {}, `${label(FIELD_NAMES, c.field)}：${historyValue(event, c.field, c.from)} → ${historyValue(event, c.field, c.to)}`))),
          line.reason ? el("p", { class: "reason" }, `${t("原因", "Reason")}：${line.reason}`) : null,
        ),
      ),
    ),
  ];
}

function lifecycleButtons(event) {
  return Object.entries(ACTIONS)
    .filter(([, action]) => action.from.includes(event.status))
    .map(([name, action]) =>
      actionButton(
        t(action.zh, action.en),
        async () => {
          const cancelling = name === "cancel";
          const answer = await confirmAction({
            zh: cancelling ? `取消活动“${event.title}”？已报名和候补的报名都将被取消。` : `${action.zh}活动“${event.title}”？`,
            en: cancelling ? "Cancel this event? Its confirmed and waitlisted registrations are cancelled too." : `${action.en} this event?`,
            reason: cancelling,
            extraFields: cancelling ? [] : [field({ name: "reason", zh: "说明（可选）", en: "Note (optional)", type: "textarea" })],
            confirmLabel: t(action.zh, action.en),
          });
          if (!answer) return;
          await post(`${eventPath(event.id)}/${name}`, answer.reason ? { reason: answer.reason } : {});
          toast(`${t(action.zh, action.en)} ✓`);
          await refreshView();
        },
        { secondary: name !== "publish", className: `action-${name}` },
      ),
    );
}

function sizes(event) {
  const min = event.team_size_min ?? 1;
  const max = event.team_size_max;
  if (max === min) return min === 1 ? t("个人", "Individual") : `${min} ${t("人", "people")}`;
  return max ? `${min}–${max} ${t("人", "people")}` : `≥ ${min} ${t("人", "people")}`;
}

route("/events/:id", {
  zh: "活动",
  en: "Event",
  roles: ["org_admin", "teacher"],
  render: async ({ params, me }) => {
    const [event, names] = await Promise.all([loadEvent(params.id), organisationNames()]);
    const organiser = isOrganiser(me, event);
    const zone = event.time_zone || DEFAULT_ZONE;
    const places = event.places_left === null || event.places_left === undefined ? t("不限", "No limit") : formatNumber(event.places_left);
    return eventFrame(
      event,
      "overview",
      organiser ? el("div", { class: "toolbar lifecycle" }, lifecycleButtons(event)) : null,
      details([
        ["类型", "Kind", label(EVENT_KINDS, event.kind)],
        ["主办单位", "Organiser", names.get(event.organiser_id) || event.organiser_id],
        ["时间", "When", `${localText(event.starts_at_local)} — ${localText(event.ends_at_local)}（${zone}）`],
        ["报名截止", "Registration closes", event.registration_closes_at_local ? localText(event.registration_closes_at_local) : t("活动开始时", "When it starts")],
        ["地点", "Location", event.location],
        ["名额", "Capacity", event.capacity ?? t("不限", "No limit")],
        ["报名", "Registrations", `${t("已确认", "confirmed")} ${formatNumber(event.confirmed_count)} · ${t("候补", "waitlisted")} ${formatNumber(event.waitlisted_count)} · ${t("剩余", "places left")} ${places}`],
        ["每队人数", "Team size", sizes(event)],
        ["赛项 / 技能", "Competition item", event.skill],
        ["说明", "Description", event.description],
      ]),
      organiser && CORRECTABLE_STATUSES.includes(event.status) ? correctionForm(event) : null,
      history(event, me, organiser),
    );
  },
});

navItem({ href: "#/events", zh: "活动", en: "Events", roles: ["org_admin", "teacher"], order: 40 });
