// Cut the theme's icon fonts down to the icons the site draws, with subset-font 2.9 (HarfBuzz's
// hb-subset, pinned in package-lock.json).
//
// Font Awesome's fonts hold some 2,000 icons (fa-solid-900.woff2 is 157 kB, fa-brands-400
// 118 kB) and a page fetches them while it first paints, for the dozen icons of its header.
// _ext/page_speed.py runs this once at the end of a build, after the stylesheets are purged,
// with one JSON request on standard input:
//   {"css": ["_static/styles/pydata-sphinx-theme.css"], "fonts": ["fa-solid-900.woff2", ...]}
// Every character a stylesheet's `content` declarations draw (each icon rule that PurgeCSS
// kept, `.fa-bars:before{content:"\f0c9"}`) is kept in every font, which is rewritten in place,
// in its own format. Answers {"fonts": [{"path": ..., "before": bytes, "after": bytes}]}.
"use strict";

const fs = require("fs");
const path = require("path");
const postcss = require("postcss");
const subsetFont = require("subset-font");

const FORMATS = { ".woff2": "woff2", ".woff": "woff", ".ttf": "truetype", ".otf": "truetype" };

// The characters of a CSS string token: `"\f0c9"` -> "\uf0c9" (CSS Syntax, "consume an escaped
// code point": up to six hex digits and one optional space, or the escaped character itself).
function cssString(value) {
  const quoted = value.trim().match(/^(["'])(.*)\1$/s);
  if (!quoted) return "";
  return quoted[2].replace(/\\([0-9a-fA-F]{1,6}) ?|\\(.)/gs, (_, hex, character) =>
    hex ? String.fromCodePoint(parseInt(hex, 16)) : character,
  );
}

async function subset(request) {
  let text = "";
  for (const file of request.css) {
    postcss.parse(fs.readFileSync(file, "utf8")).walkDecls("content", (declaration) => {
      text += cssString(declaration.value);
    });
  }
  const answer = [];
  for (const file of request.fonts) {
    const targetFormat = FORMATS[path.extname(file)];
    if (!targetFormat) continue;
    const before = fs.readFileSync(file);
    const after = await subsetFont(before, text, { targetFormat });
    fs.writeFileSync(file, after);
    answer.push({ path: file, before: before.length, after: after.length });
  }
  return { fonts: answer, characters: [...new Set(text)].length };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
});
process.stdin.on("end", () => {
  subset(JSON.parse(input))
    .then((answer) => process.stdout.write(JSON.stringify(answer)))
    .catch((error) => {
      process.stderr.write(`${error.stack || error}\n`);
      process.exit(1);
    });
});
