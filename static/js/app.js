// Vendorwatch page behaviour. Kept small and free of inline handlers so that the
// Content-Security-Policy can forbid inline script; htmx does the server round trips.
"use strict";

// Mark the current section in the main navigation (the longest matching prefix), for screen
// readers and styling.
function markCurrentNav() {
  let best = null;
  for (const link of document.querySelectorAll(".nav a")) {
    const path = link.getAttribute("href");
    const matches = path === "/" ? window.location.pathname === "/" : window.location.pathname.startsWith(path);
    if (matches && (!best || path.length > best.getAttribute("href").length)) best = link;
  }
  if (best) best.setAttribute("aria-current", "page");
}

// Target rows of the advisory editor: show only the fields the chosen kind uses.
function showKindFields(row) {
  const kindSelect = row.querySelector("select[name$='-kind']");
  const kind = kindSelect ? kindSelect.value : "";
  for (const field of row.querySelectorAll("[data-kinds]")) {
    field.hidden = !field.dataset.kinds.split(" ").includes(kind);
  }
}

function initRows(root) {
  for (const row of root.querySelectorAll("[data-target-row]")) showKindFields(row);
}

// "Add a target": clone the formset's empty form with the next index.
function addFormsetRow(prefix) {
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const template = document.getElementById(`${prefix}-empty`);
  const rows = document.querySelector(`[data-formset='${prefix}']`);
  if (!total || !template || !rows) return;
  const index = Number(total.value);
  const holder = document.createElement("div");
  holder.innerHTML = template.innerHTML.replaceAll("__prefix__", String(index));
  const row = holder.firstElementChild;
  rows.appendChild(row);
  total.value = String(index + 1);
  if (window.htmx) window.htmx.process(row);
  showKindFields(row);
  const first = row.querySelector("select, input:not([type=hidden])");
  if (first) first.focus();
}

// A picker option fills the hidden field it belongs to and tells the preview to refresh.
function pickOption(button) {
  const hidden = document.getElementById(button.dataset.pickTarget);
  if (!hidden) return;
  hidden.value = button.dataset.pickValue;
  const picker = hidden.closest(".picker");
  const box = picker.querySelector("input[type=search]");
  box.value = button.dataset.pickLabel;
  picker.querySelector(".picker-results").replaceChildren();
  hidden.dispatchEvent(new Event("change", { bubbles: true }));
  box.focus();
}

// Under 768 px the menu folds behind its button; the stylesheet folds it only once this
// script has shown the button, so that without script the menu stays open.
function initNavToggle() {
  const button = document.querySelector("[data-nav-toggle]");
  if (!button) return;
  const bar = button.closest(".topbar");
  bar.classList.add("has-nav-toggle");
  button.hidden = false;
  const setOpen = (open) => {
    button.setAttribute("aria-expanded", String(open));
    bar.classList.toggle("nav-open", open);
  };
  button.addEventListener("click", () => setOpen(button.getAttribute("aria-expanded") !== "true"));
  bar.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
}

// Every data table sits in a box that scrolls sideways when the table is wider than the
// page. While it does scroll, the box is a named region that the keyboard can reach (so
// that the arrow keys scroll it); when the table fits, it is nothing at all.
function wrapTables(root) {
  for (const table of root.querySelectorAll("table.data")) {
    if (table.parentElement.classList.contains("table-scroll")) continue;
    const box = document.createElement("div");
    box.className = "table-scroll";
    table.replaceWith(box);
    box.appendChild(table);
    if (scrollBoxes) {
      scrollBoxes.observe(box);
      scrollBoxes.observe(table);
    }
  }
  updateScrollRegions();
}

// Whether a box scrolls changes as the page is laid out and resized: check it again then.
const scrollBoxes = window.ResizeObserver ? new ResizeObserver(() => updateScrollRegions()) : null;

function updateScrollRegions() {
  for (const box of document.querySelectorAll(".table-scroll")) {
    if (box.scrollWidth > box.clientWidth) {
      const table = box.querySelector("table");
      const caption = table.querySelector("caption");
      const heading = box.closest("section")?.querySelector("h2");
      const name = (caption || heading)?.textContent.trim() || "Table";
      box.setAttribute("role", "region");
      // Its own name, not its section's: two landmarks may not share one.
      box.removeAttribute("aria-labelledby");
      box.setAttribute("aria-label", `${name}, scrolls sideways`);
      box.tabIndex = 0;
    } else {
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
      box.removeAttribute("aria-labelledby");
      box.removeAttribute("tabindex");
    }
  }
}

// A form posted with errors comes back with their summary above it: move there, so that
// the person hears what went wrong and can follow each error to its field.
function focusErrorSummary() {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
}

document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  markCurrentNav();
  initRows(document);
  initNavToggle();
  wrapTables(document);
  focusErrorSummary();
});
window.addEventListener("resize", updateScrollRegions);
window.addEventListener("load", updateScrollRegions);
document.addEventListener("htmx:afterSettle", (event) => wrapTables(event.target));

// An error summary's link moves to its field (and scrolls it into view), not just the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) return;
  const holder = document.getElementById(link.getAttribute("href").slice(1));
  if (!holder) return;
  // A group of checkboxes or radios has its id on the group: its first box takes the focus.
  const field = holder.matches("input, select, textarea")
    ? holder
    : holder.querySelector("input, select, textarea") || holder;
  event.preventDefault();
  field.scrollIntoView({ block: "center" });
  field.focus();
});

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("select[name$='-kind']")) showKindFields(target.closest("[data-target-row]"));
  if (target.matches("input[name$='-DELETE']")) {
    target.closest("[data-target-row]").toggleAttribute("data-deleted", target.checked);
  }
});

document.addEventListener("input", (event) => {
  // Typing in a picker forgets the previous choice until a new one is picked, so the form
  // never posts a vendor other than the one the box shows.
  if (event.target.matches(".picker input[type=search]")) {
    const hidden = event.target.closest(".picker").querySelector("input[type=hidden]");
    if (hidden && hidden.value) {
      hidden.value = "";
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }
});

document.addEventListener("click", (event) => {
  const add = event.target.closest("[data-formset-add]");
  if (add) addFormsetRow(add.dataset.formsetAdd);
  const option = event.target.closest("[data-pick-target]");
  if (option) pickOption(option);
});

// Keyboard: Down from a picker's box moves into its options; Escape closes them.
document.addEventListener("keydown", (event) => {
  const box = event.target.closest(".picker input[type=search]");
  const option = event.target.closest(".picker-option");
  if (!box && !option) return;
  const picker = event.target.closest(".picker");
  const options = [...picker.querySelectorAll(".picker-option")];
  if (event.key === "Enter" && box) {
    // Enter picks the first match instead of submitting the whole editor form.
    event.preventDefault();
    if (options.length) pickOption(options[0]);
  } else if (event.key === "Escape") {
    picker.querySelector(".picker-results").replaceChildren();
    picker.querySelector("input[type=search]").focus();
  } else if (event.key === "ArrowDown" && options.length) {
    event.preventDefault();
    const next = option ? options[options.indexOf(option) + 1] : options[0];
    if (next) next.focus();
  } else if (event.key === "ArrowUp" && option) {
    event.preventDefault();
    const previous = options[options.indexOf(option) - 1];
    (previous || picker.querySelector("input[type=search]")).focus();
  }
});

// --- Organizations, inventory, flags and tokens (second half of the UI) ----------------------

// Fields shown only for one value of another field of their form (data-shown-for="status=
// risk_accepted": the expiry of an accepted risk). Without this script they are always shown.
function showDependentFields(root) {
  for (const field of root.querySelectorAll("[data-shown-for]")) {
    const [name, value] = field.dataset.shownFor.split("=");
    const control = field.closest("form")?.elements.namedItem(name);
    if (control) field.hidden = control.value !== value;
  }
}

// The triage lists' checkboxes (flags, or the items of the affected-assets list): "select all
// on this page", and how many are selected.
const SELECTABLE = "input[name=flags], input[name=items]";
function updateSelection(form) {
  const boxes = [...form.querySelectorAll(SELECTABLE)];
  const selected = boxes.filter((box) => box.checked).length;
  const all = form.querySelector("[data-select-all]");
  if (all) {
    all.checked = selected > 0 && selected === boxes.length;
    all.indeterminate = selected > 0 && selected < boxes.length;
  }
  const count = form.querySelector("[data-selected-count]");
  if (count) count.textContent = selected ? `${selected} selected` : "None selected";
}

document.addEventListener("DOMContentLoaded", () => {
  showDependentFields(document);
  for (const form of document.querySelectorAll("[data-bulk-form]")) updateSelection(form);
});

document.addEventListener("change", (event) => {
  const target = event.target;
  const form = target.closest("form");
  if (!form) return;
  showDependentFields(form);
  if (target.matches("[data-select-all]")) {
    for (const box of form.querySelectorAll(SELECTABLE)) box.checked = target.checked;
  }
  if (form.matches("[data-bulk-form]")) updateSelection(form);
});

// The upload's own progress bar, fed by htmx's XMLHttpRequest progress events. Upload and
// download both report, so the bar only ever moves forward within one request.
document.addEventListener("htmx:beforeRequest", (event) => {
  const holder = event.target.querySelector?.("[data-upload-progress]");
  if (!holder) return;
  holder.hidden = false;
  holder.querySelector("progress").value = 0;
  holder.querySelector("[data-upload-label]").textContent = "Sending the file";
});
document.addEventListener("htmx:xhr:progress", (event) => {
  const holder = event.target.querySelector?.("[data-upload-progress]");
  if (!holder || !event.detail.lengthComputable || !event.detail.total) return;
  const bar = holder.querySelector("progress");
  const percent = Math.round((100 * event.detail.loaded) / event.detail.total);
  bar.value = Math.max(bar.value, percent);
  bar.textContent = `${bar.value} %`;
});
document.addEventListener("htmx:afterRequest", (event) => {
  const holder = event.target.querySelector?.("[data-upload-progress]");
  if (!holder) return;
  holder.querySelector("progress").value = 100;
  holder.querySelector("[data-upload-label]").textContent = "File sent";
});

// "Copy" next to a secret shown once (a new API token).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const done = document.querySelector(`[data-copy-done='${button.dataset.copy}']`);
  const say = (text) => {
    if (done) done.textContent = text;
  };
  if (!source || !navigator.clipboard) {
    say("Select the token and copy it.");
    return;
  }
  navigator.clipboard.writeText(source.textContent.trim()).then(
    () => say("Copied."),
    () => say("Select the token and copy it."),
  );
});
