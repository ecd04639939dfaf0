/* The words of the web app: Chinese first, English alongside, for every code the API answers. */

/** A bilingual label: "中文 English". */
export function t(zh, en) {
  return en ? `${zh} ${en}` : zh;
}

export const EVENT_KINDS = {
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

export const CERTIFICATE_KINDS = {
  skill_level: ["职业技能等级证书", "Skill level certificate"],
  competition_award: ["竞赛获奖证书", "Competition award"],
  training_completion: ["培训结业证书", "Training completion"],
  participation: ["参与证书", "Participation"],
};

export const PERSON_KINDS = {
  student: ["学生", "Student"],
  teacher: ["教师", "Teacher"],
  researcher: ["研究人员", "Researcher"],
  expert: ["专家", "Expert"],
};

export const RESEARCHER_POSITIONS = {
  full_time_researcher: ["专职研究人员", "Full-time researcher"],
  part_time_researcher: ["兼职研究人员", "Part-time researcher"],
};

/** A person's fields, as a correction's history names them. */
export const PERSON_FIELDS = {
  name: ["姓名", "Name"],
  kind: ["类别", "Kind"],
  student_number: ["学号", "Student number"],
  major: ["专业", "Major"],
  class_name: ["班级", "Class"],
  national_id: ["身份证号", "National ID"],
  position: ["岗位", "Position"],
  archived: ["归档", "Archived"],
};

export const ACCOUNT_CHANGES = {
  created: ["创建", "Created"],
  roles_changed: ["角色变更", "Roles changed"],
  disabled: ["停用", "Disabled"],
  enabled: ["启用", "Enabled"],
  password_changed: ["修改密码", "Password changed"],
  password_reset: ["重置密码", "Password reset"],
};

export const EVENT_AWARDS = {
  first_prize: ["一等奖", "First prize"],
  second_prize: ["二等奖", "Second prize"],
  third_prize: ["三等奖", "Third prize"],
  excellence: ["优秀奖", "Excellence"],
  participation: ["参与奖", "Participation"],
  none: ["无", "None"],
};

export const SKILL_LEVELS = {
  5: ["五级/初级工", "Level 5 / junior worker"],
  4: ["四级/中级工", "Level 4 / intermediate worker"],
  3: ["三级/高级工", "Level 3 / senior worker"],
  2: ["二级/技师", "Level 2 / technician"],
  1: ["一级/高级技师", "Level 1 / senior technician"],
};

export const REVOCATION_CATEGORIES = {
  issued_in_error: ["发证有误", "Issued in error"],
  results_corrected: ["成绩更正", "Results corrected"],
  misconduct: ["违规", "Misconduct"],
  withdrawn: ["撤回", "Withdrawn"],
  other: ["其他", "Other"],
};

export const STATUSES = {
  active: ["有效", "Valid"],
  suspended: ["已暂停", "Suspended"],
  revoked: ["已撤销", "Revoked"],
  superseded: ["已更正", "Superseded"],
  expired: ["已过期", "Expired"],
  draft: ["草稿", "Draft"],
  published: ["报名中", "Published"],
  closed: ["报名截止", "Closed"],
  completed: ["已结束", "Completed"],
  cancelled: ["已取消", "Cancelled"],
  applied: ["已申请", "Applied"],
  approved: ["已批准", "Approved"],
  rejected: ["已拒绝", "Rejected"],
  left: ["已退出", "Left"],
  confirmed: ["已确认", "Confirmed"],
  waitlisted: ["候补", "Waitlisted"],
  queued: ["排队中", "Queued"],
  running: ["处理中", "Running"],
  done: ["已完成", "Done"],
  failed: ["失败", "Failed"],
  disabled: ["已停用", "Disabled"],
};

export const ROLES = {
  alliance_admin: ["联盟秘书处", "Alliance secretary"],
  org_admin: ["学校管理员", "Organisation admin"],
  teacher: ["教师", "Teacher"],
  assessor: ["考评员", "Assessor"],
  student: ["学生", "Student"],
};

export const ORGANISATION_KINDS = {
  secondary_vocational_school: ["中等职业学校", "Secondary vocational school"],
  higher_vocational_college: ["高等职业院校", "Higher vocational college"],
  enterprise: ["企业", "Enterprise"],
  university: ["本科高校", "University"],
  research_base: ["研究基地", "Research base"],
  government: ["政府部门", "Government"],
};

export const MEMBERSHIP_ROLES = {
  lead: ["牵头学校", "Lead school"],
  founding: ["发起学校", "Founding school"],
  member: ["成员单位", "Member"],
  partner: ["合作单位", "Partner"],
};

export const MEMBERSHIP_STATUSES = {
  applied: ["已申请", "Applied"],
  active: ["在册", "Active"],
  rejected: ["已拒绝", "Rejected"],
  suspended: ["已暂停", "Suspended"],
  left: ["已退出", "Left"],
};

export const MEMBERSHIP_ACTIONS = {
  approve: ["批准", "Approve"],
  reject: ["拒绝", "Reject"],
  suspend: ["暂停", "Suspend"],
  reinstate: ["恢复", "Reinstate"],
  leave: ["退出", "Leave"],
  rejoin: ["重新加入", "Rejoin"],
};

/** The label of ``code`` in ``table`` ("中文 English"), or the code itself when unknown. */
export function label(table, code) {
  const names = table[code];
  return names ? t(names[0], names[1]) : String(code ?? "—");
}

/** A date (and time) as people in China write it, in the event's own time zone when given. */
export function formatDate(iso, { time = false, timeZone } = {}) {
  if (!iso) return "—";
  const options = { year: "numeric", month: "2-digit", day: "2-digit" };
  if (time) Object.assign(options, { hour: "2-digit", minute: "2-digit", hour12: false });
  if (timeZone) options.timeZone = timeZone;
  return new Intl.DateTimeFormat("zh-CN", options).format(new Date(iso));
}

export function formatNumber(value) {
  return value === null || value === undefined ? "—" : new Intl.NumberFormat("zh-CN").format(value);
}

export function formatPercent(ratio) {
  return ratio === null || ratio === undefined ? "—" : `${(ratio * 100).toFixed(1)} %`;
}

export const JOB_KINDS = {
  assessment: ["技能等级认定", "Assessment"],
  batch: ["批量发证", "Batch issue"],
};

/** How a results sheet is imported (the import's ``mode``). */
export const IMPORT_MODES = {
  row_level: ["只导入无误的行", "Import the valid rows"],
  all_or_nothing: ["全部无误才导入", "All rows or none"],
  preview: ["只检查，不导入", "Check only"],
};
