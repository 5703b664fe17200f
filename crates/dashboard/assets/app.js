// The gatehouse dashboard's one script. Every page works without it; it adds dialogs, copy
// buttons, the typed-name check before a delete, and the live tail of the access log.
// A new secret arrives only in the answer to a POST made here with fetch and lives only in the
// dialog's DOM: never in a URL, the history, web storage or a page a reload brings back.
(function () {
  "use strict";

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function showIn(host, content) {
    clear(host);
    host.appendChild(document.importNode(content, true));
    if (!host.open) host.showModal();
    var first = host.querySelector("button, a[href]");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var opener = target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog"));
      if (dialog && dialog.showModal) {
        event.preventDefault();
        dialog.showModal();
        var field = dialog.querySelector("input, select");
        if (field) field.focus();
      }
      return;
    }
    var closer = target.closest("[data-close]");
    if (closer && closer.closest("dialog")) {
      event.preventDefault();
      closer.closest("dialog").close();
      return;
    }
    var copy = target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent).then(
          function () { copy.textContent = "Copied"; },
          function () { copy.textContent = "Copy failed: select the text and copy it"; }
        );
      }
    }
  });

  // A dialog that showed a secret forgets it when closed, and the page reloads (a GET: the
  // list or the token as they are now, without the secret).
  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.querySelector(".secret")) {
      clear(dialog);
      window.location.reload();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-secret-form")) return;
    event.preventDefault();
    var button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "X-Dashboard-Fragment": "1" },
      credentials: "same-origin",
      cache: "no-store",
      redirect: "manual",
    }).then(function (response) {
      return response.text().then(function (text) {
        var page = new DOMParser().parseFromString(text, "text/html");
        var host = form.closest("dialog") || document.getElementById("secret-dialog");
        var content = response.ok ? page.querySelector("section.secret") : page.querySelector("main");
        if (!content) {
          content = document.createElement("p");
          content.textContent = "The request failed (HTTP " + response.status + ").";
        }
        showIn(host, content);
        if (!response.ok) {
          var close = document.createElement("button");
          close.type = "button";
          close.textContent = "Close";
          close.setAttribute("data-close", "");
          host.appendChild(close);
          close.focus();
        }
      });
    }).catch(function () {
      var host = document.getElementById("secret-dialog");
      var message = document.createElement("p");
      message.setAttribute("role", "alert");
      message.textContent = "The dashboard could not be reached.";
      showIn(host, message);
    }).finally(function () {
      if (button) button.disabled = false;
    });
  });

  // Delete: the button works only once the token's name is typed (the server checks it too).
  document.querySelectorAll("form[data-confirm-name]").forEach(function (form) {
    var input = form.querySelector("input[name=confirm]");
    var button = form.querySelector("[data-confirm-button]");
    if (!input || !button) return;
    var check = function () { button.disabled = input.value.trim() !== form.getAttribute("data-confirm-name"); };
    input.addEventListener("input", check);
    check();
  });

  // Live tail of the access log: the table is fetched again every 5 seconds while ticked.
  var tail = document.querySelector("[data-live-tail]");
  if (tail) {
    var timer = null;
    tail.addEventListener("change", function () {
      if (timer) { clearInterval(timer); timer = null; }
      if (!tail.checked) return;
      timer = setInterval(function () {
        fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
          .then(function (response) { return response.text(); })
          .then(function (text) {
            var page = new DOMParser().parseFromString(text, "text/html");
            ["table.logs", "p.count"].forEach(function (selector) {
              var fresh = page.querySelector(selector);
              var old = document.querySelector(selector);
              if (fresh && old) old.replaceWith(document.importNode(fresh, true));
            });
          });
      }, 5000);
    });
  }
})();
