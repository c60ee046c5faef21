"""The payout roster (发放花名册), the yearly aid statistics and the notices to families.

* ``engine.compute_payout(prep, policy, semester, previous=None) -> PayoutResult`` — who is paid
  which item and how much; 待核实 lines; 变动 against last semester.
* ``summary.compute_summary(prep, policy, source) -> SummaryResult`` — households / students / yuan
  per calendar year, by semester, stage, item, township, school; the annual-report sentence.
* ``notify.build_notices`` / ``notify.write_notices_docx`` — 资助结果告知书 from a template.
* ``payfile`` reads payout.csv (the contract) and 发放花名册 workbooks back.
* ``run.run_payout`` / ``run.run_summary`` / ``run.run_notify`` — the commands as library calls.
"""
