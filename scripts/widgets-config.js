// Load every Jupyter-widgets front end from this site, never from a CDN.
// scripts/site_assets.py copies this file to vendor/; _config.yml loads it on every page that
// has widgets, after require.js and before html-manager's embed-amd.js. Paths are computed from
// this script's own address, so they work on every page of the book, wherever the site is
// served from (including a downloaded copy opened as files).
(function () {
  "use strict";
  var script = document.currentScript;
  var vendor = new URL(".", script.src).href;
  var manager = vendor + "html-manager/";

  // embed-amd.js defines these modules by name; webpack inside them finds its icon fonts next
  // to each module's address, so give every one of them an address inside html-manager/.
  window.__jupyter_widgets_assets_path__ = manager;
  window.requirejs.config({
    paths: {
      anywidget: vendor + "anywidget/index",
      "@jupyter-widgets/html-manager/dist": manager.slice(0, -1),
      "@jupyter-widgets/html-manager": manager + "html-manager",
      "@jupyter-widgets/base": manager + "base",
      "@jupyter-widgets/controls": manager + "controls",
      "@jupyter-widgets/base7": manager + "base7",
      "@jupyter-widgets/controls7": manager + "controls7",
    },
  });

  // A widget module nobody copied here must fail loudly instead of being fetched from
  // jsDelivr: html-manager's fallback reads its CDN prefix from this attribute.
  script.setAttribute("data-jupyter-widgets-cdn", vendor + "missing-widget-modules/");

  // Widget labels are typeset with the MathJax 2 call MathJax.Hub.Queue(["Typeset", hub, el]);
  // the book uses MathJax 3, so translate that call. Labels queued before MathJax is ready are
  // typeset as soon as it is.
  var waiting = [];
  function typeset(elements) {
    var mathjax = window.MathJax;
    mathjax.startup.promise = mathjax.startup.promise.then(function () {
      return mathjax.typesetPromise(elements);
    });
  }
  var hub = {
    Queue: function (job) {
      var element = job && job[2];
      var mathjax = window.MathJax;
      if (!element) return;
      if (mathjax && mathjax.typesetPromise && mathjax.startup && mathjax.startup.promise) {
        typeset([element]);
      } else {
        waiting.push(element);
      }
    },
  };
  var config = (window.MathJax = window.MathJax || {});
  if (config.version) {
    config.Hub = config.Hub || hub;
  } else {
    config.Hub = hub; // until MathJax replaces this configuration object with itself
    config.startup = config.startup || {};
    var ready = config.startup.ready;
    config.startup.ready = function () {
      if (ready) ready();
      else window.MathJax.startup.defaultReady();
      window.MathJax.Hub = window.MathJax.Hub || hub;
      if (waiting.length) typeset(waiting.splice(0));
    };
  }
})();
