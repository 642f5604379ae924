"""The queue page stays light: an item carries its decision buttons only, the reason and note
fields are on the page once (a <template> the desk's script copies into the item the moderator
gets to), and what an item adds to the page stays under a measured bound.

Measured (bench/moderation/queue_page.py, 25 items): 80.4 KB and 2,878 bytes an item with the
full form in every item; 56.4 KB and 1,885 bytes with light items. Here: 160-character texts,
one item in four reported (which adds its line of reports and a "Keep as it is" button)."""

from __future__ import annotations

# bytes an item adds to the page: measured 1,757 here with light items, 2,755 with full forms
PER_ITEM_MAX = 1_900

TEXT = "Mai mulți copaci și bănci pe strada Universității, cu umbră vara și coșuri de gunoi. " \
       "Și o fântână de apă potabilă lângă stația de autobuz."


def fill(process, make_contribution, make_report, start, count):  # noqa: ANN001, ANN201
    for number in range(start, start + count):
        status = "published" if number % 4 == 0 else "pending"
        item = make_contribution(process, kind="idea", status=status, text=f"{number}. {TEXT}")
        if status == "published":
            make_report(item, reason="offensive")


def test_an_item_is_light_and_the_fields_are_on_the_page_once(client, login_as, moderator, city,
                                                              process, make_contribution,
                                                              make_report):
    login_as(client, moderator)
    url = f"/{city.slug}/moderation/"
    fill(process, make_contribution, make_report, 0, 1)
    one = client.get(url).get_data()
    fill(process, make_contribution, make_report, 1, 24)
    page = client.get(url)
    many = page.get_data()
    html = page.get_data(as_text=True)
    assert html.count('class="card mod-item"') == 25
    # the reason list twice: the shared template and the bulk form; never in an item
    assert html.count('name="reason_code"') == 2
    assert html.count('<template id="mod-fields">') == 1
    assert html.count('id="reason-__ID__"') == 1
    per_item = (len(many) - len(one)) / 24
    assert per_item < PER_ITEM_MAX, per_item


def test_a_refused_item_has_its_fields(client, login_as, moderator, city, process,
                                       make_contribution):
    login_as(client, moderator)
    item = make_contribution(process, kind="idea", status="pending", text=TEXT)
    answer = client.post_form(f"/{city.slug}/moderation/items/{item.id}/decide",
                              {"action": "reject"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert f'id="reason-{item.id}"' in html and f'id="note-{item.id}"' in html
    assert f'aria-describedby="error-{item.id}"' in html
