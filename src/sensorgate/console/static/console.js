// The console's only script: Copy buttons, a confirmation before a form that asks for one, filters that apply at
// once, and the viewer's time zone. Every page works without it, but for Copy.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const text = source.value !== undefined ? source.value : source.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    source.select && source.select();
    document.execCommand("copy");
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1500);
});
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
// Filters apply as soon as they change; without the script, their Filter button does it.
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form && event.target.dataset.custom === undefined) form.requestSubmit();
});
// Times are shown in the viewer's zone: on a first visit, remember the browser's in the sg_tz cookie and show the
// page again in it. A zone chosen on a page (its Time zone field) is remembered by the server instead.
(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || document.cookie.split("; ").some((c) => c.startsWith("sg_tz="))) return;
  document.cookie = `sg_tz=${encodeURIComponent(zone)}; path=/; max-age=34560000; samesite=lax`;
  const kept = document.cookie.split("; ").some((c) => c.startsWith("sg_tz="));  // no cookies: no reload loop
  if (kept && zone !== "UTC" && document.querySelector("[data-zone]")) location.reload();
})();
// Typing a custom From or To picks the Custom range; the Show button shows it (not every keystroke).
document.addEventListener("input", (event) => {
  if (event.target.dataset.custom === undefined) return;
  const range = event.target.form.elements.range;
  if (range) range.value = "custom";
});
