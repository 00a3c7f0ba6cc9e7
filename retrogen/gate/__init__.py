"""The gate: loading review files, the schema, the settings and every check `retrogen check` runs, and the
reporters that print its findings. The gate imports no pandas, Jinja or MkDocs, so a pull request's check
(and pre-commit) stays fast."""
