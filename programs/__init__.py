"""One package per kind of program. Each registers its spec with `kedaitong.programs` when the apps are ready.

`programs.changjiang` is the Changjiang 科贷通 rule set (the district bureau reviews, a leading group recommends,
the bank decides, credit is publicized; risk compensation, blacklist), `programs.quzhou` the Quzhou
科技金融合作贷款 rule set (the enterprise applies to a bank on file, the bank decides, disburses and reports to the
city bureau; interest subsidy, banks on file, fraud records). A new kind is one more package here and one line
in INSTALLED_APPS; a new district of a kind is rows (docs/architecture.md).
"""
