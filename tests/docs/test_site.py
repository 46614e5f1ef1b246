# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docs site `make docs` builds, in Debian's chromium driven headless by Playwright.

Every plugin and role has a page that renders (its title, its options, no markup left raw or
reported broken, no script error), every page is reached from the index by following links,
every link inside the site leads to a file that exists and, with a fragment, to an element of
that page, and opening the site fetches nothing from outside (it is read offline).
"""

from __future__ import annotations

import pathlib
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SITE = ROOT / ".cache" / "docs" / "html"


def expected_pages():
    """The page antsibull-docs makes for each plugin and role, by the collection's files."""
    pages = {}
    for kind, folder in (("module", "modules"), ("filter", "filter")):
        for path in sorted((ROOT / "plugins" / folder).glob("*.py")):
            if not path.name.startswith("_"):
                pages["%s_%s.html" % (path.stem, kind)] = (kind, path.stem)
    for path in sorted((ROOT / "roles").glob("*/meta/argument_specs.yml")):
        pages["%s_role.html" % path.parents[1].name] = ("role", path.parents[1].name)
    return pages


PAGES = expected_pages()

# Per page: the text the browser shows and its internal links, read once for every test.
READ_PAGE = """() => ({
    title: (document.querySelector('h1') || {textContent: ''}).textContent,
    text: document.body.innerText,
    ids: [...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.getAttribute('name')),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    cut_code: [...document.querySelectorAll('code')].map(c => c.textContent).filter(t => t.endsWith('\\\\')),
})"""


@pytest.fixture(scope="module")
def site(chromium):
    """Every page reached from index.html, crawled in chromium (tests/conftest.py): {file name: what READ_PAGE returns}."""
    if not (SITE / "index.html").is_file():
        pytest.fail("no docs site at %s: run make docs (make test-docs builds it first)" % SITE)
    outside, errors, pages = [], [], {}

    def guard(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    tab = chromium.new_page()
    try:
        tab.route("**/*", guard)
        tab.on("pageerror", lambda exc: errors.append((tab.url, str(exc))))
        queue = ["index.html"]
        while queue:
            name = queue.pop(0)
            if name in pages:
                continue
            tab.goto((SITE / name).as_uri())
            pages[name] = tab.evaluate(READ_PAGE)
            for link in pages[name]["links"]:
                target = internal(link)
                if target and target[0].endswith(".html") and target[0] not in pages \
                        and (SITE / target[0]).is_file():
                    queue.append(target[0])
    finally:
        tab.close()
    return {"pages": pages, "outside": outside, "errors": errors}


def internal(link):
    """(file name relative to the site, fragment) for a link into the site, else None."""
    parsed = urllib.parse.urlsplit(link)
    if parsed.scheme != "file":
        return None
    path = pathlib.Path(urllib.parse.unquote(parsed.path))
    try:
        return str(path.relative_to(SITE)), urllib.parse.unquote(parsed.fragment)
    except ValueError:
        return str(path), urllib.parse.unquote(parsed.fragment)


def test_nothing_is_fetched_from_outside_and_no_script_fails(site):
    assert not site["outside"], site["outside"]
    assert not site["errors"], site["errors"]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_plugin_and_role_page_renders(site, name):
    kind, short = PAGES[name]
    assert name in site["pages"], "%s is not reached from index.html" % name
    page = site["pages"][name]
    assert "hypervisor.kvm.%s" % short in page["title"], page["title"]
    text = page["text"]
    assert ("Entry point main" in text) if kind == "role" else ("Parameters" in text or "Input" in text), name
    # markup antsibull-docs could not render or left raw
    for broken in ("ERROR while parsing", "Error: ", "C(", "V(", "O(", "RV(", "M("):
        assert broken not in text, (name, broken)
    # C() knows no escape: C(a (b\\) c) ends at the first ")", leaving a code span cut after a backslash
    assert not page["cut_code"], (name, page["cut_code"])


def test_index_names_every_plugin_and_role(site):
    linked = {internal(link)[0] for link in site["pages"]["index.html"]["links"] if internal(link)}
    assert set(PAGES) <= linked, sorted(set(PAGES) - linked)


def test_every_internal_link_resolves(site):
    broken = []
    for name, page in site["pages"].items():
        for link in page["links"]:
            target = internal(link)
            if target is None:
                continue
            path, fragment = target
            if not (SITE / path).is_file():
                broken.append((name, link))
            elif fragment and path in site["pages"] and fragment not in site["pages"][path]["ids"]:
                broken.append((name, link))
    assert not broken, broken
