"""The go-live migration: `qualify import legacy KIND FILE` (R2). One module per kind
(people, documents, matrix, training), sharing reading (CSV or XLSX) and the
migration report (common)."""
