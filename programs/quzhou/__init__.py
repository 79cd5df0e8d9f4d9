"""The Quzhou kind (衢州市科技金融合作贷款工作方案): the enterprise applies to a bank on file, the bank decides, disburses and
reports to the city bureau; interest subsidy to the banks, banks on file, fraud records.

`spec.py` assembles what it registers with `kedaitong.programs`; `guards.py` holds the conditions of its steps,
`registration.py` the loan registration rules of 一(一)–(六). Its pure rules stay where CONVENTIONS.md puts
rules (`applications/eligibility.py`, `loans/rules.py`, `subsidy/calculation.py`).
"""

KIND = "quzhou_coop_loan"
