// calvault: small enhancements only; every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // The sign-in form sends the browser's time zone, so times show in it.
  document.querySelectorAll("input[data-timezone]").forEach(function (el) {
    try { el.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* stays empty */ }
  });
  // "Copy" buttons next to secrets and settings.
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var target = document.getElementById(b.getAttribute("data-copy"));
      if (target && navigator.clipboard) {
        navigator.clipboard.writeText(target.textContent.trim()).then(function () { b.textContent = "Copied"; });
      }
    });
  });
  // All-day events have no times.
  document.querySelectorAll("input[name=all_day]").forEach(function (box) {
    var sync = function () {
      document.querySelectorAll("[data-timed]").forEach(function (el) { el.hidden = box.checked; });
    };
    box.addEventListener("change", sync);
    sync();
  });
});
