// The register app: pick a teacher and one of their classes on a day, see the session's marks,
// change them and save the register with recordSessionAttendances (one result per row).
// Plain ES modules, no build step, no framework; everything comes from the gateway.

import { GraphQLError, request, stats } from "./graphql.js";
import { REGISTER, SETUP, TAKE_REGISTER } from "./queries.js";

/** Marks that may carry minutes late (README, "Writing attendance"): present and late. */
const MINUTES_CODES = new Set(["/", "\\", "L", "U"]);
const MAX_MINUTES = 300;
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const PRESENT = { AM: "/", PM: "\\" };

const $ = (id) => document.getElementById(id);
const ui = {
  school: $("school"), teacher: $("teacher"), date: $("date"), session: $("session"),
  klass: $("class"), status: $("status"), register: $("register"), title: $("class-title"),
  detail: $("class-detail"), rows: $("rows"), save: $("save"), summary: $("summary"),
  allPresent: $("all-present"), reload: $("reload"),
};

const state = {
  setup: null, // { teachers, classes, day } for ui.date
  register: null, // { klass, codes }
  rows: [], // { student, original: { code, minutesLate }, select, minutes, now, result, tr }
  attempt: null, // { body, key }: the last save whose answer never came (its key is reused)
};

/** Build an element: h("td", { className: "x" }, "text", child). Text is never parsed as HTML. */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  Object.assign(el, props);
  for (const child of children) el.append(child ?? "");
  return el;
}

function setStatus(text, error = false) {
  ui.status.textContent = text;
  ui.status.classList.toggle("error", error);
}

function setPhase(phase) {
  document.body.dataset.phase = phase; // loading | ready | saving | saved (the browser test waits on it)
}

/** Today in Europe/London, yyyy-mm-dd (school days are London days). */
function londonToday() {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/London", year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(new Date());
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

function weekday(date) {
  return WEEKDAYS[new Date(`${date}T12:00:00Z`).getUTCDay()];
}

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16)); // a version 4 UUID by hand
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Keep the choices in the address, so a reload (or a bookmark) opens the same register. */
function remember() {
  const params = new URLSearchParams();
  if (ui.teacher.value) params.set("teacher", ui.teacher.value);
  if (ui.date.value) params.set("date", ui.date.value);
  params.set("session", ui.session.value);
  if (ui.klass.value) params.set("class", ui.klass.value);
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function problem(error) {
  return error instanceof GraphQLError ? error.message : `Something went wrong: ${error}`;
}

// --- teachers and classes --------------------------------------------------------------

async function loadSetup() {
  setPhase("loading");
  setStatus("Loading teachers and classes…");
  const data = await request(SETUP, { date: ui.date.value });
  const year = data.academicYear;
  ui.school.textContent = `${data.school.name} · ${year.year - 1}/${String(year.year).slice(2)}`;
  state.setup = { teachers: year.teachers, classes: year.classes, day: year.calendar[0] || null };
  const chosen = ui.teacher.value || new URLSearchParams(location.search).get("teacher") || "";
  const teachers = [...year.teachers].sort((a, b) =>
    `${a.lastName} ${a.code}`.localeCompare(`${b.lastName} ${b.code}`));
  ui.teacher.replaceChildren(h("option", { value: "", textContent: "Choose a teacher" }),
    ...teachers.map((t) => h("option", {
      value: t.id, textContent: [t.title, t.lastName, t.code && `(${t.code})`].filter(Boolean).join(" "),
    })));
  ui.teacher.value = teachers.some((t) => t.id === chosen) ? chosen : "";
  fillClasses();
}

function classLabel(c) {
  return [c.period && c.period.name, c.groupCode, c.subjectCode && `(${c.subjectCode})`]
    .filter(Boolean).join(" · ");
}

function fillClasses() {
  const { classes, day } = state.setup;
  const teacher = ui.teacher.value;
  const chosen = ui.klass.value || new URLSearchParams(location.search).get("class") || "";
  const theirs = classes.filter((c) => teacher && c.teacherIds.includes(teacher));
  const open = day && day.dayType === "OPEN";
  const name = weekday(ui.date.value);
  const today = (c) => open && c.period && c.period.dayOfWeek === name
    && (c.period.week == null || day.week == null || c.period.week === day.week);
  const byStart = (a, b) => String(a.period && a.period.start).slice(11)
    .localeCompare(String(b.period && b.period.start).slice(11));
  const onDay = theirs.filter(today).sort(byStart);
  const others = theirs.filter((c) => !today(c)).sort((a, b) => classLabel(a).localeCompare(classLabel(b)));
  const option = (c) => h("option", { value: c.id, textContent: classLabel(c) });
  ui.klass.replaceChildren(h("option", { value: "", textContent: teacher ? "Choose a class" : "Pick a teacher first" }));
  if (onDay.length) ui.klass.append(h("optgroup", { label: `${name}'s classes` }, ...onDay.map(option)));
  if (others.length) ui.klass.append(h("optgroup", { label: "Their other classes" }, ...others.map(option)));
  ui.klass.disabled = !teacher;
  ui.klass.value = theirs.some((c) => c.id === chosen) ? chosen : "";
  if (!open) {
    setStatus(day ? `The school is ${day.dayType.toLowerCase()} on ${ui.date.value}.`
      : `The school calendar has no entry for ${ui.date.value}.`);
  } else if (teacher && !onDay.length) {
    setStatus(`No classes on ${name} (week ${day.week ?? "?"}) for this teacher.`);
  } else {
    setStatus(teacher ? `${onDay.length} class${onDay.length === 1 ? "" : "es"} on ${name}.` : "Choose a teacher.");
  }
  setPhase("ready");
}

// --- the register ----------------------------------------------------------------------

async function loadRegister() {
  state.register = null;
  ui.register.hidden = true;
  remember();
  if (!ui.klass.value) return;
  setPhase("loading");
  setStatus("Loading the register…");
  const data = await request(REGISTER, { classId: ui.klass.value, date: ui.date.value });
  const klass = data.academicYear.class;
  if (!klass) {
    setStatus("That class is not in this academic year.", true);
    setPhase("ready");
    return;
  }
  state.register = { klass, codes: data.academicYear.attendanceCodes };
  renderRegister();
  setStatus(`${klass.students.length} students.`);
  setPhase("ready");
}

function markText(mark) {
  if (!mark) return "—";
  const alias = mark.alias && mark.alias.code ? ` / ${mark.alias.code}` : "";
  const late = mark.minutesLate ? ` (${mark.minutesLate} min late)` : "";
  return `${mark.code.code}${alias}${late}`;
}

function renderRegister() {
  const { klass, codes } = state.register;
  const session = ui.session.value;
  ui.title.textContent = [klass.groupCode, klass.subjectCode && `(${klass.subjectCode})`].filter(Boolean).join(" ");
  const teachers = klass.teachers.map((t) => [t.title, t.lastName].filter(Boolean).join(" ")).join(", ");
  ui.detail.textContent = [klass.period && klass.period.name, klass.rooms.length && `room ${klass.rooms.join(", ")}`,
    teachers, `${ui.date.value} ${session}`].filter(Boolean).join(" · ");
  const students = [...klass.students].sort((a, b) =>
    `${a.preferredLastName} ${a.preferredFirstName}`.localeCompare(`${b.preferredLastName} ${b.preferredFirstName}`));
  state.rows = students.map((student) => {
    const mark = student.sessionMarks.find((m) => m.session === session) || null;
    const row = {
      student,
      original: { code: mark ? mark.code.code : "", minutesLate: mark ? mark.minutesLate ?? null : null },
      select: h("select", { title: "New mark" },
        h("option", { value: "", textContent: "— no mark —" }),
        ...codes.map((c) => h("option", { value: c.code, textContent: `${c.code}  ${c.label || ""}`.trim() }))),
      minutes: h("input", { type: "number", min: "0", max: String(MAX_MINUTES), step: "1", title: "Minutes late" }),
      now: h("td", { className: "now" }, h("span", { className: "mark", textContent: markText(mark) })),
      result: h("td", { className: "result" }),
    };
    row.now.title = mark ? (mark.code.label || "") : "No mark yet";
    row.select.value = row.original.code;
    row.minutes.value = row.original.minutesLate ?? "";
    row.tr = h("tr", {},
      h("td", { className: "name", textContent: `${student.preferredLastName}, ${student.preferredFirstName}` }),
      h("td", { textContent: student.registrationGroup || "" }),
      row.now, h("td", { className: "code" }, row.select), h("td", { className: "minutes" }, row.minutes),
      row.result);
    row.tr.dataset.studentId = student.id;
    row.select.addEventListener("change", () => refresh(row));
    row.minutes.addEventListener("input", () => refresh(row));
    refresh(row);
    return row;
  });
  ui.rows.replaceChildren(...state.rows.map((r) => r.tr));
  ui.summary.textContent = "";
  ui.register.hidden = false;
}

function minutesOf(row) {
  const text = row.minutes.value.trim();
  return text === "" ? null : Number(text);
}

function changed(row) {
  if (!row.select.value) return false; // a mark cannot be taken away, only replaced
  if (row.select.value !== row.original.code) return true;
  return MINUTES_CODES.has(row.select.value) && minutesOf(row) !== row.original.minutesLate;
}

function refresh(row) {
  const minutesAllowed = MINUTES_CODES.has(row.select.value);
  row.minutes.disabled = !minutesAllowed;
  if (!minutesAllowed) row.minutes.value = "";
  row.tr.classList.toggle("changed", changed(row));
  const count = state.rows.filter(changed).length;
  ui.save.disabled = count === 0;
  ui.save.textContent = count ? `Save ${count} change${count === 1 ? "" : "s"}` : "Save register";
}

function showResult(row, kind, text) {
  row.result.className = `result ${kind}`;
  row.result.textContent = text;
}

async function save() {
  const session = ui.session.value;
  const sending = [];
  for (const row of state.rows.filter(changed)) {
    const minutes = MINUTES_CODES.has(row.select.value) ? minutesOf(row) : null;
    if (minutes !== null && !Number.isInteger(minutes)) { // the range is the gateway's to check
      showResult(row, "error", `Minutes late must be a whole number from 0 to ${MAX_MINUTES}.`);
      continue;
    }
    const input = { studentId: row.student.id, date: ui.date.value, session, code: row.select.value };
    if (minutes !== null) input.minutesLate = minutes;
    sending.push({ row, input });
  }
  if (!sending.length) return;
  const inputs = sending.map((s) => s.input);
  const body = JSON.stringify(inputs);
  // One idempotency key per save; a save whose answer never came is repeated with the same
  // key, so the gateway answers its first outcome instead of posting the marks twice.
  const key = state.attempt && state.attempt.body === body ? state.attempt.key : newKey();
  state.attempt = { body, key };
  setPhase("saving");
  ui.save.disabled = true;
  ui.summary.textContent = `Saving ${inputs.length}…`;
  for (const { row } of sending) showResult(row, "", "Saving…");
  let results;
  try {
    results = (await request(TAKE_REGISTER, { inputs, idempotencyKey: key })).recordSessionAttendances;
  } catch (error) {
    for (const { row } of sending) showResult(row, "error", "Not saved");
    if (!(error instanceof GraphQLError) || error.status === 0) {
      ui.summary.textContent = `${problem(error)} Save again to retry: the same save is sent, never twice.`;
    } else {
      state.attempt = null;
      ui.summary.textContent = problem(error);
    }
    setPhase("saved");
    refreshAll();
    return;
  }
  state.attempt = null;
  let saved = 0; let refused = 0; let unknown = 0;
  for (const result of results) {
    const { row } = sending[result.index];
    if (result.error) {
      if (result.error.outcomeUnknown) {
        unknown += 1;
        showResult(row, "unknown", `Outcome unknown: ${result.error.message}`);
      } else {
        refused += 1;
        showResult(row, "error", result.error.message);
      }
      continue;
    }
    saved += 1;
    const mark = result.mark;
    row.original = { code: mark.code.code, minutesLate: mark.minutesLate ?? null };
    row.now.replaceChildren(h("span", { className: "mark", textContent: markText(mark) }));
    showResult(row, "ok", "Saved");
  }
  ui.summary.textContent = [`Saved ${saved} of ${results.length}.`, refused && `${refused} refused.`,
    unknown && `${unknown} with an unknown outcome: read back before saving them again.`]
    .filter(Boolean).join(" ");
  refreshAll();
  setPhase("saved");
}

function refreshAll() {
  for (const row of state.rows) refresh(row);
}

function markUnmarkedPresent() {
  for (const row of state.rows) {
    if (!row.select.value) {
      row.select.value = PRESENT[ui.session.value];
      refresh(row);
    }
  }
}

// --- wiring ----------------------------------------------------------------------------

function guard(task) {
  return async () => {
    try {
      await task();
    } catch (error) {
      setStatus(problem(error), true);
      setPhase("ready");
    }
  };
}

async function start() {
  const params = new URLSearchParams(location.search);
  ui.date.value = /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") || "") ? params.get("date") : londonToday();
  ui.session.value = params.get("session") === "PM" ? "PM" : "AM";
  await loadSetup();
  if (ui.klass.value) await loadRegister();
}

ui.teacher.addEventListener("change", guard(async () => {
  ui.klass.value = "";
  fillClasses();
  await loadRegister();
}));
ui.date.addEventListener("change", guard(async () => {
  await loadSetup();
  await loadRegister();
}));
ui.session.addEventListener("change", () => {
  remember();
  if (state.register) renderRegister();
});
ui.klass.addEventListener("change", guard(loadRegister));
ui.reload.addEventListener("click", guard(loadRegister));
ui.save.addEventListener("click", guard(save));
ui.allPresent.addEventListener("click", markUnmarkedPresent);

window.registerApp = { stats }; // how many operations went hash-only, and how many fell back
guard(start)();
