// The Insert button of the desk's reply and note boxes without a reload: asks the same route
// the button posts to for the canned reply filled for this ticket (JSON), and puts it into the
// box at the cursor. On any failure the form is sent the ordinary way, and the page comes back
// with the problem named next to the select (the route works without this script).
for (const button of document.querySelectorAll("button[data-canned-insert]")) {
  button.addEventListener("click", async (event) => {
    const form = button.form;
    const box = form.querySelector("textarea[name=body]");
    const choice = form.querySelector("select[name=canned_id]");
    if (!box || !choice || choice.value === "") return; // the server names the missing choice
    event.preventDefault();
    const fields = new URLSearchParams({ _csrf: form.elements._csrf.value, canned_id: choice.value, into: button.value });
    try {
      const res = await fetch(button.formAction, { method: "POST", headers: { Accept: "application/json" }, body: fields, credentials: "same-origin" });
      if (!res.ok) throw new Error(String(res.status));
      const { text } = await res.json();
      const start = box.selectionStart ?? box.value.length;
      const end = box.selectionEnd ?? start;
      const before = box.value.slice(0, start);
      const gap = before.trim() === "" ? "" : before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
      box.setRangeText(gap + text, start, end, "end");
      box.focus();
    } catch {
      form.requestSubmit(button);
    }
  });
}
