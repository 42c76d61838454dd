// Vendorwatch page behaviour. Kept small and free of inline handlers so that the
// Content-Security-Policy can forbid inline script.
document.addEventListener("DOMContentLoaded", () => {
  // Mark the current page in the main navigation for screen readers and styling.
  for (const link of document.querySelectorAll(".nav a")) {
    if (link.getAttribute("href") === window.location.pathname) {
      link.setAttribute("aria-current", "page");
    }
  }
});
