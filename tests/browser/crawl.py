"""Visits every page a person can reach by following links, and checks each one."""

import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.browser import checks

# Visiting every detail page is cheap; a cap keeps a page with many links from dominating the run.
MAX_PER_URL_NAME = 12
NEVER_FOLLOW = ("/static/", "/logout/", "/i18n/")


def url_name(path: str) -> str:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return "<404>"
    return match.view_name


@dataclass
class Audit:
    """Runs axe and the structure checks on each page, collecting problems instead of stopping at the first."""

    language: str
    failures: list[str] = field(default_factory=list)
    visited: dict[str, list[str]] = field(default_factory=dict)  # url name -> paths
    downloads: set[str] = field(default_factory=set)
    seconds: Counter = field(default_factory=Counter)  # time spent per kind of check, printed by the test

    def check(self, tab: Page, label: str = "") -> None:
        path = urlsplit(tab.url).path + (f"?{urlsplit(tab.url).query}" if urlsplit(tab.url).query else "")
        name = url_name(path)
        self.visited.setdefault(name, []).append(path)
        where = f"[{self.language}] {label} {name} {path}".replace("  ", " ")
        started = time.perf_counter()
        for problem in checks.structure_problems(tab, self.language):
            self.failures.append(f"{where}: {problem}")
        report = checks.axe_report(tab)
        if report:
            self.failures.append(f"{where}: axe found violations\n{report}")
        axe_done = time.perf_counter()
        self.check_reflow(tab, where)
        self.seconds["axe and structure"] += axe_done - started
        self.seconds["reflow"] += time.perf_counter() - axe_done

    def check_reflow(self, tab: Page, where: str) -> None:
        """At 320 CSS px wide (WCAG's reflow width) and at 200 % zoom (a 1280 px window shows 640 CSS px),
        nothing scrolls sideways, nothing sticks out, and the main content and controls are all still there."""
        desktop = tab.viewport_size
        wide = checks.reflow(tab)
        try:
            for label, size in (("320 px", checks.NARROW), ("200 % zoom", checks.ZOOM_200)):
                tab.set_viewport_size(size)
                narrow = checks.reflow(tab)
                for problem in narrow["problems"]:
                    self.failures.append(f"{where} at {label}: {problem}")
                if narrow["text"] != wide["text"]:
                    self.failures.append(f"{where} at {label}: the main content differs from the desktop's")
                if narrow["controls"] != wide["controls"]:
                    self.failures.append(f"{where} at {label}: {narrow['controls']} controls, {wide['controls']} on desktop")
        finally:
            tab.set_viewport_size(desktop)

    def crawl(self, tab: Page, start: str, origin: str, label: str = "") -> None:
        """Follows same-origin links breadth-first from `start`, checking every page once."""
        queue, seen, per_name = [start], set(), {}
        while queue:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            name = url_name(path)
            if per_name.get(name, 0) >= MAX_PER_URL_NAME:
                continue
            per_name[name] = per_name.get(name, 0) + 1
            try:
                tab.goto(path)
            except PlaywrightError as error:
                if "Download is starting" in str(error):
                    self.downloads.add(name)
                    continue
                raise
            landed = urlsplit(tab.url)
            landed_path = landed.path + (f"?{landed.query}" if landed.query else "")
            if landed_path != path and landed_path in seen:
                continue  # a redirect to a page already checked
            seen.add(landed_path)
            self.check(tab, label)
            for href in tab.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
                parts = urlsplit(href)
                if f"{parts.scheme}://{parts.netloc}" != origin:
                    continue
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if target.startswith(NEVER_FOLLOW) or target in seen:
                    continue
                queue.append(target)
