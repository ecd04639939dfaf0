/* Public events calendar: published events, upcoming and past, filtered by kind, with iCalendar links. */
"use strict";

(() => {
  const { el, label, formatDate, getAll, KINDS, STATUSES } = Alliance;
  const kindSelect = document.getElementById("kind");
  const feed = document.getElementById("feed");
  const state = document.getElementById("state");
  const upcoming = document.getElementById("upcoming");
  const past = document.getElementById("past");

  for (const kind of Object.keys(KINDS)) kindSelect.append(el("option", { value: kind, text: label(KINDS, kind) }));
  const initial = new URLSearchParams(location.search).get("kind");
  if (initial && KINDS[initial]) kindSelect.value = initial;

  function item(event) {
    const id = encodeURIComponent(event.id);
    const same = formatDate(event.starts_at) === formatDate(event.ends_at);
    const when = same
      ? `${formatDate(event.starts_at, true)} – ${new Intl.DateTimeFormat("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false }).format(new Date(event.ends_at))}`
      : `${formatDate(event.starts_at)} – ${formatDate(event.ends_at)}`;
    return el("li", { "data-kind": event.kind },
      el("h3", { text: event.title }),
      el("div", { class: "meta" },
        el("span", { class: "kind", text: label(KINDS, event.kind) }),
        el("span", {}, el("time", { datetime: event.starts_at, text: when })),
        event.location ? el("span", { text: `地点 Location: ${event.location}` }) : null,
        el("span", { text: label(STATUSES, event.status) })),
      event.description ? el("p", { text: event.description }) : null,
      el("a", { href: `/api/v1/events/${id}.ics`, text: "加入日历 (.ics) Add to calendar",
                "aria-label": `加入日历 Add to calendar: ${event.title}` }));
  }

  function fill(list, events, empty) {
    list.replaceChildren(...(events.length ? events.map(item) : [el("li", { class: "note", text: empty })]));
  }

  async function load() {
    const kind = kindSelect.value;
    const query = kind ? `?kind=${encodeURIComponent(kind)}` : "";
    feed.href = `/api/v1/events.ics${query}`;
    history.replaceState(null, "", `/calendar${query}`);
    state.textContent = "加载中… Loading…";
    try {
      const events = await getAll(`/api/v1/events${query}`);
      const now = Date.now();
      const coming = events.filter((e) => Date.parse(e.ends_at) >= now)
        .sort((a, b) => Date.parse(a.starts_at) - Date.parse(b.starts_at));
      const done = events.filter((e) => Date.parse(e.ends_at) < now)
        .sort((a, b) => Date.parse(b.starts_at) - Date.parse(a.starts_at));
      fill(upcoming, coming, "暂无即将举行的活动 No upcoming events");
      fill(past, done, "暂无往期活动 No past events");
      state.textContent = `共 ${events.length} 项活动 ${events.length} events`;
    } catch (error) {
      state.textContent = `加载失败 Could not load events: ${error.message}`;
    }
  }

  kindSelect.addEventListener("change", load);
  load();
})();
