"""The Changjiang 科贷通 kind (昌江区“科贷通”工作实施细则): bureau review, leading group, bank, publicity, risk compensation.

`spec.py` assembles what it registers with `kedaitong.programs`; `guards.py` holds the conditions of its
review steps, `registration.py` the loan registration rules it adds, `queues.py` the narrowing of its
queues. Its pure rules stay where CONVENTIONS.md puts rules (`applications/eligibility.py`,
`loans/rules.py`, `compensation/rules.py`), its review records in `review/`.
"""

KIND = "changjiang_kedaitong"
