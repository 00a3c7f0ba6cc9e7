"""Lines that run together stay apart, as a sales director sees them on a phone (390×844) and a desktop
(1366×900), light and dark. On the metrics page three KPIs of one team were two points each at 80-87% and
93-97%: drawn in colour alone, one on the other, until only the top one showed. Each series now has a marker
of its own shape and a dash of its own, no marker hides under another, and the legend shows each series as it
is drawn."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = [(390, 844), (1366, 900)]
PAGES = ["metrics/", "teams/enterprise-sales-emea/", "teams/hua-dong-xiao-shou-bu/", "actions/"]

# For each line chart shown: each series' line (colour and dash as drawn), the shape of its markers, whether
# each marker is the topmost thing at its own centre, and the legend's sample of it.
READ = r"""(svg) => {
  svg.scrollIntoView({block: 'center'});
  const style = (el) => getComputedStyle(el);
  // a marker's outline as drawn: its own, or that of the shape it uses
  const shape = (el) => el.getAttribute('d') || el.getAttribute('r') && 'circle'
    || (el.href && document.querySelector(el.href.baseVal)?.getAttribute('d'));
  // a legend's words: the texts after its sample (a long name takes more than one line), spaces aside
  const label = (key) => {
    let el = key.nextElementSibling;
    while (el && el.tagName !== 'text') { el = el.nextElementSibling; }
    const words = [];
    for (; el && el.tagName === 'text'; el = el.nextElementSibling) { words.push(el.textContent); }
    return words.join('').replace(/\s/g, '');
  };
  const series = [...svg.querySelectorAll('polyline.rg-line')].map((line) => {
    const css = [...line.classList].find((c) => /^rg-s\d+$/.test(c));
    const dots = [...svg.querySelectorAll('.' + css + ':not(polyline, line, .rg-key)')];  // its markers
    const key = svg.querySelector('line.' + css);
    const keyMark = svg.querySelector('.rg-key.' + css);
    return {
      css, points: line.getAttribute('points').split(' ').length,
      colour: style(line).stroke, dash: style(line).strokeDasharray,
      shapes: [...new Set(dots.map((d) => shape(d)))],
      hidden: dots.filter((d) => {
        const box = d.getBoundingClientRect();
        return document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2) !== d;
      }).map((d) => d.querySelector('title').textContent),
      name: dots.length ? dots[0].querySelector('title').textContent.split(' · ')[0].replace(/\s/g, '') : null,
      key: key && {colour: style(key).stroke, dash: style(key).strokeDasharray,
                   shape: keyMark && shape(keyMark), fill: keyMark && style(keyMark).fill,
                   label: label(key)},
      fill: dots.length ? style(dots[0]).fill : null,
    };
  });
  return {title: svg.getAttribute('aria-label'), series};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES, ids=["390x844", "1366x900"])
@pytest.mark.parametrize("path", PAGES)
def test_each_line_is_told_apart_and_the_legend_shows_it_as_drawn(
    browser: Any, site_url: str, path: str, size: tuple[int, int], scheme: str
) -> None:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, color_scheme=scheme)
    try:
        page.goto(site_url + path)
        page.wait_for_load_state("networkidle")
        expected = "slate" if scheme == "dark" else "default"
        assert page.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == expected
        charts = [
            page.evaluate(READ, svg)
            for svg in page.locator("svg.rg-chart").element_handles()
            if svg.evaluate("s => s.getBoundingClientRect().width > 0 && !!s.querySelector('polyline.rg-line')")
        ]
        assert charts, path
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"lines-{path.strip('/').replace('/', '-')}-{size[0]}-{scheme}.png"))
        for chart in charts:
            where = (path, size[0], scheme, chart["title"])
            series = chart["series"]
            assert all(s["shapes"] for s in series), (*where, "a series without markers")
            hidden = [tip for s in series for tip in s["hidden"]]
            assert hidden == [], (*where, "markers under another", hidden)
            # no two series look alike: colour, dash or marker tells each from every other
            looks = [(s["colour"], s["dash"], tuple(s["shapes"])) for s in series]
            assert len(set(looks)) == len(looks), (*where, looks)
            if len(series) > 1:
                assert len({s["dash"] for s in series[:4]}) == len(series[:4]), (*where, "dashes alike")
                assert len({tuple(s["shapes"]) for s in series[:4]}) == len(series[:4]), (*where, "shapes alike")
                for s in series:  # the legend names each series and shows its line and marker as drawn
                    assert s["key"] is not None, (*where, s["css"])
                    assert s["key"]["label"] == s["name"], (*where, s["key"], s["name"])
                    assert (s["key"]["colour"], s["key"]["dash"]) == (s["colour"], s["dash"]), (*where, s)
                    assert [s["key"]["shape"]] == s["shapes"] and s["key"]["fill"] == s["fill"], (*where, s)
    finally:
        page.close()
