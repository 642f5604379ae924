"""A citizen page's first load stays under 60 KB compressed, CSS and JS included, and loads
nothing from another host."""

from __future__ import annotations

import gzip
import re

import pytest

BUDGET = 60 * 1024
ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="([^"]+)"')


def first_load(client, path: str) -> tuple[int, list[str]]:  # noqa: ANN001
    page = client.get(path)
    assert page.status_code == 200, path
    html = page.get_data()
    assets = ASSET.findall(html.decode())
    total = len(gzip.compress(html, 9))
    for url in assets:
        assert url.startswith("/"), f"{path} loads {url} from another host"
        response = client.get(url)
        assert response.status_code == 200, f"{url} missing (run `make install`)"
        total += len(gzip.compress(response.get_data(), 9))
        response.close()
    return total, assets


@pytest.mark.parametrize("path", ["/", "/{city}/", "/{city}/p/{process}", "/account/signup",
                                  "/account/login"])
def test_first_load_is_under_60_kb(client, make_city, make_process, path):
    city = make_city("suceava", is_mission_city=True)
    for number in range(12):
        make_process(city, slug=f"process-{number}")
    url = path.format(city=city.slug, process="process-0")
    total, assets = first_load(client, url)
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    assert total < BUDGET, f"{url}: {total} bytes compressed"
