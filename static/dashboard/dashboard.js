// Renders the dashboard's Vega-Lite specs (computed by the server) and polls progress while live.
"use strict";
(function () {
  function embedAll(root) {
    root.querySelectorAll(".tc-vega[data-spec]").forEach(function (el) {
      var source = document.getElementById(el.dataset.spec);
      if (!source) return;
      var spec = JSON.parse(source.textContent);
      window
        .vegaEmbed(el, spec, { renderer: "svg", actions: false })
        .then(function (result) {
          // The SVG is one image to assistive technology, named by the chart's title and its
          // text alternative (the same summary printed above the chart).
          var svg = result.view.container().querySelector("svg");
          if (svg) {
            svg.setAttribute("role", "img");
            svg.setAttribute("aria-label", spec.title + ". " + spec.description);
          }
          el.dataset.rendered = "1";
        })
        .catch(function (error) {
          el.dataset.rendered = "error";
          el.textContent = "The chart could not be drawn; its data table is below.";
          console.error(error);
        });
    });
  }

  function poll(main) {
    var seconds = parseInt(main.dataset.pollSeconds, 10) || 30;
    window.setInterval(function () {
      fetch(main.dataset.progressUrl, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error("progress " + response.status);
          return response.json();
        })
        .then(function (data) {
          var body = document.getElementById("progress-body");
          body.innerHTML = data.html;
          embedAll(body);
        })
        .catch(function (error) {
          console.warn(error);
        });
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var main = document.querySelector(".tc-main");
    if (!main) return;
    embedAll(document);
    if (main.dataset.live === "1") poll(main);
  });
})();
