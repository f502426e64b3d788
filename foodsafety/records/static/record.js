// The print view's one action: the browser's print dialog (inline handlers are barred by the CSP).
document.getElementById("print")?.addEventListener("click", () => window.print());
