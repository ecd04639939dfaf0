/* Helpers shared by the alliance's web pages: API calls with cursor pagination, labels, dates. */
"use strict";

const Alliance = (() => {
  const KINDS = {
    skills_competition: ["技能竞赛", "Skills competition"],
    teaching_competition: ["教学能力比赛", "Teaching competition"],
    activity_week: ["职业教育活动周", "Activity week"],
    activity_month: ["职业教育活动月", "Activity month"],
    teacher_training: ["教师培训", "Teacher training"],
    teaching_research: ["教研活动", "Teaching research"],
    enterprise_visit: ["学生企业面对面", "Enterprise visit"],
    career_experience: ["职业体验日", "Career experience"],
    open_day: ["校园开放日", "Open day"],
    community_service: ["技能进社区", "Community service"],
    lecture: ["大师讲堂", "Lecture"],
  };
  const CERTIFICATE_KINDS = {
    skill_level: ["职业技能等级证书", "Skill level certificate"],
    competition_award: ["竞赛获奖证书", "Competition award"],
    training_completion: ["培训结业证书", "Training completion"],
    participation: ["参与证书", "Participation"],
  };
  const STATUSES = {
    active: ["有效", "Valid"],
    suspended: ["已暂停", "Suspended"],
    revoked: ["已撤销", "Revoked"],
    superseded: ["已更正", "Superseded"],
    expired: ["已过期", "Expired"],
    published: ["报名中", "Published"],
    closed: ["报名截止", "Closed"],
    completed: ["已结束", "Completed"],
    draft: ["草稿", "Draft"],
    cancelled: ["已取消", "Cancelled"],
  };

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
    }
  }

  async function getJson(path, token) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(path, { headers });
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  /* Every item of a cursor-paginated list. */
  async function getAll(path, token, limit = 200) {
    const items = [];
    let cursor = null;
    do {
      const url = new URL(path, location.origin);
      url.searchParams.set("limit", String(limit));
      if (cursor) url.searchParams.set("cursor", cursor);
      const page = await getJson(url.pathname + url.search, token);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  function label(table, key) {
    const names = table[key];
    return names ? `${names[0]} ${names[1]}` : key;
  }

  function formatDate(iso, withTime = false) {
    if (!iso) return "—";
    const options = { year: "numeric", month: "2-digit", day: "2-digit" };
    if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit", hour12: false });
    return new Intl.DateTimeFormat("zh-CN", options).format(new Date(iso));
  }

  /* An element with text content: the pages never insert API data as HTML. */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  return { KINDS, CERTIFICATE_KINDS, STATUSES, ApiError, getJson, getAll, label, formatDate, el };
})();
