// Lookup fields (qualify/web/lookup): htmx fills the listbox with matches; this file
// lets the person pick one with the mouse or the keyboard (the ARIA combobox pattern).
// Without it the text box still takes exact keys, resolved by the server.
(function () {
  "use strict";
  if (window.qualifyLookup) { return; }
  window.qualifyLookup = true;

  function parts(el) {
    var box = el.closest(".lookup");
    if (!box) { return null; }
    return {
      box: box,
      input: box.querySelector("input[role=combobox]"),
      list: box.querySelector("[role=listbox]"),
      chosen: box.querySelector(".lookup-chosen"),
      multiple: box.dataset.lookup === "multiple"
    };
  }

  function options(p) { return Array.prototype.slice.call(p.list.querySelectorAll("[role=option]")); }

  function close(p) {
    p.list.textContent = "";
    p.input.setAttribute("aria-expanded", "false");
    p.input.removeAttribute("aria-activedescendant");
  }

  function activate(p, index) {
    var all = options(p);
    all.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (all[index]) {
      p.input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    }
  }

  function pick(p, option) {
    var name = p.input.name.slice(0, -3);  // the text box is "<field>__q"
    var value = option.dataset.value;
    if (!p.multiple) { p.chosen.textContent = ""; }
    var existing = p.chosen.querySelector("input[value='" + value + "']");
    if (existing) {
      existing.checked = true;
    } else {
      var item = document.createElement("li");
      var label = document.createElement("label");
      var tick = document.createElement("input");
      tick.type = "checkbox";
      tick.name = name;
      tick.value = value;
      tick.checked = true;
      label.appendChild(tick);
      label.appendChild(document.createTextNode(" " + option.textContent));
      item.appendChild(label);
      p.chosen.appendChild(item);
    }
    p.input.value = "";
    close(p);
    p.input.focus();
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var p = parts(event.target);
    if (!p || event.target !== p.list) { return; }
    options(p).forEach(function (o, i) { o.id = p.list.id + "-" + i; });
    p.input.setAttribute("aria-expanded", options(p).length ? "true" : "false");
    p.input.removeAttribute("aria-activedescendant");
  });

  document.addEventListener("keydown", function (event) {
    var p = event.target.getAttribute && event.target.getAttribute("role") === "combobox" && parts(event.target);
    if (!p) { return; }
    var all = options(p);
    var current = all.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) { return; }
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      activate(p, (current + step + all.length) % all.length);
    } else if (event.key === "Enter" && current >= 0) {
      event.preventDefault();  // picking, not submitting the form
      pick(p, all[current]);
    } else if (event.key === "Escape" && all.length) {
      event.preventDefault();
      close(p);
    }
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest(".lookup [role=option]");
    if (option) {
      event.preventDefault();  // keep the focus in the text box
      pick(parts(option), option);
      return;
    }
    document.querySelectorAll(".lookup input[aria-expanded=true]").forEach(function (input) {
      if (!input.closest(".lookup").contains(event.target)) { close(parts(input)); }
    });
  });
}());
