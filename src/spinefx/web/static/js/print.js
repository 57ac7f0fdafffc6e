// Shows each "Print" button (hidden without JavaScript, where it could do nothing) and makes
// it open the browser's print dialog. Loaded from this site only (CSP script-src 'self').
"use strict";
document.querySelectorAll("button[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
