"""Checks run on a page in the browser: axe-core, document structure, focus visibility, reflow."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

AXE = Axe()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_report(tab: Page) -> str:
    """Runs axe-core on the page; returns "" when it found nothing, else its readable report."""
    results = AXE.run(
        tab, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    )
    if results.violations_count == 0:
        return ""
    return results.generate_report()


STRUCTURE_JS = """
() => {
  const problems = [];
  const lang = document.documentElement.getAttribute("lang") || "";
  const h1s = [...document.querySelectorAll("h1")];
  if (h1s.length !== 1) problems.push(`${h1s.length} h1 elements`);
  for (const sel of ["main", "header", "footer"]) {
    if (document.querySelectorAll(sel).length !== 1) problems.push(`not exactly one <${sel}>`);
  }
  const first = document.querySelector("body a, body button, body input, body select, body textarea");
  if (!first || !first.matches("a.skip-link[href='#main']")) problems.push("the first focusable element is not the skip link");
  // Every field in error is tied to its message, and the message exists.
  for (const field of document.querySelectorAll("[aria-invalid='true']")) {
    const ids = (field.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
    const texts = ids.map(id => document.getElementById(id)).filter(Boolean).map(el => el.textContent.trim());
    if (!texts.some(Boolean)) problems.push(`field ${field.name} is invalid without a described error`);
  }
  // Images need text alternatives (axe checks too; this one also covers decorative svg without role).
  for (const img of document.querySelectorAll("img:not([alt])")) problems.push(`img without alt: ${img.src}`);
  return {lang, problems};
}
"""


def structure_problems(tab: Page, language: str) -> list[str]:
    found = tab.evaluate(STRUCTURE_JS)
    problems = list(found["problems"])
    if found["lang"] != language:
        problems.append(f'<html lang="{found["lang"]}">, expected "{language}"')
    return problems


FOCUS_STYLE_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const rect = el.getBoundingClientRect();
  const onScreen = rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0
    && rect.top < window.innerHeight && rect.left < window.innerWidth;
  return {
    tag: el.tagName.toLowerCase(),
    text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 80),
    id: el.id, name: el.getAttribute("name") || "", href: el.getAttribute("href") || "",
    type: el.getAttribute("type") || "",
    indicator: outline || shadow, onScreen, style: `outline ${style.outlineStyle} ${style.outlineWidth}; box-shadow ${style.boxShadow}`,
  };
}
"""


def focused(tab: Page) -> dict | None:
    """What has keyboard focus, and whether it shows a visible focus indicator on screen."""
    return tab.evaluate(FOCUS_STYLE_JS)


# WCAG 1.4.10 reflow: 320 CSS px wide. 200 % zoom of a 1280 x 900 window lays out 640 x 450 CSS px.
NARROW = {"width": 320, "height": 640}
ZOOM_200 = {"width": 640, "height": 450}

REFLOW_JS = """
() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const problems = [];
  if (root.scrollWidth > width) problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${width} px`);
  // Content sticking out of the viewport is lost unless it sits in its own scroll container (tables may).
  // An absolutely positioned element escapes a scroll box that is not its containing block.
  const inScroller = el => {
    const position = getComputedStyle(el).position;
    if (position === "fixed") return false;
    let escapes = position === "absolute";
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (!escapes && (style.overflowX === "auto" || style.overflowX === "scroll")) return true;
      if (escapes && style.position !== "static") {
        escapes = false;
        if (style.overflowX === "auto" || style.overflowX === "scroll") return true;
      }
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    if (el.closest(".visually-hidden, .skip-link")) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    if ((rect.right > width + 1 || rect.left < -1) && !inScroller(el)) {
      problems.push(`<${el.tagName.toLowerCase()} class="${el.className}"> reaches ${Math.round(rect.left)}..${Math.round(rect.right)} px`);
    }
  }
  const controls = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")]
    .filter(el => !el.closest(".skip-link"));
  const hidden = controls.filter(el => { const r = el.getBoundingClientRect(); return r.width === 0 || r.height === 0; });
  for (const el of hidden) problems.push(`control not shown: <${el.tagName.toLowerCase()}> ${(el.innerText || el.name || "").trim()}`);
  return {problems: problems.slice(0, 20), text: (document.querySelector("main") || document.body).innerText.replace(/\\s+/g, " ").trim(),
          controls: controls.length};
}
"""


def reflow(tab: Page) -> dict:
    return tab.evaluate(REFLOW_JS)
