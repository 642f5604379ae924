"""Signals from shared mechanisms to the feature packages that keep state derived from them.

`contribution_moderated` is sent when a moderation decision taken outside a kind's own pages —
the moderation desk, an automatic flag — changed a contribution's status; the kind keeps what it
derives from it exact (an idea's count of published comments, a consultation's results version,
a campaign's data version). Sent inside the transaction, after the change: a receiver's writes
commit or roll back with it. Arguments: the Contribution, `before` and `after` (statuses).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

contribution_moderated = _signals.signal("contribution-moderated")
