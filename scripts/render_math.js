// Typeset the book's TeX at build time, with MathJax 3.2.2 (mathjax-full, pinned in
// package-lock.json), so that a page shows its math without running MathJax in the browser.
//
// _ext/page_speed.py keeps one of these processes running during a build and talks to it in
// JSON lines, one request and one answer per line:
//   {"page": "book/intro"}                    -> {"ok": true}   (a new page: a fresh document)
//   {"tex": "x^2", "display": false}          -> {"html": "<mjx-container ...>"}
//   {"css": true}                             -> {"css": "..."} (the page's stylesheet)
// An error answers {"error": "..."}. Each page gets its own stylesheet: MathJax's CHTML output
// writes CSS only for the characters that page uses. Every formula carries its MathML too
// (assistive MathML), which screen readers read instead of the visual layout. The fonts are
// MathJax's own woff files, served by the site (vendor/mathjax/output/chtml/fonts/woff-v2);
// FONT_URL is a placeholder the Python side replaces with each page's relative path to them.
"use strict";

const readline = require("readline");
const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { CHTML } = require("mathjax-full/js/output/chtml.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AssistiveMmlHandler } = require("mathjax-full/js/a11y/assistive-mml.js");
const { AllPackages } = require("mathjax-full/js/input/tex/AllPackages.js");

const FONT_URL = "MATHJAX-FONT-URL";
const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
// `noundefined` is left out so that an unknown macro is an error, not red text on the page.
const packages = AllPackages.filter((name) => name !== "noundefined");
let chtml = null;
let html = null;

function newPage() {
  const tex = new TeX({
    packages,
    formatError: (jax, error) => {
      throw error;
    },
  });
  chtml = new CHTML({ fontURL: FONT_URL, adaptiveCSS: true });
  html = mathjax.document("", { InputJax: tex, OutputJax: chtml });
}

function answer(request) {
  if ("page" in request) {
    newPage();
    return { ok: true };
  }
  if (!html) newPage();
  if ("tex" in request) {
    const node = html.convert(request.tex, { display: Boolean(request.display) });
    return { html: adaptor.outerHTML(node) };
  }
  if ("css" in request) return { css: adaptor.textContent(chtml.styleSheet(html)) };
  throw new Error(`unknown request ${JSON.stringify(request)}`);
}

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let reply;
  try {
    reply = answer(JSON.parse(line));
  } catch (error) {
    reply = { error: String(error && error.message ? error.message : error) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
