// Parts of a page computed apart: <el data-fragment="URL"> is replaced by the HTML that URL
// answers (an error answer's HTML too), so the page itself never waits for them.
(function () {
  "use strict";
  document.querySelectorAll("[data-fragment]").forEach(function (el) {
    fetch(el.getAttribute("data-fragment"), { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) { el.innerHTML = html; })
      .catch(function (err) { el.textContent = "Could not load this part of the page: " + err; });
  });
})();
