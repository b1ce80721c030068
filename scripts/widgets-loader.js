// Load the Jupyter widgets' front end only when a reader nears an explorer.
//
// The widget manager (html-manager's embed-amd.js, 3.5 MB) used to load and boot on every page
// that has a widget, before the reader saw anything. _config.yml now loads only this file
// (a few kB, `defer`); it watches the page's widget outputs and, when the first one comes
// within LOOKAHEAD of the window (or the reader starts to scroll or press keys), adds the
// page's widget state, require.js, widgets-config.js and embed-amd.js, in that order.
// embed-amd.js then renders every widget of the page, as it did before. A page's own script
// can ask for it at once with window.loadJupyterWidgets(). scripts/site_assets.py copies this
// file to vendor/; paths are computed from its own address, so they work on every page and
// from a downloaded copy opened as files.
(function () {
  "use strict";
  var script = document.currentScript;
  var vendor = new URL(".", script.src).href;
  var FILES = ["requirejs/require.js", "widgets-config.js", "html-manager/embed-amd.js"];
  // How far below the window an explorer may be when its code starts to load: far enough that
  // the manager has booted by the time the reader scrolls the explorer into view.
  var LOOKAHEAD = "1200px 0px";
  var started = false;

  function add(index) {
    if (index >= FILES.length) return;
    var tag = document.createElement("script");
    tag.src = vendor + FILES[index];
    tag.onload = function () {
      add(index + 1);
    };
    document.head.appendChild(tag);
  }

  // The page's widget state lives in a script file of its own (_ext/page_speed.py): load it,
  // then put it back on the page where the widget manager looks for it.
  function withState(then) {
    var meta = document.querySelector('meta[name="jupyter-widget-state"]');
    if (!meta) return then();
    var tag = document.createElement("script");
    tag.src = new URL(meta.content, document.baseURI).href;
    tag.onload = function () {
      var state = document.createElement("script");
      state.type = "application/vnd.jupyter.widget-state+json";
      state.textContent = JSON.stringify(window.jupyterWidgetState);
      document.body.appendChild(state);
      then();
    };
    document.head.appendChild(tag);
  }

  function start() {
    if (started) return;
    started = true;
    if (observer) observer.disconnect();
    EVENTS.forEach(function (name) {
      window.removeEventListener(name, start, LISTENING);
    });
    window.jupyterWidgetsLoading = true;
    withState(function () {
      add(0);
    });
  }

  // The reader's own moves down the page. Not in the capture phase: the theme scrolls its
  // sidebars as the page opens, and those scrolls are not the reader's.
  var EVENTS = ["scroll", "wheel", "touchmove", "keydown"];
  var LISTENING = { passive: true };
  var observer = null;
  // A test or a reader's own script can ask for the widgets at once.
  window.loadJupyterWidgets = start;

  function watch() {
    var outputs = document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]'
    );
    if (!outputs.length) return;
    if (!("IntersectionObserver" in window)) return start();
    observer = new IntersectionObserver(
      function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) start();
      },
      { rootMargin: LOOKAHEAD }
    );
    // A script tag has no box: watch the output area that holds it.
    outputs.forEach(function (tag) {
      observer.observe(tag.parentElement);
    });
    EVENTS.forEach(function (name) {
      window.addEventListener(name, start, LISTENING);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
