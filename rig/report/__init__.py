"""The auditor's report: Allure results per scenario, one offline HTML file, a terminal summary.

``allure_hooks`` turns each scenario item's ``RunResult`` into Allure steps, attachments and
labels, and writes ``environment.properties`` and ``categories.json``; ``html`` renders a
results directory to one self-contained HTML file; ``summary`` prints the table QA reads
first. docs/reports.md says what an auditor finds where.
"""
