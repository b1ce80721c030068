// Drop the CSS rules no page of the site can use, with PurgeCSS 8 (pinned in
// package-lock.json).
//
// _ext/page_speed.py runs this once at the end of a build (and tests/site/test_page_audit.py on
// small examples). It reads one JSON request on standard input and writes one JSON answer:
//   {"css": [{"name": "a.css", "raw": "..."}],          the stylesheets to purge
//    "content": ["page.html", "script.js", ...],       files that name the classes in use
//    "raw": [{"raw": "<p class=x>", "extension": "html"}],   (or content given as text)
//    "bundles": ["vendor/html-manager/embed-amd.js"]}       (content whose icon names do not count)
//   -> {"css": [{"name": "a.css", "css": "...", "rejected": [selectors removed]}]}
//
// PurgeCSS keeps a selector when every class, id, tag and attribute it needs is a word of the
// content (any run of letters, digits, "_" and "-": the words of the pages and of the scripts
// that add classes while a page runs). Selectors inside :not(), :has() and friends do not count;
// inside :is() and :where() the unused ones go. Rules that hold rules (@media, @supports) are
// purged inside; @font-face and @keyframes stay.
//
// One addition: scripts build some class names from a fixed start (Bootstrap's
// `"bs-" + placement`), so a content word that looks like such a start ("bs-", "ui-slider-":
// two or more letters or digits per part, ending in one "-") keeps every class, id or
// attribute value that starts with it. "fa-" is not one: the theme's templates name each icon
// they draw in full.
//
// The third-party bundles the site serves (the widget manager) carry their own copy of an icon
// font's class list, for their own stylesheet: in them the words "fa-..." do not count, so the
// theme's stylesheet keeps only the icons the pages draw (a widget's icon would be named in
// the page's widget state; no explorer of the book has one).
"use strict";

const fs = require("fs");
const { PurgeCSS } = require("purgecss");

const WORD = /[A-Za-z0-9_-]+/g;
const START = /^[A-Za-z][A-Za-z0-9_]+(?:-[A-Za-z0-9_]+)*-$/;
const NOT_A_START = ["fa-"];
// A pseudo-class alone needs nothing from the content: `:focus-visible{outline:...}` (the
// theme's keyboard focus ring) applies to every page. PurgeCSS would drop a selector made of
// pseudo-classes only; with this, `.gone:hover` still goes with `.gone`.
const PSEUDO_CLASS = /^:[A-Za-z-]+$/;
const BUNDLE = "bundle"; // the "extension" PurgeCSS is told the bundles' text has

function withoutIcons(text) {
  return (text.match(WORD) || []).filter((word) => !word.startsWith("fa-"));
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function prefixes(texts) {
  const found = new Set();
  for (const text of texts) {
    for (const word of text.match(WORD) || []) {
      if (START.test(word) && !NOT_A_START.includes(word)) found.add(word);
    }
  }
  return [...found].sort();
}

async function purge(request) {
  const files = request.content || [];
  const raw = request.raw || [];
  const bundles = (request.bundles || []).map((path) => fs.readFileSync(path, "utf8"));
  const texts = [...files.map((path) => fs.readFileSync(path, "utf8")), ...raw.map((r) => r.raw)];
  const starts = prefixes([...texts, ...bundles]);
  const safelist = [PSEUDO_CLASS];
  if (starts.length) safelist.push(new RegExp(`^(?:${starts.map(escape).join("|")})`));
  const results = await new PurgeCSS().purge({
    content: [
      ...files,
      ...raw.map((r) => ({ raw: r.raw, extension: r.extension || "html" })),
      ...bundles.map((text) => ({ raw: text, extension: BUNDLE })),
    ],
    extractors: [{ extensions: [BUNDLE], extractor: withoutIcons }],
    css: request.css.map((sheet) => ({ name: sheet.name, raw: sheet.raw })),
    safelist: { standard: safelist },
    rejected: true,
  });
  return {
    css: results.map((result, index) => ({
      name: request.css[index].name,
      css: result.css,
      rejected: result.rejected || [],
    })),
  };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
});
process.stdin.on("end", () => {
  purge(JSON.parse(input))
    .then((answer) => process.stdout.write(JSON.stringify(answer)))
    .catch((error) => {
      process.stderr.write(`${error.stack || error}\n`);
      process.exit(1);
    });
});
