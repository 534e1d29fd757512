"""Inspection evidence reports (issue 13): each report is one module under
`qualify.reports.library` with its query and its columns, registered by name; the
machinery renders it as a page, PDF, XLSX and CSV for the pages, the API and the
`qualify report` command. See docs/reports.md."""
